"""The classify dead-letter queue through the admin API, on the admin stack (its own queues): a look deletes nothing,
each message shows its prediction and why it is there; one discarded, some redriven by id, and the issue's test: a
poison message and a transient failure in the queue, redriven all at once, the transient one done and the poison one
back in the queue. Every action is in the audit log."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from bson import ObjectId
from pymongo.database import Database

from tests.conftest import ADMIN_STACK_NAME, RunningStack, aws_client
from tests.integration.admin_client import Session, admin_session
from tests.integration.api_client import SAMPLES
from tests.polling import wait_for

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def admin(admin_stack: RunningStack, stack_db: Database) -> Session:
    return admin_session(admin_stack, stack_db)


@pytest.fixture(scope="module")
def sqs(admin_stack: RunningStack) -> Any:
    return aws_client(admin_stack, "sqs")


def queue_url(sqs: Any, logical_id: str) -> str:
    return sqs.get_queue_url(QueueName=f"{ADMIN_STACK_NAME}-{logical_id}")["QueueUrl"]


def letters(admin: Session, marker: str) -> list[dict[str, Any]]:
    answer = admin.get("/admin/dead-letters")
    assert answer.status_code == 200, answer.text
    return [item for item in answer.json()["items"] if marker in item["body_preview"]]


def exactly(count: int, admin: Session, marker: str) -> list[dict[str, Any]] | None:
    found = letters(admin, marker)
    return found if len(found) == count else None


def s3_event(bucket: str, key: str) -> str:
    record = {
        "eventName": "ObjectCreated:Put",
        "s3": {"bucket": {"name": bucket}, "object": {"key": key, "eTag": "e1"}},
    }
    return json.dumps({"Records": [record]})


def audited(admin: Session, action: str, target: str) -> list[dict[str, Any]]:
    entries = admin.get("/admin/audit", limit=50).json()["items"]
    return [entry for entry in entries if (entry["action"], entry["target"]) == (action, target)]


def test_look_discard_and_redrive_by_id(admin: Session, sqs: Any) -> None:
    dead = queue_url(sqs, "ClassifyDeadLetters")
    marker = uuid.uuid4().hex
    for name in ("keep", "discard", "redrive"):
        sqs.send_message(QueueUrl=dead, MessageBody=f"{name} {marker}")
    found = wait_for(lambda: exactly(3, admin, marker), "three dead letters")
    assert {item["reason"] for item in found} == {"Unusable message: the message body is not JSON"}
    assert {(item["prediction_id"], tuple(item["objects"])) for item in found} == {(None, ())}
    by_body = {item["body_preview"].split()[0]: item["message_id"] for item in found}
    assert len(letters(admin, marker)) == 3  # looking deleted nothing

    discarded = admin.call("DELETE", f"/admin/dead-letters/{by_body['discard']}")
    assert discarded.status_code == 204, discarded.text
    again = admin.call("DELETE", f"/admin/dead-letters/{by_body['discard']}")
    assert (again.status_code, again.json()["error"]["code"]) == (404, "not_found")
    assert admin.call("DELETE", "/admin/dead-letters/not-an-id").status_code == 404

    unknown = str(uuid.uuid4())
    redriven = admin.call("POST", "/admin/dead-letters/redrive", json={"message_ids": [by_body["redrive"], unknown]})
    assert redriven.status_code == 202, redriven.text
    assert redriven.json() == {
        "mode": "selected",
        "task_handle": None,
        "moved": [by_body["redrive"]],
        "not_found": [unknown],
    }
    assert {item["message_id"] for item in letters(admin, marker)} == {by_body["keep"]}

    # Still poison: classify fails it three times and it comes back, as a new message.
    back = wait_for(
        lambda: [i for i in letters(admin, marker) if i["body_preview"].startswith("redrive")], "its return"
    )
    assert back[0]["message_id"] != by_body["redrive"]
    for item in letters(admin, marker):
        assert admin.call("DELETE", f"/admin/dead-letters/{item['message_id']}").status_code == 204

    second, first = audited(admin, "dead_letter.discard", f"dead-letter:{by_body['discard']}")  # newest first
    assert (first["outcome"], first["details"]["body_preview"]) == ("succeeded", f"discard {marker}")
    assert (second["outcome"], second["error"]) == ("failed", "not_found")
    (failed_entry,) = [e for e in audited(admin, "dead_letter.discard", "dead-letter:not-an-id")]
    assert (failed_entry["outcome"], failed_entry["error"]) == ("failed", "not_found")
    redrive_entry = audited(admin, "dead_letters.redrive", "dead-letters:selected")[0]
    assert redrive_entry["details"] == {
        "message_ids": [by_body["redrive"], unknown],
        "moved": [by_body["redrive"]],
        "not_found": [unknown],
    }
    assert redrive_entry["request_id"] == redriven.headers["Apigw-Requestid"]


def test_redrive_all_brings_a_transient_failure_back_done_and_a_poison_message_back_to_the_queue(
    admin_stack: RunningStack, admin: Session, sqs: Any, stack_db: Database
) -> None:
    queue = queue_url(sqs, "ClassifyQueue")
    marker = uuid.uuid4().hex
    poison = f"not an S3 event {marker}"
    # A transient failure: the event names a bucket that does not exist yet, so every delivery fails (NoSuchBucket)
    # and the third marks the prediction failed. The bucket has no notification: only a redrive brings it back.
    bucket, key = f"late-{marker}", "inbox/late-7.png"
    sqs.send_message(QueueUrl=queue, MessageBody=poison)
    sqs.send_message(QueueUrl=queue, MessageBody=s3_event(bucket, key))
    both = wait_for(lambda: exactly(2, admin, marker), "both dead letters")
    (transient,) = [item for item in both if item["objects"]]
    (poisoned,) = [item for item in both if not item["objects"]]
    prediction = stack_db.predictions.find_one({"_id": ObjectId(transient["prediction_id"])})
    assert transient["objects"] == [
        {"bucket": bucket, "key": key, "prediction_id": str(prediction["_id"]), "status": "failed"}
    ]
    assert transient["reason"] == prediction["error"]["message"]
    assert transient["receive_count"] >= 3
    assert (poisoned["reason"], poisoned["prediction_id"]) == ("Unusable message: the message body is not JSON", None)

    s3 = aws_client(admin_stack, "s3")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key=key, Body=(SAMPLES / "digit-7.png").read_bytes())
    redriven = admin.call("POST", "/admin/dead-letters/redrive", json={})
    assert redriven.status_code == 202, redriven.text
    assert redriven.json()["mode"] == "all"
    assert redriven.json()["task_handle"]

    def finished() -> dict[str, Any] | None:
        found = stack_db.predictions.find_one({"_id": prediction["_id"]})
        return found if found["status"] in ("done", "rejected") else None  # not while processing again

    classified = wait_for(finished, "the transient one classified")
    assert (classified["status"], classified["result"]["top"]["label"]) == ("done", "7")
    results = json.loads(s3.get_object(Bucket=bucket, Key=f"results/{key}.json")["Body"].read())
    assert results["status"] == "done"
    back = wait_for(lambda: letters(admin, marker), "the poison one back in the dead-letter queue")
    assert [(item["body_preview"], item["message_id"] != poisoned["message_id"]) for item in back] == [(poison, True)]
    page = admin.get("/admin/dead-letters").json()
    assert page["move_task"]["status"] == "COMPLETED"
    assert page["move_task"]["moved"] >= 2
    (entry,) = [
        e
        for e in audited(admin, "dead_letters.redrive", "dead-letters:all")
        if e["request_id"] == redriven.headers["Apigw-Requestid"]
    ]
    assert (entry["outcome"], entry["details"]) == ("succeeded", {"task_handle": redriven.json()["task_handle"]})
    for item in back:
        admin.call("DELETE", f"/admin/dead-letters/{item['message_id']}")


@pytest.mark.parametrize(
    "body",
    [{"message_ids": []}, {"message_ids": ["x"]}, {"message_ids": "all"}, {"message_ids": [str(uuid.uuid4())] * 101}],
)
def test_a_selection_must_be_message_ids(admin: Session, body: dict[str, Any]) -> None:
    answer = admin.call("POST", "/admin/dead-letters/redrive", json=body)
    assert (answer.status_code, answer.json()["error"]["code"]) == (400, "invalid_request")
