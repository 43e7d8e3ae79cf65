"""What a finished prediction holds: every class with its probability, the model that said so, the image it saw.

Built once by the classify service (from the classifier's output), stored as a document, read back by the API
view, the email and the inbox results file: one shape, one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Score:
    label: str
    probability: float

    def to_document(self) -> dict[str, Any]:
        return {"label": self.label, "probability": self.probability}


@dataclass(frozen=True)
class ModelRef:
    name: str
    version: str
    sha256: str


@dataclass(frozen=True)
class ImageInfo:
    format: str
    width: int
    height: int


@dataclass(frozen=True)
class PredictionResult:
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
