"""S3 notifications inside SQS messages, and how the local event source reads a handler's partial failures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from devstack.queues import failed_ids, sqs_record
from imagepredict.classify.events import PoisonMessage, objects_in

ROOT = Path(__file__).resolve().parents[2]


def notification(key: str, event: str = "ObjectCreated:Put") -> str:
    record = {
        "eventName": event,
        "eventTime": "2026-11-25T10:00:00.000Z",
        "s3": {"bucket": {"name": "b"}, "object": {"key": key, "eTag": "abc", "size": 12}},
    }
    return json.dumps({"Records": [record]})


def test_the_sample_event_names_its_object() -> None:
    event = json.loads((ROOT / "events" / "classify-sqs-s3-upload.json").read_text())
    (item,) = objects_in(event["Records"][0]["body"])
    assert item.key == "uploads/6744b0f2a8b3c4d5e6f70800/6744b0f2a8b3c4d5e6f70819.png"
    assert (item.etag, item.size, item.event_time.year) == ("0f343b0931126a20f133d67c2b018a3b", 9237, 2026)


def test_keys_are_url_decoded_as_s3_and_moto_encode_them() -> None:
    (item,) = objects_in(notification("inbox%2Fchest+x-ray+%282%29.png"))
    assert item.key == "inbox/chest x-ray (2).png"


def test_test_events_and_other_event_types_name_nothing() -> None:
    assert objects_in(json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent"})) == []
    assert objects_in(notification("uploads/a.png", "ObjectRemoved:Delete")) == []


@pytest.mark.parametrize(
    "body", ["not json", "[]", "{}", json.dumps({"Records": [{"eventName": "ObjectCreated:Put"}]})]
)
def test_unusable_messages_are_poison(body: str) -> None:
    with pytest.raises(PoisonMessage):
        objects_in(body)


def records(*ids: str) -> list[dict]:
    return [sqs_record({"MessageId": i, "ReceiptHandle": f"h-{i}", "Body": "{}"}, "arn:aws:sqs:r:1:q") for i in ids]


def test_partial_failures_are_read_as_lambda_reads_them() -> None:
    batch = records("a", "b", "c")
    assert batch[0]["eventSource"] == "aws:sqs"
    assert batch[0]["md5OfBody"] == "99914b932bd37a50b983c5e7c90ae93b"
    assert failed_ids({"batchItemFailures": [{"itemIdentifier": "b"}]}, batch, True) == {"b"}
    assert failed_ids({"batchItemFailures": []}, batch, True) == set()
    assert failed_ids(None, batch, True) == set()
    assert failed_ids({"batchItemFailures": [{"itemIdentifier": "zzz"}]}, batch, True) == {"a", "b", "c"}
    assert failed_ids({"batchItemFailures": [{"itemIdentifier": "b"}]}, batch, False) == set()
