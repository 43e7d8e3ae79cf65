"""What the predictions API answers, as typed models: pages, one prediction with a short-lived image link, deletion.

The views are read straight from the store's Prediction (from_attributes); `result` is the store's own
PredictionResult, so the API, the email and the inbox files show one shape.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, GetCoreSchemaHandler
from pydantic_core import CoreSchema, core_schema

from imagepredict.errors import NotFound
from imagepredict.fieldtypes import Timestamp
from imagepredict.predictions.result import PredictionResult, Score
from imagepredict.predictions.store import Prediction, PredictionStore

Status = Literal["pending", "processing", "done", "rejected", "failed"]
EmailState = Literal["pending", "sending", "sent", "failed", "refused", "skipped"]
_EXAMPLE = {
    "id": "6745a1c2e4b0a1b2c3d4e5f7",
    "status": "done",
    "filename": "digit-7.png",
    "created_at": "2026-11-25T12:00:00.000Z",
    "completed_at": "2026-11-25T12:00:01.250Z",
    "result": {
        "top": {"label": "7", "probability": 0.998},
        "probabilities": [{"label": "7", "probability": 0.998}, {"label": "1", "probability": 0.002}],
        "model": {"name": "digits-cnn", "version": "1", "sha256": "9f2c5e0a" + "0" * 56},
        "inference_ms": 0.13,
        "image": {"format": "PNG", "width": 224, "height": 224},
    },
    "error": None,
    "email": {"status": "sent", "sent_at": "2026-11-25T12:00:02.000Z"},
}


class _WithTop:
    """pydantic's schema of the PredictionResult dataclass, plus its `top` property in what it serializes (as
    PredictionResult.to_document writes it for MongoDB)."""

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        schema = handler.resolve_ref_schema(handler(source))
        assert schema["type"] == "dataclass"
        schema["schema"]["computed_fields"] = [core_schema.computed_field("top", handler.generate_schema(Score))]
        return schema


Result = Annotated[PredictionResult, _WithTop()]


def not_found() -> NotFound:
    return NotFound("No such prediction")


class PredictionError(BaseModel):
    code: str = Field(
        description="not_an_image, unsupported_format, too_large, too_many_pixels, corrupt_image or "
        "classification_failed"
    )
    message: str


class EmailStatus(BaseModel):
    """The result email: `failed` is retried, `refused` is final (with a plain `reason`)."""

    status: EmailState
    sent_at: Timestamp | None = None
    reason: str | None = Field(default=None, exclude_if=lambda reason: reason is None)


class PredictionView(BaseModel):
    """One uploaded image: pending → processing → done, or rejected (final) or failed."""

    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [_EXAMPLE]})

    id: str
    status: Status
    filename: str
    created_at: Timestamp
    completed_at: Timestamp | None
    result: Result | None = Field(description="When done")
    error: PredictionError | None = Field(description="When rejected or failed")
    email: EmailStatus


class PredictionDetail(PredictionView):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{**_EXAMPLE, "image_url": "https://bucket.s3.amazonaws.com/uploads/..."}]}
    )

    image_url: str | None = Field(
        description="A presigned GET of the image, valid a few minutes; null while pending (and a 404 from S3 once "
        "the bucket's lifecycle rule has deleted the image)"
    )


class PredictionPage(BaseModel):
    """The caller's predictions, newest first."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [_EXAMPLE], "next_cursor": None}]})

    items: list[PredictionView]
    next_cursor: str | None = Field(description="Pass it as `cursor` for the next page; null on the last page")


class PredictionQueries:
    def __init__(self, store: PredictionStore, s3: Any, *, image_url_ttl: int) -> None:
        self._store = store
        self._s3 = s3
        self._image_url_ttl = image_url_ttl

    def page(self, owner_id: str, *, limit: int, cursor: str | None) -> PredictionPage:
        items, next_cursor = self._store.list_for_owner(owner_id, limit=limit, cursor=cursor)
        return PredictionPage(items=[PredictionView.model_validate(item) for item in items], next_cursor=next_cursor)

    def detail(self, owner_id: str, prediction_id: str) -> PredictionDetail:
        prediction = self._store.get_for_owner(owner_id, prediction_id)
        if prediction is None:
            raise not_found()
        view = PredictionView.model_validate(prediction)
        return PredictionDetail(**dict(view), image_url=self._image_url(prediction))

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
