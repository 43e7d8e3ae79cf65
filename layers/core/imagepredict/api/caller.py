"""Who is calling: one check, the same 401 everywhere.

A route that declares `security=BEARER` (which is also what the OpenAPI document says of it) is guarded: before its
input is even validated, the `Authorization: Bearer <access token>` header is verified, and a missing, malformed,
expired, forged or revoked token is 401 `invalid_token` with `WWW-Authenticate: Bearer error="invalid_token"`. The
handler receives the verified claims as a Powertools dependency, `caller: Caller`.

The signature says nothing of whether the account still exists (DELETE /auth/me): a route that reads or writes the
caller's data asks `require_account(caller)` first, one lookup by _id, and a deleted account's token is 401 there too.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Depends, Request

from imagepredict.auth import build_access_tokens
from imagepredict.auth.tokens import AccessClaims, AccessTokens
from imagepredict.auth.users import UserStore
from imagepredict.errors import InvalidToken
from imagepredict.settings import get_settings
from imagepredict.storage.mongo import get_database, per_mongodb_uri

BEARER_SCHEME = "bearerAuth"
BEARER: list[dict[str, list[str]]] = [{BEARER_SCHEME: []}]
_CONTEXT_KEY = "imagepredict_caller"


@lru_cache(maxsize=1)
def access_tokens() -> AccessTokens:
    return build_access_tokens(get_settings())


@per_mongodb_uri  # rebuilt on a new client when the MongoDB URI secret rotates
def accounts() -> UserStore:
    return UserStore(get_database(get_settings()))


def require_account(claims: AccessClaims) -> str:
    """The caller's user id, once its account is known to still exist (else 401 `invalid_token`)."""
    if not accounts().exists(claims.user_id):
        raise InvalidToken("The account behind this access token no longer exists")
    return claims.user_id


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


def current_caller(request: Request) -> AccessClaims:
    claims = request.context.get(_CONTEXT_KEY)
    if claims is None:  # a programming error, caught by the tests: every route that asks for a Caller declares BEARER
        raise RuntimeError(f"{request.method} {request.route} takes a Caller but does not declare security=BEARER")
    return claims


Caller = Annotated[AccessClaims, Depends(current_caller)]
