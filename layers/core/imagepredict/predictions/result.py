"""What a finished prediction holds: every class with its probability, the model that said so, the image it saw.

Built once by the classify service (from the classifier's output), stored as a document, read back by the API
view (its response model embeds this very class), the email and the inbox results file: one shape, one place.
Plain dataclasses, so the classify function never imports pydantic; the API's models validate and document them
through pydantic's support for dataclasses (predictions/api.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Score:
    """One class and its probability (0-1)."""

    label: str
    probability: float

    def to_document(self) -> dict[str, Any]:
        return {"label": self.label, "probability": self.probability}


@dataclass(frozen=True)
class ModelRef:
    """The model that classified the image: its name, version and the SHA-256 of its file."""

    name: str
    version: str
    sha256: str


@dataclass(frozen=True)
class ImageInfo:
    """The image as the classifier saw it: the format detected from its bytes, and its size in pixels."""

    format: str
    width: int
    height: int


@dataclass(frozen=True)
class PredictionResult:
    """A finished classification: `top` (the most probable class), every class most probable first, the model,
    the inference time and the image."""

    probabilities: tuple[Score, ...]  # every class, most probable first
    model: ModelRef
    inference_ms: float
    image: ImageInfo

    def __post_init__(self) -> None:
        if not self.probabilities:
            raise ValueError("a prediction result needs at least one class")

    @property
    def top(self) -> Score:
        return self.probabilities[0]

    def to_document(self) -> dict[str, Any]:
        """As stored in MongoDB and shown by the API (`top` repeated first, for clients and queries)."""
        return {
            "top": self.top.to_document(),
            "probabilities": [score.to_document() for score in self.probabilities],
            "model": {"name": self.model.name, "version": self.model.version, "sha256": self.model.sha256},
            "inference_ms": self.inference_ms,
            "image": {"format": self.image.format, "width": self.image.width, "height": self.image.height},
        }

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> PredictionResult:
        model, image = document["model"], document["image"]
        return cls(
            probabilities=tuple(Score(str(s["label"]), float(s["probability"])) for s in document["probabilities"]),
            model=ModelRef(str(model["name"]), str(model["version"]), str(model["sha256"])),
            inference_ms=float(document["inference_ms"]),
            image=ImageInfo(str(image["format"]), int(image["width"]), int(image["height"])),
        )
