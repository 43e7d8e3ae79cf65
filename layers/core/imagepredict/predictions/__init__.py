"""Predictions: one per uploaded image, from pending to done (or rejected/failed), owned by the user who uploaded it."""

from imagepredict.predictions.cursor import InvalidCursor
from imagepredict.predictions.result import ImageInfo, ModelRef, PredictionResult, Score
from imagepredict.predictions.store import (
    DONE,
    FAILED,
    PENDING,
    PROCESSING,
    REJECTED,
    Prediction,
    PredictionStore,
)
from imagepredict.settings import Settings
from imagepredict.storage.mongo import get_database

__all__ = [
    "DONE",
    "FAILED",
    "PENDING",
    "PROCESSING",
    "REJECTED",
    "ImageInfo",
    "InvalidCursor",
    "ModelRef",
    "Prediction",
    "PredictionResult",
    "PredictionStore",
    "Score",
    "build_prediction_store",
]


def build_prediction_store(settings: Settings) -> PredictionStore:
    """The container's store on its MongoDB database, with its indexes in place."""
    store = PredictionStore(get_database(settings))
    store.ensure_indexes()
    return store
