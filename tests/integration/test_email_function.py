"""Result emails through the email queue: classification only queues them; the email function sends each once,
retries what SES could not take yet, records refusals as final, and sends a malformed job to the dead-letter queue."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from devstack.queues import sqs_record
from devstack.stack import free_port
from imagepredict.settings import get_settings
from tests.conftest import RunningStack, aws_client, unique_email
from tests.integration.classify_harness import SENDER, Context, Harness, clear_container_caches, load_handler

pytestmark = pytest.mark.slow


class EmailQueue:
    def __init__(self, sqs: Any, url: str) -> None:
        self.sqs = sqs
        self.url = url

    def records(self) -> list[dict[str, Any]]:
        """What is on the queue now, as Lambda would deliver it (and made visible again for the next look)."""
        messages = self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10, VisibilityTimeout=0)
        return [
            sqs_record(message, "arn:aws:sqs:us-east-1:123456789012:email") for message in messages.get("Messages", [])
        ]

    def purge(self) -> None:
        for message in self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10).get("Messages", []):
            self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])


@pytest.fixture
def email_queue(stack: RunningStack, harness: Harness, monkeypatch: pytest.MonkeyPatch) -> Iterator[EmailQueue]:
    sqs = aws_client(stack, "sqs")
    url = sqs.create_queue(QueueName=f"email-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    monkeypatch.setenv("EMAIL_QUEUE_URL", url)
    clear_container_caches()
    harness.handler = load_handler()  # a classify "container" that sees the email queue
    yield EmailQueue(sqs, url)
    sqs.delete_queue(QueueUrl=url)


def send(records: list[dict[str, Any]]) -> set[str]:
    """One invocation of a fresh email function; the ids it reports as failed."""
    handler = load_handler("email")
    response = handler.lambda_handler({"Records": records}, Context(function_name="EmailFunction"))
    return {item["itemIdentifier"] for item in response["batchItemFailures"]}


def email_outcomes(output: str) -> dict[str, float]:
    """The ResultEmail* counts in the EMF lines a handler printed (what the dashboard's "Result emails" plots)."""
    counts: dict[str, float] = {}
    for line in output.splitlines():
        if not line.startswith('{"_aws"'):
            continue
        blob = json.loads(line)
        for directive in blob["_aws"]["CloudWatchMetrics"]:
            for metric in directive["Metrics"]:
                if metric["Name"].startswith("ResultEmail"):
                    values = blob[metric["Name"]]
                    counts[metric["Name"]] = counts.get(metric["Name"], 0) + sum(
                        values if isinstance(values, list) else [values]
                    )
    return counts


def classified(harness: Harness) -> tuple[str, str]:
    recipient = unique_email()
    prediction_id, key, etag = harness.pending(recipient)
    assert harness.invoke(harness.record(key, etag)) == set()
    return prediction_id, recipient


def test_classification_only_queues_the_email_and_the_email_function_sends_it_once(
    harness: Harness, email_queue: EmailQueue
) -> None:
    prediction_id, recipient = classified(harness)
    stored = harness.prediction(prediction_id)
    assert (stored.status, stored.email["status"]) == ("done", "pending")
    assert harness.mail_to(recipient) == []  # classification did not wait on SES
    jobs = email_queue.records()
    assert len(jobs) == 1
    assert send(jobs + jobs) == set()  # the same job twice, in one batch
    assert send(jobs) == set()  # and once more later
    assert harness.prediction(prediction_id).email["status"] == "sent"
    assert len(harness.mail_to(recipient)) == 1


def test_ses_unreachable_fails_the_job_for_a_retry_and_loses_nothing(
    harness: Harness, email_queue: EmailQueue, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    prediction_id, recipient = classified(harness)
    jobs = email_queue.records()
    monkeypatch.setenv("AWS_ENDPOINT_URL_SES", f"http://127.0.0.1:{free_port()}")
    clear_container_caches()
    capsys.readouterr()
    assert send(jobs) == {jobs[0]["messageId"]}
    assert harness.prediction(prediction_id).email["status"] == "failed"
    assert email_outcomes(capsys.readouterr().out) == {"ResultEmailFailed": 1}
    monkeypatch.delenv("AWS_ENDPOINT_URL_SES")
    clear_container_caches()
    assert send(jobs) == set()
    assert harness.prediction(prediction_id).email["status"] == "sent"
    assert email_outcomes(capsys.readouterr().out) == {"ResultEmailSent": 1}
    assert len(harness.mail_to(recipient)) == 1


def test_a_refused_email_is_recorded_and_its_job_is_done(
    harness: Harness, email_queue: EmailQueue, capsys: pytest.CaptureFixture[str]
) -> None:
    prediction_id, recipient = classified(harness)
    jobs = email_queue.records()
    harness.ses.delete_identity(Identity=SENDER)
    capsys.readouterr()
    try:
        assert send(jobs) == set()  # not retried into the dead-letter queue
    finally:
        harness.ses.verify_email_identity(EmailAddress=SENDER)
    assert harness.prediction(prediction_id).email["status"] == "refused"
    assert email_outcomes(capsys.readouterr().out) == {"ResultEmailRefused": 1}
    assert send(jobs) == set()
    assert harness.mail_to(recipient) == []


def test_a_job_that_names_no_prediction_fails_every_time(harness: Harness, email_queue: EmailQueue) -> None:
    email_queue.sqs.send_message(QueueUrl=email_queue.url, MessageBody="not a job")
    (job,) = email_queue.records()
    assert send([job]) == {job["messageId"]}
    assert get_settings().email_queue_url == email_queue.url


def test_the_pace_is_the_accounts_rate_shared_by_the_senders_unless_set(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert load_handler("email").pacer().interval == pytest.approx(2 / 1.0)  # moto's SES: the sandbox's 1/s
    monkeypatch.setenv("EMAIL_MAX_SEND_RATE", "10")
    clear_container_caches()
    assert load_handler("email").pacer().interval == pytest.approx(2 / 10)
