"""Who is calling, with which role: one guard for every API function, the same 401 everywhere.

A route that declares `security=BEARER` (which is also what the OpenAPI document says of it) is guarded: before its
input is even validated, the `Authorization: Bearer <access token>` header is verified, and a missing, malformed,
expired, forged or revoked token is 401 `invalid_token` with `WWW-Authenticate: Bearer error="invalid_token"`.

The handler then asks who is calling with a Powertools dependency: `caller: Caller` loads the account behind the
token (one lookup by _id) and refuses, with the same 401, a token whose account was deleted or disabled, or that
was issued before the account's `tokens_valid_after` (a password change or reset, a disable): so an administrator's
"disable" takes effect at the account's next request, not when its access token expires. `caller: AdminCaller`
is the same and then 403 `forbidden` unless both the token's role claim and the account's stored role are admin;
a token whose role claim is not admin is refused on such a route before its input is read (`refuse_users_early`),
so a user gets the same 403 from an admin route whatever the request holds.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Depends, Request

from imagepredict.auth.roles import ADMIN, Role
from imagepredict.auth.tokens import AccessClaims, AccessTokens
from imagepredict.auth.users import User, UserStore
from imagepredict.auth.wiring import build_access_tokens
from imagepredict.errors import Forbidden, InvalidToken
from imagepredict.settings import get_settings
from imagepredict.storage.mongo import get_database, per_mongodb_uri

BEARER_SCHEME = "bearerAuth"
BEARER: list[dict[str, list[str]]] = [{BEARER_SCHEME: []}]
_CONTEXT_KEY = "imagepredict_caller"


@dataclass(frozen=True)
class CallerAccount:
    """A verified access token and the account it acts for, as it is now."""

    claims: AccessClaims
    user: User

    @property
    def user_id(self) -> str:
        return self.user.id

    @property
    def email(self) -> str:
        return self.user.email

    @property
    def role(self) -> Role:
        return self.user.role

    @property
    def is_admin(self) -> bool:
        return self.claims.role == ADMIN and self.user.role == ADMIN


@lru_cache(maxsize=1)
def access_tokens() -> AccessTokens:
    return build_access_tokens(get_settings())


@per_mongodb_uri  # rebuilt on a new client when the MongoDB URI secret rotates
def accounts() -> UserStore:
    return UserStore(get_database(get_settings()))


def bearer_token(headers: Mapping[str, str]) -> str:
    header = next((value for name, value in headers.items() if name.lower() == "authorization"), "") or ""
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        raise InvalidToken("Send the access token as 'Authorization: Bearer <token>'")
    return token


def is_guarded(security: list[dict[str, list[str]]] | None) -> bool:
    return any(BEARER_SCHEME in requirement for requirement in security or ())


def authenticate(context: dict[str, Any], headers: Mapping[str, str]) -> AccessClaims:
    """Verify the request's access token once, and keep its claims in the request's context."""
    claims = access_tokens().verify(bearer_token(headers))
    context[_CONTEXT_KEY] = claims
    return claims


def account_of(claims: AccessClaims, users: UserStore) -> CallerAccount:
    """The account a verified token acts for, or 401 when it may no longer act for it."""
    user = users.by_id(claims.user_id)
    if user is None:
        raise InvalidToken("The account behind this access token no longer exists")
    if user.disabled:
        raise InvalidToken("This account is disabled")
    if not user.accepts_token_issued_at(claims.issued_at):
        raise InvalidToken("This access token was signed out (a password change, a reset or an administrator)")
    return CallerAccount(claims=claims, user=user)


def current_caller(request: Request) -> CallerAccount:
    claims = request.context.get(_CONTEXT_KEY)
    if claims is None:  # a programming error, caught by the tests: every route that asks for a Caller declares BEARER
        raise RuntimeError(f"{request.method} {request.route} takes a Caller but does not declare security=BEARER")
    return account_of(claims, accounts())


Caller = Annotated[CallerAccount, Depends(current_caller)]


def current_admin(caller: Caller) -> CallerAccount:
    if not caller.is_admin:
        raise Forbidden()
    return caller


AdminCaller = Annotated[CallerAccount, Depends(current_admin)]


@cache
def asks_for_admin(handler: Callable[..., Any]) -> bool:
    return any(hint == AdminCaller for hint in typing.get_type_hints(handler, include_extras=True).values())


def refuse_users_early(handler: Callable[..., Any], claims: AccessClaims) -> None:
    """Before validation, on a route whose handler takes an AdminCaller: 403 for a token that does not claim admin
    (the dependency then checks the stored role too)."""
    if claims.role != ADMIN and asks_for_admin(handler):
        raise Forbidden()
