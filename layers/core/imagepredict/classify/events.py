"""S3 event notifications as SQS message bodies → the objects they name (URL-decoded keys)."""

from __future__ import annotations

import json
from datetime import datetime
from urllib.parse import unquote_plus

from imagepredict.classify.models import StoredObject


class PoisonMessage(ValueError):
    """A message that can never be processed: it is retried to the DLQ, never silently dropped."""


def objects_in(body: str) -> list[StoredObject]:
    """The ObjectCreated objects in one S3 notification; [] for s3:TestEvent."""
    try:
        notification = json.loads(body)
    except (json.JSONDecodeError, TypeError):
        raise PoisonMessage("the message body is not JSON") from None
    if not isinstance(notification, dict):
        raise PoisonMessage("the message body is not an S3 event notification")
    if notification.get("Event") == "s3:TestEvent":
        return []
    records = notification.get("Records")
    if not isinstance(records, list):
        raise PoisonMessage("the message body has no S3 Records")
    objects = []
    for record in records:
        try:
            if not str(record["eventName"]).startswith("ObjectCreated:"):
                continue
            s3 = record["s3"]
            objects.append(
                StoredObject(
                    bucket=s3["bucket"]["name"],
                    key=unquote_plus(s3["object"]["key"]),
                    etag=str(s3["object"].get("eTag") or s3["object"].get("sequencer") or ""),
                    size=int(s3["object"].get("size") or 0),
                    event_time=_time(record.get("eventTime")),
                )
            )
        except (KeyError, TypeError, ValueError) as error:
            raise PoisonMessage(f"an S3 record is malformed: {error!r}") from None
    return objects


def _time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
