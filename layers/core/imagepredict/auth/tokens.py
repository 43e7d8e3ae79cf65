"""Access tokens (signed JWTs) and refresh tokens (opaque random values, stored only as hashes).

Both arrive from clients as untrusted text, so both are parsed strictly before anything else looks at them: an
access token must be a compact JWS (three base64url segments, at most MAX_ACCESS_TOKEN_LENGTH characters) before
PyJWT decodes it, and a refresh token must be exactly what new_refresh_token makes (43 base64url characters) before
it is hashed and looked up. Any other text is InvalidToken (401 `invalid_token`), never another exception.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt

from imagepredict.auth.keys import SigningKeys, StaticKeys
from imagepredict.auth.roles import ROLES, USER, Role
from imagepredict.errors import InvalidToken

ALGORITHM = "HS256"
REFRESH_TOKEN_BYTES = 32  # 256 bits of randomness
MAX_ACCESS_TOKEN_LENGTH = 4096  # ours are about 600 characters; headers and claims are bounded
_COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
_REFRESH_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")  # token_urlsafe(32): 32 bytes, unpadded base64url
REFRESH_REFUSED = "The refresh token is invalid, expired or revoked"


@dataclass(frozen=True)
class AccessClaims:
    user_id: str
    email: str
    token_id: str
    issued_at: int
    expires_at: int
    role: Role = USER


class AccessTokens:
    def __init__(
        self,
        keys: str | SigningKeys,
        *,
        issuer: str,
        audience: str,
        ttl_seconds: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._keys = StaticKeys(keys) if isinstance(keys, str) else keys
        self._issuer = issuer
        self._audience = audience
        self.ttl_seconds = ttl_seconds
        self._clock = clock

    def issue(self, user_id: str, email: str, role: Role = USER) -> str:
        now = int(self._clock())
        claims = {
            "sub": user_id,
            "email": email,
            "role": role,
            "iat": now,
            "exp": now + self.ttl_seconds,
            "iss": self._issuer,
            "aud": self._audience,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self._keys.signing_key(), algorithm=ALGORITHM)

    def verify(self, token: object) -> AccessClaims:
        """The claims of a token this API issued and that is still valid; InvalidToken for any other value."""
        if not isinstance(token, str) or len(token) > MAX_ACCESS_TOKEN_LENGTH or not _COMPACT_JWS.fullmatch(token):
            raise InvalidToken()
        claims = self._decode(token)
        texts_ok = all(isinstance(claims[name], str) for name in ("sub", "email", "jti"))
        times_ok = all(type(claims[name]) is int for name in ("iat", "exp"))  # PyJWT lets 0.5 and True through
        if not (texts_ok and times_ok and claims["role"] in ROLES):
            raise InvalidToken()
        return AccessClaims(
            user_id=claims["sub"],
            email=claims["email"],
            token_id=claims["jti"],
            issued_at=claims["iat"],
            expires_at=claims["exp"],
            role=claims["role"],
        )

    def _decode(self, token: str) -> dict[str, Any]:
        """The token's claims, checked with the current key, then (after a rotation) with the previous one."""
        for key in self._keys.verification_keys():
            try:
                return jwt.decode(
                    token,
                    key,
                    algorithms=[ALGORITHM],
                    audience=self._audience,
                    issuer=self._issuer,
                    options={"require": ["sub", "email", "role", "iat", "exp", "iss", "aud", "jti"]},
                )
            except jwt.InvalidSignatureError:
                continue
            except jwt.ExpiredSignatureError:
                raise InvalidToken("The access token has expired") from None
            except jwt.PyJWTError:
                raise InvalidToken() from None
        raise InvalidToken()


def new_refresh_token() -> str:
    return secrets.token_urlsafe(REFRESH_TOKEN_BYTES)


def parse_refresh_token(value: object) -> str:
    """A refresh token as new_refresh_token makes them, or InvalidToken: nothing else is worth a lookup."""
    if not isinstance(value, str) or not _REFRESH_TOKEN.fullmatch(value):
        raise InvalidToken(REFRESH_REFUSED)
    return value


def hash_refresh_token(token: str) -> str:
    # The token carries 256 random bits, so a fast unsalted hash is enough to make a stolen table useless.
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
