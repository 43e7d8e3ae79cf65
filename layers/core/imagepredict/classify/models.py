"""What the classify pipeline takes and gives: the objects S3 names, the limits it enforces, each object's outcome."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class StoredObject:
    bucket: str
    key: str  # already URL-decoded
    etag: str
    size: int
    event_time: datetime | None = None


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_pixels: int


@dataclass(frozen=True)
class Outcome:
    status: str  # done, rejected, duplicate, orphan
    prediction_id: str | None = None
    detail: str | None = None
    timings: dict[str, float] = field(default_factory=dict, compare=False)  # ms per stage, for metrics


class Stopwatch:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}

    def lap(self, name: str, started: float) -> float:
        now = time.perf_counter()
        self.timings[name] = round((now - started) * 1000, 3)
        return now
