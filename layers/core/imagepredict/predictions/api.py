"""What the predictions API answers: pages, one prediction with a short-lived image link, deletion."""

from __future__ import annotations

from typing import Any

from imagepredict.errors import InvalidRequest, NotFound
from imagepredict.predictions.store import Prediction, PredictionStore

DEFAULT_LIMIT, MAX_LIMIT = 20, 100


def parse_limit(raw: str | None) -> int:
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise InvalidRequest(f"limit must be a whole number from 1 to {MAX_LIMIT}", fields={"limit": "Invalid"})
    return int(raw)


def not_found() -> NotFound:
    return NotFound("No such prediction")


class PredictionQueries:
    def __init__(self, store: PredictionStore, s3: Any, *, image_url_ttl: int) -> None:
        self._store = store
        self._s3 = s3
        self._image_url_ttl = image_url_ttl

    def page(self, owner_id: str, *, limit: int, cursor: str | None) -> dict[str, Any]:
        items, next_cursor = self._store.list_for_owner(owner_id, limit=limit, cursor=cursor)
        return {"items": [item.public() for item in items], "next_cursor": next_cursor}

    def detail(self, owner_id: str, prediction_id: str) -> dict[str, Any]:
        prediction = self._store.get_for_owner(owner_id, prediction_id)
        if prediction is None:
            raise not_found()
        return {**prediction.public(), "image_url": self._image_url(prediction)}

    def delete(self, owner_id: str, prediction_id: str) -> None:
        """The image first, then the record: a failure in between leaves a record the user can delete again."""
        prediction = self._store.get_for_owner(owner_id, prediction_id)
        if prediction is None:
            raise not_found()
        self._s3.delete_object(Bucket=prediction.bucket, Key=prediction.key)
        self._store.delete_for_owner(owner_id, prediction_id)

    def _image_url(self, prediction: Prediction) -> str | None:
        if prediction.status == "pending":
            return None
        return self._s3.generate_presigned_url(
            "get_object",
            Params={"Bucket": prediction.bucket, "Key": prediction.key},
            ExpiresIn=self._image_url_ttl,
        )
