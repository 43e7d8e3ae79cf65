"""GET /predictions' cursor: whatever a client sends back, decoding gives a valid position or InvalidCursor (a 400),
never another exception; and every position the API hands out comes back as itself."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from bson import BSON, ObjectId
from hypothesis import given, settings
from hypothesis import strategies as st

from imagepredict.predictions.cursor import (
    EARLIEST,
    LATEST,
    MAX_CURSOR_LENGTH,
    MESSAGE,
    InvalidCursor,
    Position,
    decode_position,
    encode_position,
)

MILLISECOND = timedelta(milliseconds=1)
OBJECT_IDS = st.binary(min_size=12, max_size=12).map(ObjectId)
# Positions as the store hands them out: MongoDB keeps milliseconds, UTC.
POSITIONS = st.builds(
    Position,
    st.integers(0, (LATEST - EARLIEST) // MILLISECOND).map(lambda ms: EARLIEST + ms * MILLISECOND),
    OBJECT_IDS,
)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4),
    max_leaves=20,
)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def assert_position_or_invalid(cursor: object) -> None:
    """The property: a usable position (which MongoDB can take) or InvalidCursor, and nothing else."""
    try:
        position = decode_position(cursor)
    except InvalidCursor as error:
        refused = error
    else:
        refused = None
    if refused is not None:
        assert (refused.status, refused.body()) == (400, {"error": {"code": "invalid_cursor", "message": MESSAGE}})
        return
    assert EARLIEST <= position.created_at <= LATEST
    assert position.created_at.tzinfo is not None
    assert isinstance(position.id, ObjectId)
    BSON.encode({"created_at": position.created_at, "_id": position.id})  # the query can be sent


@settings(max_examples=500)
@given(POSITIONS)
def test_every_position_handed_out_comes_back_as_itself(position: Position) -> None:
    cursor = encode_position(position)
    assert len(cursor) <= MAX_CURSOR_LENGTH
    assert decode_position(cursor) == position


@settings(max_examples=500)
@given(st.text())
def test_any_text_is_a_position_or_invalid(cursor: str) -> None:
    assert_position_or_invalid(cursor)


@settings(max_examples=500)
@given(st.binary(max_size=120))
def test_any_bytes_base64url_encoded_are_a_position_or_invalid(data: bytes) -> None:
    assert_position_or_invalid(b64url(data))
    assert_position_or_invalid(base64.urlsafe_b64encode(data).decode())  # padded, as other encoders write it


@settings(max_examples=500)
@given(JSON)
def test_any_json_value_encoded_is_a_position_or_invalid(value: object) -> None:
    assert_position_or_invalid(b64url(json.dumps(value).encode()))
    assert_position_or_invalid(b64url(json.dumps(value, separators=(",", ":")).encode()))


@settings(max_examples=300)
@given(
    t=st.one_of(st.text(max_size=40), st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat()), JSON),
    i=st.one_of(st.text(max_size=30), OBJECT_IDS.map(str), JSON),
    extra=st.dictionaries(st.text(max_size=3), JSON, max_size=2),
)
def test_cursor_shaped_json_with_any_values_is_a_position_or_invalid(t: object, i: object, extra: dict) -> None:
    for document in ({"t": t, "i": i}, {"i": i, "t": t}, {"t": t, "i": i, **extra}):
        assert_position_or_invalid(b64url(json.dumps(document, separators=(",", ":")).encode()))


@settings(max_examples=300)
@given(position=POSITIONS, index=st.integers(min_value=0), replacement=st.characters())
def test_a_tampered_cursor_is_a_position_or_invalid(position: Position, index: int, replacement: str) -> None:
    cursor = encode_position(position)
    index %= len(cursor)
    assert_position_or_invalid(cursor[:index] + replacement + cursor[index + 1 :])
    assert_position_or_invalid(cursor[:index])
    assert_position_or_invalid(cursor + replacement)


def cursor_of(t: str, i: str = "0123456789abcdef01234567") -> str:
    return b64url(json.dumps({"t": t, "i": i}, separators=(",", ":")).encode())


@pytest.mark.parametrize(
    "cursor",
    [
        b64url(b"[" * 100_000),  # what once gave a RecursionError (500)
        cursor_of("0001-01-01T00:00:00.000Z"),  # BSON cannot encode it once moved to UTC (500 before)
        cursor_of("9999-12-31T23:59:59.999Z"),
        cursor_of("1999-12-31T23:59:59.999Z"),
        cursor_of("2026-02-30T00:00:00.000Z"),
        cursor_of("2026-11-25T12:00:00.000+14:00"),
        cursor_of("2026-11-25T12:00:00.000Z", "0123456789ABCDEF01234567"),  # upper case: not how we write ids
        cursor_of("2026-11-25T12:00:00.000Z", "0123456789abcdef0123456"),
        cursor_of("2026-11-25T12:00:00.000Z") + "==",
        cursor_of("2026-11-25T12:00:00.000Z")[:-1] + "/",  # standard base64's alphabet, not base64url
        "A" * (MAX_CURSOR_LENGTH + 1),
        "",
        "e30",
        None,
        123,
    ],
)
def test_known_bad_cursors_are_invalid(cursor: object) -> None:
    with pytest.raises(InvalidCursor):
        decode_position(cursor)


def test_the_cursor_format_is_the_one_handed_out_before() -> None:
    """Cursors clients hold from before the strict parser still work (the format did not change)."""
    old = b64url(b'{"t":"2026-11-25T12:00:00.000Z","i":"0123456789abcdef01234567"}')
    assert decode_position(old) == Position(
        datetime(2026, 11, 25, 12, tzinfo=UTC), ObjectId("0123456789abcdef01234567")
    )
