"""The classify dead-letter queue, for an administrator: look, redrive all or some to the classify queue, discard.

SQS has no peek. A look receives the messages with a short visibility timeout (LEASE_SECONDS) and, once read, makes
them visible again at once (ChangeMessageVisibility 0); nothing is ever deleted by a look. Not VisibilityTimeout=0
on the receive itself: the next receive of the same look would then hand out the same messages again, and a look
could never get past the first ten. The lease only bounds how long a look that dies half-way hides them. Each look
counts as a receive in ApproximateReceiveCount, which is harmless here: a dead-letter queue has no redrive policy of
its own, and a redriven message starts over as a new message with its own count.

- Redrive all: SQS's StartMessageMoveTask from the dead-letter queue to the classify queue (one task at a time per
  queue: 409 `redrive_in_progress` while one runs).
- Redrive some, by message id: each is found by receiving (at most SCAN_LIMIT messages), sent to the classify queue
  as a new message with the same body, then deleted from the dead-letter queue; sent before deleted, so a failure in
  between leaves a duplicate, which classify ignores, never a loss. Ids not found are reported, not an error.
- Discard one: found the same way and deleted; 404 when it is not (or no longer) there.

A message's prediction is found by parsing its body with the classify consumer's own strict parser
(classify/events.py): a poison message shows why it is poison, a transient failure its prediction's error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from imagepredict.admin.audit import Actor, AuditLog
from imagepredict.admin.dead_letter_models import (
    BODY_PREVIEW,
    PAGE_LIMIT,
    DeadLetter,
    DeadLetterPage,
    DeadObject,
    MoveTask,
    RedriveInProgress,
    RedriveResult,
    dead_letter_not_found,
    is_message_id,
)
from imagepredict.classify.events import PoisonMessage, objects_in
from imagepredict.predictions.store import PredictionStore

LEASE_SECONDS = 30
SCAN_LIMIT = 200  # the most messages a redrive or discard of given ids goes through to find them


@dataclass(frozen=True)
class QueueUrls:
    classify: str
    dead_letters: str


def _moment(milliseconds: str | None) -> datetime | None:
    return datetime.fromtimestamp(int(milliseconds) / 1000, UTC) if milliseconds and milliseconds.isdigit() else None


class DeadLetters:
    def __init__(self, sqs: Any, urls: QueueUrls, store: PredictionStore, audit: AuditLog) -> None:
        self._sqs = sqs
        self._urls = urls
        self._store = store
        self._audit = audit

    @cached_property
    def _arns(self) -> QueueUrls:
        def arn(url: str) -> str:
            return self._sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

        return QueueUrls(classify=arn(self._urls.classify), dead_letters=arn(self._urls.dead_letters))

    # --- looking ------------------------------------------------------------------------------------------------

    def page(self) -> DeadLetterPage:
        attributes = self._sqs.get_queue_attributes(
            QueueUrl=self._urls.dead_letters,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        count = sum(int(value) for value in attributes.values())
        with self._leased(PAGE_LIMIT, expected=count) as messages:
            items = [self._view(message) for message in messages]
        return DeadLetterPage(items=items, approximate_count=count, move_task=self._latest_task())

    def _view(self, message: dict[str, Any]) -> DeadLetter:
        attributes = message.get("Attributes", {})
        body = message.get("Body", "")
        objects: list[DeadObject] = []
        try:
            named = objects_in(body)
        except PoisonMessage as poison:
            reason = f"Unusable message: {poison}"
        else:
            reason = "It names no object to classify" if not named else ""
            for item in named:
                prediction = self._store.by_source(item.bucket, item.key)
                objects.append(
                    DeadObject(
                        bucket=item.bucket,
                        key=item.key,
                        prediction_id=prediction.id if prediction else None,
                        status=prediction.status if prediction else None,
                    )
                )
                if not reason:
                    reason = _reason_of(prediction)
        return DeadLetter(
            message_id=message["MessageId"],
            sent_at=_moment(attributes.get("SentTimestamp")),
            first_received_at=_moment(attributes.get("ApproximateFirstReceiveTimestamp")),
            receive_count=int(attributes.get("ApproximateReceiveCount", "0")),
            objects=objects,
            prediction_id=next((item.prediction_id for item in objects if item.prediction_id), None),
            reason=reason,
            body_preview=body[:BODY_PREVIEW],
        )

    def _latest_task(self) -> MoveTask | None:
        tasks = self._sqs.list_message_move_tasks(SourceArn=self._arns.dead_letters, MaxResults=1).get("Results", [])
        if not tasks:
            return None
        task = tasks[0]
        return MoveTask(
            status=task["Status"],
            moved=int(task.get("ApproximateNumberOfMessagesMoved", 0)),
            to_move=task.get("ApproximateNumberOfMessagesToMove"),
            started_at=_moment(str(task["StartedTimestamp"])) if "StartedTimestamp" in task else None,
            failure_reason=task.get("FailureReason"),
        )

    # --- acting (audited) ---------------------------------------------------------------------------------------

    def redrive(self, actor: Actor, message_ids: list[str] | None) -> RedriveResult:
        if message_ids is None:
            return self._redrive_all(actor)
        wanted = list(dict.fromkeys(message_ids))
        target = "dead-letters:selected"
        with self._audit.recorded(actor, "dead_letters.redrive", target, {"message_ids": wanted}) as details:
            moved = self._take(set(wanted), self._send_back)
            result = RedriveResult(
                mode="selected",
                task_handle=None,
                moved=[i for i in wanted if i in moved],
                not_found=[i for i in wanted if i not in moved],
            )
            details.update(moved=result.moved, not_found=result.not_found)
            return result

    def _redrive_all(self, actor: Actor) -> RedriveResult:
        with self._audit.recorded(actor, "dead_letters.redrive", "dead-letters:all", {}) as details:
            latest = self._latest_task()
            if latest is not None and latest.status == "RUNNING":
                raise RedriveInProgress()
            started = self._sqs.start_message_move_task(
                SourceArn=self._arns.dead_letters, DestinationArn=self._arns.classify
            )
            details["task_handle"] = started["TaskHandle"]
            return RedriveResult(mode="all", task_handle=started["TaskHandle"], moved=[], not_found=[])

    def discard(self, actor: Actor, message_id: str) -> None:
        with self._audit.recorded(actor, "dead_letter.discard", f"dead-letter:{message_id}", {}) as details:
            found = self._take({message_id}, lambda message: None) if is_message_id(message_id) else {}
            if not found:
                raise dead_letter_not_found()
            details["body_preview"] = found[message_id]

    def _send_back(self, message: dict[str, Any]) -> None:
        self._sqs.send_message(QueueUrl=self._urls.classify, MessageBody=message["Body"])

    def _take(self, wanted: set[str], before_delete: Callable[[dict[str, Any]], None]) -> dict[str, str]:
        """Find the wanted messages, hand each to `before_delete`, delete it; {id: its body's preview} of those."""
        taken: dict[str, str] = {}
        with self._leased(SCAN_LIMIT, until_found=wanted) as messages:
            for message in messages:
                if message["MessageId"] in wanted:
                    before_delete(message)
                    self._sqs.delete_message(QueueUrl=self._urls.dead_letters, ReceiptHandle=message["ReceiptHandle"])
                    message["deleted"] = True
                    taken[message["MessageId"]] = message.get("Body", "")[:BODY_PREVIEW]
        return taken

    # --- receiving without consuming ----------------------------------------------------------------------------

    @contextmanager
    def _leased(
        self, limit: int, *, expected: int | None = None, until_found: set[str] | None = None
    ) -> Iterator[list[dict[str, Any]]]:
        """Up to `limit` distinct messages, received under a short lease; every one not deleted in the block is made
        visible again when it ends (or fails). Stops early at `expected` messages or once `until_found` are all in."""
        messages: dict[str, dict[str, Any]] = {}
        try:
            while len(messages) < limit and (expected is None or len(messages) < expected):
                if until_found is not None and until_found <= set(messages):
                    break
                received = self._sqs.receive_message(
                    QueueUrl=self._urls.dead_letters,
                    MaxNumberOfMessages=min(10, limit - len(messages)),
                    VisibilityTimeout=LEASE_SECONDS,
                    WaitTimeSeconds=1,  # a long poll asks every SQS server: a short one may miss a small queue's few
                    AttributeNames=["All"],
                ).get("Messages", [])
                fresh = [message for message in received if message["MessageId"] not in messages]
                if not fresh:
                    break
                messages |= {message["MessageId"]: message for message in fresh}
            yield list(messages.values())
        finally:
            self._release([message for message in messages.values() if not message.get("deleted")])

    def _release(self, messages: list[dict[str, Any]]) -> None:
        for start in range(0, len(messages), 10):
            entries = [
                {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"], "VisibilityTimeout": 0}
                for index, message in enumerate(messages[start : start + 10])
            ]
            self._sqs.change_message_visibility_batch(QueueUrl=self._urls.dead_letters, Entries=entries)


def _reason_of(prediction: Any) -> str:
    if prediction is None:
        return "No prediction for this object (its upload was deleted, or it was never made)"
    if prediction.error:
        return str(prediction.error.get("message") or prediction.error.get("code"))
    return f"Its prediction is {prediction.status}"
