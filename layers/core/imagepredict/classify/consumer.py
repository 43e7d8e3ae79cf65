"""The classify queue's message policy, shared by the Lambda function and the batch worker.

A message (one S3 notification) is done when every object in it is done, rejected, a duplicate or an orphan:
then it is deleted. Otherwise it stays on the queue and is delivered again; on its last delivery (the queue's
maxReceiveCount) its predictions are first marked `failed` with a plain reason, and the queue then moves it to
the DLQ. A message that can never be processed (poison) fails every delivery, so it too ends in the DLQ, never
looping and never silently dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from aws_lambda_powertools.metrics import MetricUnit

from imagepredict.classify.events import PoisonMessage, objects_in
from imagepredict.classify.models import Outcome, StoredObject
from imagepredict.classify.service import ClassifyService
from imagepredict.observability import logger, metrics
from imagepredict.reasons import CLASSIFICATION_FAILED


@dataclass(frozen=True)
class QueueMessage:
    message_id: str
    body: str
    receive_count: int  # SQS's ApproximateReceiveCount: 1 on the first delivery


@dataclass
class MessageResult:
    message: QueueMessage
    outcomes: list[Outcome] = field(default_factory=list)
    error: Exception | None = None  # None: the message is done and can be deleted

    @property
    def done(self) -> bool:
        return self.error is None


class ClassifyConsumer:
    def __init__(self, service: ClassifyService, *, max_receive_count: int) -> None:
        self._service = service
        self._max_receive_count = max_receive_count

    def consume_one(self, message: QueueMessage) -> list[Outcome]:
        """One message (the Lambda path); raises when it must be delivered again."""
        (result,) = self.consume([message])
        if result.error is not None:
            raise result.error
        return result.outcomes

    def consume(self, messages: Sequence[QueueMessage]) -> list[MessageResult]:
        """Every object of every message classified in one batch; what to delete and what to leave, per message."""
        results = [MessageResult(message) for message in messages]
        batch: list[tuple[MessageResult, StoredObject]] = []
        for result in results:
            metrics.add_metric(name="ClassifyMessageReceived", unit=MetricUnit.Count, value=1)
            try:
                batch.extend((result, item) for item in objects_in(result.message.body))
            except PoisonMessage as error:
                logger.error("Unusable message", extra={"message_id": result.message.message_id, "reason": str(error)})
                result.error = error
        outcomes = self._service.handle_batch([item for _, item in batch])
        for (result, item), outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, Exception):
                self._failed(result, item, outcome)
            else:
                self._succeeded(result, item, outcome)
        return results

    def is_last_try(self, message: QueueMessage) -> bool:
        return message.receive_count >= self._max_receive_count

    def _succeeded(self, result: MessageResult, item: StoredObject, outcome: Outcome) -> None:
        result.outcomes.append(outcome)
        metrics.add_metric(name=f"Classify{outcome.status.capitalize()}", unit=MetricUnit.Count, value=1)
        logger.info(
            "Classified",
            extra={
                "key": item.key,
                "outcome": outcome.status,
                "detail": outcome.detail,
                "prediction_id": outcome.prediction_id,
            },
        )

    def _failed(self, result: MessageResult, item: StoredObject, error: Exception) -> None:
        last_try = self.is_last_try(result.message)
        logger.error(
            "Classification failed",
            extra={"key": item.key, "last_try": last_try},
            exc_info=error,
        )
        metrics.add_metric(name="ClassifyFailed", unit=MetricUnit.Count, value=1)
        if last_try:
            self._mark_failed_quietly(item)
        if result.error is None:
            result.error = error

    def _mark_failed_quietly(self, item: StoredObject) -> None:
        """The user sees a plain reason; the details (which may name internals) stay in the logs."""
        try:
            self._service.mark_failed(item, CLASSIFICATION_FAILED)
        except Exception:  # the store itself may be what is down; the message still goes to the DLQ
            logger.exception("Could not mark the prediction failed", extra={"key": item.key})
