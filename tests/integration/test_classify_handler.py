"""The classify handler in-process against real servers, with the failures the pipeline must survive:
MongoDB going away mid-batch, SES refusing to send, a record that keeps failing, objects without an account.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from bson import ObjectId

from devstack.stack import free_port
from imagepredict.settings import get_settings
from tests.conftest import unique_email
from tests.integration.api_client import UNUSABLE
from tests.integration.classify_harness import NOTIFY, SAMPLES, SENDER, Harness, clear_container_caches
from tests.readable import assert_readable_error

pytestmark = pytest.mark.slow


def test_mongodb_down_mid_batch_fails_the_records_and_they_complete_once_it_is_back(harness: Harness) -> None:
    first, first_key, first_etag = harness.pending(unique_email())
    second, second_key, second_etag = harness.pending(unique_email(), "digit-3.png")
    records = [harness.record(first_key, first_etag), harness.record(second_key, second_etag)]

    harness.stop_mongo()
    assert harness.invoke(*records) == {record["messageId"] for record in records}  # both retried, none lost

    harness.start_mongo()
    assert harness.invoke(*records) == set()
    assert harness.prediction(first).result.top.label == "7"
    assert harness.prediction(second).result.top.label == "3"


def test_ses_unreachable_keeps_the_result_and_retries_only_the_email(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    recipient = unique_email()
    prediction_id, key, etag = harness.pending(recipient)
    record = harness.record(key, etag)
    monkeypatch.setenv("AWS_ENDPOINT_URL_SES", f"http://127.0.0.1:{free_port()}")  # nothing listens there
    clear_container_caches()

    assert harness.invoke(record) == {record["messageId"]}  # transient: the message is delivered again
    stored = harness.prediction(prediction_id)
    assert (stored.status, stored.email["status"]) == ("done", "failed")
    assert "EndpointConnectionError" in stored.email["error"]

    monkeypatch.delenv("AWS_ENDPOINT_URL_SES")
    clear_container_caches()
    harness.handler.consumer.cache_clear()
    assert harness.invoke(harness.record(key, etag, receive_count=2)) == set()
    again = harness.prediction(prediction_id)
    assert again.email["status"] == "sent"
    assert again.completed_at == stored.completed_at  # not classified a second time
    assert harness.invoke(harness.record(key, etag, receive_count=3)) == set()  # and a third delivery sends nothing
    assert len(harness.mail_to(recipient)) == 1


def test_an_email_ses_refuses_is_final_and_the_message_is_done(harness: Harness) -> None:
    recipient = unique_email()
    prediction_id, key, etag = harness.pending(recipient)
    harness.ses.delete_identity(Identity=SENDER)  # SES now refuses the sender: MessageRejected
    try:
        assert harness.invoke(harness.record(key, etag)) == set()  # not retried into the dead-letter queue
        stored = harness.prediction(prediction_id)
        assert (stored.status, stored.email["status"], stored.email["error"]) == ("done", "refused", "MessageRejected")
        assert stored.public()["email"]["reason"].startswith("The email service refused")
        harness.ses.verify_email_identity(EmailAddress=SENDER)
        assert harness.invoke(harness.record(key, etag, receive_count=2)) == set()  # a duplicate event
        assert harness.prediction(prediction_id).email["status"] == "refused"  # final: not sent after all
        assert harness.mail_to(recipient) == []
    finally:
        harness.ses.verify_email_identity(EmailAddress=SENDER)


def test_a_record_that_keeps_failing_is_marked_failed_on_its_last_try_and_the_rest_of_the_batch_is_done(
    harness: Harness,
) -> None:
    good, good_key, good_etag = harness.pending(unique_email())
    broken, broken_key, _ = harness.pending(unique_email(), put=False)  # its object never arrived: S3 says 404
    bad_record = harness.record(broken_key, "gone", receive_count=1)
    batch = [harness.record(good_key, good_etag), bad_record]
    assert harness.invoke(*batch) == {bad_record["messageId"]}
    assert harness.prediction(broken).status == "processing"  # still retryable

    last = harness.record(broken_key, "gone", receive_count=3)
    assert harness.invoke(last) == {last["messageId"]}  # SQS now moves it to the DLQ
    failed = harness.prediction(broken)
    assert failed.status == "failed"
    assert failed.error["code"] == "classification_failed"
    assert harness.prediction(good).status == "done"


def test_an_object_dropped_under_inbox_is_classified_without_an_account(harness: Harness) -> None:
    key = "inbox/scanner 2/seven.png"
    etag = harness.upload(key, (SAMPLES / "digit-7.png").read_bytes())
    assert harness.invoke(harness.record(key, etag)) == set()
    stored = harness.store.by_source(harness.bucket, key)
    assert (stored.owner_id, stored.status, stored.filename) == (None, "done", "seven.png")
    written = results_file(harness, key)
    assert (written["status"], written["error"], written["top"]["label"]) == ("done", None, "7")
    assert written["prediction_id"] == stored.id
    assert written["source"] == {"bucket": harness.bucket, "key": key}
    assert written["completed_at"] == stored.public()["completed_at"]
    assert written["probabilities"] == stored.public()["result"]["probabilities"]
    assert len(harness.mail_to(NOTIFY)) >= 1


LIMIT = 100_000  # over every file of the corpus


def results_file(harness: Harness, key: str) -> dict:
    return json.loads(harness.s3.get_object(Bucket=harness.bucket, Key=f"results/{key}.json")["Body"].read())


@pytest.mark.parametrize(
    ("make", "code"),
    [(make, code) for _, make, _, code in UNUSABLE]
    + [(lambda: (SAMPLES / "digit-7.png").read_bytes() + bytes(LIMIT), "too_large")],
    ids=[name for name, _, _, _ in UNUSABLE] + ["too-large"],
)
def test_an_inbox_object_that_is_rejected_gets_a_results_file_saying_why(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, make: Callable[[], bytes], code: str
) -> None:
    monkeypatch.setenv("MAX_UPLOAD_BYTES", str(LIMIT))
    get_settings.cache_clear()
    key = f"inbox/drop {code}/file.png"
    etag = harness.upload(key, make())
    assert harness.invoke(harness.record(key, etag)) == set()
    stored = harness.store.by_source(harness.bucket, key)
    assert (stored.status, stored.error["code"]) == ("rejected", code)
    written = results_file(harness, key)
    assert written == {
        "prediction_id": stored.id,
        "source": {"bucket": harness.bucket, "key": key},
        "status": "rejected",
        "completed_at": stored.public()["completed_at"],
        "error": stored.error,
    }
    assert_readable_error(written["error"])


def test_an_inbox_object_that_keeps_failing_gets_a_results_file_on_its_last_try(harness: Harness) -> None:
    key = "inbox/vanished.png"
    etag = harness.upload(key, (SAMPLES / "digit-7.png").read_bytes())
    harness.s3.delete_object(Bucket=harness.bucket, Key=key)  # S3 now answers 404: a failure on our side
    for receive_count in (1, 2):
        record = harness.record(key, etag, receive_count)
        assert harness.invoke(record) == {record["messageId"]}
        assert harness.s3.list_objects_v2(Bucket=harness.bucket, Prefix="results/").get("KeyCount") == 0  # not yet
    last = harness.record(key, etag, receive_count=3)
    assert harness.invoke(last) == {last["messageId"]}  # SQS now moves it to the DLQ
    written = results_file(harness, key)
    assert (written["status"], written["error"]["code"]) == ("failed", "classification_failed")
    assert_readable_error(written["error"])
    assert written["prediction_id"] == harness.store.by_source(harness.bucket, key).id


def test_a_duplicate_delivery_writes_a_lost_results_file_again(harness: Harness) -> None:
    key = "inbox/again.png"
    etag = harness.upload(key, b"not an image at all")
    assert harness.invoke(harness.record(key, etag)) == set()
    first = results_file(harness, key)
    harness.s3.delete_object(Bucket=harness.bucket, Key=f"results/{key}.json")  # as if its write had failed
    assert harness.invoke(harness.record(key, etag, receive_count=2)) == set()
    assert results_file(harness, key) == first


def test_an_upload_whose_prediction_was_deleted_is_removed_not_classified(harness: Harness) -> None:
    key = f"uploads/user-1/{ObjectId()}.png"
    etag = harness.upload(key, (SAMPLES / "digit-7.png").read_bytes())
    assert harness.invoke(harness.record(key, etag)) == set()
    assert harness.s3.list_objects_v2(Bucket=harness.bucket, Prefix=key).get("KeyCount") == 0
    assert harness.store.by_source(harness.bucket, key) is None


def test_an_object_over_the_size_limit_is_rejected_before_it_is_downloaded(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAX_UPLOAD_BYTES", "4096")  # S3's policy would have refused it; the function checks anyway
    get_settings.cache_clear()
    prediction_id, key, etag = harness.pending(unique_email())  # digit-7.png is about 9 kB
    assert harness.invoke(harness.record(key, etag)) == set()
    rejected = harness.prediction(prediction_id)
    assert (rejected.status, rejected.error["code"]) == ("rejected", "too_large")
    assert "download_ms" not in rejected.timings
