"""Powertools logger, tracer and metrics shared by every function (configured through POWERTOOLS_* variables)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer


class _NoTracing:
    """Stands in for the X-Ray recorder when tracing is off, so the X-Ray SDK is never imported: its recorder
    builds botocore clients at import time, 100-250 ms of every cold start (measured in docs/benchmarks.md)."""

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None

    @contextlib.contextmanager
    def in_subsegment(self, name: str | None = None, **kwargs: Any) -> Iterator[Any]:
        yield self


def _tracer() -> Tracer:
    if os.environ.get("POWERTOOLS_TRACE_DISABLED", "").strip().lower() in ("1", "true", "yes", "on"):
        return Tracer(provider=_NoTracing(), disabled=True)  # type: ignore[arg-type]
    return Tracer()


DEFAULT_NAMESPACE = "ImagePredict"  # the template's POWERTOOLS_METRICS_NAMESPACE, also for the worker and tests

logger = Logger()
tracer = _tracer()
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or DEFAULT_NAMESPACE)
