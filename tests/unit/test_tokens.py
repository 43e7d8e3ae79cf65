from __future__ import annotations

import base64
import json
import string
import time

import jwt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imagepredict.auth.tokens import (
    AccessClaims,
    AccessTokens,
    hash_refresh_token,
    new_refresh_token,
    parse_refresh_token,
)
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


# --- any text a client sends as a token: its claims or InvalidToken, never another exception -------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=12,
)
CLAIMS = ("sub", "email", "iat", "exp", "iss", "aud", "jti", "nbf")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


ACCESS_REFUSED = {"The access token is missing, malformed, expired or revoked", "The access token has expired"}


def assert_refused(refused: InvalidToken, messages: set[str]) -> None:
    """The documented error: 401 invalid_token, in our words."""
    assert (refused.status, refused.code) == (401, "invalid_token")
    assert refused.message in messages


def claims_or_invalid(issuer: AccessTokens, token: object) -> AccessClaims | None:
    try:
        claims = issuer.verify(token)
    except InvalidToken as refused:
        return assert_refused(refused, ACCESS_REFUSED)
    assert all(isinstance(value, str) for value in (claims.user_id, claims.email, claims.token_id))
    assert isinstance(claims.issued_at, int)
    assert isinstance(claims.expires_at, int)
    return claims


@settings(max_examples=500)
@given(st.one_of(st.text(), st.binary().map(b64url), st.none(), st.integers()))
def test_any_text_is_refused_as_an_access_token(token: object) -> None:
    assert claims_or_invalid(tokens(), token) is None


@settings(max_examples=500)
@given(header=JSON, payload=JSON, signature=st.binary(max_size=64))
def test_any_jwt_shaped_text_is_refused(header: object, payload: object, signature: bytes) -> None:
    token = ".".join([b64url(json.dumps(header).encode()), b64url(json.dumps(payload).encode()), b64url(signature)])
    assert claims_or_invalid(tokens(), token) is None


@settings(max_examples=500)
@given(overrides=st.dictionaries(st.sampled_from(CLAIMS), JSON, max_size=3), removed=st.sets(st.sampled_from(CLAIMS)))
def test_signed_tokens_with_any_claims_give_valid_claims_or_are_refused(overrides: dict, removed: set) -> None:
    """Even what only the key's holder can sign (a bug in issuing, a leaked key) cannot make verify misbehave."""
    issuer = tokens()
    claims = jwt.decode(issuer.issue("u", "a@example.com"), KEY, algorithms=["HS256"], audience="imagepredict-api")
    claims = {name: value for name, value in {**claims, **overrides}.items() if name not in removed}
    try:
        token = jwt.encode(claims, KEY, algorithm="HS256")
    except (TypeError, ValueError):  # PyJWT will not even sign it
        return
    claims_or_invalid(issuer, token)


@settings(max_examples=200)
@given(user_id=st.text(st.characters(exclude_categories=("Cs",))), email=st.emails())
def test_what_is_issued_verifies_as_itself(user_id: str, email: str) -> None:
    issuer = tokens()
    claims = issuer.verify(issuer.issue(user_id, email))
    assert (claims.user_id, claims.email) == (user_id, email)


@settings(max_examples=500)
@given(st.one_of(st.text(), st.text("ABCxyz019-_", min_size=42, max_size=44), st.none(), st.binary()))
def test_any_text_is_a_refresh_token_only_in_the_shape_we_issue(value: object) -> None:
    try:
        parsed = parse_refresh_token(value)
    except InvalidToken as refused:
        assert_refused(refused, {"The refresh token is invalid, expired or revoked"})
        return
    assert parsed == value
    assert isinstance(value, str)
    assert len(value) == 43
    assert set(value) <= set(string.ascii_letters + string.digits + "-_")


def test_every_refresh_token_issued_parses() -> None:
    for _ in range(200):
        token = new_refresh_token()
        assert parse_refresh_token(token) == token
