"""POST /auth/refresh's token against the real store: any text is a rotation of a token we issued, or 401
invalid_token; never another exception (a lone surrogate once reached the hash as a UnicodeEncodeError)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pymongo import MongoClient
from secantus import SecantusDBServer

from imagepredict.auth.sessions import RefreshTokenStore
from imagepredict.auth.tokens import new_refresh_token
from imagepredict.errors import InvalidToken

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def store(mongo_server: SecantusDBServer) -> Iterator[RefreshTokenStore]:
    client = MongoClient(mongo_server.uri, directConnection=True, tz_aware=True)
    tokens = RefreshTokenStore(client["refresh_token_input"], ttl_seconds=3600)
    tokens.ensure_indexes()
    yield tokens
    client.drop_database("refresh_token_input")
    client.close()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.text(), st.just("\ud800" * 43), st.builds(new_refresh_token), st.none(), st.integers()))
def test_any_text_is_refused_unless_it_is_a_token_we_issued(store: RefreshTokenStore, value: object) -> None:
    with pytest.raises(InvalidToken) as refused:
        store.use(value, NOW)  # type: ignore[arg-type]
    assert refused.value.message == "The refresh token is invalid, expired or revoked"


def test_a_token_we_issued_rotates_once(store: RefreshTokenStore) -> None:
    token = store.issue("user-1", NOW)
    assert store.use(token, NOW).user_id == "user-1"
    with pytest.raises(InvalidToken, match="already used"):
        store.use(token, NOW)
