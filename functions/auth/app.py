"""The auth API: register, log in, refresh, log out, who am I, delete my account, and the account's emails:
forgot/reset password, verify the address (and resend the link), change password."""

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
from imagepredict.auth.accounts import Accounts
from imagepredict.auth.deletion import AccountDeletion
from imagepredict.auth.service import AuthService
from imagepredict.auth.validation import (
    Credentials,
    EmailVerification,
    PasswordChange,
    PasswordConfirmation,
    PasswordResetConfirmation,
    PasswordResetRequest,
    RefreshRequest,
    Registration,
)
from imagepredict.auth.views import Accepted, Me, PublicUser, SessionBody
from imagepredict.auth.wiring import build_accounts, build_auth_service
from imagepredict.aws import s3_client
from imagepredict.errors import (
    EmailTaken,
    InvalidCredentials,
    InvalidRequest,
    InvalidResetToken,
    InvalidToken,
    InvalidVerificationToken,
    TooManyAttempts,
)
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
BAD_EMAIL = InvalidRequest(InvalidRequest.summary, fields={"email": "Enter a valid email address"})
NO_LINK_TOKEN = InvalidRequest(InvalidRequest.summary, fields={"token": "This field is required"})
SHORT_NEW_PASSWORD = InvalidRequest(InvalidRequest.summary, fields={"new_password": "Use at least 10 characters"})
RESET_THROTTLED = TooManyAttempts(900, "password reset requests from your network")
RESEND_THROTTLED = TooManyAttempts(3600, "verification emails asked for")
RESET_ACCEPTED = "If an account uses this address, we have emailed it a link to reset the password"


@per_mongodb_uri  # rebuilt on a new client when the MongoDB URI secret rotates
def auth_service() -> AuthService:
    return build_auth_service(get_settings())


@per_mongodb_uri  # with auth_service(): both rebuilt when the MongoDB URI secret rotates
def account_deletion() -> AccountDeletion:
    settings = get_settings()
    return AccountDeletion(
        auth_service(), build_prediction_store(settings), s3_client(), bucket=settings.require_bucket()
    )


@per_mongodb_uri  # with auth_service(): both rebuilt when the MongoDB URI secret rotates
def accounts() -> Accounts:
    return build_accounts(get_settings(), auth_service())


def source_ip() -> str:
    """The client's address as API Gateway saw it (the per-source limit's key)."""
    return app.current_event.request_context.http.source_ip or "unknown"


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
    accounts().registered(session.user)  # the verification link; a failure to queue it is logged, not answered
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


@app.post(
    "/auth/password-reset",
    operation_id="requestPasswordReset",
    status_code=202,
    tags=TAGS,
    summary="Email a password reset link",
    description="Always the same 202, whether or not an account uses the address: the link (valid 30 minutes, "
    "{APP_URL}/#/reset-password?token=...) is emailed only if one does. Asking again makes the earlier link stop "
    "working. At most 3 emails per address in 15 minutes (past that, the same 202 and no email) and 10 requests "
    "per source address in 15 minutes (then 429 with Retry-After).",
    responses=answers(202, "Taken", Accepted, errors=[BAD_EMAIL, RESET_THROTTLED], body=True),
)
def request_password_reset(request: Annotated[PasswordResetRequest, Body()]) -> Accepted:
    accounts().request_password_reset(request.email, source_ip())
    return Accepted(message=RESET_ACCEPTED)


@app.post(
    "/auth/password-reset/confirm",
    operation_id="confirmPasswordReset",
    status_code=204,
    tags=TAGS,
    summary="Set a new password with the emailed token",
    description="The token works once, for 30 minutes, and only the newest one sent. The account's sessions all "
    "end (every refresh token revoked, access tokens refused), its failed sign-ins are forgotten, its address "
    "counts as verified, and the owner gets an email saying the password changed. Then sign in as usual.",
    responses=answers(204, "The password is changed", errors=[SHORT_PASSWORD, InvalidResetToken()], body=True),
)
def confirm_password_reset(confirmation: Annotated[PasswordResetConfirmation, Body()]) -> None:
    with counted("PasswordReset", {InvalidResetToken: "PasswordResetRefused"}):
        user = accounts().confirm_password_reset(confirmation.token, confirmation.password)
    logger.info("Password reset", extra={"user_id": user.id})


@app.post(
    "/auth/verify-email",
    operation_id="verifyEmail",
    tags=TAGS,
    summary="Confirm the account's address with the emailed token",
    description="The token comes from the link emailed at registration (or resent), "
    "{APP_URL}/#/verify-email?token=...; it works once, for 24 hours, and only the newest one sent. No sign-in "
    "needed. Answers the account, now verified; an address the deployment names as an administrator's becomes "
    "admin here (its next access token says so).",
    responses=answers(200, "Verified", Me, errors=[NO_LINK_TOKEN, InvalidVerificationToken()], body=True),
)
def verify_email(verification: Annotated[EmailVerification, Body()]) -> Me:
    with counted("EmailVerified", {InvalidVerificationToken: "EmailVerificationRefused"}):
        user = accounts().verify_email(verification.token)
    logger.info("Email verified", extra={"user_id": user.id})
    return Me(user=PublicUser.of(user))


@app.post(
    "/auth/verify-email/resend",
    operation_id="resendVerification",
    status_code=202,
    tags=TAGS,
    security=BEARER,
    summary="Email the verification link again",
    description="A new link; the earlier one stops working. Nothing is sent for an address already verified (the "
    "same 202). At most 3 in an hour per account (then 429 with Retry-After).",
    responses=answers(202, "Taken", Accepted, errors=[RESEND_THROTTLED], guarded=True),
)
def resend_verification(caller: Caller) -> Accepted:
    accounts().resend_verification(caller.user)
    if caller.user.email_verified:
        return Accepted(message="This address is already verified")
    return Accepted(message=f"We have emailed a new verification link to {caller.user.email}")


@app.post(
    "/auth/password",
    operation_id="changePassword",
    tags=TAGS,
    security=BEARER,
    summary="Change the password (and sign out every other session)",
    description="Asks for the current password (a wrong one is 401 invalid_credentials and counts toward the login "
    "limit of the account's email, 429 with Retry-After after five). Every other session ends: its refresh tokens "
    "are revoked and its access tokens refused. Answers a fresh session for this client, and the owner gets an "
    "email saying the password changed.",
    responses=answers(
        200,
        "Changed: a new session",
        SessionBody,
        errors=[SHORT_NEW_PASSWORD, WRONG_PASSWORD, TooManyAttempts(900)],
        body=True,
        guarded=True,
    ),
)
def change_password(change: Annotated[PasswordChange, Body()], caller: Caller) -> SessionBody:
    failures = {InvalidCredentials: "PasswordChangeRefused", TooManyAttempts: "LoginThrottled"}
    with counted("PasswordChanged", failures):
        session = accounts().change_password(caller.user_id, change.current_password, change.new_password)
    logger.info("Password changed", extra={"user_id": caller.user_id})
    return SessionBody.of(session)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
