"""Accounts and tokens: registration, sign-in with throttling, JWT access tokens, rotating refresh tokens, and the
account's emails (password reset, address verification).

The package itself imports nothing: the names below load their module when first used. So a module that needs one
part (the result notifier reads whether an owner is verified, in the batch worker too, whose image has neither
bcrypt nor PyJWT) imports that part alone.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from imagepredict.auth.accounts import Accounts
    from imagepredict.auth.service import AuthService, Session
    from imagepredict.auth.tokens import AccessTokens
    from imagepredict.auth.wiring import build_access_tokens, build_accounts, build_auth_service, signing_keys

_HOMES = {
    "AccessTokens": "imagepredict.auth.tokens",
    "Accounts": "imagepredict.auth.accounts",
    "AuthService": "imagepredict.auth.service",
    "Session": "imagepredict.auth.service",
    "build_access_tokens": "imagepredict.auth.wiring",
    "build_accounts": "imagepredict.auth.wiring",
    "build_auth_service": "imagepredict.auth.wiring",
    "signing_keys": "imagepredict.auth.wiring",
}
__all__ = [
    "AccessTokens",
    "Accounts",
    "AuthService",
    "Session",
    "build_access_tokens",
    "build_accounts",
    "build_auth_service",
    "signing_keys",
]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(_HOMES[name]), name)
