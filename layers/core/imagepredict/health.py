"""Is each dependency reachable right now? Used by GET /health."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from imagepredict.secrets import secrets_client
from imagepredict.settings import Settings
from imagepredict.storage.mongo import get_database


def _timed(check: Callable[[], object]) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        check()
    except Exception as error:  # a health check reports every failure instead of raising it
        return {"status": "error", "error": type(error).__name__}
    return {"status": "ok", "latency_ms": round((time.perf_counter() - started) * 1000, 1)}


def check_health(settings: Settings) -> dict[str, Any]:
    checks = {
        "mongodb": _timed(lambda: get_database(settings).command("ping")),
        "aws": _timed(lambda: secrets_client().describe_secret(SecretId=settings.jwt_secret_arn))
        if settings.jwt_secret_arn
        else {"status": "skipped"},
    }
    healthy = all(check["status"] != "error" for check in checks.values())
    return {"status": "ok" if healthy else "degraded", "checks": checks}
