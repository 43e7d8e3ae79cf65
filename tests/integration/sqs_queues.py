"""Queues, dead letters and redrive tasks on a moto server started as devstack starts it, for integration tests."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from devstack.stack import HOST, free_port, wait_until

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def moto_server(log: Path) -> Iterator[str]:
    """`python -m devstack.moto_server` on a free port, as devstack starts it: its endpoint URL."""
    port = free_port()
    with open(log, "wb") as output:
        command = [sys.executable, "-m", "devstack.moto_server", "-H", HOST, "-p", str(port)]
        process = subprocess.Popen(command, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT)
    url = f"http://{HOST}:{port}"
    try:
        wait_until(lambda: process.poll() is None and urllib.request.urlopen(f"{url}/moto-api/", timeout=2), "moto")  # noqa: S310
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def arn_of(sqs: Any, url: str) -> str:
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def make_queue(sqs: Any, dead_letters: str | None = None, fifo: bool = False) -> tuple[str, str]:
    attributes = {"FifoQueue": "true", "ContentBasedDeduplication": "true"} if fifo else {}
    if dead_letters:
        attributes["RedrivePolicy"] = json.dumps({"deadLetterTargetArn": dead_letters, "maxReceiveCount": 1})
    name = f"redrive-{uuid.uuid4().hex[:12]}{'.fifo' if fifo else ''}"
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    return url, arn_of(sqs, url)


def send(sqs: Any, url: str, body: str, attributes: dict[str, Any] | None = None) -> str:
    extra = {"MessageAttributes": attributes} if attributes else {}
    return sqs.send_message(QueueUrl=url, MessageBody=body, **extra)["MessageId"]


def count(sqs: Any, url: str, attribute: str = "ApproximateNumberOfMessages") -> int:
    return int(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[attribute])["Attributes"][attribute])


def dead_letter(sqs: Any, url: str, dlq_url: str, expected: int) -> None:
    """Receive without deleting until moto has moved `expected` messages into the dead-letter queue."""
    for _ in range(expected + 5):
        if count(sqs, dlq_url) >= expected:
            break
        sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)
    assert count(sqs, dlq_url) == expected


def drain(sqs: Any, url: str) -> list[dict[str, Any]]:
    """Every message of a queue (received once, then deleted)."""
    received: list[dict[str, Any]] = []
    while batch := sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"], AttributeNames=["All"]
    ).get("Messages"):
        received += batch
        for message in batch:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return received


def finished(sqs: Any, source_arn: str, timeout: float = 15.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while (task := sqs.list_message_move_tasks(SourceArn=source_arn)["Results"][0])["Status"] == "RUNNING":
        assert time.monotonic() < deadline, task
        time.sleep(0.05)
    return task


def error_of(call: Any, **kwargs: Any) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    response = raised.value.response
    return response["Error"]["Code"], response["Error"]["Message"], response["ResponseMetadata"]["HTTPStatusCode"]
