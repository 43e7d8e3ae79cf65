"""What the dead-letter routes take and answer (admin/dead_letters.py does the work): typed models, message ids
checked as SQS writes them (a lower-case UUID), and the routes' errors."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from imagepredict.errors import AppError, NotFound
from imagepredict.fieldtypes import Timestamp, problem

PAGE_LIMIT = 100  # the most messages one look shows
MAX_SELECTED = 100
BODY_PREVIEW = 500
_MESSAGE_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_EXAMPLE = {
    "message_id": "5fea7756-0ea4-451a-a703-a558b933e274",
    "sent_at": "2026-11-25T12:00:00.000Z",
    "first_received_at": "2026-11-25T12:00:00.120Z",
    "receive_count": 4,
    "objects": [
        {
            "bucket": "imagepredict-uploads-0f8c5a1e-1b2c-4d3e-8f90-123456789abc",
            "key": "uploads/6745a1c2e4b0a1b2c3d4e5f6/6745a1c2e4b0a1b2c3d4e5f7.png",
            "prediction_id": "6745a1c2e4b0a1b2c3d4e5f7",
            "status": "failed",
        }
    ],
    "prediction_id": "6745a1c2e4b0a1b2c3d4e5f7",
    "reason": "We could not classify this image. Try uploading it again later.",
    "body_preview": '{"Records": [{"eventName": "ObjectCreated:Post", ...',
}


def _message_id(value: str) -> str:
    if not _MESSAGE_ID.fullmatch(value):
        raise problem("Must be an SQS message id (a lower-case UUID)")
    return value


def _selection(value: list[str]) -> list[str]:
    if not 1 <= len(value) <= MAX_SELECTED:
        raise problem(f"Give 1 to {MAX_SELECTED} message ids, or leave message_ids out to redrive the whole queue")
    return value


MessageId = Annotated[str, AfterValidator(_message_id), Field(examples=[_EXAMPLE["message_id"]])]
MessageIds = Annotated[
    list[MessageId], AfterValidator(_selection), Field(json_schema_extra={"minItems": 1, "maxItems": MAX_SELECTED})
]


def is_message_id(value: str) -> bool:
    return bool(_MESSAGE_ID.fullmatch(value))


class RedriveInProgress(AppError):
    status = 409
    code = "redrive_in_progress"

    def __init__(self) -> None:
        super().__init__("A redrive of the dead-letter queue is already running; try again when it has finished")


def dead_letter_not_found() -> NotFound:
    return NotFound("No such message in the dead-letter queue")


class DeadObject(BaseModel):
    bucket: str
    key: str
    prediction_id: str | None
    status: str | None = Field(description="The prediction's status (null: no prediction for this object)")


class DeadLetter(BaseModel):
    message_id: str
    sent_at: Timestamp | None = Field(description="When it was first sent (SQS's SentTimestamp)")
    first_received_at: Timestamp | None = Field(description="Its first delivery (ApproximateFirstReceiveTimestamp)")
    receive_count: int = Field(description="ApproximateReceiveCount: the classify queue's deliveries and every look")
    objects: list[DeadObject] = Field(description="The S3 objects it names (none for a poison message)")
    prediction_id: str | None = Field(description="The first object's prediction")
    reason: str = Field(description="Why it is here: the prediction's error, or what makes the message unusable")
    body_preview: str = Field(description=f"The body's first {BODY_PREVIEW} characters")


class MoveTask(BaseModel):
    status: str = Field(description="RUNNING, COMPLETED, CANCELLED or FAILED (SQS's ListMessageMoveTasks)")
    moved: int
    to_move: int | None
    started_at: Timestamp | None
    failure_reason: str | None


class DeadLetterPage(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [_EXAMPLE], "approximate_count": 1, "move_task": None}]}
    )

    items: list[DeadLetter] = Field(description=f"The messages one look received, at most {PAGE_LIMIT}")
    approximate_count: int = Field(description="Messages in the queue (SQS's approximate count)")
    move_task: MoveTask | None = Field(description="The latest redrive of the whole queue, if any")


class RedriveRequest(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{}, {"message_ids": [_EXAMPLE["message_id"]]}]})

    message_ids: MessageIds | None = Field(
        default=None, description="The messages to redrive; leave it out (or null) to redrive the whole queue"
    )


class RedriveResult(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"mode": "all", "task_handle": "eyJ0YXNrSWQiOiIuLi4ifQ==", "moved": [], "not_found": []},
                {"mode": "selected", "task_handle": None, "moved": [_EXAMPLE["message_id"]], "not_found": []},
            ]
        }
    )

    mode: Literal["all", "selected"]
    task_handle: str | None = Field(description="SQS's move task (mode all); follow it in GET /admin/dead-letters")
    moved: list[str] = Field(description="The ids sent back to the classify queue (mode selected)")
    not_found: list[str] = Field(description="The ids no longer in the dead-letter queue (mode selected)")
