"""Time in one place, so stores agree on it and tests can move it."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    # Mongo keeps milliseconds; trimming here makes what we return equal what we read back.
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def isoformat(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
