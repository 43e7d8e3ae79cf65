"""The classify pipeline: an object in the bucket becomes a stored, emailed prediction, exactly once per version."""

from imagepredict.classify.models import Limits, Outcome, StoredObject
from imagepredict.classify.service import ClassifyService

__all__ = ["ClassifyService", "Limits", "Outcome", "StoredObject"]
