"""The audit log: one entry per administrator's action, in the `audit_log` collection.

Every mutation of the admin API runs inside `AuditLog.recorded`: the entry (who, what, which target, when, from
which API Gateway request) is written first with outcome `pending`, so an action that cannot be audited does not
run; its outcome (`succeeded`, or `failed` with the error's code) is set when it ends. Refusals count as actions
(disabling yourself, an unknown user, a message no longer in the queue): the log shows what was attempted as well
as what was done. An outcome that cannot be stored (MongoDB gone between the two writes) leaves the entry `pending`:
the action's answer is still the action's. Nothing in the API edits or deletes an entry; the only update is this
outcome, by the action's own request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from bson import ObjectId
from pydantic import BaseModel, ConfigDict, Field
from pymongo import DESCENDING
from pymongo.collection import Collection
from pymongo.database import Database

from imagepredict.admin.paging import newest_first
from imagepredict.api.caller import CallerAccount
from imagepredict.clock import utc_now
from imagepredict.errors import AppError
from imagepredict.fieldtypes import Timestamp
from imagepredict.observability import logger

Outcome = Literal["pending", "succeeded", "failed"]
Action = Literal["user.disable", "user.enable", "dead_letters.redrive", "dead_letter.discard"]
_EXAMPLE = {
    "id": "6745a1c2e4b0a1b2c3d4e5f9",
    "at": "2026-11-25T12:00:00.000Z",
    "actor_id": "6745a1c2e4b0a1b2c3d4e5f6",
    "actor_email": "admin@example.com",
    "action": "user.disable",
    "target": "user:6745a1c2e4b0a1b2c3d4e5f7",
    "request_id": "K9mZsh1ZoAMEJ8w=",
    "outcome": "succeeded",
    "error": None,
    "details": {"email": "mallory@example.com"},
}


@dataclass(frozen=True)
class Actor:
    """Who acts, and in which request (API Gateway's requestContext.requestId, as in its access log)."""

    user_id: str
    email: str
    request_id: str

    @classmethod
    def of(cls, caller: CallerAccount, request_id: str | None) -> Actor:
        return cls(caller.user_id, caller.email, request_id or "")


class AuditEntry(BaseModel):
    """One administrator's action."""

    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE]})

    id: str
    at: Timestamp
    actor_id: str
    actor_email: str
    action: Action
    target: str = Field(description="What it acted on: `user:<id>`, `dead-letters:all`, `dead-letter:<message id>`")
    request_id: str = Field(description="API Gateway's request id (the access log's requestId)")
    outcome: Outcome = Field(description="`pending` while it runs (or if it never finished)")
    error: str | None = Field(description="The error code when it failed")
    details: dict[str, Any]


class AuditPage(BaseModel):
    """Entries newest first."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [_EXAMPLE], "next_cursor": None}]})

    items: list[AuditEntry]
    next_cursor: str | None = Field(description="Pass it as `cursor` for the next page; null on the last page")


class AuditLog:
    def __init__(self, database: Database, clock: Callable[[], datetime] = utc_now) -> None:
        self._entries: Collection = database["audit_log"]
        self._clock = clock

    def ensure_indexes(self) -> None:
        self._entries.create_index([("at", DESCENDING), ("_id", DESCENDING)], name="newest_first")

    @contextmanager
    def recorded(self, actor: Actor, action: Action, target: str, details: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Run the action in the block, audited; the block may add to the dict it gets (stored with the outcome)."""
        entry_id = ObjectId()
        self._entries.insert_one(
            {
                "_id": entry_id,
                "at": self._clock(),
                "actor_id": actor.user_id,
                "actor_email": actor.email,
                "action": action,
                "target": target,
                "request_id": actor.request_id,
                "outcome": "pending",
                "error": None,
                "details": details,
            }
        )
        found: dict[str, Any] = {}
        try:
            yield found
        except Exception as error:
            self._finish(entry_id, "failed", found, error.code if isinstance(error, AppError) else "internal_error")
            raise
        self._finish(entry_id, "succeeded", found)

    def _finish(self, entry_id: ObjectId, outcome: Outcome, found: dict[str, Any], error: str | None = None) -> None:
        update: dict[str, Any] = {"outcome": outcome, "error": error}
        update |= {f"details.{name}": value for name, value in found.items()}
        try:
            self._entries.update_one({"_id": entry_id}, {"$set": update})
        except Exception:  # the action ran (or failed) all the same: its entry stays `pending`, the log says why
            logger.exception("Could not record an action's outcome", extra={"entry": str(entry_id), "to": outcome})

    def page(self, *, limit: int, cursor: str | None) -> AuditPage:
        documents, next_cursor = newest_first(self._entries, {}, time_field="at", limit=limit, cursor=cursor)
        return AuditPage(items=[_entry(document) for document in documents], next_cursor=next_cursor)


def _entry(document: dict[str, Any]) -> AuditEntry:
    return AuditEntry(id=str(document["_id"]), **{k: v for k, v in document.items() if k != "_id"})
