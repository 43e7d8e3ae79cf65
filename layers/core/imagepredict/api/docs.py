"""What each route documents besides its success: its errors, by status, with their codes and real examples.

Error bodies are built by the same AppError classes the routes raise, so an example is what a client gets.
"""

from __future__ import annotations

from collections.abc import Iterable
from http import HTTPStatus
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from imagepredict.errors import (
    AppError,
    Forbidden,
    InternalError,
    InvalidRequest,
    InvalidToken,
    ServiceMisconfigured,
    ServiceUnavailable,
    UnsupportedMediaType,
)

JSON = "application/json"
HEADERS = {
    "WWW-Authenticate": {"description": '`Bearer error="invalid_token"`', "schema": {"type": "string"}},
    "Retry-After": {"description": "Seconds until the request may be made again", "schema": {"type": "integer"}},
}


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable and machine-readable: branch on it (the README's table lists them all)")
    message: str = Field(description="For people: show it, don't parse it")
    fields: dict[str, str] | None = Field(
        default=None, description="Which fields (or query parameters) are wrong, and why; only when some are"
    )


class ErrorBody(BaseModel):
    """Every error the functions answer."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                InvalidRequest(InvalidRequest.summary, fields={"password": "Use at least 10 characters"}).body()
            ]
        }
    )

    error: ErrorDetail


class GatewayMessage(BaseModel):
    """What API Gateway itself answers, before any function runs (an unknown route, a request too large)."""

    message: str


def _example(error: AppError) -> dict[str, Any]:
    return {"summary": error.message, "value": error.body()}


def _error_response(errors: list[AppError], description: str | None = None) -> dict[str, Any]:
    assert len({error.code for error in errors}) == len(errors), "one example per code and status"
    response: dict[str, Any] = {
        "description": description
        or f"{HTTPStatus(errors[0].status).phrase}: " + ", ".join(dict.fromkeys(f"`{e.code}`" for e in errors)),
        "content": {JSON: {"model": ErrorBody, "examples": {error.code: _example(error) for error in errors}}},
    }
    headers = {name: spec for name, spec in HEADERS.items() if any(name in error.headers for error in errors)}
    if headers:
        response["headers"] = headers
    return response


def answers(
    status: int,
    description: str,
    model: type[BaseModel] | None = None,
    *,
    errors: Iterable[AppError] = (),
    body: bool = False,
    guarded: bool = False,
    admin: bool = False,
) -> dict[int, dict[str, Any]]:
    """A route's `responses`: its success, then each error status with its codes' examples.

    body: the route reads a JSON body (415 for another media type); guarded: it takes a bearer token (401);
    admin: it is an administrator's (guarded, and 403 `forbidden` for a user).
    """
    success: dict[str, Any] = {"description": description}
    if model is not None:
        success["content"] = {JSON: {"model": model}}
    found = [*errors, *([UnsupportedMediaType()] if body else []), *([InvalidToken()] if guarded or admin else [])]
    found += [Forbidden()] if admin else []
    by_status: dict[int, list[AppError]] = {}
    for error in found:
        by_status.setdefault(error.status, []).append(error)
    documented = {status: success} | {code: _error_response(group) for code, group in sorted(by_status.items())}
    documented[500] = _error_response([InternalError()], "Internal Server Error: `internal_error` (a bug)")
    documented[503] = _error_response([ServiceUnavailable(), ServiceMisconfigured()])
    return documented
