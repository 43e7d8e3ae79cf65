"""The local AWS's SQS redrive (devstack.moto_server), over HTTP with boto3, as the admin API will call it on AWS."""

from __future__ import annotations

import base64
import json
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import RunningStack, aws_client
from tests.integration.sqs_queues import (
    arn_of,
    count,
    dead_letter,
    drain,
    error_of,
    finished,
    make_queue,
    moto_server,
    send,
)


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with moto_server(tmp_path_factory.mktemp("moto") / "moto.log") as url:
        yield url


@pytest.fixture(scope="module")
def sqs(endpoint: str) -> Any:
    return boto3.client(
        "sqs", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )


SQS_TEXT = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs",)).filter(
        lambda c: c in "\t\n\r" or " " <= c <= "\ud7ff" or "\ue000" <= c <= "\ufffd" or c >= "\U00010000"
    ),
    min_size=1,
    max_size=40,
)
ATTRIBUTE = st.one_of(
    st.builds(lambda text: {"DataType": "String", "StringValue": text}, SQS_TEXT),
    st.builds(lambda blob: {"DataType": "Binary", "BinaryValue": blob}, st.binary(min_size=1, max_size=20)),
    st.builds(lambda n: {"DataType": "Number", "StringValue": str(n)}, st.integers(-(10**9), 10**9)),
)
MESSAGE = st.tuples(
    SQS_TEXT, st.dictionaries(st.from_regex(r"[A-Za-z][A-Za-z0-9_-]{0,12}", fullmatch=True), ATTRIBUTE, max_size=3)
)


def canonical(body: str, attributes: dict[str, dict[str, Any]]) -> str:
    return repr((body, sorted((name, sorted(value.items())) for name, value in attributes.items())))


@settings(max_examples=12, deadline=None)
@given(messages=st.lists(MESSAGE, max_size=30), destination=st.sampled_from(["original", "source queue", "other"]))
def test_redrive_moves_every_message_intact(sqs: Any, messages: list[Any], destination: str) -> None:
    dlq_url, dlq_arn = make_queue(sqs)
    url, arn = make_queue(sqs, dead_letters=dlq_arn)
    old_ids = {send(sqs, url, body, attributes) for body, attributes in messages}
    dead_letter(sqs, url, dlq_url, len(messages))
    target_url, target_arn = make_queue(sqs) if destination == "other" else (url, arn)
    given_arn = {"DestinationArn": target_arn} if destination != "original" else {}

    handle = sqs.start_message_move_task(SourceArn=dlq_arn, **given_arn)["TaskHandle"]
    task = finished(sqs, dlq_arn)

    assert json.loads(base64.b64decode(handle))["sourceArn"] == dlq_arn  # AWS's format
    expected = {"Status": "COMPLETED", "SourceArn": dlq_arn, **given_arn}
    assert {name: task[name] for name in expected} == expected
    assert task["ApproximateNumberOfMessagesMoved"] == task["ApproximateNumberOfMessagesToMove"] == len(messages)
    assert not {"TaskHandle", "FailureReason", "MaxNumberOfMessagesPerSecond"} & task.keys()
    moved = drain(sqs, target_url)
    assert sorted(canonical(m["Body"], m.get("MessageAttributes", {})) for m in moved) == sorted(
        canonical(body, attributes) for body, attributes in messages
    )
    assert all(m["Attributes"]["ApproximateReceiveCount"] == "1" for m in moved)  # new messages: this is their first
    assert not old_ids & {m["MessageId"] for m in moved}
    assert count(sqs, dlq_url) == count(sqs, dlq_url, "ApproximateNumberOfMessagesNotVisible") == 0


def test_without_destination_each_message_returns_to_the_queue_it_came_from(sqs: Any) -> None:
    dlq_url, dlq_arn = make_queue(sqs)
    first_url, _ = make_queue(sqs, dead_letters=dlq_arn)
    second_url, _ = make_queue(sqs, dead_letters=dlq_arn)
    send(sqs, first_url, "from the first")
    dead_letter(sqs, first_url, dlq_url, 1)
    send(sqs, second_url, "from the second")
    dead_letter(sqs, second_url, dlq_url, 2)

    sqs.start_message_move_task(SourceArn=dlq_arn)

    assert finished(sqs, dlq_arn)["Status"] == "COMPLETED"
    assert [m["Body"] for m in drain(sqs, first_url)] == ["from the first"]
    assert [m["Body"] for m in drain(sqs, second_url)] == ["from the second"]


def test_a_message_sent_straight_to_the_dead_letter_queue_goes_to_its_only_source(sqs: Any) -> None:
    dlq_url, dlq_arn = make_queue(sqs)
    url, _ = make_queue(sqs, dead_letters=dlq_arn)
    send(sqs, dlq_url, "poison", {"prediction": {"DataType": "String", "StringValue": "p1"}})

    sqs.start_message_move_task(SourceArn=dlq_arn)

    assert finished(sqs, dlq_arn)["Status"] == "COMPLETED"
    [moved] = drain(sqs, url)
    assert (moved["Body"], moved["MessageAttributes"]["prediction"]["StringValue"]) == ("poison", "p1")


def test_with_two_sources_a_message_of_unknown_origin_fails_the_task_and_stays(sqs: Any) -> None:
    dlq_url, dlq_arn = make_queue(sqs)
    make_queue(sqs, dead_letters=dlq_arn)
    make_queue(sqs, dead_letters=dlq_arn)
    send(sqs, dlq_url, "which queue?")

    sqs.start_message_move_task(SourceArn=dlq_arn)

    task = finished(sqs, dlq_arn)
    assert (task["Status"], task["ApproximateNumberOfMessagesMoved"]) == ("FAILED", 0)
    assert "DestinationArn" in task["FailureReason"]
    assert count(sqs, dlq_url) == 1


def test_cancel_stops_a_running_task_and_only_one_runs_per_source(sqs: Any) -> None:
    dlq_url, dlq_arn = make_queue(sqs)
    url, arn = make_queue(sqs, dead_letters=dlq_arn)
    for n in range(5):
        send(sqs, url, f"m{n}")
    dead_letter(sqs, url, dlq_url, 5)

    handle = sqs.start_message_move_task(SourceArn=dlq_arn, DestinationArn=arn, MaxNumberOfMessagesPerSecond=1)[
        "TaskHandle"
    ]
    running = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"][0]
    code, message, status = error_of(sqs.start_message_move_task, SourceArn=dlq_arn)
    moved = sqs.cancel_message_move_task(TaskHandle=handle)["ApproximateNumberOfMessagesMoved"]
    time.sleep(1.5)  # past the next message's turn at one a second

    assert (running["Status"], running["TaskHandle"], running["MaxNumberOfMessagesPerSecond"]) == ("RUNNING", handle, 1)
    assert (code, status) == ("InvalidParameterValue", 400)
    assert message.startswith("There is already a task running.")
    assert 1 <= moved < 5
    task = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"][0]
    assert (task["Status"], task["ApproximateNumberOfMessagesMoved"], task["ApproximateNumberOfMessagesToMove"]) == (
        "CANCELLED",
        moved,
        5,
    )
    assert "TaskHandle" not in task
    assert (count(sqs, url), count(sqs, dlq_url)) == (moved, 5 - moved)
    assert error_of(sqs.cancel_message_move_task, TaskHandle=handle)[::2] == ("ResourceNotFoundException", 404)


def test_a_destination_deleted_while_the_task_runs_fails_it_and_the_rest_stays(sqs: Any) -> None:
    dlq_url, dlq_arn = make_queue(sqs)
    url, _ = make_queue(sqs, dead_letters=dlq_arn)
    for n in range(3):
        send(sqs, url, f"m{n}")
    dead_letter(sqs, url, dlq_url, 3)
    destination_url, destination_arn = make_queue(sqs)

    sqs.start_message_move_task(SourceArn=dlq_arn, DestinationArn=destination_arn, MaxNumberOfMessagesPerSecond=1)
    sqs.delete_queue(QueueUrl=destination_url)

    task = finished(sqs, dlq_arn)
    assert (task["Status"], task["FailureReason"]) == ("FAILED", "AWS.SimpleQueueService.NonExistentQueue")
    assert count(sqs, dlq_url) == 3 - task["ApproximateNumberOfMessagesMoved"] >= 2


def test_messages_in_flight_in_the_dead_letter_queue_are_not_moved(sqs: Any) -> None:
    dlq_url, dlq_arn = make_queue(sqs)
    url, _ = make_queue(sqs, dead_letters=dlq_arn)
    bodies = {"a", "b", "c"}
    for body in bodies:
        send(sqs, url, body)
    dead_letter(sqs, url, dlq_url, 3)
    [before] = sqs.receive_message(QueueUrl=dlq_url, VisibilityTimeout=60)["Messages"]

    sqs.start_message_move_task(SourceArn=dlq_arn, MaxNumberOfMessagesPerSecond=1)
    [during] = sqs.receive_message(QueueUrl=dlq_url, VisibilityTimeout=60)["Messages"]  # before its turn comes

    task = finished(sqs, dlq_arn)
    assert (task["Status"], task["ApproximateNumberOfMessagesToMove"], task["ApproximateNumberOfMessagesMoved"]) == (
        "COMPLETED",
        2,
        1,
    )
    assert [m["Body"] for m in drain(sqs, url)] == list(bodies - {before["Body"], during["Body"]})
    assert count(sqs, dlq_url, "ApproximateNumberOfMessagesNotVisible") == 2


def test_list_answers_the_most_recent_tasks_first(sqs: Any) -> None:
    dlq_url, dlq_arn = make_queue(sqs)
    url, _ = make_queue(sqs, dead_letters=dlq_arn)
    sqs.start_message_move_task(SourceArn=dlq_arn)
    finished(sqs, dlq_arn)
    send(sqs, dlq_url, "later")
    sqs.start_message_move_task(SourceArn=dlq_arn)
    finished(sqs, dlq_arn)

    tasks = sqs.list_message_move_tasks(SourceArn=dlq_arn, MaxResults=10)["Results"]

    assert [task["ApproximateNumberOfMessagesToMove"] for task in tasks] == [1, 0]
    assert tasks[0]["StartedTimestamp"] >= tasks[1]["StartedTimestamp"] > 1_600_000_000_000  # epoch milliseconds
    assert sqs.list_message_move_tasks(SourceArn=arn_of(sqs, url))["Results"] == []  # not a dead-letter queue: no tasks


def test_fifo_dead_letters_go_back_with_their_group(sqs: Any) -> None:
    dlq_url, dlq_arn = make_queue(sqs, fifo=True)
    url, arn = make_queue(sqs, dead_letters=dlq_arn, fifo=True)
    send_fifo = {"QueueUrl": dlq_url, "MessageGroupId": "g1", "MessageDeduplicationId": "d1"}
    sqs.send_message(MessageBody="ordered", **send_fifo)
    standard_arn = make_queue(sqs)[1]

    assert error_of(sqs.start_message_move_task, SourceArn=dlq_arn, DestinationArn=standard_arn)[0] == (
        "InvalidParameterValue"
    )
    sqs.start_message_move_task(SourceArn=dlq_arn, DestinationArn=arn)

    assert finished(sqs, dlq_arn)["Status"] == "COMPLETED"
    [moved] = drain(sqs, url)
    assert (moved["Body"], moved["Attributes"]["MessageGroupId"]) == ("ordered", "g1")


NOT_DLQ = "Source queue must be configured as a Dead Letter Queue."
NO_SOURCE = "The resource that you specified for the SourceArn parameter doesn't exist."
NO_DESTINATION = "The resource that you specified for the DestinationArn parameter doesn't exist."
INVALID, NOT_FOUND = "InvalidParameterValue", "ResourceNotFoundException"


@pytest.mark.parametrize(
    ("action", "arguments", "code", "message"),
    [
        ("start_message_move_task", {"SourceArn": "plain"}, INVALID, NOT_DLQ),
        ("start_message_move_task", {"SourceArn": "missing"}, NOT_FOUND, NO_SOURCE),
        ("start_message_move_task", {"SourceArn": "dlq", "DestinationArn": "missing"}, NOT_FOUND, NO_DESTINATION),
        ("start_message_move_task", {"SourceArn": "dlq", "DestinationArn": "dlq"}, INVALID, None),
        ("start_message_move_task", {"SourceArn": "dlq", "MaxNumberOfMessagesPerSecond": 0}, INVALID, None),
        ("start_message_move_task", {"SourceArn": "dlq", "MaxNumberOfMessagesPerSecond": 501}, INVALID, None),
        ("list_message_move_tasks", {"SourceArn": "missing"}, NOT_FOUND, NO_SOURCE),
        ("list_message_move_tasks", {"SourceArn": "dlq", "MaxResults": 11}, INVALID, None),
        (
            "cancel_message_move_task",
            {"TaskHandle": "not a handle"},
            INVALID,
            "Value for parameter TaskHandle is invalid.",
        ),
        ("cancel_message_move_task", {"TaskHandle": "unknown task"}, NOT_FOUND, "Task does not exist."),
        ("cancel_message_move_task", {"TaskHandle": "unknown queue"}, NOT_FOUND, NO_SOURCE),
    ],
)
def test_errors_are_aws_errors(
    sqs: Any, action: str, arguments: dict[str, Any], code: str, message: str | None
) -> None:
    dlq_arn = make_queue(sqs)[1]
    make_queue(sqs, dead_letters=dlq_arn)
    plain_arn = make_queue(sqs)[1]
    no_task = "00000000-0000-4000-8000-000000000000"
    names = {
        "dlq": dlq_arn,
        "plain": plain_arn,
        "missing": plain_arn + "-gone",
        "unknown task": handle_of(no_task, dlq_arn),
        "unknown queue": handle_of(no_task, plain_arn + "-gone"),
    }
    resolved = {name: names.get(value, value) if isinstance(value, str) else value for name, value in arguments.items()}
    answer = error_of(getattr(sqs, action), **resolved)

    assert answer[::2] == (code, 404 if code == NOT_FOUND else 400)  # AWS's statuses
    assert message is None or answer[1] == message


def handle_of(task_id: str, source_arn: str) -> str:
    return base64.b64encode(json.dumps({"taskId": task_id, "sourceArn": source_arn}).encode()).decode()


def test_the_query_protocol_reaches_the_same_actions(sqs: Any, endpoint: str) -> None:
    dlq_arn = make_queue(sqs)[1]
    make_queue(sqs, dead_letters=dlq_arn)
    form = {"Action": "StartMessageMoveTask", "Version": "2012-11-05", "SourceArn": dlq_arn}
    request = urllib.request.Request(endpoint, data=urllib.parse.urlencode(form).encode(), method="POST")  # noqa: S310
    request.add_header("Content-Type", "application/x-www-form-urlencoded")
    # moto picks the service from the credential scope; it checks no signature
    request.add_header("Authorization", "AWS4-HMAC-SHA256 Credential=x/20260101/us-east-1/sqs/aws4_request")

    with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310
        body = answer.read().decode()

    assert "<TaskHandle>" in body
    assert finished(sqs, dlq_arn)["Status"] == "COMPLETED"


def test_the_local_stack_runs_moto_with_the_redrive_actions(stack: RunningStack) -> None:
    sqs = aws_client(stack, "sqs")
    dlq_url, dlq_arn = make_queue(sqs)
    url, arn = make_queue(sqs, dead_letters=dlq_arn)
    send(sqs, url, "on the stack")
    dead_letter(sqs, url, dlq_url, 1)

    sqs.start_message_move_task(SourceArn=dlq_arn, DestinationArn=arn)

    assert finished(sqs, dlq_arn)["Status"] == "COMPLETED"
    assert [m["Body"] for m in drain(sqs, url)] == ["on the stack"]
