"""The batch worker's loop: gather a batch from the classify queue, classify it in one inference call through the
shared consumer, delete what is done, leave failures to the queue's redrive policy, and stop cleanly on SIGTERM."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass

from aws_lambda_powertools.metrics import MetricUnit

from batchworker.health import Liveness
from batchworker.queue import ClassifyQueue, Heartbeat, Received
from imagepredict.classify.consumer import ClassifyConsumer, MessageResult
from imagepredict.observability import logger, metrics

STAGES = ("download_ms", "decode_ms", "inference_ms", "store_ms")


@dataclass(frozen=True)
class BatchPolicy:
    size: int
    wait_ms: int
    poll_wait_seconds: int
    drain_seconds: int
    failed_visibility_seconds: int | None


@dataclass(frozen=True)
class BatchReport:
    messages: int
    done: int
    failed: int
    seconds: float
    gather_seconds: float


class BatchWorker:
    def __init__(
        self,
        *,
        queue: ClassifyQueue,
        consumer: ClassifyConsumer,
        heartbeat: Heartbeat,
        policy: BatchPolicy,
        liveness: Liveness,
    ) -> None:
        self._queue = queue
        self._consumer = consumer
        self._heartbeat = heartbeat
        self._policy = policy
        self._liveness = liveness
        self._stop = threading.Event()
        self._deadline: float | None = None
        self._runner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="batch")
        self.abandoned = False  # the drain deadline passed with a batch still running

    def stop(self) -> None:
        """What SIGTERM does: receive no more, finish the batch in hand within the drain deadline."""
        if not self._stop.is_set():
            self._deadline = time.monotonic() + self._policy.drain_seconds
            self._liveness.stopping = True
            self._stop.set()
            logger.info("Stopping: finishing the batch in hand", extra={"drain_seconds": self._policy.drain_seconds})

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def run(self) -> None:
        """Until stopped (or until a batch overran the drain deadline, which `abandoned` then says)."""
        while not self.stopping:
            batch, gather_seconds = self.gather()
            self._liveness.progressed()
            if not batch:
                continue
            if self.stopping:  # received while SIGTERM arrived: hand it straight back to the other consumers
                self._queue.set_visibility(batch, 0)
                break
            if self.process(batch, gather_seconds) is None:
                self.abandoned = True
                break
        self._runner.shutdown(wait=not self.abandoned, cancel_futures=True)

    def gather(self) -> tuple[list[Received], float]:
        """Up to `size` messages: a long poll for the first, then whatever arrives within `wait_ms` of it."""
        batch = self._queue.receive(self._policy.size, self._policy.poll_wait_seconds)
        if not batch:
            return [], 0.0
        started = time.monotonic()
        window_ends = started + self._policy.wait_ms / 1000
        while len(batch) < self._policy.size and not self.stopping:
            remaining = window_ends - time.monotonic()
            if remaining <= 0:
                break
            more = self._queue.receive(self._policy.size - len(batch), int(remaining))
            if not more and remaining < 1:
                break  # a short poll found nothing: the queue is empty for now
            batch.extend(more)
        return batch, time.monotonic() - started

    def process(self, batch: Sequence[Received], gather_seconds: float = 0.0) -> BatchReport | None:
        """Classify, then delete what is done; None when the drain deadline passed first (all handed back)."""
        started = time.perf_counter()
        logger.info("Batch started", extra={"messages": len(batch), "gather_ms": round(gather_seconds * 1000, 1)})
        with self._heartbeat.keeping(batch):
            future = self._runner.submit(self._consumer.consume, [received.message for received in batch])
            results = self._wait(future)
        if results is None:
            logger.warning("Drain deadline passed mid-batch: its messages are visible again", extra={"n": len(batch)})
            self._queue.set_visibility(batch, 0)
            return None
        report = self._settle(batch, results, time.perf_counter() - started, gather_seconds)
        self._liveness.progressed(images=report.done, batch=True)
        return report

    def _wait(self, future: Future[list[MessageResult]]) -> list[MessageResult] | None:
        while True:
            try:
                return future.result(timeout=0.2)
            except FutureTimeout:
                if self._deadline is not None and time.monotonic() > self._deadline:
                    return None

    def _settle(
        self, batch: Sequence[Received], results: list[MessageResult], seconds: float, gather_seconds: float
    ) -> BatchReport:
        done = [received for received, result in zip(batch, results, strict=True) if result.done]
        failed = [received for received, result in zip(batch, results, strict=True) if not result.done]
        self._queue.delete(done)
        if failed and self._policy.failed_visibility_seconds is not None:
            self._queue.set_visibility(failed, self._policy.failed_visibility_seconds)
        report = BatchReport(len(batch), len(done), len(failed), seconds, gather_seconds)
        try:
            self._publish(report, results)
        except Exception:  # metrics are worth a log line, never the worker
            logger.exception("Could not publish the batch's metrics")
        return report

    def _publish(self, report: BatchReport, results: list[MessageResult]) -> None:
        """Per batch: size, time, images/s and each stage's mean time per image, as EMF metrics and one log line."""
        timings = [outcome.timings for result in results for outcome in result.outcomes if outcome.timings]
        stages = {stage: _mean([t[stage] for t in timings if stage in t]) for stage in STAGES}
        queued = _mean([t["queued_ms"] for t in timings if "queued_ms" in t])
        images_per_second = len(timings) / report.seconds if report.seconds > 0 else 0.0
        metrics.add_metric(name="BatchSize", unit=MetricUnit.Count, value=report.messages)
        metrics.add_metric(name="BatchFailedMessages", unit=MetricUnit.Count, value=report.failed)
        metrics.add_metric(name="BatchMilliseconds", unit=MetricUnit.Milliseconds, value=report.seconds * 1000)
        metrics.add_metric(name="ImagesPerSecond", unit=MetricUnit.CountPerSecond, value=images_per_second)
        metrics.add_metric(name="QueueWaitMilliseconds", unit=MetricUnit.Milliseconds, value=queued)
        for stage, value in stages.items():
            name = "".join(part.capitalize() for part in stage.removesuffix("_ms").split("_")) + "Milliseconds"
            metrics.add_metric(name=name, unit=MetricUnit.Milliseconds, value=value)
        metrics.flush_metrics()
        logger.info(
            "Batch finished",
            extra={
                "messages": report.messages,
                "done": report.done,
                "failed": report.failed,
                "classified": len(timings),
                "batch_ms": round(report.seconds * 1000, 1),
                "gather_ms": round(report.gather_seconds * 1000, 1),
                "images_per_second": round(images_per_second, 2),
                "queued_ms": queued,
                **stages,
            },
        )


def _mean(values: Sequence[float]) -> float:
    return round(sum(values) / len(values), 3) if values else 0.0
