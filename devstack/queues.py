"""Lambda's SQS event source, locally: long-poll a queue, invoke the function with a real SQS batch event,
delete what succeeded, and leave failures to the queue's redrive policy.

One local shortcut: a failed message is made visible again after LOCAL_SQS_RETRY_SECONDS instead of the queue's
full visibility timeout (minutes), so retries and the dead-letter queue can be watched without waiting.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from devstack.functions import FunctionPool, InvocationError

log = logging.getLogger("devstack.queues")
REGION = "us-east-1"


@dataclass(frozen=True)
class EventSource:
    function: str
    queue_arn: str
    batch_size: int
    report_batch_item_failures: bool


def event_source_enabled(properties: Mapping[str, Any]) -> bool:
    """An SQS event's resolved `Enabled`: Lambda polls the queue unless it is false (absent or AWS::NoValue: true)."""
    value = properties.get("Enabled", True)
    if isinstance(value, str):
        return value.strip().lower() != "false"  # "" is what AWS::NoValue resolves to here: the property is unset
    return bool(value)


def sqs_record(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    """One message as Lambda puts it in an SQS event."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": dict(message.get("Attributes", {})),
        "messageAttributes": {
            name: {
                "stringValue": value.get("StringValue"),
                "binaryValue": value.get("BinaryValue"),
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": value.get("DataType"),
            }
            for name, value in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message.get("MD5OfBody") or hashlib.md5(message["Body"].encode()).hexdigest(),  # noqa: S324
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": REGION,
    }


def failed_ids(result: Any, records: list[dict[str, Any]], report_failures: bool) -> set[str]:
    """Which messages to leave on the queue, read from the handler's response as Lambda reads it."""
    every = {record["messageId"] for record in records}
    if not report_failures:
        return set()
    if not isinstance(result, dict) or "batchItemFailures" not in result:
        return set()
    failures = result.get("batchItemFailures") or []
    identifiers = {str(item.get("itemIdentifier")) for item in failures if isinstance(item, dict)}
    return identifiers if identifiers <= every else every  # an unknown id fails the whole batch, as in Lambda


class QueuePoller:
    def __init__(self, source: EventSource, pool: FunctionPool, sqs: Any, *, retry_seconds: int) -> None:
        self.source = source
        self.pool = pool
        self.sqs = sqs
        self.retry_seconds = retry_seconds
        self.queue_url = sqs.get_queue_url(QueueName=source.queue_arn.rsplit(":", 1)[1])["QueueUrl"]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"sqs-{source.function}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once()
            except Exception:  # the stack keeps running; the next poll tries again
                log.exception("polling %s failed", self.source.queue_arn)
                self._stop.wait(1)

    def poll_once(self) -> int:
        messages = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=min(self.source.batch_size, 10),
            WaitTimeSeconds=1,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return 0
        records = [sqs_record(message, self.source.queue_arn) for message in messages]
        try:
            result = self.pool.invoke(self.source.function, {"Records": records})
            failed = failed_ids(result, records, self.source.report_batch_item_failures)
        except InvocationError as error:
            log.error("%s failed on a batch of %d: %s", self.source.function, len(records), error)
            failed = {record["messageId"] for record in records}
        for record in records:
            if record["messageId"] in failed:
                self.sqs.change_message_visibility(
                    QueueUrl=self.queue_url, ReceiptHandle=record["receiptHandle"], VisibilityTimeout=self.retry_seconds
                )
            else:
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=record["receiptHandle"])
        log.info("%s: %d messages, %d failed", self.source.function, len(records), len(failed))
        return len(records)
