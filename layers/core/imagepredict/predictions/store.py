"""Predictions in the `predictions` collection: one per uploaded object, with conditional status transitions.

S3 and SQS deliver at least once, so every transition is a conditional update: the same object version
(bucket, key, ETag) is classified and emailed once however many times its event arrives.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId
from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from imagepredict.clock import isoformat
from imagepredict.predictions.cursor import Position, decode_position, encode_position
from imagepredict.predictions.result import PredictionResult

PENDING, PROCESSING, DONE, REJECTED, FAILED = "pending", "processing", "done", "rejected", "failed"
REFUSED = "refused"  # an email the email service refused for good (a failed one is retried)
FINISHED = (DONE, REJECTED)


@dataclass(frozen=True)
class Prediction:
    id: str
    owner_id: str | None
    owner_email: str | None
    filename: str
    bucket: str
    key: str
    status: str
    created_at: datetime
    completed_at: datetime | None = None
    etag: str | None = None
    attempts: int = 0
    result: PredictionResult | None = None
    error: dict[str, str] | None = None
    email: dict[str, Any] = field(default_factory=lambda: {"status": PENDING})
    timings: dict[str, float] = field(default_factory=dict)

    def public(self) -> dict[str, Any]:
        email = {"status": self.email.get("status", PENDING), "sent_at": _iso(self.email.get("sent_at"))}
        if self.email.get("reason"):
            email["reason"] = self.email["reason"]
        return {
            "id": self.id,
            "status": self.status,
            "filename": self.filename,
            "created_at": isoformat(self.created_at),
            "completed_at": _iso(self.completed_at),
            "result": self.result.to_document() if self.result else None,
            "error": self.error,
            "email": email,
        }


def _iso(moment: datetime | None) -> str | None:
    return isoformat(moment) if moment else None


def _prediction(document: dict[str, Any]) -> Prediction:
    return Prediction(
        id=str(document["_id"]),
        owner_id=document.get("owner_id"),
        owner_email=document.get("owner_email"),
        filename=document["filename"],
        bucket=document["source"]["bucket"],
        key=document["source"]["key"],
        status=document["status"],
        created_at=document["created_at"],
        completed_at=document.get("completed_at"),
        etag=document.get("etag"),
        attempts=document.get("attempts", 0),
        result=PredictionResult.from_document(document["result"]) if document.get("result") else None,
        error=document.get("error"),
        email=document.get("email") or {"status": PENDING},
        timings=document.get("timings") or {},
    )


prediction_from_document = _prediction  # for the collection's other readers (the admin's queries across users)


def object_id(prediction_id: str) -> ObjectId | None:
    """The id as an ObjectId, or None for anything malformed (which then matches nothing: 404, not 400)."""
    if not isinstance(prediction_id, str) or len(prediction_id) != 24:
        return None
    try:
        return ObjectId(prediction_id)
    except (InvalidId, TypeError):
        return None


def _position(prediction: Prediction) -> Position:
    return Position(prediction.created_at, ObjectId(prediction.id))


def new_document(
    *, owner_id: str | None, owner_email: str | None, filename: str, bucket: str, key: str, now: datetime
) -> dict[str, Any]:
    """A pending prediction for one object; source_id (unique) is what makes each object one prediction."""
    return {
        "owner_id": owner_id,
        "owner_email": owner_email,
        "filename": filename,
        "source": {"bucket": bucket, "key": key},
        "source_id": f"{bucket}/{key}",
        "status": PENDING,
        "created_at": now,
        "attempts": 0,
        "email": {"status": PENDING},
    }


class PredictionStore:
    def __init__(self, database: Database) -> None:
        self._predictions: Collection = database["predictions"]

    def ensure_indexes(self) -> None:
        self._predictions.create_index(
            [("owner_id", ASCENDING), ("created_at", DESCENDING), ("_id", DESCENDING)], name="owner_newest_first"
        )
        self._predictions.create_index("source_id", unique=True, name="source_unique")

    # --- the API's side: always scoped to the owner -----------------------------------------------------------------

    def create_pending(
        self,
        *,
        prediction_id: ObjectId,
        owner_id: str,
        owner_email: str,
        filename: str,
        content_type: str,
        bucket: str,
        key: str,
        now: datetime,
    ) -> Prediction:
        document = {
            "_id": prediction_id,
            **new_document(
                owner_id=owner_id, owner_email=owner_email, filename=filename, bucket=bucket, key=key, now=now
            ),
            "content_type": content_type,
        }
        self._predictions.insert_one(document)
        return _prediction(document)

    def get_for_owner(self, owner_id: str, prediction_id: str) -> Prediction | None:
        identifier = object_id(prediction_id)
        if identifier is None:
            return None
        document = self._predictions.find_one({"_id": identifier, "owner_id": owner_id})
        return _prediction(document) if document else None

    def list_for_owner(self, owner_id: str, *, limit: int, cursor: str | None) -> tuple[list[Prediction], str | None]:
        query: dict[str, Any] = {"owner_id": owner_id}
        if cursor:
            after = decode_position(cursor)
            query["$or"] = [
                {"created_at": {"$lt": after.created_at}},
                {"created_at": after.created_at, "_id": {"$lt": after.id}},
            ]
        documents = list(
            self._predictions.find(query).sort([("created_at", DESCENDING), ("_id", DESCENDING)]).limit(limit + 1)
        )
        items = [_prediction(document) for document in documents[:limit]]
        next_cursor = encode_position(_position(items[-1])) if len(documents) > limit else None
        return items, next_cursor

    def delete_for_owner(self, owner_id: str, prediction_id: str) -> Prediction | None:
        identifier = object_id(prediction_id)
        if identifier is None:
            return None
        document = self._predictions.find_one_and_delete({"_id": identifier, "owner_id": owner_id})
        return _prediction(document) if document else None

    def delete_all_for_owner(self, owner_id: str) -> int:
        """Every prediction of an account that is being deleted; how many there were."""
        return self._predictions.delete_many({"owner_id": owner_id}).deleted_count

    # --- the pipeline's side ----------------------------------------------------------------------------------------

    def by_source(self, bucket: str, key: str) -> Prediction | None:
        document = self._predictions.find_one({"source_id": f"{bucket}/{key}"})
        return _prediction(document) if document else None

    def create_for_object(self, *, bucket: str, key: str, filename: str, now: datetime) -> Prediction:
        """A prediction without an owner, for an object dropped into the bucket by another system (once per key)."""
        document = new_document(owner_id=None, owner_email=None, filename=filename, bucket=bucket, key=key, now=now)
        with contextlib.suppress(DuplicateKeyError):  # two deliveries raced to create it: the other one did
            self._predictions.update_one({"source_id": document["source_id"]}, {"$setOnInsert": document}, upsert=True)
        found = self.by_source(bucket, key)
        assert found is not None
        return found

    def claim(self, prediction_id: str, etag: str, now: datetime) -> Prediction | None:
        """Start (or restart) classifying this object version; None when it is already finished."""
        document = self._predictions.find_one_and_update(
            {
                "_id": ObjectId(prediction_id),
                "$or": [{"status": {"$in": [PENDING, PROCESSING, FAILED]}}, {"etag": {"$ne": etag}}],
            },
            {"$set": {"status": PROCESSING, "etag": etag, "started_at": now}, "$inc": {"attempts": 1}},
            return_document=ReturnDocument.AFTER,
        )
        return _prediction(document) if document else None

    def finish(
        self,
        prediction_id: str,
        etag: str,
        *,
        status: str,
        now: datetime,
        result: PredictionResult | None = None,
        error: dict[str, str] | None = None,
        email_status: str = PENDING,
        timings: dict[str, float] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> Prediction | None:
        """done or rejected, once, by whoever holds the claim for this version; None if another got there first."""
        assert status in FINISHED
        document = self._predictions.find_one_and_update(
            {"_id": ObjectId(prediction_id), "etag": etag, "status": PROCESSING},
            {
                "$set": {
                    "status": status,
                    "completed_at": now,
                    "result": result.to_document() if result else None,
                    "error": error,
                    "email": {"status": email_status},
                    "timings": timings or {},
                    **(extra or {}),
                }
            },
            return_document=ReturnDocument.AFTER,
        )
        return _prediction(document) if document else None

    def mark_failed(self, prediction_id: str, code: str, message: str, now: datetime) -> None:
        """The last delivery failed: the message goes to the DLQ and the prediction says so."""
        self._predictions.update_one(
            {"_id": ObjectId(prediction_id), "status": {"$in": [PENDING, PROCESSING]}},
            {"$set": {"status": FAILED, "completed_at": now, "error": {"code": code, "message": message}}},
        )

    def claim_email(self, prediction_id: str, now: datetime, stale_after: timedelta) -> Prediction | None:
        """The right to send this prediction's email: once, unless an earlier sender failed or vanished."""
        document = self._predictions.find_one_and_update(
            {
                "_id": ObjectId(prediction_id),
                "status": DONE,
                "$or": [
                    {"email.status": {"$in": [PENDING, FAILED]}},
                    {"email.status": "sending", "email.claimed_at": {"$lt": now - stale_after}},
                ],
            },
            {"$set": {"email.status": "sending", "email.claimed_at": now}},
            return_document=ReturnDocument.AFTER,
        )
        return _prediction(document) if document else None

    def email_sent(self, prediction_id: str, now: datetime, message_id: str) -> None:
        self._predictions.update_one(
            {"_id": ObjectId(prediction_id)},
            {"$set": {"email": {"status": "sent", "sent_at": now, "message_id": message_id}}},
        )

    def email_refused(self, prediction_id: str, code: str, reason: str) -> None:
        """The email service refused the message for good: final (claim_email never takes it again)."""
        self._predictions.update_one(
            {"_id": ObjectId(prediction_id)},
            {"$set": {"email.status": REFUSED, "email.error": code[:100], "email.reason": reason[:300]}},
        )

    def email_skipped(self, prediction_id: str, reason: str) -> None:
        """No email for this result, for good (its owner's address is not verified): final, like a refusal."""
        self._predictions.update_one(
            {"_id": ObjectId(prediction_id)}, {"$set": {"email.status": "skipped", "email.reason": reason[:300]}}
        )

    def email_failed(self, prediction_id: str, error: str) -> None:
        self._predictions.update_one(
            {"_id": ObjectId(prediction_id)}, {"$set": {"email.status": FAILED, "email.error": error[:500]}}
        )
