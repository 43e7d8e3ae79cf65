"""Accounts and tokens: registration, sign-in with throttling, JWT access tokens, rotating refresh tokens."""

from __future__ import annotations

from imagepredict.auth.passwords import PasswordHasher
from imagepredict.auth.service import AuthService, Session
from imagepredict.auth.sessions import RefreshTokenStore
from imagepredict.auth.throttle import LoginThrottle
from imagepredict.auth.tokens import AccessTokens
from imagepredict.auth.users import UserStore
from imagepredict.secrets import value_or_secret
from imagepredict.settings import Settings
from imagepredict.storage.mongo import get_database

__all__ = ["AccessTokens", "AuthService", "Session", "build_access_tokens", "build_auth_service"]


def build_access_tokens(settings: Settings) -> AccessTokens:
    """Access-token issuing and verification with the container's signing key (what every API function needs)."""
    return AccessTokens(
        value_or_secret(settings.jwt_secret, settings.jwt_secret_arn),
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
    )
    service.ensure_indexes()
    return service
