"""Who is calling: one check, the same 401 everywhere.

A route that declares `security=BEARER` (which is also what the OpenAPI document says of it) is guarded: before its
input is even validated, the `Authorization: Bearer <access token>` header is verified, and a missing, malformed,
expired, forged or revoked token is 401 `invalid_token` with `WWW-Authenticate: Bearer error="invalid_token"`. The
handler receives the verified claims as a Powertools dependency, `caller: Caller`.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Depends, Request

from imagepredict.auth import build_access_tokens
from imagepredict.auth.tokens import AccessClaims, AccessTokens
from imagepredict.errors import InvalidToken
from imagepredict.settings import get_settings

BEARER_SCHEME = "bearerAuth"
BEARER: list[dict[str, list[str]]] = [{BEARER_SCHEME: []}]
_CONTEXT_KEY = "imagepredict_caller"


@lru_cache(maxsize=1)
def access_tokens() -> AccessTokens:
    return build_access_tokens(get_settings())


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
