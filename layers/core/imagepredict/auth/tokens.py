"""Access tokens (signed JWTs) and refresh tokens (opaque random values, stored only as hashes)."""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt

from imagepredict.auth.keys import SigningKeys, StaticKeys
from imagepredict.errors import InvalidToken

ALGORITHM = "HS256"
REFRESH_TOKEN_BYTES = 32  # 256 bits of randomness


@dataclass(frozen=True)
class AccessClaims:
    user_id: str
    email: str
    token_id: str
    issued_at: int
    expires_at: int


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

    def issue(self, user_id: str, email: str) -> str:
        now = int(self._clock())
        claims = {
            "sub": user_id,
            "email": email,
            "iat": now,
            "exp": now + self.ttl_seconds,
            "iss": self._issuer,
            "aud": self._audience,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self._keys.signing_key(), algorithm=ALGORITHM)

    def verify(self, token: str) -> AccessClaims:
        claims = self._decode(token)
        if not all(isinstance(claims[name], str) for name in ("sub", "email", "jti")):
            raise InvalidToken()
        return AccessClaims(
            user_id=claims["sub"],
            email=claims["email"],
            token_id=claims["jti"],
            issued_at=claims["iat"],
            expires_at=claims["exp"],
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
                    options={"require": ["sub", "email", "iat", "exp", "iss", "aud", "jti"]},
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


def hash_refresh_token(token: str) -> str:
    # The token carries 256 random bits, so a fast unsalted hash is enough to make a stolen table useless.
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
