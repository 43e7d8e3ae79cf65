"""Roles and the guard against a real SecantusDB: the role follows ADMIN_EMAILS and verification only, tokens carry
it, and a disabled or signed-out account's tokens stop at its next request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pymongo.database import Database

from imagepredict.api.caller import CallerAccount, account_of, current_admin
from imagepredict.auth.passwords import PasswordHasher
from imagepredict.auth.roles import RolePolicy
from imagepredict.auth.service import AuthService
from imagepredict.auth.sessions import RefreshTokenStore
from imagepredict.auth.throttle import LoginThrottle
from imagepredict.auth.tokens import AccessTokens
from imagepredict.auth.users import UserStore
from imagepredict.auth.validation import Credentials, Registration
from imagepredict.errors import AccountDisabled, Forbidden, InvalidCredentials, InvalidToken

TOKENS = AccessTokens("k" * 64, issuer="test", audience="api", ttl_seconds=900)
BOSS = Registration(email="boss@example.com", name="Boss", password="0123456789")
BOSS_LOGIN = Credentials(email=BOSS.email, password=BOSS.password)


def service_for(database: Database, admins: tuple[str, ...] = ("Boss@Example.com",)) -> AuthService:
    service = AuthService(
        users=UserStore(database),
        refresh_tokens=RefreshTokenStore(database, ttl_seconds=3600),
        throttle=LoginThrottle(database, max_failures=5, window_seconds=900),
        access_tokens=TOKENS,
        passwords=PasswordHasher(rounds=4),
        roles=RolePolicy.of(admins),
    )
    service.ensure_indexes()
    return service


def verify(database: Database, email: str) -> None:
    database.users.update_one({"email": email}, {"$set": {"email_verified": True}})


def test_a_configured_address_is_no_admin_until_it_is_verified(database: Database) -> None:
    service = service_for(database)
    session = service.register(BOSS)
    assert (session.user.role, session.user.email_verified) == ("user", False)
    assert TOKENS.verify(session.access_token).role == "user"
    assert service.login(BOSS_LOGIN).user.role == "user"  # someone who registered the address first gains nothing

    verify(database, BOSS.email)
    session = service.login(BOSS_LOGIN)
    assert session.user.role == "admin"
    assert TOKENS.verify(session.access_token).role == "admin"
    assert database.users.find_one({"email": BOSS.email})["role"] == "admin"
    assert TOKENS.verify(service.refresh(session.refresh_token).access_token).role == "admin"


def test_an_address_taken_out_of_the_configuration_loses_the_role_at_its_next_sign_in(database: Database) -> None:
    service_for(database).register(BOSS)
    verify(database, BOSS.email)
    session = service_for(database).login(BOSS_LOGIN)
    assert session.user.role == "admin"

    without = service_for(database, admins=("someone-else@example.com",))
    assert without.login(BOSS_LOGIN).user.role == "user"
    assert TOKENS.verify(without.refresh(session.refresh_token).access_token).role == "user"
    assert database.users.find_one({"email": BOSS.email})["role"] == "user"


def test_other_addresses_are_users(database: Database) -> None:
    service = service_for(database)
    session = service.register(Registration(email="worker@example.com", name="W", password="0123456789"))
    verify(database, "worker@example.com")
    assert service.login(Credentials(email="worker@example.com", password="0123456789")).user.role == "user"
    assert session.user.role == "user"


def disable(database: Database, email: str) -> None:
    database.users.update_one({"email": email}, {"$set": {"disabled_at": datetime.now(UTC)}})


def test_a_disabled_account_cannot_sign_in_or_refresh(database: Database) -> None:
    service = service_for(database)
    session = service.register(BOSS)
    disable(database, BOSS.email)
    with pytest.raises(InvalidCredentials):  # a wrong password still says nothing of the account
        service.login(Credentials(email=BOSS.email, password="wrong-password"))
    with pytest.raises(AccountDisabled):
        service.login(BOSS_LOGIN)
    with pytest.raises(InvalidToken, match="disabled"):
        service.refresh(session.refresh_token)


def test_the_guard_refuses_the_tokens_of_a_disabled_account_at_once(database: Database) -> None:
    service = service_for(database)
    session = service.register(BOSS)
    claims = TOKENS.verify(session.access_token)
    assert account_of(claims, UserStore(database)).user_id == session.user.id
    disable(database, BOSS.email)
    with pytest.raises(InvalidToken, match="disabled"):
        account_of(claims, UserStore(database))


def test_the_guard_refuses_tokens_issued_before_the_account_signed_out_everywhere(database: Database) -> None:
    service = service_for(database)
    session = service.register(BOSS)
    claims = TOKENS.verify(session.access_token)
    issued = datetime.fromtimestamp(claims.issued_at, UTC)
    database.users.update_one({"email": BOSS.email}, {"$set": {"tokens_valid_after": issued}})
    assert account_of(claims, UserStore(database)).email == BOSS.email  # issued in that very second: still valid
    database.users.update_one({"email": BOSS.email}, {"$set": {"tokens_valid_after": issued + timedelta(seconds=1)}})
    with pytest.raises(InvalidToken, match="signed out"):
        account_of(claims, UserStore(database))


def test_admin_routes_need_the_role_in_the_token_and_in_the_account(database: Database) -> None:
    service = service_for(database)
    service.register(BOSS)
    verify(database, BOSS.email)
    admin_session = service.login(BOSS_LOGIN)
    users = UserStore(database)
    admin_claims = TOKENS.verify(admin_session.access_token)
    assert current_admin(account_of(admin_claims, users)).is_admin

    database.users.update_one({"email": BOSS.email}, {"$set": {"role": "user"}})  # demoted since the token
    with pytest.raises(Forbidden):
        current_admin(account_of(admin_claims, users))

    database.users.update_one({"email": BOSS.email}, {"$set": {"role": "admin"}})
    user_claims = TOKENS.verify(TOKENS.issue(admin_session.user.id, BOSS.email, "user"))
    with pytest.raises(Forbidden):
        current_admin(account_of(user_claims, users))
    assert isinstance(account_of(user_claims, users), CallerAccount)
