"""The account routes' use cases around email: forgot password, reset, verify, resend, change password.

What needs an email is a job (notifications/jobs.py) for the email function; the API never looks an address up to
answer a reset request, so neither its answer nor its timing says whether the address has an account. Limits:
- a reset request per source address (10 in 15 minutes, then 429 with Retry-After), checked first;
- per email address (3 in 15 minutes): past it the answer is the same 202 and no email goes out, silently;
- a verification resend per account (3 an hour, then 429).
A notice that cannot be queued after the change it reports (registration's verification link, a password-changed
notice) is logged and counted, and the request still succeeds: the change happened, and a link can be resent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from aws_lambda_powertools.metrics import MetricUnit
from pymongo.database import Database

from imagepredict.auth.service import AuthService, Session
from imagepredict.auth.throttle import RateLimit
from imagepredict.auth.users import User
from imagepredict.clock import utc_now
from imagepredict.errors import TooManyAttempts
from imagepredict.notifications.jobs import (
    EmailJob,
    JobQueue,
    PasswordChangedEmail,
    PasswordResetEmail,
    VerificationEmail,
)
from imagepredict.observability import logger, metrics


@dataclass(frozen=True)
class Limit:
    limit: int
    window_seconds: int


RESET_PER_SOURCE = Limit(10, 900)
RESET_PER_ADDRESS = Limit(3, 900)
RESEND_PER_ACCOUNT = Limit(3, 3600)


@dataclass(frozen=True)
class AccountLimits:
    reset_per_source: RateLimit
    reset_per_address: RateLimit
    resend_per_account: RateLimit

    def ensure_indexes(self) -> None:
        self.reset_per_source.ensure_indexes()  # one collection for the three

    @classmethod
    def standard(cls, database: Database) -> AccountLimits:
        def limit(name: str, spec: Limit) -> RateLimit:
            return RateLimit(database, name, limit=spec.limit, window_seconds=spec.window_seconds)

        return cls(
            reset_per_source=limit("password_reset_source", RESET_PER_SOURCE),
            reset_per_address=limit("password_reset_address", RESET_PER_ADDRESS),
            resend_per_account=limit("verify_resend", RESEND_PER_ACCOUNT),
        )


class Accounts:
    def __init__(
        self,
        *,
        auth: AuthService,
        jobs: JobQueue,
        limits: AccountLimits,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._auth = auth
        self._jobs = jobs
        self._limits = limits
        self._clock = clock

    def ensure_indexes(self) -> None:
        self._limits.ensure_indexes()

    def request_password_reset(self, email: str, source: str) -> None:
        now = self._clock()
        wait = self._limits.reset_per_source.take(source, now)
        if wait is not None:
            raise TooManyAttempts(wait, "password reset requests from your network")
        if self._limits.reset_per_address.take(email, now) is not None:
            _count("PasswordResetThrottled")  # the same answer: the requester learns nothing
            return
        self._jobs.submit(PasswordResetEmail(email))
        _count("PasswordResetRequested")

    def confirm_password_reset(self, token: object, password: str) -> User:
        user = self._auth.reset_password(token, password)
        self._notify(PasswordChangedEmail(user.id), "PasswordChangedNoticeNotQueued")
        return user

    def verify_email(self, token: object) -> User:
        return self._auth.verify_email(token)

    def registered(self, user: User) -> None:
        """The verification link for a new account."""
        self._notify(VerificationEmail(user.id), "VerificationNotQueued")

    def resend_verification(self, user: User) -> None:
        if user.email_verified:
            return  # nothing to send; the same answer
        wait = self._limits.resend_per_account.take(user.id, self._clock())
        if wait is not None:
            raise TooManyAttempts(wait, "verification emails asked for")
        self._jobs.submit(VerificationEmail(user.id))

    def change_password(self, user_id: str, current_password: str, new_password: str) -> Session:
        session = self._auth.change_password(user_id, current_password, new_password)
        self._notify(PasswordChangedEmail(session.user.id), "PasswordChangedNoticeNotQueued")
        return session

    def _notify(self, job: EmailJob, failure_metric: str) -> None:
        try:
            self._jobs.submit(job)
        except Exception:
            logger.exception("An account email could not be queued", extra={"kind": type(job).__name__})
            _count(failure_metric)


def _count(name: str) -> None:
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
