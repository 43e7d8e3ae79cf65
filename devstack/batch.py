"""The batch worker in the local stack: its settings (the classify function's, resolved from the template, plus
its own), .local/worker.env for `make worker`, and the environment of a worker process the stack starts."""

from __future__ import annotations

import os
import shlex
import urllib.request
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCAL_ONLY = ("HEALTH_PORT", "HEALTH_HOST")  # per process: not shared through worker.env

CLASSIFIERS = ("lambda", "worker", "both", "none")  # none: nothing drains the queue until you run `make worker`
# The batch worker's own settings, passed through from the caller's environment (the rest come from the template).
WORKER_VARIABLES = (
    "BATCH_SIZE",
    "BATCH_WAIT_MS",
    "POLL_WAIT_SECONDS",
    "WORKER_CONCURRENCY",
    "MODEL_BACKEND",
    "ONNX_PROVIDERS",
    "LITERT_BATCH_MODE",
    "MODEL_DIR",
    "DRAIN_SECONDS",
    "HEARTBEAT_SECONDS",
    "HEALTH_PORT",
    "HEALTH_STALE_SECONDS",
)


def classifier_mode(value: str) -> str:
    if value not in CLASSIFIERS:
        raise ValueError(f"LOCAL_CLASSIFIER must be one of {', '.join(CLASSIFIERS)}, got {value!r}")
    return value


def worker_settings(
    function_env: Mapping[str, str], queue_url: str, retry_seconds: int, overrides: Mapping[str, str]
) -> dict[str, str]:
    """The classify function's settings plus the worker's own, with the local stack's shortcuts."""
    return {
        **function_env,
        "QUEUE_URL": queue_url,
        "FAILED_VISIBILITY_SECONDS": str(retry_seconds),  # as the local Lambda poller does
        "POLL_WAIT_SECONDS": "5",  # a quick stop locally; SQS's 20 s on AWS
        "POWERTOOLS_SERVICE_NAME": "batch-worker",
        **overrides,
    }


def write_worker_env_file(path: Path, settings: Mapping[str, str]) -> None:
    """What `make worker` sources to join this stack as one more consumer."""
    lines = [f"{name}={shlex.quote(value)}" for name, value in sorted(settings.items()) if name not in LOCAL_ONLY]
    path.write_text("\n".join(lines) + "\n")


def worker_process_env(settings: Mapping[str, str], host: str, port: int) -> dict[str, str]:
    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "TMPDIR") if key in os.environ}
    env.update(settings)
    env.setdefault("HEALTH_PORT", str(port))
    env.setdefault("HEALTH_HOST", host)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "layers" / "core"), str(ROOT)])
    env["PYTHONUNBUFFERED"] = "1"
    return env


def answers_200(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own loopback URL
            return response.status == 200
    except OSError:
        return False
