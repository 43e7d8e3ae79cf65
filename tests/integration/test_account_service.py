"""The account use cases against a real SecantusDB, with a clock the tests move: a password reset, an address
verified, a password changed, and the limits on asking for emails; the email jobs are recorded, not sent."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from pymongo.database import Database

from imagepredict.api.caller import account_of
from imagepredict.auth.account_tokens import PASSWORD_RESET, VERIFY_EMAIL, AccountTokenStore
from imagepredict.auth.accounts import AccountLimits, Accounts
from imagepredict.auth.passwords import PasswordHasher
from imagepredict.auth.roles import RolePolicy
from imagepredict.auth.service import AuthService
from imagepredict.auth.sessions import RefreshTokenStore
from imagepredict.auth.throttle import LoginThrottle
from imagepredict.auth.tokens import AccessTokens
from imagepredict.auth.users import UserStore
from imagepredict.auth.validation import Credentials, Registration
from imagepredict.errors import (
    InvalidCredentials,
    InvalidResetToken,
    InvalidToken,
    InvalidVerificationToken,
    TooManyAttempts,
)
from imagepredict.notifications.jobs import EmailJob, PasswordChangedEmail, PasswordResetEmail, VerificationEmail

ADA = Registration(email="ada@example.com", name="Ada", password="0123456789")
NEW_PASSWORD = "a brand new passphrase"


class Clock:
    def __init__(self) -> None:
        # A little in the past: PyJWT checks iat and exp against the wall clock, and tests move this one forward.
        self.now = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=30)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class RecordedJobs:
    jobs: list[EmailJob] = field(default_factory=list)
    broken: bool = False

    def submit(self, job: EmailJob) -> None:
        if self.broken:
            raise ConnectionError("the queue is unreachable")
        self.jobs.append(job)


@dataclass
class World:
    auth: AuthService
    accounts: Accounts
    tokens: AccountTokenStore
    access_tokens: AccessTokens
    jobs: RecordedJobs
    clock: Clock
    database: Database


@pytest.fixture
def world(database: Database) -> World:
    clock = Clock()
    tokens = AccountTokenStore(database)
    access_tokens = AccessTokens(
        "k" * 64, issuer="test", audience="api", ttl_seconds=86_400, clock=lambda: clock().timestamp()
    )
    auth = AuthService(
        users=UserStore(database),
        refresh_tokens=RefreshTokenStore(database, ttl_seconds=3600),
        throttle=LoginThrottle(database, max_failures=5, window_seconds=900),
        access_tokens=access_tokens,
        passwords=PasswordHasher(rounds=4),
        roles=RolePolicy.of(["boss@example.com"]),
        account_tokens=tokens,
        clock=clock,
    )
    auth.ensure_indexes()
    jobs = RecordedJobs()
    accounts = Accounts(auth=auth, jobs=jobs, limits=AccountLimits.standard(database), clock=clock)
    accounts.ensure_indexes()
    return World(auth, accounts, tokens, access_tokens, jobs, clock, database)


def login(world: World, password: str) -> None:
    world.auth.login(Credentials(email=ADA.email, password=password))


def test_a_reset_sets_the_password_and_ends_every_session(world: World) -> None:
    session = world.auth.register(ADA)
    with pytest.raises(InvalidCredentials):
        login(world, "wrong password!")  # one failed sign-in on record
    world.clock.advance(seconds=2)
    token = world.tokens.issue(session.user.id, ADA.email, PASSWORD_RESET, world.clock())

    user = world.accounts.confirm_password_reset(token, NEW_PASSWORD)

    assert user.email_verified  # the owner read the email
    assert world.jobs.jobs == [PasswordChangedEmail(user.id)]
    with pytest.raises(InvalidCredentials):
        login(world, ADA.password)
    login(world, NEW_PASSWORD)
    with pytest.raises(InvalidToken):
        world.auth.refresh(session.refresh_token)
    stored = world.database.users.find_one({"email": ADA.email})
    assert stored["tokens_valid_after"] == world.clock().replace(microsecond=0)
    assert world.database.login_failures.count_documents({}) == 0
    with pytest.raises(InvalidResetToken):
        world.accounts.confirm_password_reset(token, "yet another passphrase")  # once


def test_a_reset_token_refused_for_every_reason_with_the_same_error(world: World) -> None:
    user = world.auth.register(ADA).user
    verify = world.tokens.issue(user.id, ADA.email, VERIFY_EMAIL, world.clock())
    expired = world.tokens.issue(user.id, ADA.email, PASSWORD_RESET, world.clock() - timedelta(minutes=31))
    for token in (verify, expired, "x" * 43, "not a token", "", None):
        with pytest.raises(InvalidResetToken) as refused:
            world.accounts.confirm_password_reset(token, NEW_PASSWORD)
        assert refused.value.code == "invalid_reset_token"
    login(world, ADA.password)  # nothing changed


def test_a_disabled_account_cannot_reset_its_password(world: World) -> None:
    user = world.auth.register(ADA).user
    token = world.tokens.issue(user.id, ADA.email, PASSWORD_RESET, world.clock())
    world.database.users.update_one({"email": ADA.email}, {"$set": {"disabled_at": world.clock()}})
    with pytest.raises(InvalidResetToken):
        world.accounts.confirm_password_reset(token, NEW_PASSWORD)


def test_two_confirmations_at_once_change_the_password_once(world: World) -> None:
    user = world.auth.register(ADA).user
    token = world.tokens.issue(user.id, ADA.email, PASSWORD_RESET, world.clock())
    barrier = threading.Barrier(2)

    def confirm(password: str) -> str:
        barrier.wait()
        try:
            world.accounts.confirm_password_reset(token, password)
        except InvalidResetToken:
            return "refused"
        return password

    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(confirm, ["first passphrase!", "second passphrase!"]))
    (winner,) = [outcome for outcome in outcomes if outcome != "refused"]
    login(world, winner)


def test_verifying_marks_the_address_and_gives_a_configured_address_its_role(world: World) -> None:
    boss = world.auth.register(Registration(email="boss@example.com", name="Boss", password="0123456789")).user
    assert boss.role == "user"
    token = world.tokens.issue(boss.id, boss.email, VERIFY_EMAIL, world.clock())
    verified = world.accounts.verify_email(token)
    assert (verified.email_verified, verified.role) == (True, "admin")
    assert world.database.users.find_one({"email": "boss@example.com"})["role"] == "admin"
    with pytest.raises(InvalidVerificationToken):
        world.accounts.verify_email(token)
    reset = world.tokens.issue(boss.id, boss.email, PASSWORD_RESET, world.clock())
    with pytest.raises(InvalidVerificationToken):
        world.accounts.verify_email(reset)  # a reset token verifies nothing


def test_a_verification_token_for_an_address_the_account_no_longer_has_is_refused(world: World) -> None:
    user = world.auth.register(ADA).user
    token = world.tokens.issue(user.id, "old-address@example.com", VERIFY_EMAIL, world.clock())
    with pytest.raises(InvalidVerificationToken):
        world.accounts.verify_email(token)
    assert world.database.users.find_one({"email": ADA.email})["email_verified"] is False


def test_changing_the_password_ends_the_other_sessions_and_starts_a_fresh_one(world: World) -> None:
    other = world.auth.register(ADA)
    world.clock.advance(seconds=2.3)

    session = world.accounts.change_password(other.user.id, ADA.password, NEW_PASSWORD)

    assert world.jobs.jobs == [PasswordChangedEmail(other.user.id)]
    users = UserStore(world.database)
    with pytest.raises(InvalidToken):
        account_of(world.access_tokens.verify(other.access_token), users)
    account_of(world.access_tokens.verify(session.access_token), users)
    world.clock.advance(seconds=0.5)  # later in the second of the change: still after it
    account_of(
        world.access_tokens.verify(world.auth.login(Credentials(email=ADA.email, password=NEW_PASSWORD)).access_token),
        users,
    )
    with pytest.raises(InvalidToken):
        world.auth.refresh(other.refresh_token)
    world.auth.refresh(session.refresh_token)
    login(world, NEW_PASSWORD)
    assert world.database.users.find_one({"email": ADA.email})["email_verified"] is False  # no email was read


def test_a_wrong_current_password_counts_toward_the_login_limit(world: World) -> None:
    user = world.auth.register(ADA).user
    for _ in range(5):
        with pytest.raises(InvalidCredentials):
            world.accounts.change_password(user.id, "not my password", NEW_PASSWORD)
    with pytest.raises(TooManyAttempts):
        world.accounts.change_password(user.id, ADA.password, NEW_PASSWORD)
    with pytest.raises(TooManyAttempts):
        login(world, ADA.password)
    assert world.jobs.jobs == []


def test_reset_requests_are_limited_per_source_loudly_and_per_address_silently(world: World) -> None:
    for _ in range(3):
        world.accounts.request_password_reset("ada@example.com", "203.0.113.9")
    world.accounts.request_password_reset("ada@example.com", "203.0.113.9")  # a fourth: the same answer
    assert world.jobs.jobs == [PasswordResetEmail("ada@example.com")] * 3
    for index in range(6):
        world.accounts.request_password_reset(f"someone-{index}@example.com", "203.0.113.9")
    with pytest.raises(TooManyAttempts) as refused:
        world.accounts.request_password_reset("bob@example.com", "203.0.113.9")  # the eleventh from this source
    assert refused.value.retry_after_seconds == 900
    assert refused.value.headers == {"Retry-After": "900"}
    assert "password reset" in refused.value.message
    world.accounts.request_password_reset("bob@example.com", "198.51.100.7")  # another source
    assert world.jobs.jobs[-1] == PasswordResetEmail("bob@example.com")

    world.clock.advance(minutes=15)
    world.accounts.request_password_reset("ada@example.com", "203.0.113.9")
    assert world.jobs.jobs[-1] == PasswordResetEmail("ada@example.com")


def test_registration_and_resends_queue_verification_links_within_a_limit(world: World) -> None:
    user = world.auth.register(ADA).user
    world.accounts.registered(user)
    for _ in range(3):
        world.accounts.resend_verification(user)
    with pytest.raises(TooManyAttempts) as refused:
        world.accounts.resend_verification(user)
    assert refused.value.retry_after_seconds == 3600
    assert world.jobs.jobs == [VerificationEmail(user.id)] * 4
    world.clock.advance(hours=1)
    world.accounts.resend_verification(user)
    assert len(world.jobs.jobs) == 5


def test_a_verified_account_is_sent_no_new_link(world: World) -> None:
    user = world.auth.register(ADA).user
    token = world.tokens.issue(user.id, ADA.email, VERIFY_EMAIL, world.clock())
    verified = world.accounts.verify_email(token)
    for _ in range(5):
        world.accounts.resend_verification(verified)
    assert world.jobs.jobs == []


def test_a_notice_that_cannot_be_queued_does_not_undo_the_change(world: World) -> None:
    session = world.auth.register(ADA)
    world.jobs.broken = True
    world.accounts.registered(session.user)  # logged and counted, not raised
    world.accounts.change_password(session.user.id, ADA.password, NEW_PASSWORD)
    login(world, NEW_PASSWORD)
    with pytest.raises(ConnectionError):  # a reset request whose job cannot be queued fails: ask again
        world.accounts.request_password_reset(ADA.email, "203.0.113.9")


def test_deleting_the_account_deletes_its_tokens(world: World) -> None:
    user = world.auth.register(ADA).user
    world.tokens.issue(user.id, ADA.email, VERIFY_EMAIL, world.clock())
    world.auth.forget(world.auth.confirm_password(user.id, ADA.password))
    assert world.database.account_tokens.count_documents({}) == 0
