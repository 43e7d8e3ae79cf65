"""The classify queue as the worker uses it: long-poll, delete and change visibility in batches of ten (SQS's cap),
and a heartbeat that keeps the messages of a long batch invisible to every other consumer until it is settled."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from imagepredict.classify.consumer import QueueMessage
from imagepredict.observability import logger

SQS_BATCH = 10


@dataclass(frozen=True)
class Received:
    message: QueueMessage
    receipt_handle: str


def chunks(items: Sequence[Received], size: int = SQS_BATCH) -> Iterator[Sequence[Received]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class ClassifyQueue:
    def __init__(self, sqs: Any, queue_url: str) -> None:
        self._sqs = sqs
        self.url = queue_url

    def visibility_timeout(self) -> int:
        attributes = self._sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["VisibilityTimeout"])
        return int(attributes["Attributes"]["VisibilityTimeout"])

    def receive(self, limit: int, wait_seconds: int) -> list[Received]:
        response = self._sqs.receive_message(
            QueueUrl=self.url,
            MaxNumberOfMessages=max(1, min(SQS_BATCH, limit)),
            WaitTimeSeconds=wait_seconds,
            AttributeNames=["ApproximateReceiveCount"],
        )
        return [
            Received(
                QueueMessage(
                    message_id=raw["MessageId"],
                    body=raw["Body"],
                    receive_count=int(raw.get("Attributes", {}).get("ApproximateReceiveCount", 1)),
                ),
                raw["ReceiptHandle"],
            )
            for raw in response.get("Messages", [])
        ]

    def delete(self, messages: Sequence[Received]) -> None:
        for chunk in chunks(messages):
            response = self._sqs.delete_message_batch(
                QueueUrl=self.url,
                Entries=[{"Id": str(i), "ReceiptHandle": m.receipt_handle} for i, m in enumerate(chunk)],
            )
            self._log_failures("delete", response)

    def set_visibility(self, messages: Sequence[Received], seconds: int) -> None:
        """Visible again after `seconds` (0: at once, for another consumer); extends an in-flight message's lease."""
        for chunk in chunks(messages):
            response = self._sqs.change_message_visibility_batch(
                QueueUrl=self.url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m.receipt_handle, "VisibilityTimeout": seconds}
                    for i, m in enumerate(chunk)
                ],
            )
            self._log_failures("change visibility", response)

    @staticmethod
    def _log_failures(action: str, response: dict[str, Any]) -> None:
        """A failed entry is harmless: the message becomes visible again and its claims make the retry a no-op."""
        for failure in response.get("Failed", []):
            logger.warning(f"Could not {action} a message", extra={"code": failure.get("Code")})


class Heartbeat:
    """While a batch is in hand, extend its messages' visibility every `interval` seconds, to `lease` seconds."""

    def __init__(self, queue: ClassifyQueue, *, lease: int, interval: float) -> None:
        self._queue = queue
        self._lease = lease
        self._interval = interval
        self.beats = 0

    @contextmanager
    def keeping(self, messages: Sequence[Received]) -> Iterator[None]:
        stop = threading.Event()
        thread = threading.Thread(target=self._beat, args=(messages, stop), name="visibility-heartbeat", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join(timeout=10)

    def _beat(self, messages: Sequence[Received], stop: threading.Event) -> None:
        started = time.monotonic()
        while not stop.wait(self._interval):
            try:
                self._queue.set_visibility(messages, self._lease)
                self.beats += 1
                logger.info(
                    "Extended visibility",
                    extra={
                        "messages": len(messages),
                        "lease_s": self._lease,
                        "batch_age_s": time.monotonic() - started,
                    },
                )
            except Exception:  # the next beat tries again; SQS redelivers if every beat fails
                logger.exception("Could not extend visibility")
