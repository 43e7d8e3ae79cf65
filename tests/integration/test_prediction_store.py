"""PredictionStore over the Mongo wire protocol (SecantusDB): ownership, pagination, conditional transitions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from bson import ObjectId
from pymongo.database import Database

from imagepredict.predictions import (
    DONE,
    FAILED,
    PENDING,
    PROCESSING,
    REJECTED,
    ImageInfo,
    InvalidCursor,
    ModelRef,
    PredictionResult,
    PredictionStore,
    Score,
)

RESULT = PredictionResult(
    probabilities=(Score("7", 0.9), Score("1", 0.1)),
    model=ModelRef("digits-demo", "1", "a" * 64),
    inference_ms=2.5,
    image=ImageInfo("PNG", 28, 28),
)
T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
BUCKET = "uploads-bucket"


@pytest.fixture
def store(database: Database) -> PredictionStore:
    predictions = PredictionStore(database)
    predictions.ensure_indexes()
    return predictions


def pending(store: PredictionStore, owner: str = "alice", offset: int = 0, **extra: object):
    prediction_id = ObjectId()
    return store.create_pending(
        prediction_id=prediction_id,
        owner_id=owner,
        owner_email=f"{owner}@example.com",
        filename="scan.png",
        content_type="image/png",
        bucket=BUCKET,
        key=f"uploads/{owner}/{prediction_id}.png",
        now=T0 + timedelta(seconds=offset),
        **extra,
    )


def test_reads_are_scoped_to_the_owner(store: PredictionStore) -> None:
    mine = pending(store, "alice")
    assert store.get_for_owner("alice", mine.id).status == PENDING
    assert store.get_for_owner("bob", mine.id) is None
    assert store.delete_for_owner("bob", mine.id) is None
    assert store.list_for_owner("bob", limit=10, cursor=None) == ([], None)
    for malformed in ("", "nope", "0" * 23, {"$ne": None}, "z" * 24):
        assert store.get_for_owner("alice", malformed) is None  # type: ignore[arg-type]
    assert store.delete_for_owner("alice", mine.id).id == mine.id
    assert store.get_for_owner("alice", mine.id) is None


def test_listing_is_newest_first_and_the_cursor_walks_every_item_once(store: PredictionStore) -> None:
    created = [pending(store, "alice", offset=i // 2) for i in range(7)]  # pairs share a timestamp
    pending(store, "bob")
    seen, cursor = [], None
    while True:
        page, cursor = store.list_for_owner("alice", limit=3, cursor=cursor)
        seen.extend(page)
        if cursor is None:
            break
    expected = sorted(created, key=lambda p: (p.created_at, p.id), reverse=True)
    assert [p.id for p in seen] == [p.id for p in expected]


@pytest.mark.parametrize("cursor", ["garbage", "eyJ0IjoxfQ", "e30", "!!!"])
def test_a_cursor_this_api_did_not_make_is_refused(store: PredictionStore, cursor: str) -> None:
    with pytest.raises(InvalidCursor):
        store.list_for_owner("alice", limit=3, cursor=cursor)


def test_one_object_version_is_classified_once(store: PredictionStore) -> None:
    prediction = pending(store)
    claimed = store.claim(prediction.id, "etag-1", T0)
    assert (claimed.status, claimed.attempts, claimed.etag) == (PROCESSING, 1, "etag-1")
    assert store.claim(prediction.id, "etag-1", T0).attempts == 2  # a redelivery while unfinished: again
    done = store.finish(prediction.id, "etag-1", status=DONE, now=T0, result=RESULT)
    assert done.status == DONE
    assert done.result == RESULT  # stored and read back as the same typed result
    assert store.finish(prediction.id, "etag-1", status=DONE, now=T0, result=RESULT) is None  # a racing twin loses
    assert store.claim(prediction.id, "etag-1", T0) is None  # a duplicate event after it is done: nothing to do
    again = store.claim(prediction.id, "etag-2", T0)  # the same key uploaded again: a new version
    assert again.status == PROCESSING


def test_rejections_are_final_for_their_version(store: PredictionStore) -> None:
    prediction = pending(store)
    store.claim(prediction.id, "e", T0)
    rejected = store.finish(
        prediction.id,
        "e",
        status=REJECTED,
        now=T0,
        error={"code": "corrupt_image", "message": "x"},
        email_status="skipped",
    )
    assert (rejected.status, rejected.error["code"], rejected.email["status"]) == (REJECTED, "corrupt_image", "skipped")
    assert store.claim(prediction.id, "e", T0) is None


def test_the_email_is_claimed_once_unless_its_sender_failed_or_vanished(store: PredictionStore) -> None:
    prediction = pending(store)
    assert store.claim_email(prediction.id, T0, timedelta(minutes=5)) is None  # not done yet
    store.claim(prediction.id, "e", T0)
    store.finish(prediction.id, "e", status=DONE, now=T0, result=RESULT)
    assert store.claim_email(prediction.id, T0, timedelta(minutes=5)).email["status"] == "sending"
    assert store.claim_email(prediction.id, T0 + timedelta(minutes=1), timedelta(minutes=5)) is None
    assert store.claim_email(prediction.id, T0 + timedelta(minutes=6), timedelta(minutes=5)) is not None  # vanished
    store.email_failed(prediction.id, "Throttling")
    assert store.claim_email(prediction.id, T0 + timedelta(minutes=7), timedelta(minutes=5)) is not None  # retry
    store.email_sent(prediction.id, T0 + timedelta(minutes=7), "message-1")
    assert store.claim_email(prediction.id, T0 + timedelta(hours=1), timedelta(minutes=5)) is None
    assert store.get_for_owner("alice", prediction.id).public()["email"] == {
        "status": "sent",
        "sent_at": "2026-11-25T12:07:00.000Z",
    }


def test_objects_without_an_owner_get_one_prediction_per_key(store: PredictionStore) -> None:
    first = store.create_for_object(bucket=BUCKET, key="inbox/a.png", filename="a.png", now=T0)
    second = store.create_for_object(bucket=BUCKET, key="inbox/a.png", filename="a.png", now=T0)
    assert first.id == second.id
    assert first.owner_id is None
    assert store.by_source(BUCKET, "inbox/a.png").id == first.id


def test_the_last_failed_delivery_marks_the_prediction_failed(store: PredictionStore) -> None:
    prediction = pending(store)
    store.claim(prediction.id, "e", T0)
    store.mark_failed(prediction.id, "service_unavailable", "MongoDB did not answer", T0)
    failed = store.get_for_owner("alice", prediction.id)
    assert (failed.status, failed.error["code"]) == (FAILED, "service_unavailable")
    assert store.claim(prediction.id, "e", T0).status == PROCESSING  # a replay from the DLQ can still finish it
