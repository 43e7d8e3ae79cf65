"""AuthService against a real SecantusDB over the wire, with a clock the tests move (no 15-minute waits)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from imagepredict.api.caller import account_of
from imagepredict.auth.passwords import PasswordHasher
from imagepredict.auth.service import AuthService
from imagepredict.auth.sessions import RefreshTokenStore
from imagepredict.auth.throttle import LoginThrottle
from imagepredict.auth.tokens import AccessTokens, hash_refresh_token
from imagepredict.auth.users import UserStore
from imagepredict.auth.validation import Credentials, Registration
from imagepredict.errors import EmailTaken, InvalidCredentials, InvalidToken, TooManyAttempts

TOKENS = AccessTokens("k" * 64, issuer="test", audience="api", ttl_seconds=900)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class CountingHasher(PasswordHasher):
    def __init__(self) -> None:
        super().__init__(rounds=4)
        self.checks = 0

    def verify(self, password: str, password_hash: str) -> bool:
        self.checks += 1
        return super().verify(password, password_hash)

    def waste_time(self, password: str) -> None:
        self.checks += 1
        super().waste_time(password)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def hasher() -> CountingHasher:
    return CountingHasher()


@pytest.fixture
def service(database, clock: Clock, hasher: CountingHasher) -> AuthService:
    service = AuthService(
        users=UserStore(database),
        refresh_tokens=RefreshTokenStore(database, ttl_seconds=3600),
        throttle=LoginThrottle(database, max_failures=5, window_seconds=900),
        access_tokens=TOKENS,
        passwords=hasher,
        clock=clock,
    )
    service.ensure_indexes()
    return service


ADA = Registration(email="ada@example.com", name="Ada", password="0123456789")


def test_unknown_email_spends_a_password_check_like_a_known_one(service: AuthService, hasher: CountingHasher) -> None:
    service.register(ADA)
    hasher.checks = 0
    with pytest.raises(InvalidCredentials):
        service.login(Credentials(email="ada@example.com", password="wrong-password"))
    known = hasher.checks
    with pytest.raises(InvalidCredentials):
        service.login(Credentials(email="nobody@example.com", password="wrong-password"))
    assert hasher.checks - known == known == 1


def test_throttle_lifts_when_the_oldest_failure_leaves_the_window(service: AuthService, clock: Clock) -> None:
    service.register(ADA)
    for _ in range(5):
        with pytest.raises(InvalidCredentials):
            service.login(Credentials(email=ADA.email, password="wrong-password"))
        clock.advance(seconds=60)
    with pytest.raises(TooManyAttempts) as blocked:
        service.login(Credentials(email=ADA.email, password=ADA.password))
    # failures at t=0,60,...,240; now t=300: the first one leaves the window at t=900
    assert blocked.value.retry_after_seconds == 600
    assert blocked.value.headers == {"Retry-After": "600"}
    clock.advance(seconds=600)
    assert service.login(Credentials(email=ADA.email, password=ADA.password)).user.email == ADA.email


def test_failures_spread_over_more_than_the_window_never_block(service: AuthService, clock: Clock) -> None:
    service.register(ADA)
    for _ in range(12):
        with pytest.raises(InvalidCredentials):
            service.login(Credentials(email=ADA.email, password="wrong-password"))
        clock.advance(seconds=200)  # at most 4 failures inside any 15 minutes
    assert service.login(Credentials(email=ADA.email, password=ADA.password)).user.email == ADA.email


def test_duplicate_email_is_refused_by_the_unique_index(service: AuthService) -> None:
    service.register(ADA)
    with pytest.raises(EmailTaken):
        service.register(Registration(email=ADA.email, name="Other", password="9876543210"))


def test_refresh_token_expires(service: AuthService, clock: Clock) -> None:
    session = service.register(ADA)
    clock.advance(seconds=3601)
    with pytest.raises(InvalidToken, match="invalid, expired or revoked"):
        service.refresh(session.refresh_token)


def test_refresh_tokens_have_a_ttl_index(service: AuthService, database) -> None:
    indexes = {v["key"][0][0]: v for v in database.refresh_tokens.index_information().values()}
    assert indexes["expires_at"]["expireAfterSeconds"] == 0


def test_access_token_of_a_deleted_user_is_refused(service: AuthService, database) -> None:
    session = service.register(ADA)
    claims = TOKENS.verify(session.access_token)
    database.users.delete_one({"email": ADA.email})
    with pytest.raises(InvalidToken):
        account_of(claims, UserStore(database))
    with pytest.raises(InvalidToken):
        service.refresh(session.refresh_token)


@pytest.mark.parametrize("attempts", [2, 4, 8])
def test_racing_refreshes_of_one_token_leave_no_session_alive(service: AuthService, database, attempts: int) -> None:
    """A stolen refresh token used at the same moment as the real one: at most one caller gets a new pair, the
    reuse is detected, and every refresh token of the family ends revoked, whichever order the writes took."""
    session = service.register(ADA)
    barrier = threading.Barrier(attempts)

    def refresh() -> str | None:
        barrier.wait()
        try:
            return service.refresh(session.refresh_token).refresh_token
        except InvalidToken:
            return None

    with ThreadPoolExecutor(attempts) as pool:
        issued = [token for token in pool.map(lambda _: refresh(), range(attempts)) if token]
    assert len(issued) <= 1
    family = database.refresh_tokens.find_one({"_id": hash_refresh_token(session.refresh_token)})["family_id"]
    alive = list(database.refresh_tokens.find({"family_id": family, "revoked_at": None}))
    assert alive == []
    for token in issued:
        with pytest.raises(InvalidToken):
            service.refresh(token)


def test_a_logout_during_a_refresh_revokes_the_new_token(service: AuthService, database, clock: Clock) -> None:
    session = service.register(ADA)
    store = RefreshTokenStore(database, ttl_seconds=3600)
    rotation = store.use(session.refresh_token, clock())
    service.logout(rotation.user_id)  # lands between marking the old token used and issuing the new one
    with pytest.raises(InvalidToken, match="signed out"):
        store.issue(rotation.user_id, clock(), rotation.family_id)
    assert database.refresh_tokens.count_documents({"family_id": rotation.family_id, "revoked_at": None}) == 0
