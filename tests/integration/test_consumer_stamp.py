"""Each consumer names itself on what it finishes (the admin's stats read which model each one runs from it): the
classify function `lambda`, the batch worker `worker`, for done and rejected predictions alike."""

from __future__ import annotations

import os

import pytest
from bson import ObjectId
from pymongo import MongoClient

from batchworker.settings import BUNDLED_MODEL_DIR
from imagepredict.classify.consumer import QueueMessage
from imagepredict.classify.wiring import build_consumer
from imagepredict.model.onnx import load_onnx_runner
from imagepredict.settings import get_settings
from tests.conftest import unique_email
from tests.integration.classify_harness import Harness

pytestmark = pytest.mark.slow


def consumer_of(prediction_id: str) -> str | None:
    client = MongoClient(os.environ["MONGODB_URI"], tz_aware=True)
    try:
        return client["imagepredict"].predictions.find_one({"_id": ObjectId(prediction_id)}).get("consumer")
    finally:
        client.close()


def test_the_function_and_the_worker_stamp_themselves(harness: Harness) -> None:
    by_lambda, key, etag = harness.pending(unique_email())
    assert harness.invoke(harness.record(key, etag)) == set()

    classifier = load_onnx_runner(bundled_dir=BUNDLED_MODEL_DIR, num_threads=1, providers="cpu")
    worker = build_consumer(get_settings(), lambda: classifier, consumer="worker")
    by_worker, key, etag = harness.pending(unique_email(), "digit-3.png")
    rejected, rejected_key, _ = harness.pending(unique_email(), put=False)
    rejected_etag = harness.upload(rejected_key, b"not an image at all")
    results = worker.consume(
        [QueueMessage("a", harness.body(key, etag), 1), QueueMessage("b", harness.body(rejected_key, rejected_etag), 1)]
    )
    assert [result.done for result in results] == [True, True]

    assert harness.prediction(by_lambda).status == "done"
    assert (harness.prediction(by_worker).status, harness.prediction(rejected).status) == ("done", "rejected")
    assert [consumer_of(p) for p in (by_lambda, by_worker, rejected)] == ["lambda", "worker", "worker"]
