"""Registration, sign-in, token refresh, sign-out and the account's credentials (a password changed, reset by a
mailed token, an address verified): the auth use cases, free of any Lambda detail."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from imagepredict.auth.account_tokens import PASSWORD_RESET, VERIFY_EMAIL, AccountTokenStore
from imagepredict.auth.passwords import PasswordHasher
from imagepredict.auth.roles import RolePolicy
from imagepredict.auth.sessions import RefreshTokenStore
from imagepredict.auth.throttle import LoginThrottle
from imagepredict.auth.tokens import AccessTokens
from imagepredict.auth.users import User, UserStore
from imagepredict.clock import utc_now
from imagepredict.errors import (
    AccountDisabled,
    InvalidCredentials,
    InvalidResetToken,
    InvalidToken,
    InvalidVerificationToken,
)

if TYPE_CHECKING:  # the request models need pydantic, which the classify and email functions never import
    from imagepredict.auth.validation import Credentials, Registration


@dataclass(frozen=True)
class Session:
    user: User
    access_token: str
    refresh_token: str
    expires_in: int


class AuthService:
    def __init__(
        self,
        *,
        users: UserStore,
        refresh_tokens: RefreshTokenStore,
        throttle: LoginThrottle,
        access_tokens: AccessTokens,
        passwords: PasswordHasher,
        roles: RolePolicy | None = None,
        account_tokens: AccountTokenStore | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._users = users
        self._refresh_tokens = refresh_tokens
        self._throttle = throttle
        self._access_tokens = access_tokens
        self._passwords = passwords
        self._roles = roles or RolePolicy()
        self._account_tokens = account_tokens
        self._clock = clock

    def ensure_indexes(self) -> None:
        self._users.ensure_indexes()
        self._refresh_tokens.ensure_indexes()
        self._throttle.ensure_indexes()
        if self._account_tokens is not None:
            self._account_tokens.ensure_indexes()

    def register(self, registration: Registration) -> Session:
        user = self._users.create(
            email=registration.email,
            name=registration.name,
            password_hash=self._passwords.hash(registration.password),
            created_at=self._clock(),
        )
        return self._start_session(user)

    def login(self, credentials: Credentials) -> Session:
        now = self._clock()
        failures_on_record = self._throttle.check(credentials.email, now)
        user = self._users.by_email(credentials.email)
        if user is None:
            self._passwords.waste_time(credentials.password)
        if user is None or not self._passwords.verify(credentials.password, user.password_hash):
            self._throttle.record_failure(credentials.email, now)
            raise InvalidCredentials("The email or password is incorrect")
        if failures_on_record:
            self._throttle.clear(credentials.email)
        if user.disabled:  # only once the password is right: a stranger learns nothing of the account
            raise AccountDisabled()
        return self._start_session(user)

    def refresh(self, refresh_token: str) -> Session:
        now = self._clock()
        rotation = self._refresh_tokens.use(refresh_token, now)
        user = self._users.by_id(rotation.user_id)
        if user is None:
            raise InvalidToken("The account behind this refresh token no longer exists")
        if user.disabled:
            raise InvalidToken("This account is disabled")
        return self._start_session(user, family_id=rotation.family_id)

    def logout(self, user_id: str) -> None:
        self._refresh_tokens.revoke_user(user_id, self._clock())

    def confirm_password(self, user_id: str, password: str) -> User:
        """The caller's password again, before something that cannot be undone. A wrong one counts toward the
        login throttle of the account's email, and the throttle applies here too."""
        user = self.current_user_by_id(user_id)
        now = self._clock()
        self._throttle.check(user.email, now)
        if not self._passwords.verify(password, user.password_hash):
            self._throttle.record_failure(user.email, now)
            raise InvalidCredentials("The password is incorrect")
        return user

    def forget(self, user: User) -> None:
        """The account's own records: its refresh tokens (deleted, so revoked), failed sign-ins, then the user."""
        self._refresh_tokens.delete_user(user.id)
        if self._account_tokens is not None:
            self._account_tokens.delete_user(user.id)
        self._throttle.clear(user.email)
        self._users.delete(user.id)

    def current_user_by_id(self, user_id: str) -> User:
        user = self._users.by_id(user_id)
        if user is None:
            raise InvalidToken("The account behind this access token no longer exists")
        return user

    def sync_role(self, user: User) -> User:
        """The account with the role RolePolicy gives it now (stored when it changed)."""
        role = self._roles.role_for(user.email, email_verified=user.email_verified)
        if role == user.role:
            return user
        return self._users.set_role(user.id, role) or user

    def change_password(self, user_id: str, current_password: str, new_password: str) -> Session:
        """A new password, checked against the current one like confirm_password; every other session ends, and
        the caller gets a fresh one."""
        user = self.confirm_password(user_id, current_password)
        changed = self._replace_password(user, new_password, verified=False)
        if changed is None:
            raise InvalidToken("The account behind this access token no longer exists")
        return self._start_session(changed)

    def reset_password(self, token: object, new_password: str) -> User:
        """A new password through a mailed reset token (spent once). Every session of the account ends, its failed
        sign-ins are forgotten, and the address counts as verified: its owner read the email."""
        spent = self._tokens().spend(token, PASSWORD_RESET, self._clock())
        user = self._users.by_id(spent.user_id) if spent else None
        changed = None
        if user is not None and not user.disabled and user.email == spent.email:
            changed = self._replace_password(user, new_password, verified=True)
        if changed is None:
            raise InvalidResetToken()
        return changed

    def verify_email(self, token: object) -> User:
        """The address confirmed through a mailed verification token (spent once), and the role it now earns."""
        spent = self._tokens().spend(token, VERIFY_EMAIL, self._clock())
        user = self._users.by_id(spent.user_id) if spent else None
        if user is None or user.email != spent.email:
            raise InvalidVerificationToken()
        return self.sync_role(self._users.mark_verified(user.id) or user)

    def _replace_password(self, user: User, new_password: str, *, verified: bool) -> User | None:
        now = self._clock()
        # Whole seconds, as access tokens count time: a token issued later in this same second (the caller's fresh
        # session) stays valid, every earlier one is refused.
        updated = self._users.set_password(
            user.id,
            self._passwords.hash(new_password),
            tokens_valid_after=now.replace(microsecond=0),
            verified=verified,
        )
        self._refresh_tokens.revoke_user(user.id, now)
        self._throttle.clear(user.email)
        return updated

    def _tokens(self) -> AccountTokenStore:
        if self._account_tokens is None:
            raise RuntimeError("AuthService was built without an AccountTokenStore")
        return self._account_tokens

    def _start_session(self, user: User, family_id: str | None = None) -> Session:
        user = self.sync_role(user)
        return Session(
            user=user,
            access_token=self._access_tokens.issue(user.id, user.email, user.role),
            refresh_token=self._refresh_tokens.issue(user.id, self._clock(), family_id),
            expires_in=self._access_tokens.ttl_seconds,
        )
