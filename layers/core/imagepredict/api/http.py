"""Turn requests into plain values and every failure into a JSON error with a stable code."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from botocore.exceptions import BotoCoreError, ClientError
from pymongo.errors import ConnectionFailure

from imagepredict.errors import AppError, InvalidRequest, InvalidToken
from imagepredict.observability import logger
from imagepredict.settings import SettingsError

JSON = "application/json"


def json_response(status: int, body: Any = None, headers: dict[str, str] | None = None) -> Response:
    if body is None:
        return Response(status_code=status, body="", headers=headers)
    return Response(status_code=status, content_type=JSON, body=json.dumps(body), headers=headers)


def _error(status: int, code: str, message: str) -> Response:
    return json_response(status, {"error": {"code": code, "message": message}})


def create_resolver() -> APIGatewayHttpResolver:
    """A resolver whose errors are all JSON: client errors keep their code, the rest never show internals."""
    app = APIGatewayHttpResolver()

    @app.exception_handler(AppError)
    def _app_error(error: AppError) -> Response:
        return json_response(error.status, error.body(), error.headers)

    @app.not_found
    def _no_route(_: NotFoundError) -> Response:
        event = app.current_event
        return _error(404, "not_found", f"No route for {event.request_context.http.method} {event.raw_path}")

    @app.exception_handler(ConnectionFailure)
    def _database_unreachable(error: ConnectionFailure) -> Response:
        logger.error("MongoDB is unreachable", extra={"error": type(error).__name__})
        return _error(503, "service_unavailable", "The service is temporarily unavailable; try again shortly")

    @app.exception_handler([BotoCoreError, ClientError])
    def _aws_unreachable(error: Exception) -> Response:
        logger.error("An AWS call failed", extra={"error": type(error).__name__})
        return _error(503, "service_unavailable", "The service is temporarily unavailable; try again shortly")

    @app.exception_handler(SettingsError)
    def _misconfigured(error: SettingsError) -> Response:
        logger.error("The function's settings are invalid", extra={"problem": str(error)})  # names the variable
        return _error(503, "service_misconfigured", "The service is misconfigured; its operators must fix it")

    @app.exception_handler(Exception)
    def _unexpected(error: Exception) -> Response:
        logger.exception("Unhandled error")
        return _error(500, "internal_error", "Something went wrong on our side")

    return app


def json_body(event: APIGatewayProxyEventV2) -> dict[str, Any]:
    """The request body as a JSON object, or a 400 that says what is wrong with it."""
    raw = event.get("body")
    if raw is None or raw == "":
        raise InvalidRequest("The request body must be a JSON object")
    if event.get("isBase64Encoded"):
        try:
            raw = base64.b64decode(raw, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise InvalidRequest("The request body must be UTF-8 JSON") from None
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, RecursionError):
        raise InvalidRequest("The request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise InvalidRequest("The request body must be a JSON object")
    return data


def bearer_token(event: APIGatewayProxyEventV2) -> str:
    header = event.headers.get("authorization") or ""
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        raise InvalidToken("Send the access token as 'Authorization: Bearer <token>'")
    return token
