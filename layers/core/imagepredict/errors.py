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
    summary = "Some fields are missing or invalid"  # the message when `fields` says which and why


class UnsupportedType(InvalidRequest):
    code = "unsupported_type"
    summary = "content_type is not an image type this API takes"


class InvalidFilename(InvalidRequest):
    code = "invalid_filename"
    summary = "The filename cannot be used"


class InvalidCredentials(AppError):
    status = 401
    code = "invalid_credentials"


class InvalidToken(AppError):
    status = 401
    code = "invalid_token"

    def __init__(self, message: str = "The access token is missing, malformed, expired or revoked") -> None:
        super().__init__(message, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


class Forbidden(AppError):
    """Signed in, but this route is not for the caller's role (the admin routes, for a user)."""

    status = 403
    code = "forbidden"

    def __init__(self, message: str = "This needs an administrator's account") -> None:
        super().__init__(message)


class AccountDisabled(AppError):
    """The right password for an account an administrator disabled."""

    status = 403
    code = "account_disabled"

    def __init__(self, message: str = "This account is disabled; contact the service's administrator") -> None:
        super().__init__(message)


class NotFound(AppError):
    status = 404
    code = "not_found"


class UnsupportedMediaType(AppError):
    status = 415
    code = "unsupported_media_type"

    def __init__(self) -> None:
        super().__init__("Send the body as JSON, with Content-Type: application/json")


class EmailTaken(AppError):
    status = 409
    code = "email_taken"


class InvalidResetToken(AppError):
    """A password reset token that is unknown, expired, already used or not one we issue."""

    status = 400
    code = "invalid_reset_token"

    def __init__(self, message: str = "This password reset link is invalid, expired or already used") -> None:
        super().__init__(message)


class InvalidVerificationToken(AppError):
    """An email verification token that is unknown, expired, already used or not one we issue."""

    status = 400
    code = "invalid_verification_token"

    def __init__(self, message: str = "This verification link is invalid, expired or already used") -> None:
        super().__init__(message)


class TooManyAttempts(AppError):
    status = 429
    code = "too_many_attempts"

    def __init__(self, retry_after_seconds: int, what: str = "failed sign-in attempts for this email") -> None:
        super().__init__(
            f"Too many {what}. Try again in {retry_after_seconds} seconds.",
            headers={"Retry-After": str(retry_after_seconds)},
        )
        self.retry_after_seconds = retry_after_seconds


class InternalError(AppError):
    """A bug: the details are only in the logs."""

    status = 500
    code = "internal_error"

    def __init__(self) -> None:
        super().__init__("Something went wrong on our side")


class ServiceUnavailable(AppError):
    """MongoDB or AWS did not answer."""

    status = 503
    code = "service_unavailable"

    def __init__(self) -> None:
        super().__init__("The service is temporarily unavailable; try again shortly")


class ServiceMisconfigured(AppError):
    """A setting of the function is wrong (the log names it)."""

    status = 503
    code = "service_misconfigured"

    def __init__(self) -> None:
        super().__init__("The service is misconfigured; its operators must fix it")
