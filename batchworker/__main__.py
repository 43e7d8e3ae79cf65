"""`python -m batchworker`: load settings and the model, then drain the classify queue until SIGTERM.

Exit codes: 0 stopped cleanly (SIGTERM/SIGINT), 2 a bad setting, 3 a model that cannot be loaded or does not match
its model.json, 4 the queue cannot be reached.
"""

from __future__ import annotations

import os
import signal
import sys
from concurrent.futures import ThreadPoolExecutor

from batchworker.health import HealthServer, Liveness
from batchworker.queue import ClassifyQueue, Heartbeat
from batchworker.settings import WorkerSettings, load_worker_settings
from batchworker.worker import BatchPolicy, BatchWorker
from imagepredict.aws import s3_client, sqs_client
from imagepredict.classify.wiring import build_consumer
from imagepredict.model import Classifier, ModelError, load_runner
from imagepredict.model.onnx import load_onnx_runner
from imagepredict.observability import logger
from imagepredict.settings import SettingsError

EXIT_OK, EXIT_SETTINGS, EXIT_MODEL, EXIT_QUEUE = 0, 2, 3, 4


def load_classifier(settings: WorkerSettings) -> Classifier:
    source = {
        "bundled_dir": settings.model_dir,
        "s3_uri": settings.core.model_s3_uri,
        "s3": s3_client() if settings.core.model_s3_uri else None,
        "num_threads": settings.core.model_threads,
    }
    if settings.backend == "onnx":
        return load_onnx_runner(**source, providers=settings.onnx_providers)
    runner = load_runner(**source, runtime=settings.core.model_runtime)
    if settings.litert_batch_mode != "auto":
        runner.batch_mode = runner.resolve_batch_mode(settings.litert_batch_mode)
    return runner


def fail(code: int, message: str) -> int:
    print(f"batchworker: {message}", file=sys.stderr, flush=True)
    return code


def main() -> int:
    try:
        settings = load_worker_settings(os.environ)
    except SettingsError as error:
        return fail(EXIT_SETTINGS, f"bad setting: {error}")
    try:
        classifier = load_classifier(settings)
    except (ModelError, OSError) as error:
        return fail(EXIT_MODEL, f"cannot load the model: {error}")
    queue = ClassifyQueue(sqs_client(), settings.queue_url)
    try:
        lease = queue.visibility_timeout()
    except Exception as error:  # botocore's many error types: the message says which
        return fail(EXIT_QUEUE, f"cannot reach the queue {settings.queue_url}: {error}")
    liveness = Liveness(stale_after=settings.stale_after_seconds, backend=classifier.backend)
    health = HealthServer(liveness, settings.health_host, settings.health_port) if settings.health_port else None
    executor = ThreadPoolExecutor(max_workers=settings.workers, thread_name_prefix="prepare")
    worker = BatchWorker(
        queue=queue,
        consumer=build_consumer(settings.core, lambda: classifier, executor=executor, consumer="worker"),
        heartbeat=Heartbeat(queue, lease=lease, interval=settings.heartbeat_seconds or max(1, lease // 3)),
        policy=BatchPolicy(
            size=settings.batch_size,
            wait_ms=settings.batch_wait_ms,
            poll_wait_seconds=settings.poll_wait_seconds,
            drain_seconds=settings.drain_seconds,
            failed_visibility_seconds=settings.failed_visibility_seconds,
        ),
        liveness=liveness,
    )
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: worker.stop())
    if health:
        health.start()
    logger.info(
        "Batch worker started",
        extra={
            "backend": classifier.backend,
            "model": f"{classifier.metadata.name} {classifier.metadata.version}",
            "batch_size": settings.batch_size,
            "batch_wait_ms": settings.batch_wait_ms,
            "prepare_threads": settings.workers,
            "visibility_lease_s": lease,
            "health_port": health.port if health else None,
        },
    )
    worker.run()
    logger.info("Batch worker stopped", extra={"abandoned_batch": worker.abandoned})
    if health:
        health.stop()
    if worker.abandoned:  # a batch thread is still running: don't wait for it (its messages are visible again)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(EXIT_OK)
    executor.shutdown(wait=True)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
