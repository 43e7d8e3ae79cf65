from __future__ import annotations

import time

import jwt
import pytest

from imagepredict.auth.tokens import AccessTokens, hash_refresh_token, new_refresh_token
from imagepredict.errors import InvalidToken

KEY = "k" * 64


class Clock:
    def __init__(self, now: float | None = None) -> None:
        self.now = time.time() if now is None else now

    def __call__(self) -> float:
        return self.now


def tokens(clock: Clock | None = None, **overrides) -> AccessTokens:
    options = {"issuer": "imagepredict-test", "audience": "imagepredict-api", "ttl_seconds": 900}
    return AccessTokens(KEY, clock=clock or Clock(), **{**options, **overrides})


def test_issued_token_verifies_and_carries_the_claims() -> None:
    clock = Clock()
    issuer = tokens(clock)
    claims = issuer.verify(issuer.issue("user-1", "a@example.com"))
    assert claims.user_id == "user-1"
    assert claims.email == "a@example.com"
    assert claims.expires_at - claims.issued_at == 900
    assert len(claims.token_id) == 32


def test_each_token_has_its_own_id() -> None:
    issuer = tokens()
    first, second = (issuer.verify(issuer.issue("u", "a@example.com")) for _ in range(2))
    assert first.token_id != second.token_id


def test_expired_token_is_refused() -> None:
    issuer = tokens(Clock(time.time() - 901))  # PyJWT checks expiry against the real clock
    with pytest.raises(InvalidToken, match="expired"):
        issuer.verify(issuer.issue("u", "a@example.com"))


def test_token_is_valid_until_it_expires() -> None:
    issuer = tokens(Clock(time.time() - 890))
    assert issuer.verify(issuer.issue("u", "a@example.com")).user_id == "u"


@pytest.mark.parametrize(
    ("other", "reason"),
    [
        ({"issuer": "someone-else"}, "issuer"),
        ({"audience": "another-api"}, "audience"),
    ],
)
def test_issuer_and_audience_are_checked(other: dict, reason: str) -> None:
    token = tokens(**other).issue("u", "a@example.com")
    with pytest.raises(InvalidToken):
        tokens().verify(token)


@pytest.mark.parametrize("missing", ["sub", "email", "iat", "exp", "iss", "aud", "jti"])
def test_every_claim_is_required(missing: str) -> None:
    issuer = tokens()
    claims = jwt.decode(issuer.issue("u", "a@example.com"), KEY, algorithms=["HS256"], audience="imagepredict-api")
    del claims[missing]
    with pytest.raises(InvalidToken):
        issuer.verify(jwt.encode(claims, KEY, algorithm="HS256"))


def test_non_string_subject_is_refused() -> None:
    issuer = tokens()
    claims = jwt.decode(issuer.issue("u", "a@example.com"), KEY, algorithms=["HS256"], audience="imagepredict-api")
    with pytest.raises(InvalidToken):
        issuer.verify(jwt.encode({**claims, "sub": {"$ne": None}}, KEY, algorithm="HS256"))


def test_other_algorithms_are_refused_even_with_the_right_key() -> None:
    issuer = tokens()
    claims = jwt.decode(issuer.issue("u", "a@example.com"), KEY, algorithms=["HS256"], audience="imagepredict-api")
    for algorithm in ("HS384", "HS512"):
        with pytest.raises(InvalidToken):
            issuer.verify(jwt.encode(claims, KEY, algorithm=algorithm))


def test_short_keys_are_refused_at_construction() -> None:
    with pytest.raises(ValueError, match="at least 32 bytes"):
        AccessTokens("short", issuer="i", audience="a", ttl_seconds=60)


def test_refresh_tokens_are_256_bit_random_and_hashed() -> None:
    first, second = new_refresh_token(), new_refresh_token()
    assert first != second
    assert len(first) >= 43
    assert hash_refresh_token(first) == hash_refresh_token(first)
    assert hash_refresh_token(first) != first
    assert len(hash_refresh_token(first)) == 64
