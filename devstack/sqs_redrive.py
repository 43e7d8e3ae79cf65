"""SQS dead-letter redrive for the local AWS: StartMessageMoveTask, ListMessageMoveTasks and CancelMessageMoveTask.

Why: moto 5.2.5 (the local AWS) lacks these three actions, and the admin route POST /admin/dead-letters/redrive calls
`sqs.start_message_move_task` on AWS; with this module the local stack answers the same boto3 calls, so the admin code
has one path for both. `python -m devstack.moto_server` (what devstack starts) installs it into moto's server.

What is implemented, as the SQS API reference describes it and as AWS answered LocalStack's recorded tests:
- StartMessageMoveTask(SourceArn, DestinationArn?, MaxNumberOfMessagesPerSecond?) -> {"TaskHandle"}. The source must
  be the dead-letter queue of some queue (named as deadLetterTargetArn in another queue's RedrivePolicy), else
  InvalidParameterValue "Source queue must be configured as a Dead Letter Queue."; an unknown source or destination
  is ResourceNotFoundException (HTTP 404); a second task while one runs on the same source is InvalidParameterValue;
  a rate outside 1-500 is InvalidParameterValue. The task handle is AWS's format: base64 of
  {"taskId": <uuid>, "sourceArn": <arn>}.
- The task runs in a background thread. It moves the messages visible in the source when it starts (their number is
  ApproximateNumberOfMessagesToMove), oldest first, at most MaxNumberOfMessagesPerSecond a second when given (else as
  fast as it can). Each becomes a new message in the destination: a new MessageId, receive count 0, a new sent time,
  the same body, message attributes and AWSTraceHeader (and, into a FIFO queue, the same group id, with the original
  message's id as its deduplication id when it had none); then it is deleted from the source.
- Without DestinationArn each message goes back to the queue it was dead-lettered from: moto does not record that,
  so devstack.moto_server does (it watches the moves moto makes when a receive passes maxReceiveCount). One with no
  recorded origin (sent straight to the dead-letter queue) goes to the one queue whose RedrivePolicy names the
  dead-letter queue; where several do, nothing can say which, so the task stops there, FAILED.
- Status RUNNING, then COMPLETED, CANCELLED (CancelMessageMoveTask: stops before the next message and answers
  {"ApproximateNumberOfMessagesMoved"}; unknown or finished tasks are ResourceNotFoundException "Task does not
  exist.", a handle that does not decode InvalidParameterValue) or FAILED with a FailureReason (a destination or the
  source deleted while it runs: "AWS.SimpleQueueService.NonExistentQueue"; moto refusing the new message: its code).
- ListMessageMoveTasks(SourceArn, MaxResults=1..10, default 1): the most recent tasks first, each with Status,
  SourceArn, ApproximateNumberOfMessagesMoved, ApproximateNumberOfMessagesToMove and StartedTimestamp (epoch
  milliseconds); TaskHandle only while RUNNING; DestinationArn and MaxNumberOfMessagesPerSecond only if the start gave
  them; FailureReason only if FAILED. The last 10 tasks of each source are kept.

How it differs from AWS:
- Messages in flight (received and invisible) or delayed when the task starts are not moved, and neither are messages
  that arrive later; AWS documents the count as taken at the start, so a second task picks up the rest. A message a
  consumer receives while the task runs is skipped when its turn comes, so it is not moved either.
- A task moves its messages right away; AWS may take seconds before the first and throttles by backlog. Poll
  ListMessageMoveTasks until the status is not RUNNING, as on AWS.
- There is no CANCELLING status (a cancel takes effect before the call returns) and no 36-hour limit.
- The origin of a message dead-lettered before this module was installed (or before a moto restart: moto keeps no
  messages across restarts anyway) is unknown and follows the rule for messages sent straight to the dead-letter queue.
- Unverified against AWS, chosen as the nearest documented rule: ListMessageMoveTasks on a queue that is not a
  dead-letter queue answers no tasks; a destination of the other queue type (standard vs FIFO) or the source itself is
  InvalidParameterValue. Messages in a dead-letter queue carry no DeadLetterQueueSourceArn attribute (moto lacks it).
- Errors answer through moto's serializer, in the JSON protocol (what boto3 uses) and in the query protocol; boto3
  raises ClientError with the AWS code in `error.response["Error"]["Code"]`.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
import uuid
from copy import deepcopy
from dataclasses import dataclass, field
from typing import Any

from moto.core.utils import unix_time_millis
from moto.sqs.exceptions import SQSException
from moto.sqs.models import Message, Queue, SQSBackend, sqs_backends

RUNNING, COMPLETED, CANCELLED, FAILED = "RUNNING", "COMPLETED", "CANCELLED", "FAILED"
MAX_RATE = 500
KEPT_TASKS = 10
ORIGIN = "redrive_origin_arn"  # set on a moto Message when moto moves it into a dead-letter queue
NON_EXISTENT_QUEUE = "AWS.SimpleQueueService.NonExistentQueue"
_lock = threading.RLock()  # tasks' state, and one message move at a time


class RedriveError(SQSException):
    """An SQS error with the HTTP status AWS gives it (moto's model knows none for these codes)."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(code, message)
        self.status = status


def invalid(message: str) -> RedriveError:
    return RedriveError("InvalidParameterValue", message)


def not_found(message: str) -> RedriveError:
    return RedriveError("ResourceNotFoundException", message, 404)


class TaskFailed(Exception):
    """Ends a running task as FAILED with this reason."""


@dataclass
class MoveTask:
    source_arn: str
    destination_arn: str | None
    rate: int | None
    to_move: list[Message]
    task_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    started_ms: int = field(default_factory=lambda: int(unix_time_millis()))
    moved: int = 0
    status: str = RUNNING
    failure_reason: str | None = None
    stopped: threading.Event = field(default_factory=threading.Event)

    @property
    def handle(self) -> str:
        document = json.dumps({"taskId": self.task_id, "sourceArn": self.source_arn}, separators=(",", ":"))
        return base64.b64encode(document.encode()).decode()

    def finish(self, status: str, reason: str | None = None) -> None:
        if self.status == RUNNING:
            self.status, self.failure_reason = status, reason
        self.stopped.set()

    def entry(self) -> dict[str, Any]:
        """The task as a ListMessageMoveTasksResultEntry."""
        optional = {
            "TaskHandle": self.handle if self.status == RUNNING else None,
            "DestinationArn": self.destination_arn,
            "MaxNumberOfMessagesPerSecond": self.rate,
            "FailureReason": self.failure_reason if self.status == FAILED else None,
        }
        return {
            "Status": self.status,
            "SourceArn": self.source_arn,
            "ApproximateNumberOfMessagesMoved": self.moved,
            "ApproximateNumberOfMessagesToMove": len(self.to_move),
            "StartedTimestamp": self.started_ms,
            **{name: value for name, value in optional.items() if value is not None},
        }


def find_queue(arn: Any) -> tuple[SQSBackend, Queue] | None:
    """The moto queue an ARN names (arn:<partition>:sqs:<region>:<account>:<name>), if it exists."""
    parts = arn.split(":") if isinstance(arn, str) else []
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "sqs":
        return None
    try:
        backend = sqs_backends[parts[4]][parts[3]]
    except KeyError:  # not a region moto knows
        return None
    queue = backend.queues.get(parts[5])
    return (backend, queue) if queue is not None and queue.queue_arn == arn else None


def dead_letter_sources(backend: SQSBackend, queue: Queue) -> list[Queue]:
    return [other for other in backend.queues.values() if other.dead_letter_queue is queue]


def _tasks(backend: SQSBackend, source_arn: str) -> list[MoveTask]:
    # Kept on the backend, so moto's reset (/moto-api/reset) forgets them with the queues.
    every: dict[str, list[MoveTask]] = backend.__dict__.setdefault("message_move_tasks", {})
    return every.setdefault(source_arn, [])


def start(source_arn: Any, destination_arn: Any = None, rate: Any = None) -> str:
    """StartMessageMoveTask: validate as AWS does, start the task in a thread, return its handle."""
    if rate is not None and not (isinstance(rate, int) and 1 <= rate <= MAX_RATE):
        raise invalid(
            "Value for parameter MaxNumberOfMessagesPerSecond is invalid. "
            f"Reason: You must enter a number that's between 1 and {MAX_RATE}."
        )
    found = find_queue(source_arn)
    if found is None:
        raise not_found("The resource that you specified for the SourceArn parameter doesn't exist.")
    backend, source = found
    if not dead_letter_sources(backend, source):
        raise invalid("Source queue must be configured as a Dead Letter Queue.")
    if destination_arn is not None:
        _check_destination(source, destination_arn)
    with _lock:
        tasks = _tasks(backend, source.queue_arn)
        if any(task.status == RUNNING for task in tasks):
            raise invalid(
                "There is already a task running. Only one active task is allowed for a source queue arn at a "
                "given time."
            )
        task = MoveTask(source.queue_arn, destination_arn, rate, list(source.messages))
        tasks.append(task)
        del tasks[:-KEPT_TASKS]
    threading.Thread(target=_run, args=(task, backend, source), name=f"redrive-{source.name}", daemon=True).start()
    return task.handle


def _check_destination(source: Queue, destination_arn: Any) -> None:
    found = find_queue(destination_arn)
    if found is None:
        raise not_found("The resource that you specified for the DestinationArn parameter doesn't exist.")
    destination = found[1]
    if destination is source:
        raise invalid("Value for parameter DestinationArn is invalid. Reason: It must differ from the SourceArn.")
    if destination.fifo_queue != source.fifo_queue:
        raise invalid(
            "Value for parameter DestinationArn is invalid. Reason: The destination must be of the source's "
            "queue type (standard or FIFO)."
        )


def list_tasks(source_arn: Any, max_results: Any = None) -> list[dict[str, Any]]:
    """ListMessageMoveTasks: the most recent tasks of a source, newest first."""
    limit = 1 if max_results is None else max_results
    if not (isinstance(limit, int) and 1 <= limit <= KEPT_TASKS):
        raise invalid(
            f"Value for parameter MaxResults is invalid. Reason: You must enter a number that's between 1 and "
            f"{KEPT_TASKS}."
        )
    found = find_queue(source_arn)
    if found is None:
        raise not_found("The resource that you specified for the SourceArn parameter doesn't exist.")
    backend, source = found
    with _lock:
        return [task.entry() for task in reversed(_tasks(backend, source.queue_arn)[-limit:])]


def cancel(handle: Any) -> int:
    """CancelMessageMoveTask: stop a running task before its next message; the number it moved."""
    try:
        document = json.loads(base64.b64decode(str(handle), validate=True))
        task_id, source_arn = document["taskId"], document["sourceArn"]
    except (binascii.Error, ValueError, TypeError, KeyError):
        raise invalid("Value for parameter TaskHandle is invalid.") from None
    found = find_queue(source_arn)
    if found is None:
        raise not_found("The resource that you specified for the SourceArn parameter doesn't exist.")
    with _lock:
        task = next((task for task in _tasks(found[0], source_arn) if task.task_id == task_id), None)
        if task is None or task.status != RUNNING:
            raise not_found("Task does not exist.")
        task.finish(CANCELLED)
        return task.moved


def _run(task: MoveTask, backend: SQSBackend, source: Queue) -> None:
    interval = 1 / task.rate if task.rate else 0.0
    for index, message in enumerate(task.to_move):
        if index and interval and task.stopped.wait(interval):
            return
        with _lock:
            if task.status != RUNNING:
                return
            try:
                task.moved += _move(task, backend, source, message)
            except TaskFailed as failure:
                task.finish(FAILED, str(failure))
                return
    with _lock:
        task.finish(COMPLETED)


def _move(task: MoveTask, backend: SQSBackend, source: Queue, message: Message) -> int:
    """Move one message (1), or skip it (0) when it is gone, in flight or delayed."""
    if backend.queues.get(source.name) is not source:
        raise TaskFailed(NON_EXISTENT_QUEUE)
    if message not in source._messages or not message.visible or message.delayed:
        return 0
    target_backend, destination = _destination(task, backend, source, message)
    try:
        target_backend.send_message(
            destination.name,
            message.body,
            message_attributes=deepcopy(message.message_attributes),
            group_id=message.group_id if destination.fifo_queue else None,
            deduplication_id=(message.deduplication_id or message.id) if destination.fifo_queue else None,
            system_attributes=deepcopy(message.system_attributes),
        )
    except SQSException as refused:
        raise TaskFailed(refused.code) from None
    with source._messages_lock:
        if message in source._messages:
            source._messages.remove(message)
        source.pending_messages.discard(message)
    return 1


def _destination(task: MoveTask, backend: SQSBackend, source: Queue, message: Message) -> tuple[SQSBackend, Queue]:
    arn = task.destination_arn or getattr(message, ORIGIN, None)
    if arn is None:
        sources = dead_letter_sources(backend, source)
        if len(sources) != 1:
            raise TaskFailed(
                f"Message {message.id} has no recorded source queue and {len(sources)} queues use "
                f"{source.name} as their dead-letter queue: give a DestinationArn"
            )
        return backend, sources[0]
    found = find_queue(arn)
    if found is None:
        raise TaskFailed(NON_EXISTENT_QUEUE)
    return found
