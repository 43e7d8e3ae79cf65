"""Medians and spreads: noisy machines are summarised by the middle and the range, never by one run."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Any


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summary(values: Sequence[float]) -> dict[str, Any]:
    """median, p5/p95 (or min/max for few samples), n."""
    values = list(values)
    return {
        "median": statistics.median(values),
        "low": percentile(values, 0.05) if len(values) >= 20 else min(values),
        "high": percentile(values, 0.95) if len(values) >= 20 else max(values),
        "n": len(values),
        "values": [round(v, 4) for v in values] if len(values) <= 20 else None,
    }


def fmt(stat: dict[str, Any], unit: str = "ms", digits: int = 1) -> str:
    return f"{stat['median']:.{digits}f} {unit} ({stat['low']:.{digits}f}–{stat['high']:.{digits}f}, n={stat['n']})"
