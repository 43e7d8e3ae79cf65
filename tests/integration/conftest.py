"""Fixtures shared by the integration tests of the classify pipeline (the Lambda handler and the batch worker)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from pymongo import MongoClient
from secantus import SecantusDBServer

from devstack.stack import free_port
from imagepredict.auth.users import UserStore
from imagepredict.predictions import PredictionStore
from tests.conftest import RunningStack, aws_client
from tests.integration.classify_harness import NOTIFY, SENDER, Harness, clear_container_caches, load_handler


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
    users = UserStore(client["imagepredict"])
    running = Harness(load_handler(), server, port, storage, bucket, s3, ses, store, stack.aws_endpoint, users)
    yield running
    client.close()
    running.mongo.stop()
    clear_container_caches()
