"""Newest-first pages over any collection, with the strict cursors of GET /predictions (predictions/cursor.py):
the position of a page's last document (a time, milliseconds, and its ObjectId), nothing else."""

from __future__ import annotations

from typing import Any

from pymongo import DESCENDING
from pymongo.collection import Collection

from imagepredict.predictions.cursor import Position, decode_position, encode_position


def after(cursor: str | None, time_field: str) -> dict[str, Any]:
    """The query part that resumes after a cursor's position ({} for the first page); InvalidCursor if malformed."""
    if not cursor:
        return {}
    position = decode_position(cursor)
    return {
        "$or": [
            {time_field: {"$lt": position.created_at}},
            {time_field: position.created_at, "_id": {"$lt": position.id}},
        ]
    }


def newest_first(
    collection: Collection, query: dict[str, Any], *, time_field: str, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of the documents matching `query`, newest first, and the cursor of the next page (None at the end)."""
    resume = after(cursor, time_field)
    found = {"$and": [query, resume]} if query and resume else query or resume
    documents = list(collection.find(found).sort([(time_field, DESCENDING), ("_id", DESCENDING)]).limit(limit + 1))
    page = documents[:limit]
    more = len(documents) > limit
    return page, encode_position(Position(page[-1][time_field], page[-1]["_id"])) if more else None
