"""One-time account tokens and request limits against a real SecantusDB, with a clock the tests move: a token works
once (of two spends at once exactly one wins), for its purpose, until it expires, and only the newest of a purpose;
a limit counts per key across concurrent requests and lets the key go when its oldest request leaves the window."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pymongo.database import Database

from imagepredict.auth.account_tokens import PASSWORD_RESET, VERIFY_EMAIL, AccountTokenStore
from imagepredict.auth.throttle import LoginThrottle, RateLimit
from imagepredict.auth.tokens import hash_refresh_token
from imagepredict.errors import TooManyAttempts

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
T = TypeVar("T")


@pytest.fixture
def tokens(database: Database) -> AccountTokenStore:
    store = AccountTokenStore(database)
    store.ensure_indexes()
    return store


def at_once(count: int, action: Callable[[], T]) -> list[T]:
    """`action` in `count` threads released together."""
    barrier = threading.Barrier(count)

    def run() -> T:
        barrier.wait()
        return action()

    with ThreadPoolExecutor(count) as pool:
        return [future.result() for future in [pool.submit(run) for _ in range(count)]]


def test_a_token_works_once_for_its_account_and_address(tokens: AccountTokenStore, database: Database) -> None:
    token = tokens.issue("user-1", "ada@example.com", PASSWORD_RESET, NOW)
    assert len(token) == 43
    stored = database.account_tokens.find_one()
    assert stored["_id"] == hash_refresh_token(token)  # only the hash is kept
    assert token not in str(stored)
    assert (stored["purpose"], stored["user_id"], stored["used_at"]) == (PASSWORD_RESET, "user-1", None)
    assert stored["expires_at"] == NOW + timedelta(minutes=30)

    spent = tokens.spend(token, PASSWORD_RESET, NOW + timedelta(minutes=1))
    assert (spent.user_id, spent.email) == ("user-1", "ada@example.com")
    assert tokens.spend(token, PASSWORD_RESET, NOW + timedelta(minutes=2)) is None
    assert database.account_tokens.find_one()["used_at"] == NOW + timedelta(minutes=1)


def test_a_token_is_only_for_its_purpose(tokens: AccountTokenStore) -> None:
    reset = tokens.issue("user-1", "ada@example.com", PASSWORD_RESET, NOW)
    verify = tokens.issue("user-1", "ada@example.com", VERIFY_EMAIL, NOW)
    assert tokens.spend(reset, VERIFY_EMAIL, NOW) is None
    assert tokens.spend(verify, PASSWORD_RESET, NOW) is None
    assert tokens.spend(reset, PASSWORD_RESET, NOW) is not None  # not spent by the wrong tries
    assert tokens.spend(verify, VERIFY_EMAIL, NOW) is not None


def test_reset_links_last_30_minutes_and_verification_links_a_day(tokens: AccountTokenStore) -> None:
    reset = tokens.issue("user-1", "ada@example.com", PASSWORD_RESET, NOW)
    verify = tokens.issue("user-1", "ada@example.com", VERIFY_EMAIL, NOW)
    assert tokens.spend(reset, PASSWORD_RESET, NOW + timedelta(minutes=30)) is None
    assert tokens.spend(verify, VERIFY_EMAIL, NOW + timedelta(hours=24)) is None

    reset = tokens.issue("user-1", "ada@example.com", PASSWORD_RESET, NOW)
    verify = tokens.issue("user-1", "ada@example.com", VERIFY_EMAIL, NOW)
    assert tokens.spend(reset, PASSWORD_RESET, NOW + timedelta(minutes=29, seconds=59)) is not None
    assert tokens.spend(verify, VERIFY_EMAIL, NOW + timedelta(hours=23, minutes=59)) is not None


def test_expired_tokens_are_removed_by_a_ttl_index(database: Database, tokens: AccountTokenStore) -> None:
    ttl = {v["key"][0][0]: v.get("expireAfterSeconds") for v in database.account_tokens.index_information().values()}
    assert ttl["expires_at"] == 0


def test_a_new_token_invalidates_the_earlier_unused_ones_of_its_purpose(tokens: AccountTokenStore) -> None:
    first = tokens.issue("user-1", "ada@example.com", PASSWORD_RESET, NOW)
    verify = tokens.issue("user-1", "ada@example.com", VERIFY_EMAIL, NOW)
    other = tokens.issue("user-2", "bob@example.com", PASSWORD_RESET, NOW)
    second = tokens.issue("user-1", "ada@example.com", PASSWORD_RESET, NOW + timedelta(minutes=1))
    assert tokens.spend(first, PASSWORD_RESET, NOW + timedelta(minutes=2)) is None
    assert tokens.spend(second, PASSWORD_RESET, NOW + timedelta(minutes=2)) is not None
    assert tokens.spend(verify, VERIFY_EMAIL, NOW + timedelta(minutes=2)) is not None  # another purpose: kept
    assert tokens.spend(other, PASSWORD_RESET, NOW + timedelta(minutes=2)) is not None  # another account: kept


def test_of_many_spends_at_once_exactly_one_wins(tokens: AccountTokenStore) -> None:
    for _ in range(5):
        token = tokens.issue("user-1", "ada@example.com", PASSWORD_RESET, NOW)
        results = at_once(8, lambda token=token: tokens.spend(token, PASSWORD_RESET, NOW))
        assert sum(result is not None for result in results) == 1, results


def test_deleting_an_account_deletes_its_tokens(tokens: AccountTokenStore, database: Database) -> None:
    tokens.issue("user-1", "ada@example.com", PASSWORD_RESET, NOW)
    tokens.issue("user-1", "ada@example.com", VERIFY_EMAIL, NOW)
    tokens.issue("user-2", "bob@example.com", VERIFY_EMAIL, NOW)
    tokens.delete_user("user-1")
    assert [document["user_id"] for document in database.account_tokens.find()] == ["user-2"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.one_of(
        st.text(),
        st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", min_size=43, max_size=43),
        st.none(),
        st.integers(),
        st.lists(st.text()),
        st.dictionaries(st.text(), st.text()),
    )
)
def test_any_value_as_a_token_is_refused_without_raising(tokens: AccountTokenStore, value: object) -> None:
    tokens.issue("user-1", "ada@example.com", PASSWORD_RESET, NOW)
    assert tokens.spend(value, PASSWORD_RESET, NOW) is None


# --- limits ---------------------------------------------------------------------------------------------------------


def test_a_limit_counts_per_key_and_says_how_long_to_wait(database: Database) -> None:
    limit = RateLimit(database, "test", limit=3, window_seconds=900)
    limit.ensure_indexes()
    assert [limit.take("a", NOW + timedelta(seconds=i)) for i in range(3)] == [None, None, None]
    assert limit.take("a", NOW + timedelta(seconds=10)) == 890  # the oldest leaves the window at 900 s
    assert limit.take("b", NOW + timedelta(seconds=10)) is None  # another key
    assert limit.take("a", NOW + timedelta(seconds=899)) == 1
    assert limit.take("a", NOW + timedelta(seconds=900)) is None  # the oldest left: one more
    assert limit.take("a", NOW + timedelta(seconds=900.5)) == 1  # the second oldest leaves at 901 s
    assert database.rate_limits.find_one({"_id": "test:a"})["expires_at"] == NOW + timedelta(seconds=1800)


def test_two_limits_share_the_collection_under_their_own_names(database: Database) -> None:
    first = RateLimit(database, "first", limit=1, window_seconds=60)
    second = RateLimit(database, "second", limit=1, window_seconds=60)
    assert first.take("key", NOW) is None
    assert second.take("key", NOW) is None
    assert first.take("key", NOW) == 60
    first.forget("key")
    assert first.take("key", NOW) is None
    assert second.take("key", NOW) == 60


def test_requests_at_once_cannot_slip_past_a_limit(database: Database) -> None:
    limit = RateLimit(database, "race", limit=3, window_seconds=900)
    limit.ensure_indexes()
    for key in ("a", "b", "c"):
        results = at_once(10, lambda key=key: limit.take(key, NOW))
        assert sum(result is None for result in results) == 3, results
        assert all(result == 900 for result in results if result is not None)


def test_the_login_throttle_keeps_its_behaviour(database: Database) -> None:
    throttle = LoginThrottle(database, max_failures=2, window_seconds=60)
    throttle.ensure_indexes()
    assert throttle.check("ada@example.com", NOW) == 0
    throttle.record_failure("ada@example.com", NOW)
    throttle.record_failure("ada@example.com", NOW + timedelta(seconds=5))
    with pytest.raises(TooManyAttempts) as refused:
        throttle.check("ada@example.com", NOW + timedelta(seconds=10))
    assert refused.value.retry_after_seconds == 50
    assert "sign-in" in refused.value.message
    assert throttle.check("ada@example.com", NOW + timedelta(seconds=61)) == 2  # on record, outside the window
    assert len(database.login_failures.find_one({"_id": "ada@example.com"})["failures"]) == 2
    throttle.clear("ada@example.com")
    assert throttle.check("ada@example.com", NOW + timedelta(seconds=61)) == 0
