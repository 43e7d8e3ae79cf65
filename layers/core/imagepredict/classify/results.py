"""The results file of an object without an account (inbox/): results/{key}.json, for the system that dropped it.

That system has no account to ask the API with, so the file is how it learns what became of the object: written
for every final state (done, rejected, and failed on the last delivery) from the stored prediction, so it says what
the record says, whoever writes it and however often (a duplicate delivery writes the same bytes again).

    {"prediction_id", "source": {"bucket", "key"}, "status": "done" | "rejected" | "failed", "completed_at",
     "error": null | {"code", "message"},
     + when done: "top", "probabilities", "model", "inference_ms", "image"  (as the API's `result`)}
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from imagepredict.clock import isoformat
from imagepredict.observability import logger
from imagepredict.predictions import DONE, FAILED, REJECTED, Prediction, PredictionResult
from imagepredict.storage.keys import results_key

FINAL = (DONE, REJECTED, FAILED)
MAX_KEY_BYTES = 1024  # S3's limit on a key


@dataclass(frozen=True)
class ResultsFile:
    """What results/{key}.json holds: a final prediction, as the system that dropped the object reads it."""

    prediction_id: str
    bucket: str
    key: str
    status: str
    completed_at: str | None
    error: dict[str, str] | None
    result: PredictionResult | None

    @classmethod
    def of(cls, prediction: Prediction) -> ResultsFile:
        completed = isoformat(prediction.completed_at) if prediction.completed_at else None
        error = {"code": prediction.error["code"], "message": prediction.error["message"]} if prediction.error else None
        return cls(
            prediction.id, prediction.bucket, prediction.key, prediction.status, completed, error, prediction.result
        )

    def to_document(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "prediction_id": self.prediction_id,
            "source": {"bucket": self.bucket, "key": self.key},
            "status": self.status,
            "completed_at": self.completed_at,
            "error": self.error,
        }
        if self.status == DONE and self.result is not None:
            document.update(self.result.to_document())
        return document


def owes_results_file(prediction: Prediction) -> bool:
    """Objects without an account (inbox/) get a results file once final; an account's uploads have the API."""
    return prediction.owner_id is None and prediction.status in FINAL


class ResultsFiles:
    def __init__(self, s3: Any) -> None:
        self._s3 = s3

    def publish(self, prediction: Prediction) -> str | None:
        """Write the prediction's results file when it owes one; its key, or None. S3's failures raise (retried)."""
        if not owes_results_file(prediction):
            return None
        key = results_key(prediction.key)
        if len(key.encode()) > MAX_KEY_BYTES:  # the source key is within 13 bytes of S3's limit: no room for ours
            logger.warning("No results file: its key would be too long for S3", extra={"key": prediction.key})
            return None
        body = json.dumps(ResultsFile.of(prediction).to_document(), indent=2, ensure_ascii=False).encode()
        self._s3.put_object(
            Bucket=prediction.bucket,
            Key=key,
            Body=body,
            ContentType="application/json",
            ServerSideEncryption="AES256",
        )
        return key
