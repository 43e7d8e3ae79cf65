"""The same S3 event delivered to two consumers at the same moment (two Lambda containers, or the function and a
batch worker): one result, one email. Barriers hold both consumers until each has claimed the object, and again
until each is about to store its result, so they truly race on real MongoDB, S3 and SES."""

from __future__ import annotations

import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from pymongo import MongoClient

from imagepredict.classify.consumer import ClassifyConsumer, MessageResult, QueueMessage
from imagepredict.classify.models import Limits
from imagepredict.classify.service import ClassifyService
from imagepredict.notifications.wiring import build_notifier
from imagepredict.predictions import PredictionStore
from imagepredict.settings import get_settings
from tests.conftest import unique_email
from tests.integration.classify_harness import NOTIFY, SAMPLES, Harness

pytestmark = pytest.mark.slow

CONSUMERS = 2
TIMEOUT = 60


class MeetingS3:
    """The consumer's S3 client, except that a download waits until every consumer has come to it."""

    def __init__(self, s3: Any, meet: threading.Barrier) -> None:
        self._s3 = s3
        self._meet = meet

    def get_object(self, **request: Any) -> Any:
        self._meet.wait(TIMEOUT)
        return self._s3.get_object(**request)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._s3, name)


class MeetingStore(PredictionStore):
    """A consumer's own connection to the predictions, whose `finish` waits until every consumer has come to it."""

    def __init__(self, client: MongoClient, meet: threading.Barrier) -> None:
        super().__init__(client["imagepredict"])
        self._meet = meet

    def finish(self, *args: Any, **kwargs: Any) -> Any:
        self._meet.wait(TIMEOUT)
        return super().finish(*args, **kwargs)


def consumers(harness: Harness, clients: list[MongoClient]) -> list[ClassifyConsumer]:
    settings = get_settings()
    downloads, finishes = threading.Barrier(CONSUMERS), threading.Barrier(CONSUMERS)
    built = []
    for client in clients:
        store = MeetingStore(client, finishes)
        service = ClassifyService(
            store=store,
            s3=MeetingS3(harness.s3, downloads),
            classifier=harness.handler.runner,
            notifier=build_notifier(settings, store),
            limits=Limits(max_bytes=settings.max_upload_bytes, max_pixels=settings.max_image_pixels),
        )
        built.append(ClassifyConsumer(service, max_receive_count=settings.max_receive_count))
    return built


def deliver_at_once(harness: Harness, key: str, etag: str) -> list[MessageResult]:
    """The one S3 event, as two messages (S3 delivering it twice), each taken by its own consumer at once."""
    clients = [MongoClient(os.environ["MONGODB_URI"], tz_aware=True) for _ in range(CONSUMERS)]
    try:
        racing = consumers(harness, clients)
        body = harness.body(key, etag)
        with ThreadPoolExecutor(CONSUMERS) as pool:
            jobs = [
                pool.submit(consumer.consume, [QueueMessage(f"copy-{index}", body, 1)])
                for index, consumer in enumerate(racing)
            ]
            return [result for job in jobs for result in job.result(timeout=TIMEOUT * 2)]
    finally:
        for client in clients:
            client.close()


def test_an_upload_delivered_to_two_consumers_at_once_gives_one_result_and_one_email(harness: Harness) -> None:
    recipient = unique_email()
    prediction_id, key, etag = harness.pending(recipient)

    results = deliver_at_once(harness, key, etag)

    assert all(result.done for result in results), [result.error for result in results]  # both messages deleted
    outcomes = sorted(outcome.status for result in results for outcome in result.outcomes)
    assert outcomes == ["done", "duplicate"]  # both classified it; only one result was stored
    stored = harness.prediction(prediction_id)
    assert (stored.status, stored.result.top.label, stored.email["status"]) == ("done", "7", "sent")
    assert len(harness.mail_to(recipient)) == 1


def test_an_inbox_object_delivered_to_two_consumers_at_once_gives_one_prediction_result_file_and_email(
    harness: Harness,
) -> None:
    key = "inbox/twice/seven.png"
    etag = harness.upload(key, (SAMPLES / "digit-7.png").read_bytes())
    mail_before = len(harness.mail_to(NOTIFY))

    results = deliver_at_once(harness, key, etag)

    assert all(result.done for result in results), [result.error for result in results]
    assert sorted(outcome.status for result in results for outcome in result.outcomes) == ["done", "duplicate"]
    stored = harness.store.by_source(harness.bucket, key)  # one prediction for the key, though both created it
    assert (stored.status, stored.email["status"]) == ("done", "sent")
    written = json.loads(harness.s3.get_object(Bucket=harness.bucket, Key=f"results/{key}.json")["Body"].read())
    assert (written["prediction_id"], written["status"]) == (stored.id, "done")
    assert written["completed_at"] == stored.public()["completed_at"]  # the stored result, whoever wrote the file
    assert len(harness.mail_to(NOTIFY)) == mail_before + 1
