"""Uploaded objects → stored, emailed predictions, a batch at a time. Knows nothing of Lambda, SQS or workers.

Outcomes: an unusable image is `rejected` (final: the message is done); a transient failure is returned as the
exception, so the caller leaves the message for the queue to deliver again (the consumer marks the prediction
`failed` on the last delivery). The Lambda function sends batches of one; the batch worker up to BATCH_SIZE, which
share one inference call.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any, TypeVar

import numpy as np

from imagepredict.classify.models import Limits, Outcome, Stopwatch, StoredObject
from imagepredict.classify.results import ResultsFiles
from imagepredict.clock import utc_now
from imagepredict.imaging import DecodedImage, ImageRejected, decode_image
from imagepredict.model import Classification, Classifier
from imagepredict.notifications.notifier import ResultNotifier
from imagepredict.observability import logger
from imagepredict.predictions import (
    DONE,
    REJECTED,
    ImageInfo,
    ModelRef,
    Prediction,
    PredictionResult,
    PredictionStore,
    Score,
)
from imagepredict.reasons import TOO_LARGE, Reason
from imagepredict.storage.keys import filename_of, is_upload, results_key

T = TypeVar("T")
R = TypeVar("R")


@dataclass
class _Claimed:
    """One object this call holds the claim for, on its way through download, decode and inference."""

    item: StoredObject
    prediction: Prediction
    watch: Stopwatch = field(default_factory=Stopwatch)
    decoded: DecodedImage | None = None
    model_input: np.ndarray | None = None


ItemResult = Outcome | Exception


def _as_duplicate(result: ItemResult) -> ItemResult:
    return result if isinstance(result, Exception) else Outcome("duplicate", result.prediction_id)


class ClassifyService:
    def __init__(
        self,
        *,
        store: PredictionStore,
        s3: Any,
        classifier: Callable[[], Classifier],
        notifier: ResultNotifier,
        limits: Limits,
        clock: Callable[[], datetime] = utc_now,
        executor: Executor | None = None,
        consumer: str = "lambda",
    ) -> None:
        """`classifier` is called when a model is first needed (loaded once per container by its provider);
        `executor`, when given, downloads and decodes a batch's objects in parallel; `consumer` (lambda or worker) is
        stamped on each finished prediction, so the admin's stats say which model each consumer runs."""
        self._store = store
        self._s3 = s3
        self._classifier = classifier
        self._notifier = notifier
        self._limits = limits
        self._clock = clock
        self._executor = executor
        self._consumer = consumer
        self._results = ResultsFiles(s3)

    def handle(self, item: StoredObject) -> Outcome:
        """One object; a transient failure raises."""
        (result,) = self.handle_batch([item])
        if isinstance(result, Exception):
            raise result
        return result

    def handle_batch(self, items: Sequence[StoredObject]) -> list[ItemResult]:
        """Each object's outcome, or the exception that stopped it, in order. One inference call for the batch.

        S3 delivers events at least once, so a batch may name one object version twice: it is classified once,
        and its other mentions are duplicates (or fail with it, so their messages are retried too)."""
        first_of: dict[tuple[str, str, str], int] = {}
        for index, item in enumerate(items):
            first_of.setdefault((item.bucket, item.key, item.etag), index)
        unique = sorted(first_of.values())
        handled = dict(zip(unique, self._handle_unique([items[i] for i in unique]), strict=True))
        results = []
        for index, item in enumerate(items):
            first = handled[first_of[(item.bucket, item.key, item.etag)]]
            results.append(first if index in handled else _as_duplicate(first))
        return results

    def _handle_unique(self, items: Sequence[StoredObject]) -> list[ItemResult]:
        results: list[ItemResult | None] = [None] * len(items)
        claimed: dict[int, _Claimed] = {}
        for index, started in enumerate(self._map(partial(self._attempt, self._claim), items)):
            if isinstance(started, _Claimed):
                claimed[index] = started
            else:
                results[index] = started
        prepared_all = self._map(partial(self._attempt, self._prepare), claimed.values())
        for index, prepared in zip(list(claimed), prepared_all, strict=True):
            if prepared is not None:
                results[index] = prepared
                del claimed[index]
        for index, finished in self._infer_and_finish(claimed).items():
            results[index] = finished
        assert all(result is not None for result in results)
        return results  # type: ignore[return-value]

    def mark_failed(self, item: StoredObject, reason: Reason) -> None:
        """Called on the last delivery of a message that keeps failing, before it goes to the DLQ."""
        prediction = self._store.by_source(item.bucket, item.key)
        if prediction is None:
            return
        self._store.mark_failed(prediction.id, reason.code, reason.message(), self._clock())
        if prediction.owner_id is None:  # whatever it ended as (failed, or done by a racing delivery)
            self._republish(item.bucket, item.key)

    # --- the steps ------------------------------------------------------------------------------------------------

    def _claim(self, item: StoredObject) -> ItemResult | _Claimed:
        prediction = self._prediction_for(item)
        if prediction is None:
            return Outcome("orphan", detail="no prediction for this upload (deleted by its owner): object removed")
        claimed = self._store.claim(prediction.id, item.etag, self._clock())
        if claimed is None:
            return self._already_finished(prediction)
        work = _Claimed(item, claimed)
        if item.event_time:
            queued = (self._clock() - item.event_time).total_seconds() * 1000
            work.watch.timings["queued_ms"] = round(max(0.0, queued), 3)
        return work

    def _prepare(self, work: _Claimed) -> ItemResult | None:
        """Download, decode and turn into the model's input; a rejected image is finished here."""
        try:
            self._download_and_decode(work)
        except ImageRejected as rejection:
            return self._reject(work, rejection)
        return None

    def _download_and_decode(self, work: _Claimed) -> None:
        item, watch = work.item, work.watch
        started = time.perf_counter()
        head = self._s3.head_object(Bucket=item.bucket, Key=item.key)
        size = int(head["ContentLength"])
        if size > self._limits.max_bytes:
            raise ImageRejected(TOO_LARGE, size=size, limit=self._limits.max_bytes)
        data = self._s3.get_object(Bucket=item.bucket, Key=item.key)["Body"].read()
        started = watch.lap("download_ms", started)
        classifier = self._classifier()
        work.decoded = decode_image(data, max_pixels=self._limits.max_pixels, target=classifier.input_size)
        work.model_input = classifier.prepare(work.decoded.image)
        watch.lap("decode_ms", started)

    def _infer_and_finish(self, claimed: dict[int, _Claimed]) -> dict[int, ItemResult]:
        if not claimed:
            return {}
        classifier = self._classifier()
        try:
            classifications = classifier.predict_batch([work.model_input for work in claimed.values()])
        except Exception as error:  # the whole batch failed: every message is delivered again
            return dict.fromkeys(claimed, error)
        ready = []
        for work, classification in zip(claimed.values(), classifications, strict=True):
            work.watch.timings["inference_ms"] = classification.inference_ms
            if len(claimed) > 1:
                work.watch.timings["batch_size"] = len(claimed)
            ready.append((work, self._result(work, classification, classifier)))
        # storing and emailing wait on MongoDB and SES: in parallel, like the downloads
        finished = self._map(lambda pair: self._attempt(self._finish, *pair), ready)
        return dict(zip(claimed, finished, strict=True))

    def _result(self, work: _Claimed, classification: Classification, classifier: Classifier) -> PredictionResult:
        metadata, decoded = classifier.metadata, work.decoded
        assert decoded is not None
        return PredictionResult(
            probabilities=tuple(Score(entry.label, entry.probability) for entry in classification.probabilities),
            # the model's identity is its model.json (the TFLite digest), whichever of its files ran
            model=ModelRef(metadata.name, metadata.version, metadata.tflite_sha256),
            inference_ms=classification.inference_ms,
            image=ImageInfo(decoded.format, decoded.width, decoded.height),
        )

    def _finish(self, work: _Claimed, result: PredictionResult) -> ItemResult:
        finished = self._store_result(work, result)
        if finished is None:
            return self._already_finished(work.prediction)
        self._results.publish(finished)  # before the email: a failure here retries the message, and then both
        self._notifier.notify(finished)
        return Outcome(DONE, finished.id, result.top.label, work.watch.timings)

    def _reject(self, work: _Claimed, rejection: ImageRejected) -> Outcome:
        if rejection.__cause__ is not None:  # what Pillow said, for the operator (the user reads our words)
            logger.info(
                "Image rejected",
                extra={"key": work.item.key, "code": rejection.code, "cause": repr(rejection.__cause__)},
            )
        finished = self._store.finish(
            work.prediction.id,
            work.item.etag,
            status=REJECTED,
            now=self._clock(),
            error={"code": rejection.code, "message": rejection.message},
            email_status="skipped",
            timings=work.watch.timings,
            extra=self._finished_extra(work.prediction),
        )
        if finished is None:
            return self._already_finished(work.prediction)
        self._results.publish(finished)
        return Outcome(REJECTED, work.prediction.id, rejection.code, work.watch.timings)

    def _prediction_for(self, item: StoredObject) -> Prediction | None:
        prediction = self._store.by_source(item.bucket, item.key)
        if prediction is not None:
            return prediction
        if is_upload(item.key):
            self._s3.delete_object(Bucket=item.bucket, Key=item.key)
            return None
        return self._store.create_for_object(
            bucket=item.bucket, key=item.key, filename=filename_of(item.key), now=self._clock()
        )

    def _already_finished(self, prediction: Prediction) -> Outcome:
        """A duplicate delivery: nothing to classify, but an email or a results file that failed earlier is retried
        (the results file from the stored record, so it says the same whoever writes it)."""
        self._notifier.retry(prediction.id)
        if prediction.owner_id is None:
            self._republish(prediction.bucket, prediction.key)
        return Outcome("duplicate", prediction.id)

    def _republish(self, bucket: str, key: str) -> None:
        current = self._store.by_source(bucket, key)
        if current is not None:
            self._results.publish(current)

    def _finished_extra(self, prediction: Prediction) -> dict[str, Any]:
        """Who finished it and, for an inbox object, where its results file goes."""
        key = {"results_key": results_key(prediction.key)} if prediction.owner_id is None else {}
        return {"consumer": self._consumer, **key}

    def _store_result(self, work: _Claimed, result: PredictionResult) -> Prediction | None:
        started = time.perf_counter()
        claimed, item = work.prediction, work.item
        work.watch.lap("store_ms", started)
        return self._store.finish(
            claimed.id,
            item.etag,
            status=DONE,
            now=self._clock(),
            result=result,
            email_status=self._notifier.initial_status(claimed),
            timings=work.watch.timings,
            extra=self._finished_extra(claimed),
        )

    # --- running steps over a batch -------------------------------------------------------------------------------

    def _map(self, step: Callable[[T], R], values: Iterable[T]) -> list[R]:
        values = list(values)
        if self._executor is None or len(values) < 2:
            return [step(value) for value in values]
        return list(self._executor.map(step, values))

    @staticmethod
    def _attempt(step: Callable[..., R], *args: Any) -> R | Exception:
        """The step's result, or the exception that stopped it: one object's failure never fails the batch."""
        try:
            return step(*args)
        except Exception as error:
            return error
