"""One uploaded object → one stored, emailed prediction. Knows nothing of Lambda or SQS.

Outcomes: an unusable image is `rejected` (final: the message is done); a transient failure raises, so the
queue redelivers the message; on the last delivery the prediction is first marked `failed`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from imagepredict.clock import isoformat, utc_now
from imagepredict.email import Mailer, compose_result_email
from imagepredict.imaging import ImageRejected, decode_image
from imagepredict.model import ModelRunner
from imagepredict.predictions import DONE, REJECTED, Prediction, PredictionStore

EMAIL_STALE_AFTER = timedelta(minutes=5)


@dataclass(frozen=True)
class StoredObject:
    bucket: str
    key: str  # already URL-decoded
    etag: str
    size: int
    event_time: datetime | None = None


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_pixels: int


@dataclass(frozen=True)
class Outcome:
    status: str  # done, rejected, duplicate, orphan, skipped
    prediction_id: str | None = None
    detail: str | None = None


class Stopwatch:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}

    def lap(self, name: str, started: float) -> float:
        now = time.perf_counter()
        self.timings[name] = round((now - started) * 1000, 3)
        return now


class ClassifyService:
    def __init__(
        self,
        *,
        store: PredictionStore,
        s3: Any,
        runner: Callable[[], ModelRunner],
        mailer: Mailer,
        limits: Limits,
        sender: str | None,
        notify_email: str | None,
        app_url: str,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._store = store
        self._s3 = s3
        self._runner = runner
        self._mailer = mailer
        self._limits = limits
        self._sender = sender
        self._notify_email = notify_email
        self._app_url = app_url
        self._clock = clock

    # --- the pipeline -----------------------------------------------------------------------------------------------

    def handle(self, item: StoredObject) -> Outcome:
        prediction = self._prediction_for(item)
        if prediction is None:
            return Outcome("orphan", detail="no prediction for this upload (deleted by its owner): object removed")
        claimed = self._store.claim(prediction.id, item.etag, self._clock())
        if claimed is None:
            return self._already_finished(prediction.id)
        watch = Stopwatch()
        if item.event_time:
            watch.timings["queued_ms"] = round(max(0.0, (self._clock() - item.event_time).total_seconds() * 1000), 3)
        try:
            result = self._classify(item, watch)
        except ImageRejected as rejection:
            self._store.finish(
                claimed.id,
                item.etag,
                status=REJECTED,
                now=self._clock(),
                error={"code": rejection.code, "message": rejection.message},
                email_status="skipped",
                timings=watch.timings,
            )
            return Outcome(REJECTED, claimed.id, rejection.code)
        finished = self._store_result(claimed, item, result, watch)
        if finished is None:
            return self._already_finished(claimed.id)
        self._email(finished)
        return Outcome(DONE, finished.id, result["top"]["label"])

    def mark_failed(self, item: StoredObject, code: str, message: str) -> None:
        """Called on the last delivery of a message that keeps failing, before it goes to the DLQ."""
        prediction = self._store.by_source(item.bucket, item.key)
        if prediction is not None:
            self._store.mark_failed(prediction.id, code, message, self._clock())

    def _prediction_for(self, item: StoredObject) -> Prediction | None:
        prediction = self._store.by_source(item.bucket, item.key)
        if prediction is not None:
            return prediction
        if item.key.startswith("uploads/"):
            self._s3.delete_object(Bucket=item.bucket, Key=item.key)
            return None
        return self._store.create_for_object(
            bucket=item.bucket, key=item.key, filename=item.key.rsplit("/", 1)[-1], now=self._clock()
        )

    def _already_finished(self, prediction_id: str) -> Outcome:
        """A duplicate delivery: nothing to classify, but an email that failed earlier is retried."""
        current = self._store.claim_email(prediction_id, self._clock(), EMAIL_STALE_AFTER)
        if current is not None:
            self._send(current)
        return Outcome("duplicate", prediction_id)

    def _classify(self, item: StoredObject, watch: Stopwatch) -> dict[str, Any]:
        started = time.perf_counter()
        head = self._s3.head_object(Bucket=item.bucket, Key=item.key)
        size = int(head["ContentLength"])
        if size > self._limits.max_bytes:
            raise ImageRejected(
                "too_large", f"The file is {size:,} bytes; at most {self._limits.max_bytes:,} bytes are accepted"
            )
        data = self._s3.get_object(Bucket=item.bucket, Key=item.key)["Body"].read()
        started = watch.lap("download_ms", started)
        runner = self._runner()
        decoded = decode_image(data, max_pixels=self._limits.max_pixels, target=runner.input_size)
        batch = runner.prepare(decoded.image)
        watch.lap("decode_ms", started)
        classification = runner.predict(batch)
        watch.timings["inference_ms"] = classification.inference_ms
        metadata = runner.metadata
        return {
            "top": classification.top.to_json(),
            "probabilities": [entry.to_json() for entry in classification.probabilities],
            "model": {"name": metadata.name, "version": metadata.version, "sha256": metadata.tflite_sha256},
            "inference_ms": classification.inference_ms,
            "image": {"format": decoded.format, "width": decoded.width, "height": decoded.height},
        }

    def _store_result(
        self, claimed: Prediction, item: StoredObject, result: dict[str, Any], watch: Stopwatch
    ) -> Prediction | None:
        started = time.perf_counter()
        extra: dict[str, Any] = {}
        if claimed.owner_id is None:
            results_key = f"results/{item.key}.json"
            self._write_result_json(item, results_key, claimed.id, result)
            extra["results_key"] = results_key
        recipient = self._recipient(claimed)
        email_status = "pending" if recipient and self._sender else "skipped"
        watch.lap("store_ms", started)
        return self._store.finish(
            claimed.id,
            item.etag,
            status=DONE,
            now=self._clock(),
            result=result,
            email_status=email_status,
            timings=watch.timings,
            extra=extra,
        )

    def _write_result_json(
        self, item: StoredObject, results_key: str, prediction_id: str, result: dict[str, Any]
    ) -> None:
        document = {"prediction_id": prediction_id, "source": {"bucket": item.bucket, "key": item.key}, **result}
        document["completed_at"] = isoformat(self._clock())
        self._s3.put_object(
            Bucket=item.bucket,
            Key=results_key,
            Body=json.dumps(document, indent=2).encode(),
            ContentType="application/json",
            ServerSideEncryption="AES256",
        )

    def _recipient(self, prediction: Prediction) -> str | None:
        return prediction.owner_email if prediction.owner_id else self._notify_email

    # --- email ------------------------------------------------------------------------------------------------------

    def _email(self, prediction: Prediction) -> None:
        if prediction.email.get("status") != "pending":
            return
        claimed = self._store.claim_email(prediction.id, self._clock(), EMAIL_STALE_AFTER)
        if claimed is not None:
            self._send(claimed)

    def _send(self, prediction: Prediction) -> None:
        recipient = self._recipient(prediction)
        if not (recipient and self._sender and prediction.result):
            self._store.email_failed(prediction.id, "no recipient or sender configured")
            return
        link = f"{self._app_url}/#/predictions/{quote(prediction.id)}" if prediction.owner_id else None
        message = compose_result_email(
            sender=self._sender, recipient=recipient, filename=prediction.filename, result=prediction.result, link=link
        )
        try:
            message_id = self._mailer.send(message)
        except Exception as error:
            self._store.email_failed(prediction.id, f"{type(error).__name__}: {error}")
            raise
        self._store.email_sent(prediction.id, self._clock(), message_id)
