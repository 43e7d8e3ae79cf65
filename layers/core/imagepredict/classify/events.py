"""S3 event notifications as SQS message bodies → the objects they name (URL-decoded keys).

Every body gets one of three answers, and nothing else ever comes out of here:
- the objects its ObjectCreated records name (to classify);
- [] (to ignore): S3's s3:TestEvent, or records of other events only;
- PoisonMessage, with what is wrong in our own words: not JSON, not a notification, or a record without a usable
  bucket, key, ETag or size. It is retried to the dead-letter queue, never silently dropped and never mistaken for
  a failure of ours.

Keys arrive URL-encoded as S3 writes them (a space as '+', a '+' as %2B, other bytes %-escaped UTF-8); a key that
does not decode to text S3 could hold (bad escapes, more than 1,024 bytes) is poison too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote_plus

from imagepredict.classify.models import StoredObject

MAX_KEY_BYTES = 1024  # S3's limit
MAX_BUCKET_LENGTH = 255


class PoisonMessage(ValueError):
    """A message that can never be processed: it is retried to the DLQ, never silently dropped."""


def objects_in(body: object) -> list[StoredObject]:
    """The ObjectCreated objects in one S3 notification; [] when it names none (s3:TestEvent, other events)."""
    notification = _notification(body)
    if notification.get("Event") == "s3:TestEvent":
        return []
    records = notification.get("Records")
    if not isinstance(records, list):
        raise PoisonMessage("the message body has no S3 Records")
    objects = (_object(record, index) for index, record in enumerate(records, start=1))
    return [item for item in objects if item is not None]


def _notification(body: object) -> Mapping[str, Any]:
    if not isinstance(body, str):
        raise PoisonMessage("the message body is not text")
    try:
        notification = json.loads(body)
    except (ValueError, RecursionError):  # not JSON, numbers too long to read, or nested too deep
        raise PoisonMessage("the message body is not JSON") from None
    if not isinstance(notification, dict):
        raise PoisonMessage("the message body is not an S3 event notification")
    return notification


def _object(record: object, index: int) -> StoredObject | None:
    """The object an ObjectCreated record names; None for other events; PoisonMessage when it is unusable."""
    record = _mapping(record, f"S3 record {index}")
    event = record.get("eventName")
    if not isinstance(event, str):
        raise PoisonMessage(f"S3 record {index} has no eventName")
    if not event.startswith("ObjectCreated:"):
        return None
    where = f"S3 record {index}"
    s3 = _mapping(record.get("s3"), f"{where}'s s3")
    stored = _mapping(s3.get("object"), f"{where}'s s3.object")
    return StoredObject(
        bucket=_bucket(_mapping(s3.get("bucket"), f"{where}'s s3.bucket").get("name"), where),
        key=_key(stored.get("key"), where),
        etag=_etag(stored, where),
        size=_size(stored.get("size"), where),
        event_time=_time(record.get("eventTime")),
    )


def _mapping(value: object, what: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise PoisonMessage(f"{what} is missing or not an object")
    return value


def _bucket(name: object, where: str) -> str:
    if not isinstance(name, str) or not 0 < len(name) <= MAX_BUCKET_LENGTH or "/" in name:
        raise PoisonMessage(f"{where} names no usable bucket")
    return name


def _key(encoded: object, where: str) -> str:
    if not isinstance(encoded, str) or not encoded:
        raise PoisonMessage(f"{where} names no object key")
    try:
        key = unquote_plus(encoded, errors="strict")
        size = len(key.encode("utf-8"))  # lone surrogates (JSON's \ud800) cannot be a key either
    except UnicodeError:
        raise PoisonMessage(f"{where}'s object key is not URL-encoded UTF-8") from None
    if not 0 < size <= MAX_KEY_BYTES:
        raise PoisonMessage(f"{where}'s object key is empty or longer than S3 allows")
    return key


def _etag(stored: Mapping[str, Any], where: str) -> str:
    """The version's identity: its ETag, else the sequencer S3 sends beside it, else nothing."""
    for name in ("eTag", "sequencer"):
        value = stored.get(name)
        if value is not None and not isinstance(value, str):
            raise PoisonMessage(f"{where}'s s3.object.{name} is not text")
    return stored.get("eTag") or stored.get("sequencer") or ""


def _size(value: object, where: str) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise PoisonMessage(f"{where}'s s3.object.size is not a whole number of bytes")
    return value


def _time(value: object) -> datetime | None:
    """When S3 saw the object (for the queue-wait metric only): None when absent or unreadable; UTC if unzoned."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
