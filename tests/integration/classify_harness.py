"""A classify harness over real servers: its own SecantusDB (which a test can stop and start), a bucket on the
stack's moto, SES, the classify handler loaded as Lambda loads it, and SQS records as Lambda builds them."""

from __future__ import annotations

import importlib.util
import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from bson import ObjectId
from secantus import SecantusDBServer

from devstack.queues import sqs_record
from imagepredict import aws
from imagepredict.auth.users import UserStore
from imagepredict.clock import utc_now
from imagepredict.predictions import PredictionStore
from imagepredict.settings import get_settings
from imagepredict.storage import mongo

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "tests" / "fixtures" / "digits"
SENDER = "classify-test@imagepredict.test"
NOTIFY = "inbox-results@imagepredict.test"


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
    users: UserStore
    owners: dict[str, str] = field(default_factory=dict)  # prediction id -> its owner's user id

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

    def owner(self, email: str, *, verified: bool = True) -> str:
        """The id of an account with this address (result emails go only to verified ones)."""
        found = self.users.by_email(email)
        user = found or self.users.create(email=email, name="Owner", password_hash="unused", created_at=utc_now())
        if verified:
            self.users.mark_verified(user.id)
        return user.id

    def pending(
        self, owner_email: str, sample: str = "digit-7.png", *, put: bool = True, verified: bool = True
    ) -> tuple[str, str, str]:
        """A prediction as POST /uploads leaves it, and (unless put=False) its uploaded object: (id, key, etag); its
        owner's account exists, with its address verified unless verified=False."""
        prediction_id = ObjectId()
        owner_id = self.owner(owner_email, verified=verified)
        self.owners[str(prediction_id)] = owner_id
        key = f"uploads/{owner_id}/{prediction_id}.png"
        self.store.create_pending(
            prediction_id=prediction_id,
            owner_id=owner_id,
            owner_email=owner_email,
            filename=sample,
            content_type="image/png",
            bucket=self.bucket,
            key=key,
            now=utc_now(),
        )
        etag = self.upload(key, (SAMPLES / sample).read_bytes()) if put else "missing"
        return str(prediction_id), key, etag

    def body(self, key: str, etag: str) -> str:
        """The S3 event notification for one object, as the bucket sends it to the queue."""
        return json.dumps(
            {
                "Records": [
                    {
                        "eventName": "ObjectCreated:Post",
                        "eventTime": utc_now().isoformat().replace("+00:00", "Z"),
                        "s3": {
                            "bucket": {"name": self.bucket},
                            "object": {"key": key.replace(" ", "+"), "eTag": etag},
                        },
                    }
                ]
            }
        )

    def record(self, key: str, etag: str, receive_count: int = 1) -> dict[str, Any]:
        message = {
            "MessageId": str(uuid.uuid4()),
            "ReceiptHandle": "handle",
            "Body": self.body(key, etag),
            "Attributes": {"ApproximateReceiveCount": str(receive_count), "SentTimestamp": "1"},
        }
        return sqs_record(message, "arn:aws:sqs:us-east-1:123456789012:imagepredict-local-ClassifyQueue")

    def prediction(self, prediction_id: str) -> Any:
        return self.store.get_for_owner(self.owners[prediction_id], prediction_id)

    def mail_to(self, address: str) -> list[str]:
        import requests

        data = requests.get(f"{self.aws_endpoint}/moto-api/data.json", timeout=10).json()
        return [m["raw_data"] for m in data["ses"]["RawMessage"] if address in m["destinations"]]


def load_handler(function: str = "classify") -> ModuleType:
    """A function's handler module, loaded afresh (a new "container": its caches start empty)."""
    spec = importlib.util.spec_from_file_location(
        f"{function}_handler_under_test", ROOT / f"functions/{function}/app.py"
    )
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
    aws.sqs_client.cache_clear()
