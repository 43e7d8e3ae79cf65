"""moto's server, with the SQS redrive actions moto lacks (devstack.sqs_redrive): what devstack starts as the local AWS.

    python -m devstack.moto_server -H 127.0.0.1 -p 5000   (the same arguments as `python -m moto.server`)

moto's SQSResponse answers an action with the method named by the action in snake case: the JSON protocol's
X-Amz-Target `AmazonSQS.StartMessageMoveTask` and the query protocol's `Action=StartMessageMoveTask` both reach
`start_message_move_task`, with the parameters parsed from botocore's model of SQS (which has the three actions).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from moto.core.responses import ActionResult
from moto.server import main as moto_main
from moto.sqs.exceptions import MissingParameter
from moto.sqs.models import SQSBackend
from moto.sqs.responses import SQSResponse

from devstack import sqs_redrive


def _answer(response: SQSResponse, produce: Callable[[], dict[str, Any]]) -> Any:
    try:
        return ActionResult(produce())
    except sqs_redrive.RedriveError as error:
        _status, headers, body = response.serialized(ActionResult(error))
        headers["status"] = error.status  # moto's call_action reads the status from here
        return body, headers


def _required(response: SQSResponse, name: str) -> Any:
    value = response._get_param(name)
    if value is None:
        raise MissingParameter(name)
    return value


def start_message_move_task(self: SQSResponse) -> Any:
    return _answer(
        self,
        lambda: {
            "TaskHandle": sqs_redrive.start(
                _required(self, "SourceArn"),
                self._get_param("DestinationArn"),
                self._get_param("MaxNumberOfMessagesPerSecond"),
            )
        },
    )


def list_message_move_tasks(self: SQSResponse) -> Any:
    return _answer(
        self,
        lambda: {"Results": sqs_redrive.list_tasks(_required(self, "SourceArn"), self._get_param("MaxResults"))},
    )


def cancel_message_move_task(self: SQSResponse) -> Any:
    return _answer(
        self,
        lambda: {"ApproximateNumberOfMessagesMoved": sqs_redrive.cancel(_required(self, "TaskHandle"))},
    )


def record_origins(receive_message: Any) -> Any:
    """Wrap SQSBackend.receive_message to note, on each message moto dead-letters, the queue it came from."""

    def receive(backend: SQSBackend, queue_name: str, *args: Any, **kwargs: Any) -> Any:
        queue = backend.queues.get(queue_name)
        dead_letters = queue.dead_letter_queue if queue is not None else None
        before = list(queue._messages) if queue is not None and dead_letters is not None else []
        try:
            return receive_message(backend, queue_name, *args, **kwargs)
        finally:
            if before:
                moved = {id(message) for message in dead_letters._messages}  # type: ignore[union-attr]
                for message in before:
                    if id(message) in moved:
                        setattr(message, sqs_redrive.ORIGIN, queue.queue_arn)  # type: ignore[union-attr]

    receive.__wrapped__ = receive_message  # type: ignore[attr-defined]
    return receive


def install() -> None:
    """Add the three actions to moto's SQS and record where dead-lettered messages come from (idempotent)."""
    SQSResponse.start_message_move_task = start_message_move_task  # type: ignore[attr-defined]
    SQSResponse.list_message_move_tasks = list_message_move_tasks  # type: ignore[attr-defined]
    SQSResponse.cancel_message_move_task = cancel_message_move_task  # type: ignore[attr-defined]
    if not hasattr(SQSBackend.receive_message, "__wrapped__"):
        SQSBackend.receive_message = record_origins(SQSBackend.receive_message)  # type: ignore[method-assign]


def main(argv: list[str] | None = None) -> None:
    install()
    moto_main(argv if argv is not None else sys.argv[1:])


if __name__ == "__main__":
    main()
