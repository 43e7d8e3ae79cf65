"""`make run`'s stack as a whole: URLs printed, Ctrl-C stops it cleanly, data survives a restart."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from devstack.stack import free_port
from tests.conftest import ROOT, RunningStack, aws_client, start_stack, unique_email
from tests.integration.api_client import SAMPLES, Client, mail_to

PASSWORD = "correct horse battery"


@pytest.mark.slow
def test_restart_keeps_accounts_sessions_and_signing_key(tmp_path: Path) -> None:
    first = start_stack(tmp_path)
    email = unique_email()
    body = requests.post(first.url("/auth/register"), json={"email": email, "name": "Ada", "password": PASSWORD}).json()
    output = first.log_text()
    assert f"API        {first.api_url}" in output
    assert first.stop() == 0
    assert "Stopped." in first.log_text()
    with pytest.raises(requests.ConnectionError):
        requests.get(first.url("/health"), timeout=2)

    second = start_stack(tmp_path, {"LOCAL_API_PORT": first.api_url.rsplit(":", 1)[1]}, log_name="second.log")
    try:
        headers = {"Authorization": f"Bearer {body['access_token']}"}
        assert requests.get(second.url("/auth/me"), headers=headers).json()["user"]["email"] == email
        assert requests.post(second.url("/auth/refresh"), json={"refresh_token": body["refresh_token"]}).ok
        assert requests.post(second.url("/auth/login"), json={"email": email, "password": PASSWORD}).ok
    finally:
        assert second.stop() == 0


def test_an_existing_mongodb_is_used_when_mongodb_uri_is_set(short_token_stack: RunningStack, stack_db) -> None:
    email = unique_email()
    response = requests.post(
        short_token_stack.url("/auth/register"), json={"email": email, "name": "Ada", "password": PASSWORD}
    )
    assert response.status_code == 201
    assert stack_db.users.find_one({"email": email}) is not None
    assert not (short_token_stack.log_path.parent / "logs" / "mongodb.log").exists()  # none was started


def test_a_busy_port_is_reported_by_its_variable(stack: RunningStack, tmp_path: Path) -> None:
    busy = stack.api_url.rsplit(":", 1)[1]
    env = {**os.environ, "LOCAL_API_PORT": busy, "LOCAL_AWS_PORT": "0", "LOCAL_MONGO_PORT": "0"}
    env["LOCAL_DATA_DIR"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "devstack"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert f"port {busy} is already in use (another stack?): stop it or set LOCAL_API_PORT" in result.stderr


@pytest.mark.slow
def test_unreachable_mongodb_gives_503_json_not_500(stack: RunningStack, tmp_path: Path) -> None:
    env_file = tmp_path / "env.json"
    env_file.write_text('{"Parameters": {"MONGODB_TIMEOUT_MS": "300"}}')
    closed_port = free_port()
    broken = start_stack(
        tmp_path,
        {
            "MONGODB_URI": f"mongodb://127.0.0.1:{closed_port}/?directConnection=true",
            "LOCAL_AWS_ENDPOINT": stack.aws_endpoint,
            "LOCAL_STACK_NAME": "imagepredict-nomongo",
            "LOCAL_ENV_FILE": str(env_file),
        },
        healthy=False,
    )
    try:
        health = requests.get(broken.url("/health"))
        assert health.status_code == 503
        assert health.json()["checks"]["mongodb"]["status"] == "error"
        assert health.json()["checks"]["aws"]["status"] == "ok"
        for path, payload in (
            ("/auth/login", {"email": unique_email(), "password": PASSWORD}),
            ("/auth/register", {"email": unique_email(), "name": "Ada", "password": PASSWORD}),
        ):
            response = requests.post(broken.url(path), json=payload)
            assert response.status_code == 503, response.text
            assert response.json()["error"]["code"] == "service_unavailable"
    finally:
        broken.stop()


def test_ctrl_c_in_a_terminal_stops_everything_cleanly(tmp_path: Path) -> None:
    """A terminal sends SIGINT to the whole foreground process group: only the stack may act on it, so its servers
    are not killed under its queue pollers (which printed a screenful of tracebacks)."""
    import signal
    import time

    stack = start_stack(tmp_path, {"LOCAL_CLASSIFIER": "both"}, own_process_group=True)
    requests.get(stack.url("/health"), timeout=10)
    time.sleep(2)  # the pollers are mid long-poll
    os.killpg(stack.process.pid, signal.SIGINT)
    assert stack.process.wait(timeout=60) == 0
    output = stack.log_text()
    assert "Stopped." in output
    assert "Traceback" not in output, output[-3000:]


@pytest.mark.slow
def test_uploaded_images_survive_a_restart_without_being_classified_again(tmp_path: Path) -> None:
    """moto keeps objects in memory: the stack copies them under .local/s3 and puts them back before the bucket's
    notifications exist, so a restart shows the old images and sends no S3 event for them."""
    kept_bytes = (SAMPLES / "digit-7.png").read_bytes()
    first = start_stack(tmp_path)
    try:
        user = Client(first)
        kept = user.upload(kept_bytes, "digit-7.png")
        deleted = user.upload((SAMPLES / "digit-3.png").read_bytes(), "digit-3.png")
        done = user.wait(kept)
        assert done["status"] == "done", done
        user.wait(deleted)
        assert requests.delete(first.url(f"/predictions/{deleted}"), headers=user.headers).status_code == 204
    finally:
        assert first.stop() == 0, first.log_text()

    # No classifier this time: an S3 event sent by the restore would wait in the classify queue to be seen.
    second = start_stack(tmp_path, {"LOCAL_CLASSIFIER": "none"}, log_name="second.log")
    try:
        user.stack = second
        prediction = user.get(kept).json()
        assert (prediction["status"], prediction["completed_at"]) == ("done", done["completed_at"])
        image = requests.get(prediction["image_url"], timeout=10)
        assert image.status_code == 200
        assert image.content == kept_bytes
        assert image.headers["Content-Type"] == "image/png"

        s3 = aws_client(second, "s3")
        keys = [
            item["Key"]
            for bucket in s3.list_buckets()["Buckets"]
            for item in s3.list_objects_v2(Bucket=bucket["Name"]).get("Contents", [])
        ]
        assert [key.rsplit("/", 1)[1] for key in keys] == [f"{kept}.png"]  # the deleted image stays deleted

        sqs = aws_client(second, "sqs")
        queue = next(url for url in sqs.list_queues()["QueueUrls"] if url.endswith("-ClassifyQueue"))
        bodies = []
        while messages := sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
            "Messages"
        ):
            bodies += [json.loads(message["Body"]) for message in messages]
            sqs.delete_message_batch(
                QueueUrl=queue,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
            )
        assert [body.get("Event") for body in bodies] == ["s3:TestEvent"], bodies  # no ObjectCreated records
        assert mail_to(second, user.email) == []
    finally:
        assert second.stop() == 0, second.log_text()
