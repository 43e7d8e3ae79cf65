"""Is each dependency reachable right now? Used by GET /health."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from imagepredict.secrets import secrets_client
from imagepredict.settings import Settings
from imagepredict.storage.mongo import get_database


class Check(BaseModel):
    status: Literal["ok", "error", "skipped"]
    latency_ms: float | None = Field(default=None, exclude_if=lambda value: value is None)
    error: str | None = Field(default=None, exclude_if=lambda value: value is None, description="The exception's name")


class HealthReport(BaseModel):
    """200 with `ok`; 503 with `degraded` (a dependency failed: see its check) or `misconfigured` (a setting)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "status": "ok",
                    "checks": {
                        "mongodb": {"status": "ok", "latency_ms": 1.2},
                        "aws": {"status": "ok", "latency_ms": 8.5},
                    },
                },
                {
                    "status": "degraded",
                    "checks": {"mongodb": {"status": "error", "error": "ServerSelectionTimeoutError"}},
                },
            ]
        }
    )

    status: Literal["ok", "degraded", "misconfigured"]
    checks: dict[str, Check]

    @property
    def healthy(self) -> bool:
        return self.status == "ok"


MISCONFIGURED = HealthReport(status="misconfigured", checks={"settings": Check(status="error")})


def _timed(check: Callable[[], object]) -> Check:
    started = time.perf_counter()
    try:
        check()
    except Exception as error:  # a health check reports every failure instead of raising it
        return Check(status="error", error=type(error).__name__)
    return Check(status="ok", latency_ms=round((time.perf_counter() - started) * 1000, 1))


def check_health(settings: Settings) -> HealthReport:
    checks = {
        "mongodb": _timed(lambda: get_database(settings).command("ping")),
        "aws": _timed(lambda: secrets_client().describe_secret(SecretId=settings.jwt_secret_arn))
        if settings.jwt_secret_arn
        else Check(status="skipped"),
    }
    healthy = all(check.status != "error" for check in checks.values())
    return HealthReport(status="ok" if healthy else "degraded", checks=checks)
