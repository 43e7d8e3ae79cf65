"""Runs a converted classifier: preprocessing from its metadata, float or quantized IO, every class's probability."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from imagepredict.imaging import to_model_input
from imagepredict.model.metadata import MetadataError, ModelError, ModelMetadata
from imagepredict.model.runtime import ModelIncompatible, Runtime, explain_load_failure, find_runtime

if TYPE_CHECKING:
    from PIL import Image


@dataclass(frozen=True)
class ClassProbability:
    label: str
    probability: float

    def to_json(self) -> dict[str, Any]:
        return {"label": self.label, "probability": self.probability}


@dataclass(frozen=True)
class Classification:
    probabilities: tuple[ClassProbability, ...]  # every class, most probable first
    inference_ms: float

    @property
    def top(self) -> ClassProbability:
        return self.probabilities[0]


@dataclass(frozen=True)
class TensorSpec:
    index: int
    shape: tuple[int, ...]
    dtype: Any
    scale: float
    zero_point: int

    @classmethod
    def of(cls, details: dict[str, Any]) -> TensorSpec:
        scale, zero_point = details.get("quantization", (0.0, 0))
        return cls(details["index"], tuple(int(d) for d in details["shape"]), details["dtype"], scale, zero_point)

    @property
    def quantized(self) -> bool:
        return np.issubdtype(self.dtype, np.integer)


def softmax(values: np.ndarray) -> np.ndarray:
    shifted = np.exp(values - values.max())
    return shifted / shifted.sum()


def quantize(values: np.ndarray, spec: TensorSpec) -> np.ndarray:
    info = np.iinfo(spec.dtype)
    quantized = np.round(values / spec.scale) + spec.zero_point
    return np.clip(quantized, info.min, info.max).astype(spec.dtype)


def dequantize(values: np.ndarray, spec: TensorSpec) -> np.ndarray:
    return (values.astype(np.float32) - spec.zero_point) * spec.scale


class ModelRunner:
    """One loaded model. Create once per container; `classify` is safe to call from several threads."""

    def __init__(
        self, model_content: bytes, metadata: ModelMetadata, *, num_threads: int = 1, runtime: Runtime | None = None
    ) -> None:
        self.metadata = metadata
        self.runtime = runtime or find_runtime()
        if self.runtime.name == "tflite-runtime" and metadata.quantization == "dynamic":
            raise explain_load_failure(self.runtime, metadata.quantization, ModelIncompatible("dynamic-range model"))
        try:
            self._interpreter = self.runtime.create(model_content, num_threads)
            self._interpreter.allocate_tensors()
        except (ValueError, RuntimeError) as error:
            raise explain_load_failure(self.runtime, metadata.quantization, error) from error
        self.input = self._single_tensor(self._interpreter.get_input_details(), "input")
        self.output = self._single_tensor(self._interpreter.get_output_details(), "output")
        self._check_shapes()
        self._lock = threading.Lock()

    @staticmethod
    def _single_tensor(details: list[dict[str, Any]], what: str) -> TensorSpec:
        if len(details) != 1:
            raise ModelError(f"The model must have exactly one {what} tensor, it has {len(details)}")
        return TensorSpec.of(details[0])

    def _check_shapes(self) -> None:
        shape = self.input.shape
        if len(shape) != 4 or shape[0] != 1 or shape[3] not in (1, 3):
            raise ModelError(f"The model's input must be one image (1, height, width, 1 or 3), got {shape}")
        classes = int(np.prod(self.output.shape))
        if classes != len(self.metadata.labels):
            raise MetadataError(
                f"model.json lists {len(self.metadata.labels)} labels but the model outputs {classes} values"
            )

    @property
    def input_size(self) -> tuple[int, int]:
        """(height, width) the model takes."""
        return self.input.shape[1], self.input.shape[2]

    def prepare(self, image: Image.Image) -> np.ndarray:
        """The image as the float input the model's preprocessing describes, shape (1, H, W, C)."""
        height, width = self.input_size
        return to_model_input(image, self.metadata.preprocessing, height, width, self.input.shape[3])

    def classify(self, image: Image.Image) -> Classification:
        return self.predict(self.prepare(image))

    def predict(self, batch: np.ndarray) -> Classification:
        """Run one preprocessed float input of shape (1, H, W, C)."""
        probabilities, elapsed_ms = self.scores(batch)
        return Classification(self._ranked(probabilities), round(elapsed_ms, 3))

    def scores(self, batch: np.ndarray) -> tuple[np.ndarray, float]:
        """Every class's probability in label order, and the milliseconds spent in the interpreter."""
        if batch.shape != self.input.shape:
            raise ValueError(f"expected input of shape {self.input.shape}, got {batch.shape}")
        values = quantize(batch, self.input) if self.input.quantized else batch.astype(self.input.dtype, copy=False)
        with self._lock:
            started = time.perf_counter()
            self._interpreter.set_tensor(self.input.index, values)
            self._interpreter.invoke()
            raw = self._interpreter.get_tensor(self.output.index).reshape(-1)
            elapsed_ms = (time.perf_counter() - started) * 1000
        return self.probabilities_from(raw), elapsed_ms

    def probabilities_from(self, raw: np.ndarray) -> np.ndarray:
        values = dequantize(raw, self.output) if self.output.quantized else raw.astype(np.float32)
        if self.metadata.output_kind == "logits":
            values = softmax(values)
        return np.clip(values, 0.0, 1.0)

    def _ranked(self, probabilities: np.ndarray) -> tuple[ClassProbability, ...]:
        order = np.argsort(-probabilities, kind="stable")
        return tuple(ClassProbability(self.metadata.labels[i], float(probabilities[i])) for i in order)
