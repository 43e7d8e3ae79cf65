"""The auth API: register, log in, refresh, log out, and who am I."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from imagepredict.api import bearer_token, create_resolver, json_body, json_response
from imagepredict.auth import AuthService, build_auth_service
from imagepredict.auth.validation import parse_credentials, parse_refresh_token, parse_registration
from imagepredict.errors import EmailTaken, InvalidCredentials, InvalidToken, TooManyAttempts
from imagepredict.observability import logger, metrics, tracer
from imagepredict.settings import get_settings
from imagepredict.storage.mongo import per_mongodb_uri

app = create_resolver()


@per_mongodb_uri  # rebuilt on a new client when the MongoDB URI secret rotates
def auth_service() -> AuthService:
    return build_auth_service(get_settings())


@contextmanager
def counted(success: str, failures: dict[type[Exception], str]) -> Iterator[None]:
    """Count the outcome of the block as a metric: `success`, or the name its expected failure maps to."""
    try:
        yield
    except tuple(failures) as error:
        metrics.add_metric(name=failures[type(error)], unit=MetricUnit.Count, value=1)
        raise
    metrics.add_metric(name=success, unit=MetricUnit.Count, value=1)


@app.post("/auth/register")
def register():
    registration = parse_registration(json_body(app.current_event))
    with counted("UserRegistered", {EmailTaken: "RegistrationConflict"}):
        session = auth_service().register(registration)
    logger.info("User registered", extra={"user_id": session.user.id})
    return json_response(201, session.body())


@app.post("/auth/login")
def login():
    credentials = parse_credentials(json_body(app.current_event))
    with counted("LoginSucceeded", {InvalidCredentials: "LoginFailed", TooManyAttempts: "LoginThrottled"}):
        session = auth_service().login(credentials)
    logger.info("User logged in", extra={"user_id": session.user.id})
    return json_response(200, session.body())


@app.post("/auth/refresh")
def refresh():
    refresh_token = parse_refresh_token(json_body(app.current_event))
    with counted("TokenRefreshed", {InvalidToken: "RefreshRejected"}):
        session = auth_service().refresh(refresh_token)
    return json_response(200, session.body())


@app.post("/auth/logout")
def logout():
    claims = auth_service().authenticate(bearer_token(app.current_event))
    with counted("UserLoggedOut", {}):
        auth_service().logout(claims.user_id)
    return json_response(204)


@app.get("/auth/me")
def me():
    service = auth_service()
    user = service.current_user(service.authenticate(bearer_token(app.current_event)))
    return json_response(200, {"user": user.public()})


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
