"""S3 notifications inside SQS messages, and how the local event source reads a handler's partial failures."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devstack.queues import failed_ids, sqs_record
from imagepredict.classify.consumer import ClassifyConsumer, QueueMessage
from imagepredict.classify.events import PoisonMessage, objects_in
from imagepredict.classify.models import Outcome, StoredObject

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


# --- any body, any shape: objects to classify, [] to ignore, or PoisonMessage; never another exception -----------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=25,
)
# Keys S3 can hold: any text that is 1 to 1,024 bytes of UTF-8.
KEYS = st.text(st.characters(exclude_categories=("Cs",)), min_size=1).filter(lambda k: len(k.encode()) <= 1024)
# How S3 (and moto, and other producers) URL-encode a key in a notification.
ENCODERS = [lambda key: quote_plus(key), lambda key: quote_plus(key, safe="/"), lambda key: quote(key, safe="/")]


def decision(body: object) -> list[StoredObject] | PoisonMessage:
    """The property every body must satisfy, and what it decided."""
    try:
        objects = objects_in(body)
    except PoisonMessage as poison:
        return assert_our_words(poison)
    for item in objects:
        assert isinstance(item.bucket, str)
        assert item.bucket
        assert isinstance(item.key, str)
        assert 0 < len(item.key.encode()) <= 1024
        assert isinstance(item.etag, str)
        assert isinstance(item.size, int)
        assert item.size >= 0
        assert item.event_time is None or item.event_time.tzinfo is not None
    return objects


def assert_our_words(poison: PoisonMessage) -> PoisonMessage:
    """The reason is logged for whoever sent the message: our words, not a repr of what broke."""
    reason = str(poison)
    assert reason
    assert not any(marker in reason for marker in ("Error(", "<", "0x", "Traceback"))
    return poison


def record(**fields: object) -> dict:
    base = {
        "eventName": "ObjectCreated:Put",
        "eventTime": "2026-11-25T10:00:00.000Z",
        "s3": {"bucket": {"name": "b"}, "object": {"key": "inbox/a.png", "eTag": "abc", "size": 12}},
    }
    return {**base, **fields}


@settings(max_examples=500)
@given(st.text())
def test_any_text_is_objects_nothing_or_poison(body: str) -> None:
    decision(body)


@settings(max_examples=500)
@given(JSON)
def test_any_json_is_objects_nothing_or_poison(value: object) -> None:
    decision(json.dumps(value))
    decision(json.dumps({"Records": value}))
    decision(json.dumps({"Records": [value]}))


@settings(max_examples=500)
@given(
    path=st.sampled_from(
        [
            ("eventName",),
            ("eventTime",),
            ("s3",),
            ("s3", "bucket"),
            ("s3", "bucket", "name"),
            ("s3", "object"),
            ("s3", "object", "key"),
            ("s3", "object", "eTag"),
            ("s3", "object", "sequencer"),
            ("s3", "object", "size"),
        ]
    ),
    value=JSON,
    remove=st.booleans(),
)
def test_a_record_with_any_field_missing_or_of_any_type_is_objects_nothing_or_poison(
    path: tuple[str, ...], value: object, remove: bool
) -> None:
    damaged = json.loads(json.dumps(record()))
    parent = damaged
    for name in path[:-1]:
        parent = parent[name]
    if remove:
        parent.pop(path[-1], None)
    else:
        parent[path[-1]] = value
    outcome = decision(json.dumps({"Records": [damaged, record()]}))
    required = path in {("eventName",), ("s3",), ("s3", "bucket"), ("s3", "bucket", "name"), ("s3", "object")}
    if remove and (required or path == ("s3", "object", "key")):
        assert isinstance(outcome, PoisonMessage)  # a record without it cannot name an object


@settings(max_examples=500)
@given(key=KEYS, encode=st.sampled_from(ENCODERS), size=st.integers(0, 5 * 2**30))
def test_every_key_s3_can_hold_comes_back_as_itself_however_it_was_url_encoded(
    key: str, encode: Callable[[str], str], size: int
) -> None:
    body = json.dumps(
        {"Records": [record(s3={"bucket": {"name": "b"}, "object": {"key": encode(key), "eTag": "e", "size": size}})]}
    )
    (item,) = objects_in(body)
    assert (item.bucket, item.key, item.etag, item.size) == ("b", key, "e", size)


@settings(max_examples=200)
@given(st.text(min_size=1).filter(lambda name: not name.startswith("ObjectCreated:")))
def test_records_of_other_events_are_ignored(event: str) -> None:
    assert objects_in(json.dumps({"Records": [record(eventName=event)]})) == []


def test_a_percent_that_starts_no_escape_is_kept_as_written() -> None:
    (item,) = objects_in(json.dumps({"Records": [record(s3={"bucket": {"name": "b"}, "object": {"key": "a%2"}})]}))
    assert item.key == "a%2"


@pytest.mark.parametrize(
    "body",
    [
        "[" * 100_000,  # nested too deep for the JSON parser: once a RecursionError out of the consumer
        "1" * 5_000,  # a number longer than Python reads: once a ValueError
        json.dumps({"Records": [record(s3={"bucket": {"name": "b"}, "object": {"key": "inbox%2F%ff.png"}})]}),
        json.dumps({"Records": [record(s3={"bucket": {"name": "b"}, "object": {"key": "inbox/\ud800.png"}})]}),
        json.dumps({"Records": [record(s3={"bucket": {"name": "b"}, "object": {"key": "k" * 1025}})]}),
        json.dumps({"Records": [record(s3={"bucket": {"name": "b"}, "object": {"key": "a", "size": 1e400}})]}),
        json.dumps({"Records": [record(s3={"bucket": {"name": 7}, "object": {"key": "a"}})]}),
        json.dumps({"Records": [record(s3={"bucket": {"name": "b"}, "object": {"key": "a", "eTag": {"x": 1}}})]}),
    ],
    ids=["deep", "long-number", "bad-utf8-escape", "surrogate", "key-too-long", "infinite-size", "bucket-int", "etag"],
)
def test_bodies_that_once_escaped_as_other_errors_are_poison(body: str) -> None:
    with pytest.raises(PoisonMessage):
        objects_in(body)


def test_an_event_time_without_a_zone_is_utc() -> None:
    (item,) = objects_in(json.dumps({"Records": [record(eventTime="2026-11-25T10:00:00")]}))
    assert item.event_time == datetime(2026, 11, 25, 10, tzinfo=UTC)  # comparable with the clock, not a TypeError


class StubService:
    def handle_batch(self, items: list[StoredObject]) -> list[Outcome]:
        return [Outcome("done", "p", "7") for _ in items]


@settings(max_examples=300)
@given(st.one_of(st.text(), JSON.map(json.dumps), JSON.map(lambda value: json.dumps({"Records": [value]}))))
def test_the_consumer_decides_every_message_and_never_raises(body: str) -> None:
    """What the Lambda handler and the worker run: a message is done, ignored, or poison (left for the DLQ)."""
    consumer = ClassifyConsumer(StubService(), max_receive_count=3)  # type: ignore[arg-type]
    (result,) = consumer.consume([QueueMessage("m-1", body, 1)])
    assert result.error is None or isinstance(result.error, PoisonMessage)
