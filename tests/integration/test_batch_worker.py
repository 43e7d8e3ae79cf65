"""The batch worker as a process on the local stack, beside or instead of the Lambda function: uploads through
presigned POSTs come back classified once and emailed once, bad files get the same rejections as on the Lambda
path, SIGTERM mid-batch loses nothing, poison messages end in the dead-letter queue, duplicates do nothing."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
from bson import ObjectId
from pymongo import MongoClient

from devstack.launch import start_stack
from tests.conftest import RunningStack, aws_client
from tests.integration.api_client import (
    SAMPLES,
    UNUSABLE,
    Client,
    result_mail_to,
    uploaded_object,
    uploads_bucket,
)
from tests.integration.worker_process import WorkerProcess
from tests.readable import assert_readable_error

pytestmark = pytest.mark.slow

BUCKET = uploads_bucket()
QUEUE, DEAD_LETTERS = "imagepredict-local-ClassifyQueue", "imagepredict-local-ClassifyDeadLetters"
# (file, the digit it shows): the committed samples, PNG and JPEG
MODEL_DIR = Path(__file__).resolve().parents[2] / "functions" / "classify" / "model"
DIGITS = [(path.name, path.name.split("-")[1].split(".")[0]) for path in sorted(SAMPLES.glob("digit-*"))]


@pytest.fixture(scope="module")
def bare_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """A stack where nothing drains the classify queue but the workers each test starts (LOCAL_CLASSIFIER=none)."""
    running = start_stack(tmp_path_factory.mktemp("bare"), {"LOCAL_CLASSIFIER": "none"})
    yield running
    assert running.stop() == 0, running.log_text()


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    return tmp_path


def upload_all(users: list[Client], count: int) -> dict[str, tuple[Client, str, str]]:
    """`count` digit samples, spread over the users, uploaded at once: {prediction id: (user, file name, digit)}."""
    jobs = []
    for index in range(count):
        sample, digit = DIGITS[index % len(DIGITS)]
        filename = f"{index:03d}-{sample}"
        content_type = "image/jpeg" if sample.endswith(".jpg") else "image/png"
        jobs.append((users[index % len(users)], filename, (SAMPLES / sample).read_bytes(), content_type, digit))
    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(lambda job: job[0].upload(job[2], job[1], job[3]), jobs))
    return {prediction_id: (job[0], job[1], job[4]) for prediction_id, job in zip(ids, jobs, strict=True)}


def wait_all_done(uploads: dict[str, tuple[Client, str, str]], timeout: float = 180) -> dict[str, dict[str, Any]]:
    deadline = time.monotonic() + timeout
    finished: dict[str, dict[str, Any]] = {}
    while len(finished) < len(uploads) and time.monotonic() < deadline:
        for prediction_id, (user, _, _) in uploads.items():
            if prediction_id not in finished:
                prediction = user.get(prediction_id).json()
                if prediction["status"] == "done" and prediction["email"]["status"] == "sent":
                    finished[prediction_id] = prediction
        time.sleep(0.5)
    missing = {pid: uploads[pid][1] for pid in uploads if pid not in finished}
    assert not missing, f"not done and emailed after {timeout}s: {missing}"
    return finished


def assert_classified_and_emailed_once(stack: RunningStack, uploads: dict[str, tuple[Client, str, str]]) -> None:
    finished = wait_all_done(uploads)
    for prediction_id, (_, filename, digit) in uploads.items():
        assert finished[prediction_id]["result"]["top"]["label"] == digit, (filename, finished[prediction_id])
    for user in {user for user, _, _ in uploads.values()}:  # fresh users: their mail is these uploads' only
        subjects = [message["subject"] for message in result_mail_to(stack, user.email)]
        mine = [filename for owner, filename, _ in uploads.values() if owner is user]
        assert len(subjects) == len(mine), "an image was emailed twice or not at all"
        for filename in mine:
            assert sum(subject.startswith(f"Prediction for {filename}:") for subject in subjects) == 1, filename
    with MongoClient(stack.mongodb_uri, tz_aware=True) as client:
        documents = client["imagepredict"]["predictions"].find({"_id": {"$in": [ObjectId(i) for i in uploads]}})
        attempts = {str(document["_id"]): document["attempts"] for document in documents}
    assert attempts == dict.fromkeys(uploads, 1), "an image was classified more than once"


def classified_by(log_text: str) -> set[str]:
    """Prediction ids a consumer's log says it classified (outcome done)."""
    found = set()
    for line in log_text.splitlines():
        if line.startswith("{") and '"Classified"' in line:
            record = json.loads(line)
            if record.get("outcome") == "done":
                found.add(record["prediction_id"])
    return found


def test_the_worker_and_the_lambda_function_drain_one_queue_together(stack: RunningStack, logs: Path) -> None:
    """`make worker` beside `make run`: 52 uploads from four users, each classified once and emailed once."""
    worker = WorkerProcess(stack, logs / "worker.log", {"BATCH_SIZE": "8", "BATCH_WAIT_MS": "300"})
    try:
        worker.wait_healthy()
        uploads = upload_all([Client(stack) for _ in range(4)], 52)
        assert_classified_and_emailed_once(stack, uploads)
        by_worker, by_lambda = classified_by(worker.log_text()), classified_by(stack.log_text()) & set(uploads)
        assert by_worker & set(uploads), "the worker classified none of them"
        assert by_lambda, "the Lambda function classified none of them"
        assert not by_worker & by_lambda, "an image was classified by both"
        assert set(uploads) <= by_worker | by_lambda
        batches = worker.log_records("Batch finished")
        assert max(batch["classified"] for batch in batches) > 1, "the worker never classified a batch of several"
        assert worker.health().json()["backend"] == "onnxruntime/CPUExecutionProvider"
    finally:
        assert worker.terminate() == 0, worker.log_text()


def test_the_worker_alone_drains_the_queue(bare_stack: RunningStack, logs: Path) -> None:
    """LOCAL_CLASSIFIER=none and one worker: 52 uploads, all through the worker, in batches."""
    worker = WorkerProcess(bare_stack, logs / "alone.log", {"BATCH_SIZE": "16", "BATCH_WAIT_MS": "500"})
    try:
        worker.wait_healthy()
        uploads = upload_all([Client(bare_stack) for _ in range(2)], 52)
        assert_classified_and_emailed_once(bare_stack, uploads)
        assert set(uploads) <= classified_by(worker.log_text())
        assert max(batch["classified"] for batch in worker.log_records("Batch finished")) > 1
    finally:
        assert worker.terminate() == 0, worker.log_text()


def test_sigterm_mid_batch_finishes_the_batch_and_exits_0(bare_stack: RunningStack, logs: Path) -> None:
    settings = {"BATCH_SIZE": "24", "BATCH_WAIT_MS": "4000", "WORKER_CONCURRENCY": "1", "DRAIN_SECONDS": "30"}
    first = WorkerProcess(bare_stack, logs / "first.log", settings)
    first.wait_healthy()
    uploads = upload_all([Client(bare_stack)], 24)
    first.wait_for_log("Batch started")
    stopped_at = time.monotonic()
    assert first.terminate(timeout=40) == 0, first.log_text()
    assert time.monotonic() - stopped_at < 30
    messages = [record.get("message") for record in first.log_records()]
    assert messages.index("Stopping: finishing the batch in hand") < messages.index("Batch finished"), messages
    assert "Batch worker stopped" in messages
    finished_in_hand = first.log_records("Batch finished")[0]["done"]
    assert finished_in_hand > 0

    second = WorkerProcess(bare_stack, logs / "second.log")  # whatever the first did not take
    try:
        assert_classified_and_emailed_once(bare_stack, uploads)
    finally:
        assert second.terminate() == 0, second.log_text()


@pytest.fixture(scope="module")
def worker(bare_stack: RunningStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkerProcess]:
    running = WorkerProcess(bare_stack, tmp_path_factory.mktemp("worker") / "worker.log", {"BATCH_WAIT_MS": "300"})
    running.wait_healthy()
    yield running
    assert running.terminate() == 0, running.log_text()


def test_unusable_files_get_the_same_rejections_as_on_the_lambda_path(
    bare_stack: RunningStack, worker: WorkerProcess
) -> None:
    client = Client(bare_stack)
    sent = {client.upload(make(), f"bad-{name}", content_type): code for name, make, content_type, code in UNUSABLE}
    good = client.upload((SAMPLES / "digit-7.png").read_bytes(), "good.png")
    for prediction_id, code in sent.items():
        prediction = client.wait(prediction_id)
        assert (prediction["status"], prediction["error"]["code"]) == ("rejected", code)
        assert_readable_error(prediction["error"])  # our words, never a Python repr or exception text
        assert (prediction["result"], prediction["email"]["status"]) == (None, "skipped")
    assert client.wait(good)["result"]["top"]["label"] == "7"


def test_a_poison_message_ends_in_the_dead_letter_queue_and_the_worker_keeps_going(
    bare_stack: RunningStack, worker: WorkerProcess
) -> None:
    sqs = aws_client(bare_stack, "sqs")
    queue = sqs.get_queue_url(QueueName=QUEUE)["QueueUrl"]
    dead = sqs.get_queue_url(QueueName=DEAD_LETTERS)["QueueUrl"]
    poison = sqs.send_message(QueueUrl=queue, MessageBody='{"Records": "not a list"}')["MessageId"]
    client = Client(bare_stack)
    assert client.wait(client.upload((SAMPLES / "digit-2.png").read_bytes()))["result"]["top"]["label"] == "2"
    deadline, messages = time.monotonic() + 60, []
    while not messages and time.monotonic() < deadline:
        messages = sqs.receive_message(QueueUrl=dead, WaitTimeSeconds=1, AttributeNames=["All"]).get("Messages", [])
    assert [m["Body"] for m in messages] == ['{"Records": "not a list"}']
    sqs.delete_message(QueueUrl=dead, ReceiptHandle=messages[0]["ReceiptHandle"])
    tries = [record for record in worker.log_records("Unusable message") if record["message_id"] == poison]
    assert len(tries) == 3, "tried exactly maxReceiveCount times, then moved to the DLQ (no loop, no loss)"
    assert worker.health().status_code == 200
    again = Client(bare_stack)
    assert again.wait(again.upload((SAMPLES / "digit-9.png").read_bytes()))["result"]["top"]["label"] == "9"


def test_duplicate_events_give_one_result_and_one_email(bare_stack: RunningStack, worker: WorkerProcess) -> None:
    client = Client(bare_stack)
    prediction_id = client.upload((SAMPLES / "digit-4.png").read_bytes(), "four.png")
    first = client.wait(prediction_id)
    sqs = aws_client(bare_stack, "sqs")
    key, etag = uploaded_object(bare_stack, BUCKET, prediction_id)
    record = {
        "eventName": "ObjectCreated:Post",
        "s3": {"bucket": {"name": BUCKET}, "object": {"key": key, "eTag": etag}},
    }
    queue = sqs.get_queue_url(QueueName=QUEUE)["QueueUrl"]
    sqs.send_message_batch(
        QueueUrl=queue, Entries=[{"Id": str(i), "MessageBody": json.dumps({"Records": [record]})} for i in range(3)]
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        duplicates = [r for r in worker.log_records("Classified") if r.get("prediction_id") == prediction_id]
        if sum(r["outcome"] == "duplicate" for r in duplicates) >= 3:
            break
        time.sleep(0.2)
    assert sum(r["outcome"] == "duplicate" for r in duplicates) == 3
    again = client.get(prediction_id).json()
    assert (again["completed_at"], again["result"]) == (first["completed_at"], first["result"])
    assert len(result_mail_to(bare_stack, client.email)) == 1


def test_health_says_what_runs_and_404s_elsewhere(worker: WorkerProcess) -> None:
    body = worker.health().json()
    assert body["status"] == "ok"
    assert body["backend"] == "onnxruntime/CPUExecutionProvider"
    assert body["stopping"] is False
    assert requests.get(f"http://127.0.0.1:{worker.port}/metrics", timeout=5).status_code == 404


def run_to_exit(stack: RunningStack, logs: Path, overrides: dict[str, str]) -> tuple[int, str]:
    process = WorkerProcess(stack, logs / "start.log", overrides)
    code = process.process.wait(timeout=60)
    return code, process.log_text()


def test_a_bad_setting_exits_2_with_what_to_fix(bare_stack: RunningStack, logs: Path) -> None:
    code, output = run_to_exit(bare_stack, logs, {"BATCH_SIZE": "0"})
    assert code == 2
    assert "bad setting: BATCH_SIZE must be between 1 and 256, got 0" in output
    assert "Traceback" not in output


def test_a_model_that_does_not_match_its_metadata_exits_3(bare_stack: RunningStack, logs: Path) -> None:
    model = logs / "model"
    shutil.copytree(MODEL_DIR, model)
    (model / "model.onnx").write_bytes(b"not the model model.json describes")
    code, output = run_to_exit(bare_stack, logs, {"MODEL_DIR": str(model)})
    assert code == 3
    assert "cannot load the model" in output
    assert "model.onnx has SHA-256" in output


def test_a_queue_that_does_not_exist_exits_4(bare_stack: RunningStack, logs: Path) -> None:
    code, output = run_to_exit(bare_stack, logs, {"QUEUE_URL": f"{bare_stack.aws_endpoint}/123456789012/no-such-queue"})
    assert code == 4
    assert "cannot reach the queue" in output
