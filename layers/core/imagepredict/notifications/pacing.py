"""Sending at the rate the SES account allows (1 message/s in the sandbox, about 14/s in production by default),
shared among the email function's concurrent containers, so throttling is the exception rather than the rule."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

SANDBOX_RATE = 1.0  # messages/s: what to assume when the quota cannot be read


class SendPacer:
    """Spaces calls at least 1/rate seconds apart (no bursts: SES counts per second)."""

    def __init__(
        self,
        rate_per_second: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate_per_second <= 0:
            raise ValueError("the sending rate must be positive")
        self.interval = 1.0 / rate_per_second
        self._clock = clock
        self._sleep = sleep
        self._next: float | None = None

    def wait(self) -> None:
        now = self._clock()
        if self._next is not None and now < self._next:
            self._sleep(self._next - now)
            now = self._next
        self._next = now + self.interval


def account_send_rate(ses: Any) -> float:
    """The account's MaxSendRate (messages/s), or the sandbox's when it cannot be read."""
    try:
        return float(ses.get_send_quota()["MaxSendRate"]) or SANDBOX_RATE
    except Exception:  # no permission, no network: pace as the most restrictive account would
        return SANDBOX_RATE
