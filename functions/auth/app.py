"""The auth API: register, log in, refresh, log out, who am I, and delete my account."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from imagepredict.api import create_resolver
from imagepredict.api.caller import BEARER, Caller
from imagepredict.api.docs import answers
from imagepredict.auth import AuthService, build_auth_service
from imagepredict.auth.deletion import AccountDeletion
from imagepredict.auth.validation import Credentials, PasswordConfirmation, RefreshRequest, Registration
from imagepredict.auth.views import Me, PublicUser, SessionBody
from imagepredict.aws import s3_client
from imagepredict.errors import EmailTaken, InvalidCredentials, InvalidRequest, InvalidToken, TooManyAttempts
from imagepredict.observability import logger, metrics, tracer
from imagepredict.predictions import build_prediction_store
from imagepredict.settings import get_settings
from imagepredict.storage.mongo import per_mongodb_uri

app = create_resolver()
TAGS = ["auth"]
SHORT_PASSWORD = InvalidRequest(InvalidRequest.summary, fields={"password": "Use at least 10 characters"})
TAKEN = EmailTaken("An account with this email already exists", fields={"email": "Already registered"})
NO_TOKEN = InvalidRequest(InvalidRequest.summary, fields={"refresh_token": "This field is required"})
BAD_REFRESH = InvalidToken("The refresh token is invalid, expired or revoked")
NO_PASSWORD = InvalidRequest(InvalidRequest.summary, fields={"password": "This field is required"})
WRONG_PASSWORD = InvalidCredentials("The password is incorrect")


@per_mongodb_uri  # rebuilt on a new client when the MongoDB URI secret rotates
def auth_service() -> AuthService:
    return build_auth_service(get_settings())


@per_mongodb_uri  # with auth_service(): both rebuilt when the MongoDB URI secret rotates
def account_deletion() -> AccountDeletion:
    settings = get_settings()
    return AccountDeletion(
        auth_service(), build_prediction_store(settings), s3_client(), bucket=settings.require_bucket()
    )


@contextmanager
def counted(success: str, failures: dict[type[Exception], str]) -> Iterator[None]:
    """Count the outcome of the block as a metric: `success`, or the name its expected failure maps to."""
    try:
        yield
    except tuple(failures) as error:
        metrics.add_metric(name=failures[type(error)], unit=MetricUnit.Count, value=1)
        raise
    metrics.add_metric(name=success, unit=MetricUnit.Count, value=1)


@app.post(
    "/auth/register",
    operation_id="register",
    status_code=201,
    tags=TAGS,
    summary="Create an account (and sign in)",
    description="The email is trimmed and lower-cased, and unique; the name is trimmed. Answers a session.",
    responses=answers(201, "The new account, signed in", SessionBody, errors=[SHORT_PASSWORD, TAKEN], body=True),
)
def register(registration: Annotated[Registration, Body()]) -> SessionBody:
    with counted("UserRegistered", {EmailTaken: "RegistrationConflict"}):
        session = auth_service().register(registration)
    logger.info("User registered", extra={"user_id": session.user.id})
    return SessionBody.of(session)


@app.post(
    "/auth/login",
    operation_id="login",
    tags=TAGS,
    summary="Sign in with email and password",
    description="A wrong password and an unknown email look the same. After 5 failures for one email within 15 "
    "minutes, login answers 429 with Retry-After until the oldest failure is 15 minutes old.",
    responses=answers(
        200,
        "Signed in",
        SessionBody,
        errors=[SHORT_PASSWORD, InvalidCredentials("The email or password is incorrect"), TooManyAttempts(900)],
        body=True,
    ),
)
def login(credentials: Annotated[Credentials, Body()]) -> SessionBody:
    with counted("LoginSucceeded", {InvalidCredentials: "LoginFailed", TooManyAttempts: "LoginThrottled"}):
        session = auth_service().login(credentials)
    logger.info("User logged in", extra={"user_id": session.user.id})
    return SessionBody.of(session)


@app.post(
    "/auth/refresh",
    operation_id="refreshSession",
    tags=TAGS,
    summary="Trade a refresh token for a new pair",
    description="The refresh token is spent. Presenting a spent one again revokes every token of its sign-in.",
    responses=answers(200, "A new access and refresh token", SessionBody, errors=[NO_TOKEN, BAD_REFRESH], body=True),
)
def refresh(request: Annotated[RefreshRequest, Body()]) -> SessionBody:
    with counted("TokenRefreshed", {InvalidToken: "RefreshRejected"}):
        session = auth_service().refresh(request.refresh_token)
    return SessionBody.of(session)


@app.post(
    "/auth/logout",
    operation_id="logout",
    status_code=204,
    tags=TAGS,
    security=BEARER,
    summary="Sign out everywhere",
    description="Revokes every refresh token of the account. Access tokens already issued live out their minutes.",
    responses=answers(204, "Signed out", guarded=True),
)
def logout(caller: Caller) -> None:
    with counted("UserLoggedOut", {}):
        auth_service().logout(caller.user_id)


@app.get(
    "/auth/me",
    operation_id="getMe",
    tags=TAGS,
    security=BEARER,
    summary="Who am I",
    responses=answers(200, "The caller's account", Me, guarded=True),
)
def me(caller: Caller) -> Me:
    return Me(user=PublicUser.of(caller.user))


@app.delete(
    "/auth/me",
    operation_id="deleteMe",
    status_code=204,
    tags=TAGS,
    security=BEARER,
    summary="Delete my account and everything of it",
    description="Asks for the password again. Deletes every prediction, every uploaded image, every refresh token "
    "and the account, for good; access tokens already issued are refused from then on. A wrong password counts "
    "toward the login limit of the account's email (429 with Retry-After, as for login).",
    responses=answers(
        204, "Deleted", errors=[NO_PASSWORD, WRONG_PASSWORD, TooManyAttempts(900)], body=True, guarded=True
    ),
)
def delete_me(confirmation: Annotated[PasswordConfirmation, Body()], caller: Caller) -> None:
    failures = {InvalidCredentials: "AccountDeletionRefused", TooManyAttempts: "LoginThrottled"}
    with counted("AccountDeleted", failures):
        deleted = account_deletion().delete(caller.user_id, confirmation.password)
    logger.info(
        "Account deleted",
        extra={"user_id": caller.user_id, "predictions": deleted.predictions, "objects": deleted.objects},
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
