"""The `cursor` of GET /predictions: an opaque token for "the page after this prediction".

Strictly parsed, not signed. A cursor only says where to resume in the caller's own history (a creation time and a
prediction id); the query it feeds is always scoped to the caller, so a forged cursor can reach nothing a genuine
one cannot, and a signature would buy no confidentiality while tying cursors to the JWT signing key (a rotation
would break every page in flight). What a cursor must never do is crash the API, so the only cursors accepted are
exactly the bytes `encode_position` writes:

    base64url, unpadded, of {"t":"<UTC time, milliseconds, Z>","i":"<24 lower-case hex digits>"}

The length is checked before anything is decoded, the alphabet is base64url's only, the decoded text must match
that one shape (no JSON parser: nothing nests), the time must lie in EARLIEST..LATEST (BSON and pymongo can
represent it, and no prediction is older or newer), and the id must be a valid ObjectId. Decoding and re-encoding
must give the very same cursor, so there is exactly one spelling of each position. Anything else is
InvalidCursor: a 400 `invalid_cursor`, never a 500.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from bson import ObjectId

from imagepredict.clock import isoformat
from imagepredict.errors import InvalidRequest

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2999, 12, 31, 23, 59, 59, 999_000, tzinfo=UTC)
# {"t":"2026-11-25T12:00:00.000Z","i":"<24 hex>"} is 60 bytes, 80 in base64url; some room, nothing more.
MAX_CURSOR_LENGTH = 96
_ALPHABET = re.compile(r"[A-Za-z0-9_-]+")
_SHAPE = re.compile(r'\{"t":"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)","i":"([0-9a-f]{24})"\}')
MESSAGE = "The cursor is not one this API returned"


class InvalidCursor(InvalidRequest):
    code = "invalid_cursor"

    def __init__(self) -> None:
        super().__init__(MESSAGE)


@dataclass(frozen=True)
class Position:
    """Where a page ends: the last prediction's creation time (milliseconds, UTC) and id."""

    created_at: datetime
    id: ObjectId


def encode_position(position: Position) -> str:
    payload = f'{{"t":"{isoformat(position.created_at)}","i":"{position.id}"}}'
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_position(cursor: object) -> Position:
    """The position a cursor of ours names; InvalidCursor for anything else, whatever it holds."""
    text = _payload(cursor)
    match = _SHAPE.fullmatch(text)
    if match is None:
        raise InvalidCursor()
    position = Position(_moment(match.group(1)), ObjectId(match.group(2)))
    if encode_position(position) != cursor:  # one spelling per position
        raise InvalidCursor()
    return position


def _payload(cursor: object) -> str:
    """The decoded text of a cursor that is short base64url, or InvalidCursor."""
    if not isinstance(cursor, str) or not 0 < len(cursor) <= MAX_CURSOR_LENGTH or not _ALPHABET.fullmatch(cursor):
        raise InvalidCursor()
    try:
        raw = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True)
        return raw.decode("ascii")
    except (binascii.Error, ValueError):  # a length no encoding gives, or bytes beyond ASCII
        raise InvalidCursor() from None


def _moment(text: str) -> datetime:
    try:
        moment = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    except ValueError:  # 2026-02-30 and its kind
        raise InvalidCursor() from None
    if not EARLIEST <= moment <= LATEST:
        raise InvalidCursor()
    return moment
