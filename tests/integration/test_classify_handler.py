"""The classify handler in-process against real servers, with the failures the pipeline must survive:
MongoDB going away mid-batch, SES refusing to send, a record that keeps failing, objects without an account.
"""

from __future__ import annotations

import importlib.util
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from bson import ObjectId
from pymongo import MongoClient
from secantus import SecantusDBServer

from devstack.queues import sqs_record
from devstack.stack import free_port
from imagepredict import aws
from imagepredict.clock import utc_now
from imagepredict.predictions import PredictionStore
from imagepredict.settings import get_settings
from imagepredict.storage import mongo
from tests.conftest import RunningStack, aws_client, unique_email

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "tests" / "fixtures" / "digits"
SENDER = "classify-test@imagepredict.test"
NOTIFY = "inbox-results@imagepredict.test"

pytestmark = pytest.mark.slow


@dataclass
class Context:
    function_name: str = "ClassifyFunction"
    function_version: str = "$LATEST"
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:ClassifyFunction"
    memory_limit_in_mb: int = 2048
    aws_request_id: str = "test-request"
    log_group_name: str = "/aws/lambda/ClassifyFunction"
    log_stream_name: str = "test"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


@dataclass
class Harness:
    handler: ModuleType
    mongo: SecantusDBServer
    mongo_port: int
    storage: Path
    bucket: str
    s3: Any
    ses: Any
    store: PredictionStore
    aws_endpoint: str

    def invoke(self, *records: dict[str, Any]) -> set[str]:
        """Run one SQS batch; the ids the handler reports as failed."""
        response = self.handler.lambda_handler({"Records": list(records)}, Context())
        return {item["itemIdentifier"] for item in response["batchItemFailures"]}

    def stop_mongo(self) -> None:
        self.mongo.stop()

    def start_mongo(self) -> None:
        self.mongo = SecantusDBServer(port=self.mongo_port, storage_path=str(self.storage))
        self.mongo.start()

    def upload(self, key: str, data: bytes) -> str:
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=data)
        return self.s3.head_object(Bucket=self.bucket, Key=key)["ETag"].strip('"')

    def pending(self, owner_email: str, sample: str = "digit-7.png", *, put: bool = True) -> tuple[str, str, str]:
        """A prediction as POST /uploads leaves it, and (unless put=False) its uploaded object: (id, key, etag)."""
        prediction_id = ObjectId()
        key = f"uploads/user-1/{prediction_id}.png"
        self.store.create_pending(
            prediction_id=prediction_id,
            owner_id="user-1",
            owner_email=owner_email,
            filename=sample,
            content_type="image/png",
            bucket=self.bucket,
            key=key,
            now=utc_now(),
        )
        etag = self.upload(key, (SAMPLES / sample).read_bytes()) if put else "missing"
        return str(prediction_id), key, etag

    def record(self, key: str, etag: str, receive_count: int = 1) -> dict[str, Any]:
        body = {
            "Records": [
                {
                    "eventName": "ObjectCreated:Post",
                    "eventTime": utc_now().isoformat().replace("+00:00", "Z"),
                    "s3": {"bucket": {"name": self.bucket}, "object": {"key": key.replace(" ", "+"), "eTag": etag}},
                }
            ]
        }
        message = {
            "MessageId": str(uuid.uuid4()),
            "ReceiptHandle": "handle",
            "Body": json.dumps(body),
            "Attributes": {"ApproximateReceiveCount": str(receive_count), "SentTimestamp": "1"},
        }
        return sqs_record(message, "arn:aws:sqs:us-east-1:123456789012:imagepredict-local-ClassifyQueue")

    def prediction(self, prediction_id: str) -> Any:
        return self.store.get_for_owner("user-1", prediction_id)

    def mail_to(self, address: str) -> list[str]:
        import requests

        data = requests.get(f"{self.aws_endpoint}/moto-api/data.json", timeout=10).json()
        return [m["raw_data"] for m in data["ses"]["RawMessage"] if address in m["destinations"]]


def load_handler() -> ModuleType:
    spec = importlib.util.spec_from_file_location("classify_handler_under_test", ROOT / "functions/classify/app.py")
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def clear_container_caches() -> None:
    get_settings.cache_clear()
    mongo.get_client.cache_clear()
    aws.s3_client.cache_clear()
    aws.ses_client.cache_clear()


@pytest.fixture
def harness(stack: RunningStack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Harness]:
    port = free_port()
    storage = tmp_path / "mongo"
    storage.mkdir()
    server = SecantusDBServer(port=port, storage_path=str(storage))
    server.start()
    bucket = f"classify-{uuid.uuid4().hex[:10]}"
    environment = {
        "MONGODB_URI": f"mongodb://127.0.0.1:{port}/?directConnection=true",
        "MONGODB_TIMEOUT_MS": "400",
        "JWT_SECRET": "k" * 40,
        "UPLOADS_BUCKET": bucket,
        "SENDER_EMAIL": SENDER,
        "NOTIFY_EMAIL": NOTIFY,
        "APP_URL": "http://app.test",
        "MODEL_THREADS": "1",
        "AWS_ENDPOINT_URL": stack.aws_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_SERVICE_NAME": "classify-test",
        "POWERTOOLS_METRICS_NAMESPACE": "Test",
        "POWERTOOLS_TRACE_DISABLED": "true",
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    clear_container_caches()
    s3, ses = aws_client(stack, "s3"), aws_client(stack, "ses")
    s3.create_bucket(Bucket=bucket)
    ses.verify_email_identity(EmailAddress=SENDER)
    client = MongoClient(environment["MONGODB_URI"], tz_aware=True)
    store = PredictionStore(client["imagepredict"])
    store.ensure_indexes()
    running = Harness(load_handler(), server, port, storage, bucket, s3, ses, store, stack.aws_endpoint)
    yield running
    client.close()
    running.mongo.stop()
    clear_container_caches()


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


def test_ses_failing_keeps_the_result_and_retries_only_the_email(harness: Harness) -> None:
    recipient = unique_email()
    prediction_id, key, etag = harness.pending(recipient)
    record = harness.record(key, etag)
    harness.ses.delete_identity(Identity=SENDER)  # SES now rejects the sender: MessageRejected

    assert harness.invoke(record) == {record["messageId"]}
    stored = harness.prediction(prediction_id)
    assert stored.status == "done"
    assert stored.email["status"] == "failed"
    assert "MessageRejected" in stored.email["error"]

    harness.ses.verify_email_identity(EmailAddress=SENDER)
    assert harness.invoke(harness.record(key, etag, receive_count=2)) == set()
    again = harness.prediction(prediction_id)
    assert again.email["status"] == "sent"
    assert again.completed_at == stored.completed_at  # not classified a second time
    assert harness.invoke(harness.record(key, etag, receive_count=3)) == set()  # and a third delivery sends nothing
    assert len(harness.mail_to(recipient)) == 1


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
    written = json.loads(harness.s3.get_object(Bucket=harness.bucket, Key=f"results/{key}.json")["Body"].read())
    assert written["top"]["label"] == "7"
    assert written["prediction_id"] == stored.id
    assert len(harness.mail_to(NOTIFY)) >= 1


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
