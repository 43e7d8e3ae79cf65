"""The auth use cases built from settings: the one place the API functions assemble them."""

from __future__ import annotations

from imagepredict.auth.account_tokens import AccountTokenStore
from imagepredict.auth.accounts import AccountLimits, Accounts
from imagepredict.auth.keys import RotatingKeys, SigningKeys, StaticKeys
from imagepredict.auth.passwords import PasswordHasher
from imagepredict.auth.roles import RolePolicy
from imagepredict.auth.service import AuthService
from imagepredict.auth.sessions import RefreshTokenStore
from imagepredict.auth.throttle import LoginThrottle
from imagepredict.auth.tokens import AccessTokens
from imagepredict.auth.users import UserStore
from imagepredict.notifications.job_wiring import build_job_queue
from imagepredict.secrets import secret_cache
from imagepredict.settings import Settings, SettingsError
from imagepredict.storage.mongo import get_database


def signing_keys(settings: Settings) -> SigningKeys:
    """JWT_SECRET as given (tools, tests), else the rotating key in JWT_SECRET_ARN's secret."""
    if settings.jwt_secret:
        return StaticKeys(settings.jwt_secret)
    if not settings.jwt_secret_arn:
        raise SettingsError("Set JWT_SECRET_ARN (or JWT_SECRET for tools and tests)")
    return RotatingKeys(
        secret_cache(settings.secrets_max_age_seconds),
        settings.jwt_secret_arn,
        # A container may sign with the old key until it re-reads the secret; its tokens then live one lifetime.
        grace_seconds=settings.access_token_ttl_seconds + settings.secrets_max_age_seconds,
    )


def build_access_tokens(settings: Settings) -> AccessTokens:
    """Access-token issuing and verification with the container's signing keys (what every API function needs)."""
    return AccessTokens(
        signing_keys(settings),
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        ttl_seconds=settings.access_token_ttl_seconds,
    )


def build_auth_service(settings: Settings) -> AuthService:
    """Wire the service to the container's Mongo database and signing key; make sure its indexes exist."""
    database = get_database(settings)
    service = AuthService(
        users=UserStore(database),
        refresh_tokens=RefreshTokenStore(database, settings.refresh_token_ttl_seconds),
        throttle=LoginThrottle(
            database,
            max_failures=settings.login_max_failures,
            window_seconds=settings.login_failure_window_seconds,
        ),
        access_tokens=build_access_tokens(settings),
        passwords=PasswordHasher(settings.bcrypt_rounds),
        roles=RolePolicy.of(settings.admin_emails),
        account_tokens=AccountTokenStore(database),
    )
    service.ensure_indexes()
    return service


def build_accounts(settings: Settings, auth: AuthService) -> Accounts:
    """The account email routes' use cases, queueing their emails (or sending them at once without a queue)."""
    accounts = Accounts(
        auth=auth, jobs=build_job_queue(settings), limits=AccountLimits.standard(get_database(settings))
    )
    accounts.ensure_indexes()
    return accounts
