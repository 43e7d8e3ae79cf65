"""The worker's settings: the functions' own (MongoDB, bucket limits, email, model source) plus its queue and batch
knobs, read from the environment once and validated at start, with a clear message for each mistake."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from imagepredict.model.onnx import PROVIDER_CHOICES
from imagepredict.settings import Range, Settings, SettingsError, integer_setting, load_settings, text_setting

ROOT = Path(__file__).resolve().parent.parent
BUNDLED_MODEL_DIR = ROOT / "functions" / "classify" / "model"
BACKENDS = ("onnx", "litert")
WORKER_INTEGERS: dict[str, Range] = {
    "WORKER_CONCURRENCY": Range(0, 0, 256),
    "BATCH_SIZE": Range(32, 1, 256),
    "BATCH_WAIT_MS": Range(500, 0, 20_000),
    "POLL_WAIT_SECONDS": Range(20, 0, 20),
    "DRAIN_SECONDS": Range(60, 1, 3_600),
    "HEARTBEAT_SECONDS": Range(0, 0, 3_600),
    "FAILED_VISIBILITY_SECONDS": Range(0, 0, 43_200),
    "HEALTH_PORT": Range(8080, 0, 65_535),
    "HEALTH_STALE_SECONDS": Range(120, 5, 86_400),
}
BATCH_MODES = ("auto", "resize", "loop")


@dataclass(frozen=True)
class WorkerSettings:
    core: Settings
    queue_url: str
    batch_size: int  # messages (one S3 object each) gathered into one inference call
    batch_wait_ms: int  # how long to keep gathering after the first message of a batch arrives
    poll_wait_seconds: int  # SQS long poll while the queue is empty (20 is SQS's maximum)
    concurrency: int  # threads downloading and decoding a batch's images (0: twice the CPUs)
    backend: str  # onnx (ONNX Runtime, CUDA when there is one) or litert
    onnx_providers: str  # auto (CUDA, then CPU), cuda, cpu
    litert_batch_mode: str  # auto, resize (one invoke per batch), loop (one per image)
    model_dir: Path  # the bundled model: model.json with model.onnx and/or model.tflite
    drain_seconds: int  # after SIGTERM: finish the batch in hand within this, then exit 0
    heartbeat_seconds: int  # extend in-flight messages' visibility this often (0: a third of the queue's timeout)
    failed_visibility_seconds: int | None  # make a failed message visible again after this (None: queue's timeout)
    health_port: int  # GET /health on 127.0.0.1 and the container's interfaces (0: no health server)
    health_host: str
    stale_after_seconds: int  # /health answers 503 when the loop has made no progress for this long

    @property
    def workers(self) -> int:
        return self.concurrency or 2 * cpus()


def cpus() -> int:
    return len(os.sched_getaffinity(0))


def load_worker_settings(env: Mapping[str, str]) -> WorkerSettings:
    core = load_settings(env, require_jwt=False)
    queue_url = text_setting(env, "QUEUE_URL")
    if not queue_url:
        raise SettingsError("Set QUEUE_URL to the classify queue's URL")
    settings = WorkerSettings(
        core=core,
        queue_url=queue_url,
        batch_size=integer_setting(env, "BATCH_SIZE", WORKER_INTEGERS["BATCH_SIZE"]),
        batch_wait_ms=integer_setting(env, "BATCH_WAIT_MS", WORKER_INTEGERS["BATCH_WAIT_MS"]),
        poll_wait_seconds=integer_setting(env, "POLL_WAIT_SECONDS", WORKER_INTEGERS["POLL_WAIT_SECONDS"]),
        concurrency=integer_setting(env, "WORKER_CONCURRENCY", WORKER_INTEGERS["WORKER_CONCURRENCY"]),
        backend=text_setting(env, "MODEL_BACKEND", "onnx") or "onnx",
        onnx_providers=text_setting(env, "ONNX_PROVIDERS", "auto") or "auto",
        litert_batch_mode=text_setting(env, "LITERT_BATCH_MODE", "auto") or "auto",
        model_dir=Path(text_setting(env, "MODEL_DIR") or BUNDLED_MODEL_DIR),
        drain_seconds=integer_setting(env, "DRAIN_SECONDS", WORKER_INTEGERS["DRAIN_SECONDS"]),
        heartbeat_seconds=integer_setting(env, "HEARTBEAT_SECONDS", WORKER_INTEGERS["HEARTBEAT_SECONDS"]),
        failed_visibility_seconds=(
            integer_setting(env, "FAILED_VISIBILITY_SECONDS", WORKER_INTEGERS["FAILED_VISIBILITY_SECONDS"])
            if text_setting(env, "FAILED_VISIBILITY_SECONDS")
            else None
        ),
        health_port=integer_setting(env, "HEALTH_PORT", WORKER_INTEGERS["HEALTH_PORT"]),
        health_host=text_setting(env, "HEALTH_HOST", "0.0.0.0") or "0.0.0.0",  # noqa: S104 - the orchestrator's probe
        stale_after_seconds=integer_setting(env, "HEALTH_STALE_SECONDS", WORKER_INTEGERS["HEALTH_STALE_SECONDS"]),
    )
    choices = {
        "MODEL_BACKEND": (settings.backend, BACKENDS),
        "ONNX_PROVIDERS": (settings.onnx_providers, tuple(PROVIDER_CHOICES)),
        "LITERT_BATCH_MODE": (settings.litert_batch_mode, BATCH_MODES),
    }
    for name, (value, allowed) in choices.items():
        if value not in allowed:
            raise SettingsError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
    if not settings.core.model_s3_uri and not (settings.model_dir / "model.json").is_file():
        raise SettingsError(f"MODEL_DIR {settings.model_dir} holds no model.json (or set MODEL_S3_URI)")
    if not text_setting(env, "MONGODB_MAX_POOL_SIZE"):  # a connection for each thread that stores, and two more
        settings = replace(settings, core=replace(core, mongodb_max_pool_size=settings.workers + 2))
    return settings
