"""What every classifier gives: each class with its probability, for a batch of prepared model inputs.

Two implementations: ModelRunner (LiteRT / tflite-runtime, the Lambda path) and OnnxRunner (ONNX Runtime, the
batch worker). A list of one is the Lambda path; the worker sends up to BATCH_SIZE at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

if TYPE_CHECKING:
    from PIL import Image

    from imagepredict.model.metadata import ModelMetadata


@dataclass(frozen=True)
class ClassProbability:
    label: str
    probability: float

    def to_json(self) -> dict[str, Any]:
        return {"label": self.label, "probability": self.probability}


@dataclass(frozen=True)
class Classification:
    probabilities: tuple[ClassProbability, ...]  # every class, most probable first
    inference_ms: float  # this image's share of the interpreter's time (a batch's time divided by its size)

    @property
    def top(self) -> ClassProbability:
        return self.probabilities[0]


@runtime_checkable
class Classifier(Protocol):
    metadata: ModelMetadata

    @property
    def backend(self) -> str:
        """What runs the model, for logs and reports: "litert", "onnxruntime/CPUExecutionProvider", ..."""
        ...

    @property
    def input_size(self) -> tuple[int, int]:
        """(height, width) the model takes."""
        ...

    def prepare(self, image: Image.Image) -> np.ndarray:
        """One image as the model's float input, shape (1, H, W, C)."""
        ...

    def predict_batch(self, inputs: Sequence[np.ndarray]) -> list[Classification]:
        """Classify prepared inputs (each (1, H, W, C)), in order; an empty list gives an empty list."""
        ...


def softmax(values: np.ndarray) -> np.ndarray:
    """Along the last axis: one row of logits, or one row per image."""
    shifted = np.exp(values - values.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def stack_inputs(inputs: Sequence[np.ndarray]) -> np.ndarray:
    """Prepared (1, H, W, C) inputs as one (N, H, W, C) float32 batch."""
    return np.concatenate([np.asarray(item, dtype=np.float32) for item in inputs], axis=0)


def classifications(labels: Sequence[str], probabilities: np.ndarray, elapsed_ms: float) -> list[Classification]:
    """One Classification per row of probabilities (label order), each charged an equal share of the time."""
    share = round(elapsed_ms / max(1, len(probabilities)), 3)
    return [Classification(ranked(labels, row), share) for row in probabilities]


def ranked(labels: Sequence[str], probabilities: np.ndarray) -> tuple[ClassProbability, ...]:
    order = np.argsort(-probabilities, kind="stable")
    return tuple(ClassProbability(labels[i], float(probabilities[i])) for i in order)
