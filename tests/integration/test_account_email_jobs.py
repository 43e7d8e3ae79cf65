"""Account emails through the email function (real SecantusDB, moto's SES): a reset link only to an active account
(an unknown address succeeds and sends nothing), a verification link only to an unverified one, the password-changed
notice; each link's token works, a retried job mails a fresh link and the earlier one stops working, SES unreachable
fails the job for a retry, SES refusing it ends the job; and result emails only to verified owners."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from email import message_from_string
from email.policy import default as default_policy
from typing import Any

import pytest
from pymongo import MongoClient
from pymongo.database import Database

from devstack.queues import sqs_record
from devstack.stack import free_port
from imagepredict.auth.account_tokens import PASSWORD_RESET, VERIFY_EMAIL, AccountTokenStore
from tests.conftest import RunningStack, aws_client, unique_email
from tests.integration.classify_harness import SENDER, Context, Harness, clear_container_caches, load_handler

pytestmark = pytest.mark.slow
APP_URL = "http://app.test"  # the harness's
LINK = re.compile(r"http://app\.test/#/(reset-password|verify-email)\?token=([A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])")


def record(body: dict[str, Any] | str) -> dict[str, Any]:
    message = {
        "MessageId": str(uuid.uuid4()),
        "ReceiptHandle": "handle",
        "Body": body if isinstance(body, str) else json.dumps(body),
        "Attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1"},
    }
    return sqs_record(message, "arn:aws:sqs:us-east-1:123456789012:email")


def send(*records: dict[str, Any]) -> set[str]:
    """One invocation of a fresh email function; the ids it reports as failed."""
    handler = load_handler("email")
    response = handler.lambda_handler({"Records": list(records)}, Context(function_name="EmailFunction"))
    return {item["itemIdentifier"] for item in response["batchItemFailures"]}


@pytest.fixture
def fast(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> Harness:
    monkeypatch.setenv("EMAIL_MAX_SEND_RATE", "100")  # moto's SES says 1/s: no 2-second pauses between sends
    clear_container_caches()
    return harness


@pytest.fixture
def db(harness: Harness) -> Iterator[Database]:
    client = MongoClient(f"mongodb://127.0.0.1:{harness.mongo_port}/?directConnection=true", tz_aware=True)
    yield client["imagepredict"]
    client.close()


@pytest.fixture
def tokens(db: Database) -> AccountTokenStore:
    return AccountTokenStore(db)


def messages(harness: Harness, address: str) -> list[Any]:
    """What moto's SES sent to the address, in sending order."""
    return [message_from_string(raw, policy=default_policy) for raw in harness.mail_to(address)]


def links(message: Any) -> set[tuple[str, str]]:
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    found = set(LINK.findall(text))
    assert found, text
    assert found == set(LINK.findall(html.replace("&amp;", "&")))  # the same link in both parts
    return found


def test_a_reset_job_mails_a_working_link_to_an_active_account_only(
    fast: Harness, tokens: AccountTokenStore, db: Database
) -> None:
    email = unique_email("reset")
    user_id = fast.owner(email, verified=False)
    assert send(record({"kind": "password_reset", "email": email})) == set()
    (message,) = messages(fast, email)
    assert message["From"] == SENDER
    ((page, token),) = links(message)
    assert page == "reset-password"
    spent = tokens.spend(token, PASSWORD_RESET, datetime.now(UTC))
    assert (spent.user_id, spent.email) == (user_id, email)

    nobody = unique_email("nobody")
    assert send(record({"kind": "password_reset", "email": nobody})) == set()  # done: nothing to send
    assert fast.mail_to(nobody) == []

    disabled = unique_email("disabled")
    fast.owner(disabled)
    db.users.update_one({"email": disabled}, {"$set": {"disabled_at": datetime.now(UTC)}})
    assert send(record({"kind": "password_reset", "email": disabled})) == set()
    assert fast.mail_to(disabled) == []


def test_a_second_reset_email_makes_the_first_link_stop_working(fast: Harness, tokens: AccountTokenStore) -> None:
    email = unique_email("twice")
    fast.owner(email)
    job = record({"kind": "password_reset", "email": email})
    assert send(job) == set()
    assert send(job) == set()  # a redelivery, or a second request
    first, second = (next(iter(links(message)))[1] for message in messages(fast, email))  # in sending order
    assert first != second
    now = datetime.now(UTC)
    assert tokens.spend(first, PASSWORD_RESET, now) is None
    assert tokens.spend(second, PASSWORD_RESET, now) is not None


def test_a_verification_job_mails_a_link_to_an_unverified_account_only(
    fast: Harness, tokens: AccountTokenStore
) -> None:
    email = unique_email("verify")
    user_id = fast.owner(email, verified=False)
    assert send(record({"kind": "verify_email", "user_id": user_id})) == set()
    ((page, token),) = links(messages(fast, email)[0])
    assert page == "verify-email"
    assert tokens.spend(token, VERIFY_EMAIL, datetime.now(UTC)).user_id == user_id

    verified = unique_email("verified")
    assert send(record({"kind": "verify_email", "user_id": fast.owner(verified)})) == set()
    assert send(record({"kind": "verify_email", "user_id": "6745a1c2e4b0a1b2c3d4e5f6"})) == set()  # gone
    assert fast.mail_to(verified) == []


def test_the_password_changed_notice_goes_to_the_account(fast: Harness) -> None:
    email = unique_email("changed")
    assert send(record({"kind": "password_changed", "user_id": fast.owner(email)})) == set()
    (message,) = messages(fast, email)
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert APP_URL in text
    assert not LINK.search(text)  # no token in a notice


def test_ses_unreachable_fails_an_account_job_and_its_retry_mails_a_fresh_link(
    fast: Harness, tokens: AccountTokenStore, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    email = unique_email("retry")
    user_id = fast.owner(email, verified=False)
    job = record({"kind": "verify_email", "user_id": user_id})
    monkeypatch.setenv("AWS_ENDPOINT_URL_SES", f"http://127.0.0.1:{free_port()}")
    clear_container_caches()
    assert send(job) == {job["messageId"]}
    monkeypatch.delenv("AWS_ENDPOINT_URL_SES")
    clear_container_caches()
    assert send(job) == set()
    ((_, token),) = links(messages(fast, email)[0])
    assert db.account_tokens.count_documents({"user_id": user_id, "used_at": None}) == 1  # the failed try's: gone
    assert tokens.spend(token, VERIFY_EMAIL, datetime.now(UTC)) is not None


def test_ses_refusing_an_account_email_ends_the_job(fast: Harness, capsys: pytest.CaptureFixture[str]) -> None:
    email = unique_email("refused")
    user_id = fast.owner(email)
    fast.ses.delete_identity(Identity=SENDER)
    try:
        assert send(record({"kind": "password_changed", "user_id": user_id})) == set()  # not retried
    finally:
        fast.ses.verify_email_identity(EmailAddress=SENDER)
    assert fast.mail_to(email) == []
    assert "PasswordChangedEmailRefused" in capsys.readouterr().out  # counted (and logged) as refused


@pytest.mark.parametrize(
    "body",
    ['{"kind": "password_reset"}', '{"kind": "welcome", "user_id": "x"}', '{"kind": "verify_email", "user_id": 5}'],
)
def test_a_job_of_no_known_kind_fails_to_the_dead_letter_queue(fast: Harness, body: str) -> None:
    job = record(body)
    assert send(job) == {job["messageId"]}


def test_result_emails_go_only_to_verified_owners(fast: Harness) -> None:
    unverified = unique_email("unverified")
    prediction_id, key, etag = fast.pending(unverified, verified=False)
    assert fast.invoke(fast.record(key, etag)) == set()  # no email queue here: the result email is sent at once
    stored = fast.prediction(prediction_id)
    assert stored.status == "done"
    assert (stored.email["status"], stored.email["reason"]) == ("skipped", "unverified")
    assert stored.public()["email"] == {"status": "skipped", "sent_at": None, "reason": "unverified"}
    assert fast.mail_to(unverified) == []

    verified = unique_email("verified")
    prediction_id, key, etag = fast.pending(verified)
    assert fast.invoke(fast.record(key, etag)) == set()
    assert fast.prediction(prediction_id).email["status"] == "sent"
    assert len(fast.mail_to(verified)) == 1


def test_an_owner_who_verifies_before_the_email_is_sent_gets_it(
    fast: Harness, stack: RunningStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    sqs = aws_client(stack, "sqs")
    queue = sqs.create_queue(QueueName=f"email-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    try:
        monkeypatch.setenv("EMAIL_QUEUE_URL", queue)
        clear_container_caches()
        fast.handler = load_handler()  # a classify "container" that queues its emails
        email = unique_email("later")
        prediction_id, key, etag = fast.pending(email, verified=False)
        assert fast.invoke(fast.record(key, etag)) == set()
        assert fast.prediction(prediction_id).email["status"] == "pending"  # looked up when sent, not now
        fast.owner(email, verified=True)
        (message,) = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
        assert send(sqs_record(message, "arn:aws:sqs:us-east-1:123456789012:email")) == set()
        assert fast.prediction(prediction_id).email["status"] == "sent"
    finally:
        sqs.delete_queue(QueueUrl=queue)
