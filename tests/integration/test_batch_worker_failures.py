"""The batch worker's loop in-process, on a real SQS queue (moto) with a dead-letter queue and its own MongoDB that
the tests stop and start: outages, SES refusing, a drain deadline that passes mid-batch, the visibility heartbeat."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from batchworker.health import Liveness
from batchworker.queue import ClassifyQueue, Heartbeat, Received
from batchworker.settings import BUNDLED_MODEL_DIR
from batchworker.worker import BatchPolicy, BatchWorker
from imagepredict.classify.consumer import ClassifyConsumer, MessageResult, QueueMessage
from imagepredict.classify.wiring import build_consumer
from imagepredict.model.onnx import load_onnx_runner
from imagepredict.settings import get_settings
from tests.conftest import RunningStack, aws_client, unique_email
from tests.integration.classify_harness import SENDER, Harness

pytestmark = pytest.mark.slow


@dataclass
class Queues:
    sqs: Any
    url: str
    dead_url: str

    def send(self, *bodies: str) -> None:
        for body in bodies:
            self.sqs.send_message(QueueUrl=self.url, MessageBody=body)

    def dead_letters(self) -> list[dict[str, Any]]:
        return self.sqs.receive_message(QueueUrl=self.dead_url, MaxNumberOfMessages=10).get("Messages", [])


@pytest.fixture
def queues(stack: RunningStack) -> Iterator[Queues]:
    sqs = aws_client(stack, "sqs")
    name = f"worker-test-{uuid.uuid4().hex[:8]}"
    dead_url = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dead_arn = sqs.get_queue_attributes(QueueUrl=dead_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = json.dumps({"deadLetterTargetArn": dead_arn, "maxReceiveCount": "3"})
    url = sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "30", "RedrivePolicy": redrive})["QueueUrl"]
    yield Queues(sqs, url, dead_url)
    sqs.delete_queue(QueueUrl=url)
    sqs.delete_queue(QueueUrl=dead_url)


@pytest.fixture(scope="module")
def classifier() -> Any:
    return load_onnx_runner(bundled_dir=BUNDLED_MODEL_DIR, num_threads=1, providers="cpu")


def make_worker(queues: Queues, consumer: Any, *, drain_seconds: int = 30, lease: int = 30) -> BatchWorker:
    queue = ClassifyQueue(queues.sqs, queues.url)
    return BatchWorker(
        queue=queue,
        consumer=consumer,
        heartbeat=Heartbeat(queue, lease=lease, interval=max(1, lease // 3)),
        policy=BatchPolicy(
            size=10, wait_ms=200, poll_wait_seconds=1, drain_seconds=drain_seconds, failed_visibility_seconds=0
        ),
        liveness=Liveness(stale_after=60),
    )


def run_one_batch(worker: BatchWorker) -> Any:
    batch, gathered = worker.gather()
    assert batch, "nothing to gather"
    return worker.process(batch, gathered)


def test_mongodb_down_mid_batch_leaves_the_messages_and_they_complete_once_it_is_back(
    harness: Harness, queues: Queues, classifier: Any
) -> None:
    consumer = build_consumer(get_settings(), lambda: classifier)
    worker = make_worker(queues, consumer)
    first, first_key, first_etag = harness.pending(unique_email())
    second, second_key, second_etag = harness.pending(unique_email(), "digit-3.png")
    queues.send(harness.body(first_key, first_etag), harness.body(second_key, second_etag))

    harness.stop_mongo()
    report = run_one_batch(worker)
    assert (report.done, report.failed) == (0, 2)  # none deleted: nothing lost

    harness.start_mongo()
    report = run_one_batch(worker)
    assert (report.done, report.failed) == (2, 0)
    assert harness.prediction(first).result.top.label == "7"
    assert harness.prediction(second).result.top.label == "3"
    assert worker.gather()[0] == []  # deleted
    assert queues.dead_letters() == []


def test_an_email_ses_refuses_is_final_and_its_message_is_deleted(
    harness: Harness, queues: Queues, classifier: Any
) -> None:
    worker = make_worker(queues, build_consumer(get_settings(), lambda: classifier))
    recipient = unique_email()
    prediction_id, key, etag = harness.pending(recipient)
    queues.send(harness.body(key, etag))
    harness.ses.delete_identity(Identity=SENDER)
    try:
        assert run_one_batch(worker).done == 1
    finally:
        harness.ses.verify_email_identity(EmailAddress=SENDER)
    stored = harness.prediction(prediction_id)
    assert (stored.status, stored.email["status"]) == ("done", "refused")
    assert worker.gather()[0] == []  # deleted, not left to loop into the dead-letter queue
    assert harness.mail_to(recipient) == []


def test_a_message_that_keeps_failing_is_marked_failed_on_its_last_receive_and_moves_to_the_dlq(
    harness: Harness, queues: Queues, classifier: Any
) -> None:
    worker = make_worker(queues, build_consumer(get_settings(), lambda: classifier))
    good, good_key, good_etag = harness.pending(unique_email())
    broken, broken_key, _ = harness.pending(unique_email(), put=False)  # its object never arrived: S3 says 404
    queues.send(harness.body(broken_key, "gone"), harness.body(good_key, good_etag))
    reports = [run_one_batch(worker) for _ in range(3)]
    assert reports[0].done == 1  # the good one is not held back by its neighbour
    assert [report.failed for report in reports] == [1, 1, 1]
    assert harness.prediction(good).status == "done"
    failed = harness.prediction(broken)
    assert (failed.status, failed.error["code"]) == ("failed", "classification_failed")
    assert "NoSuchKey" not in failed.error["message"]  # the user sees a plain reason
    deadline = time.monotonic() + 10
    dead: list[dict[str, Any]] = []
    while not dead and time.monotonic() < deadline:
        worker.gather()  # SQS moves the message to the DLQ when a fourth receive is attempted
        dead = queues.dead_letters()
    assert len(dead) == 1
    assert broken_key.split("/")[-1] in dead[0]["Body"]


class SlowConsumer:
    """The real consumer, started late: a batch that is still running when the drain deadline passes."""

    def __init__(self, consumer: ClassifyConsumer, delay: float) -> None:
        self._consumer = consumer
        self._delay = delay
        self.finished = threading.Event()

    def consume(self, messages: Sequence[QueueMessage]) -> list[MessageResult]:
        time.sleep(self._delay)
        try:
            return self._consumer.consume(messages)
        finally:
            self.finished.set()


def test_a_batch_still_running_at_the_drain_deadline_is_handed_back_and_done_once(
    harness: Harness, queues: Queues, classifier: Any
) -> None:
    consumer = build_consumer(get_settings(), lambda: classifier)
    slow = SlowConsumer(consumer, delay=3)
    worker = make_worker(queues, slow, drain_seconds=1)
    recipient = unique_email()
    prediction_id, key, etag = harness.pending(recipient)
    queues.send(harness.body(key, etag))
    batch, _ = worker.gather()
    threading.Timer(0.2, worker.stop).start()  # SIGTERM arrives just after the batch started
    started = time.monotonic()
    assert worker.process(batch) is None
    assert time.monotonic() - started < 2.5  # gave up at the deadline, not when the batch ended

    again = make_worker(queues, consumer)
    redelivered, _ = again.gather()
    assert [m.message.message_id for m in redelivered] == [m.message.message_id for m in batch]  # visible at once
    assert slow.finished.wait(10)
    assert again.process(redelivered).done == 1
    assert harness.prediction(prediction_id).status == "done"
    assert len(harness.mail_to(recipient)) == 1  # the late batch and the redelivery: one email


def test_the_heartbeat_keeps_a_long_batch_invisible_and_lets_go_after(stack: RunningStack, queues: Queues) -> None:
    queues.sqs.set_queue_attributes(QueueUrl=queues.url, Attributes={"VisibilityTimeout": "2"})
    queue = ClassifyQueue(queues.sqs, queues.url)
    queues.send("{}")
    held: list[Received] = queue.receive(1, 1)
    assert len(held) == 1
    heartbeat = Heartbeat(queue, lease=2, interval=0.5)
    with heartbeat.keeping(held):
        time.sleep(4)  # twice the visibility timeout
        assert queue.receive(10, 0) == []  # no other consumer gets it mid-batch
    assert heartbeat.beats >= 5
    time.sleep(2.5)
    assert [m.message.message_id for m in queue.receive(10, 1)] == [held[0].message.message_id]


def test_one_object_named_three_times_in_a_batch_is_classified_once(
    harness: Harness, queues: Queues, classifier: Any
) -> None:
    worker = make_worker(queues, build_consumer(get_settings(), lambda: classifier))
    recipient = unique_email()
    prediction_id, key, etag = harness.pending(recipient)
    queues.send(harness.body(key, etag), harness.body(key, etag), harness.body(key, etag))
    batch, _ = worker.gather()
    assert len(batch) == 3
    report = worker.process(batch)
    assert (report.done, report.failed) == (3, 0)  # every message settled
    stored = harness.prediction(prediction_id)
    assert (stored.status, stored.attempts) == ("done", 1)
    assert len(harness.mail_to(recipient)) == 1
