"""Sliding-window limits kept in MongoDB, so a limit holds across containers.

A key's document holds the times of its last `limit` events (newer ones push the oldest out) and expires with the
window (TTL index). A key is over its limit while all of those `limit` events fall inside the window; it may act
again when the oldest of them leaves it, which is what Retry-After says.

LoginThrottle counts failed sign-ins per email (`login_failures`); RateLimit counts requests per key (the password
reset's per address and per source, the verification resend's per account) in `rate_limits`, each use under its own
key prefix.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from imagepredict.errors import TooManyAttempts


@dataclass(frozen=True)
class Window:
    recorded: int  # events on record, inside the window or not
    retry_after: int | None  # seconds until the key may act again; None while it is under its limit


class SlidingWindow:
    def __init__(self, collection: Collection, *, limit: int, window_seconds: int, field: str = "events") -> None:
        self._documents = collection
        self._limit = limit
        self._window = timedelta(seconds=window_seconds)
        self._field = field

    def ensure_indexes(self) -> None:
        self._documents.create_index("expires_at", expireAfterSeconds=0, name="expires_at_ttl")

    def state(self, key: str, now: datetime) -> Window:
        events = (self._documents.find_one({"_id": key}) or {}).get(self._field, [])
        recent = [at for at in events if at > now - self._window]
        if len(recent) >= self._limit:
            unblocked_at = recent[-self._limit] + self._window
            return Window(len(events), max(1, math.ceil((unblocked_at - now).total_seconds())))
        return Window(len(events), None)

    def record(self, key: str, now: datetime) -> None:
        self._documents.update_one({"_id": key}, self._push(now), upsert=True)

    def take(self, key: str, now: datetime) -> int | None:
        """Count one event unless the key is over its limit: None when counted, else the seconds to wait.

        One conditional upsert, so concurrent requests cannot all slip under the limit: it matches only a document
        with room (fewer than `limit` events, or the oldest outside the window); on a full one it tries to insert a
        second document with the same _id, which the unique _id refuses.
        """
        room = {
            "_id": key,
            "$or": [
                {f"{self._field}.{self._limit - 1}": {"$exists": False}},
                {f"{self._field}.0": {"$lte": now - self._window}},
            ],
        }
        try:
            self._documents.update_one(room, self._push(now), upsert=True)
        except DuplicateKeyError:
            return self.state(key, now).retry_after or 1
        return None

    def clear(self, key: str) -> None:
        self._documents.delete_one({"_id": key})

    def _push(self, now: datetime) -> dict[str, object]:
        return {
            "$push": {self._field: {"$each": [now], "$slice": -self._limit}},
            "$set": {"expires_at": now + self._window},
        }


class LoginThrottle:
    """Failed sign-ins per email: after `max_failures` inside the window, even the right password waits."""

    def __init__(self, database: Database, *, max_failures: int, window_seconds: int) -> None:
        self._failures = SlidingWindow(
            database["login_failures"], limit=max_failures, window_seconds=window_seconds, field="failures"
        )

    def ensure_indexes(self) -> None:
        self._failures.ensure_indexes()

    def check(self, email: str, now: datetime) -> int:
        """Refuse the attempt while the last `max_failures` failures all fall inside the window.

        Returns how many failures are on record, so a success only pays for clearing them when there are some.
        """
        window = self._failures.state(email, now)
        if window.retry_after is not None:
            raise TooManyAttempts(window.retry_after)
        return window.recorded

    def record_failure(self, email: str, now: datetime) -> None:
        self._failures.record(email, now)

    def clear(self, email: str) -> None:
        self._failures.clear(email)


class RateLimit:
    """At most `limit` requests per key within the window, in the shared `rate_limits` collection."""

    COLLECTION = "rate_limits"

    def __init__(self, database: Database, name: str, *, limit: int, window_seconds: int) -> None:
        self._prefix = f"{name}:"
        self._window = SlidingWindow(database[self.COLLECTION], limit=limit, window_seconds=window_seconds)

    def ensure_indexes(self) -> None:
        self._window.ensure_indexes()

    def take(self, key: str, now: datetime) -> int | None:
        """None when this request counts and may go ahead; else the seconds until one may."""
        return self._window.take(self._prefix + key, now)

    def forget(self, key: str) -> None:
        self._window.clear(self._prefix + key)
