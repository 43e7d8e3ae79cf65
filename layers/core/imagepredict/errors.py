"""Errors the API reports to clients: each has an HTTP status and a stable machine-readable code."""

from __future__ import annotations

from collections.abc import Mapping


class AppError(Exception):
    """A failure the client can act on. Rendered as {"error": {"code", "message", "fields"?}}."""

    status: int = 400
    code: str = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        fields: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.fields = dict(fields) if fields else None
        self.headers = dict(headers) if headers else {}

    def body(self) -> dict[str, object]:
        error: dict[str, object] = {"code": self.code, "message": self.message}
        if self.fields:
            error["fields"] = self.fields
        return {"error": error}


class InvalidRequest(AppError):
    status = 400
    code = "invalid_request"


class InvalidCredentials(AppError):
    status = 401
    code = "invalid_credentials"


class InvalidToken(AppError):
    status = 401
    code = "invalid_token"

    def __init__(self, message: str = "The access token is missing, malformed, expired or revoked") -> None:
        super().__init__(message, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


class NotFound(AppError):
    status = 404
    code = "not_found"


class EmailTaken(AppError):
    status = 409
    code = "email_taken"


class TooManyAttempts(AppError):
    status = 429
    code = "too_many_attempts"

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(
            f"Too many failed sign-in attempts for this email. Try again in {retry_after_seconds} seconds.",
            headers={"Retry-After": str(retry_after_seconds)},
        )
        self.retry_after_seconds = retry_after_seconds
