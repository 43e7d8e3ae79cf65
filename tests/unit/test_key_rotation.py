"""Rotating secrets: the cache re-reads a secret once it is max_age old, and after the signing key rotates, tokens
signed with the previous key verify for one token lifetime (plus the max age), then never again."""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime

import jwt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imagepredict.auth.keys import RotatingKeys
from imagepredict.auth.tokens import AccessTokens
from imagepredict.errors import InvalidToken
from imagepredict.secrets import CURRENT, PREVIOUS, SecretCache
from imagepredict.settings import SettingsError

SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:jwt-AbC123"
TTL = 900
MAX_AGE = 300


class ResourceNotFoundException(Exception):
    pass


class SecretsManager:
    """Versioning as put_secret_value does it: the new value becomes AWSCURRENT, the old one AWSPREVIOUS."""

    class exceptions:
        ResourceNotFoundException = ResourceNotFoundException

    def __init__(self, value: str, now: float) -> None:
        self.versions = {CURRENT: (value, now)}
        self.reads = 0

    def rotate(self, value: str, now: float) -> None:
        self.versions = {CURRENT: (value, now), PREVIOUS: self.versions[CURRENT]}

    def get_secret_value(self, SecretId: str, VersionStage: str) -> dict:
        self.reads += 1
        if VersionStage not in self.versions:
            raise ResourceNotFoundException(VersionStage)
        value, created = self.versions[VersionStage]
        return {"SecretString": value, "CreatedDate": datetime.fromtimestamp(created, UTC)}


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def new_key() -> str:
    return secrets.token_hex(32)


def setup(clock: Clock, key: str, cache_clock: Clock | None = None) -> tuple[SecretsManager, AccessTokens]:
    manager = SecretsManager(key, clock.now - 86_400)
    cache = SecretCache(lambda: manager, max_age=MAX_AGE, clock=cache_clock or clock)
    keys = RotatingKeys(cache, SECRET, grace_seconds=TTL + MAX_AGE, clock=clock)
    return manager, AccessTokens(keys, issuer="i", audience="a", ttl_seconds=TTL, clock=clock)


def test_a_secret_is_read_again_only_once_it_is_max_age_old() -> None:
    clock = Clock()
    manager = SecretsManager("first", clock.now)
    cache = SecretCache(lambda: manager, max_age=MAX_AGE, clock=clock)
    assert cache.current(SECRET).value == "first"
    manager.rotate("second", clock.now)
    clock.now += MAX_AGE - 1
    assert cache.current(SECRET).value == "first"
    assert manager.reads == 1
    clock.now += 1
    assert cache.current(SECRET).value == "second"
    assert cache.get(SECRET, PREVIOUS).value == "first"


def test_a_secret_never_rotated_has_no_previous_version() -> None:
    clock = Clock()
    cache = SecretCache(lambda: SecretsManager("only", clock.now), max_age=MAX_AGE, clock=clock)
    assert cache.get(SECRET, PREVIOUS) is None


def test_after_a_rotation_new_tokens_use_the_new_key_and_old_ones_still_verify() -> None:
    clock, cache_clock, old, new = Clock(), Clock(), new_key(), new_key()
    manager, tokens = setup(clock, old, cache_clock)
    before = tokens.issue("user", "a@example.com")
    manager.rotate(new, clock.now)
    cache_clock.now += MAX_AGE  # every container has re-read the secret
    after = tokens.issue("user", "a@example.com")
    assert jwt.decode(after, new, algorithms=["HS256"], audience="a")["sub"] == "user"
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(after, old, algorithms=["HS256"], audience="a")
    assert tokens.verify(before).user_id == "user"
    assert tokens.verify(after).user_id == "user"


@settings(max_examples=30)
@given(st.integers(min_value=0, max_value=10 * TTL))
def test_the_previous_key_verifies_exactly_for_the_grace_period(seconds_after_rotation: int) -> None:
    clock, old, new = Clock(), new_key(), new_key()
    manager, tokens = setup(clock, old)
    manager.rotate(new, clock.now)
    clock.now += seconds_after_rotation
    # A token made with the old key now (a leaked key, or a container that has not re-read the secret yet).
    forged = AccessTokens(old, issuer="i", audience="a", ttl_seconds=TTL, clock=lambda: time.time())
    token = forged.issue("user", "a@example.com")
    if seconds_after_rotation < TTL + MAX_AGE:
        assert tokens.verify(token).user_id == "user"
    else:
        with pytest.raises(InvalidToken):
            tokens.verify(token)


def test_a_key_that_was_never_ours_is_refused_even_right_after_a_rotation() -> None:
    clock = Clock()
    manager, tokens = setup(clock, new_key())
    manager.rotate(new_key(), clock.now)
    stranger = AccessTokens(new_key(), issuer="i", audience="a", ttl_seconds=TTL).issue("user", "a@example.com")
    with pytest.raises(InvalidToken):
        tokens.verify(stranger)


def test_a_too_short_key_in_the_secret_is_a_configuration_error_not_a_user_error() -> None:
    clock = Clock()
    _, tokens = setup(clock, "short")
    with pytest.raises(SettingsError, match="at least 32 bytes"):
        tokens.issue("user", "a@example.com")
