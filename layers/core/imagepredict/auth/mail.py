"""Account emails, as the email function sends them: a password reset link, an address verification link, and the
notice that a password changed.

Each job names an address or an account; this looks it up, makes the one-time token (so a retried job mails a fresh
link and the earlier unused one stops working) and sends. Nobody to send to (an unknown or disabled address, an
account that is gone or already verified, no sender configured) sends nothing and the job is done. SES refusing
the message for good is logged and the job is done; a transient failure raises, so SQS delivers the job again.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from email.message import EmailMessage

from aws_lambda_powertools.metrics import MetricUnit

from imagepredict.auth.account_tokens import LIFETIMES, PASSWORD_RESET, VERIFY_EMAIL, AccountTokenStore
from imagepredict.auth.users import User, UserStore
from imagepredict.clock import utc_now
from imagepredict.email import (
    Mailer,
    compose_password_changed_email,
    compose_password_reset_email,
    compose_verification_email,
)
from imagepredict.email.failures import classify_send_error
from imagepredict.observability import logger, metrics

ComposeLink = Callable[[str, User, str], EmailMessage]  # (sender, account, token) → the email with the link
RESET_MINUTES = int(LIFETIMES[PASSWORD_RESET].total_seconds() // 60)
VERIFY_HOURS = int(LIFETIMES[VERIFY_EMAIL].total_seconds() // 3600)


def reset_link(app_url: str, token: str) -> str:
    return f"{app_url}/#/reset-password?token={token}"  # base64url: nothing to escape


def verification_link(app_url: str, token: str) -> str:
    return f"{app_url}/#/verify-email?token={token}"


class AccountMail:
    def __init__(
        self,
        *,
        users: UserStore,
        tokens: AccountTokenStore,
        mailer: Mailer,
        sender: str | None,
        app_url: str,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._users = users
        self._tokens = tokens
        self._mailer = mailer
        self._sender = sender
        self._app_url = app_url
        self._clock = clock

    def password_reset(self, email: str) -> bool:
        user = self._users.by_email(email)
        if user is None or user.disabled:
            return self._skip("PasswordReset", "no active account has this address")
        return self._send_link("PasswordReset", user, PASSWORD_RESET, self._reset_email)

    def verification(self, user_id: str) -> bool:
        user = self._users.by_id(user_id)
        if user is None or user.disabled or user.email_verified:
            return self._skip("Verification", "the account is gone, disabled or already verified")
        return self._send_link("Verification", user, VERIFY_EMAIL, self._verification_email)

    def _send_link(self, kind: str, user: User, purpose: str, compose: ComposeLink) -> bool:
        """A fresh one-time token for `purpose`, mailed in the email `compose` writes (sender, user, token)."""
        if self._sender is None:
            return self._skip(kind, "no SENDER_EMAIL")
        token = self._tokens.issue(user.id, user.email, purpose, self._clock())
        return self._send(kind, user, compose(self._sender, user, token))

    def _reset_email(self, sender: str, user: User, token: str) -> EmailMessage:
        link = reset_link(self._app_url, token)
        return compose_password_reset_email(
            sender=sender, recipient=user.email, name=user.name, link=link, expires_in_minutes=RESET_MINUTES
        )

    def _verification_email(self, sender: str, user: User, token: str) -> EmailMessage:
        link = verification_link(self._app_url, token)
        return compose_verification_email(
            sender=sender, recipient=user.email, name=user.name, link=link, expires_in_hours=VERIFY_HOURS
        )

    def password_changed(self, user_id: str) -> bool:
        user = self._users.by_id(user_id)
        if user is None:
            return self._skip("PasswordChanged", "the account is gone")
        sender = self._sender
        if sender is None:
            return self._skip("PasswordChanged", "no SENDER_EMAIL")
        message = compose_password_changed_email(
            sender=sender, recipient=user.email, name=user.name, app_url=self._app_url
        )
        return self._send("PasswordChanged", user, message)

    def _send(self, kind: str, user: User, message: EmailMessage) -> bool:
        try:
            self._mailer.send(message)
        except Exception as error:
            failure = classify_send_error(error)
            if not failure.permanent:
                _count(f"{kind}EmailFailed")
                raise
            logger.warning(
                "The email service refused an account email",
                extra={"kind": kind, "user_id": user.id, "code": failure.code, "reason": failure.reason},
            )
            _count(f"{kind}EmailRefused")
            return False
        logger.info("Account email sent", extra={"kind": kind, "user_id": user.id})
        _count(f"{kind}EmailSent")
        return True

    def _skip(self, kind: str, why: str) -> bool:
        logger.info("No account email sent", extra={"kind": kind, "why": why})
        _count(f"{kind}EmailSkipped")
        return False


def _count(name: str) -> None:
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
