"""Failed sign-ins per email in the `login_failures` collection, so the limit holds across containers."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from pymongo.collection import Collection
from pymongo.database import Database

from imagepredict.errors import TooManyAttempts


class LoginThrottle:
    def __init__(self, database: Database, *, max_failures: int, window_seconds: int) -> None:
        self._failures: Collection = database["login_failures"]
        self._max = max_failures
        self._window = timedelta(seconds=window_seconds)

    def ensure_indexes(self) -> None:
        self._failures.create_index("expires_at", expireAfterSeconds=0, name="expires_at_ttl")

    def check(self, email: str, now: datetime) -> int:
        """Refuse the attempt while the last `max_failures` failures all fall inside the window.

        Returns how many failures are on record, so a success only pays for clearing them when there are some.
        """
        document = self._failures.find_one({"_id": email})
        recent = [at for at in (document or {}).get("failures", []) if at > now - self._window]
        if len(recent) >= self._max:
            unblocked_at = recent[-self._max] + self._window
            raise TooManyAttempts(max(1, math.ceil((unblocked_at - now).total_seconds())))
        return len((document or {}).get("failures", []))

    def record_failure(self, email: str, now: datetime) -> None:
        self._failures.update_one(
            {"_id": email},
            {
                "$push": {"failures": {"$each": [now], "$slice": -self._max}},
                "$set": {"expires_at": now + self._window},
            },
            upsert=True,
        )

    def clear(self, email: str) -> None:
        self._failures.delete_one({"_id": email})
