"""Predictions: one per uploaded image, from pending to done (or rejected/failed), owned by the user who uploaded it."""

from imagepredict.predictions.store import (
    DONE,
    FAILED,
    PENDING,
    PROCESSING,
    REJECTED,
    InvalidCursor,
    Prediction,
    PredictionStore,
)

__all__ = ["DONE", "FAILED", "PENDING", "PROCESSING", "REJECTED", "InvalidCursor", "Prediction", "PredictionStore"]
