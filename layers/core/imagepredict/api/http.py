"""The resolver every API function uses: typed, validated routes whose every failure is a JSON error with a code."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.middlewares.openapi_validation import OpenAPIRequestValidationMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from botocore.exceptions import BotoCoreError, ClientError
from pymongo.errors import ConnectionFailure

from imagepredict.api.body import read_json_object
from imagepredict.api.caller import authenticate, is_guarded, refuse_users_early
from imagepredict.api.problems import invalid_request
from imagepredict.errors import AppError, InternalError, NotFound, ServiceMisconfigured, ServiceUnavailable
from imagepredict.observability import logger
from imagepredict.settings import SettingsError

JSON = "application/json"


def json_response(status: int, body: Any = None, headers: dict[str, str] | None = None) -> Response:
    if body is None:
        return Response(status_code=status, body="", headers=headers)
    return Response(status_code=status, content_type=JSON, body=json.dumps(body), headers=headers)


def error_response(error: AppError) -> Response:
    return json_response(error.status, error.body(), error.headers)


class GuardedValidation(OpenAPIRequestValidationMiddleware):
    """Powertools' request validation, with the caller authenticated first on guarded routes (an unauthenticated
    request is 401 whatever it sends, a user's on an admin route 403) and a body read only as JSON text (api/body.py:
    415 for other media types)."""

    def handler(self, app: Any, next_middleware: Any) -> Response:
        route = app.context["_route"]
        if is_guarded(route.security):
            refuse_users_early(route.func, authenticate(app.context, app.current_event.headers))
        return super().handler(app, next_middleware)

    def _get_body(self, app: Any) -> dict[str, Any]:
        return read_json_object(app.current_event.raw_event)


def create_resolver() -> APIGatewayHttpResolver:
    """A resolver whose errors are all JSON: client errors keep their code, the rest never show internals."""
    app = APIGatewayHttpResolver(enable_validation=True)
    # Powertools builds each route's middleware stack with this one first; it is the only seam before validation.
    app._request_validation_middleware = GuardedValidation()

    app.exception_handler(AppError)(error_response)

    @app.exception_handler(RequestValidationError)
    def _invalid(error: RequestValidationError) -> Response:
        errors = error.errors()
        if any(tuple(problem["loc"])[:1] == ("response",) for problem in errors):  # our answer broke its own model
            logger.error("A response does not match its model", extra={"errors": [e["type"] for e in errors]})
            return error_response(InternalError())
        return error_response(invalid_request(errors))

    @app.not_found
    def _no_route(_: NotFoundError) -> Response:
        event = app.current_event
        return error_response(NotFound(f"No route for {event.request_context.http.method} {event.raw_path}"))

    @app.exception_handler(ConnectionFailure)
    def _database_unreachable(error: ConnectionFailure) -> Response:
        logger.error("MongoDB is unreachable", extra={"error": type(error).__name__})
        return error_response(ServiceUnavailable())

    @app.exception_handler([BotoCoreError, ClientError])
    def _aws_unreachable(error: Exception) -> Response:
        logger.error("An AWS call failed", extra={"error": type(error).__name__})
        return error_response(ServiceUnavailable())

    @app.exception_handler(SettingsError)
    def _misconfigured(error: SettingsError) -> Response:
        logger.error("The function's settings are invalid", extra={"problem": str(error)})  # names the variable
        return error_response(ServiceMisconfigured())

    @app.exception_handler(Exception)
    def _unexpected(error: Exception) -> Response:
        logger.exception("Unhandled error")
        return error_response(InternalError())

    return app
