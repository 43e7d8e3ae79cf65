"""The email queue's jobs: a result email, or an account email (password reset, verification, password changed).

A message is JSON. One without "kind" is a result email ({"prediction_id"}), as every message was before account
emails existed, so messages already queued keep working. A message that is none of these fails until the
dead-letter queue (NotAnEmailJob), never loops.

Account jobs name an address or an account, never a token: the email function makes the token when it sends, so
the queue (and its dead-letter queue) never holds a working link, and a retried job makes a fresh one.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from imagepredict.notifications.outbox import NotAnEmailJob

MAX_FIELD_LENGTH = 254  # an email address's longest; ids are far shorter


@dataclass(frozen=True)
class ResultEmail:
    prediction_id: str


@dataclass(frozen=True)
class PasswordResetEmail:
    """A reset link to whoever owns `email`, if anyone does (the API does not look: its answer says nothing)."""

    email: str
    kind: str = "password_reset"


@dataclass(frozen=True)
class VerificationEmail:
    user_id: str
    kind: str = "verify_email"


@dataclass(frozen=True)
class PasswordChangedEmail:
    user_id: str
    kind: str = "password_changed"


EmailJob = ResultEmail | PasswordResetEmail | VerificationEmail | PasswordChangedEmail
ACCOUNT_JOBS: dict[str, tuple[type[Any], str]] = {
    "password_reset": (PasswordResetEmail, "email"),
    "verify_email": (VerificationEmail, "user_id"),
    "password_changed": (PasswordChangedEmail, "user_id"),
}


def job_body(job: EmailJob) -> str:
    return json.dumps(asdict(job))


def parse_job(body: str) -> EmailJob:
    try:
        job = json.loads(body)
    except (json.JSONDecodeError, TypeError, ValueError, RecursionError):
        raise NotAnEmailJob("the message body is not JSON") from None
    if not isinstance(job, dict):
        raise NotAnEmailJob("the message body is not a JSON object")
    if "kind" not in job:
        return ResultEmail(_text(job, "prediction_id"))
    kind = job["kind"]
    if not isinstance(kind, str) or kind not in ACCOUNT_JOBS:
        raise NotAnEmailJob("the message names no kind of email this function sends")
    cls, field = ACCOUNT_JOBS[kind]
    return cls(_text(job, field))


def _text(job: dict[str, Any], field: str) -> str:
    value = job.get(field)
    if not isinstance(value, str) or not value or len(value) > MAX_FIELD_LENGTH:
        raise NotAnEmailJob(f"the message names no {field}")
    return value


class JobQueue(Protocol):
    def submit(self, job: EmailJob) -> None: ...


class QueuedJobs:
    """Jobs for the email function, on the email queue."""

    def __init__(self, sqs: Any, queue_url: str) -> None:
        self._sqs = sqs
        self._queue_url = queue_url

    def submit(self, job: EmailJob) -> None:
        self._sqs.send_message(QueueUrl=self._queue_url, MessageBody=job_body(job))


class InlineJobs:
    """Without an email queue (tools, tests): the job runs at once, in the caller's process."""

    def __init__(self, run: Callable[[EmailJob], object]) -> None:
        self._run = run

    def submit(self, job: EmailJob) -> None:
        self._run(job)


class ResultSender(Protocol):
    def send_now(self, prediction_id: str) -> bool: ...


class AccountSender(Protocol):
    def password_reset(self, email: str) -> bool: ...

    def verification(self, user_id: str) -> bool: ...

    def password_changed(self, user_id: str) -> bool: ...


class EmailJobRunner:
    """One job, whatever its kind: True when an email went out. A transient failure raises (try again later)."""

    def __init__(self, *, results: ResultSender, accounts: AccountSender) -> None:
        self._results = results
        self._accounts = accounts

    def run(self, job: EmailJob) -> bool:
        match job:
            case ResultEmail(prediction_id=prediction_id):
                return self._results.send_now(prediction_id)
            case PasswordResetEmail(email=email):
                return self._accounts.password_reset(email)
            case VerificationEmail(user_id=user_id):
                return self._accounts.verification(user_id)
            case PasswordChangedEmail(user_id=user_id):
                return self._accounts.password_changed(user_id)
        raise NotAnEmailJob(f"no sender for {type(job).__name__}")
