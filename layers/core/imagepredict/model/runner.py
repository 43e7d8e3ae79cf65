"""Runs a converted classifier: preprocessing from its metadata, float or quantized IO, every class's probability."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from imagepredict.model.classifier import Classification, classifications, ranked, softmax, stack_inputs
from imagepredict.model.metadata import MetadataError, ModelError, ModelMetadata
from imagepredict.model.preprocess import to_model_input
from imagepredict.model.runtime import ModelIncompatible, Runtime, explain_load_failure, find_runtime

if TYPE_CHECKING:
    from PIL import Image


@dataclass(frozen=True)
class TensorSpec:
    index: int
    shape: tuple[int, ...]
    dtype: Any
    scale: float
    zero_point: int
    batch_dynamic: bool = False  # the model's batch dimension is -1 in its signature: the tensor can be resized

    @classmethod
    def of(cls, details: dict[str, Any]) -> TensorSpec:
        scale, zero_point = details.get("quantization", (0.0, 0))
        signature = details.get("shape_signature")
        dynamic = signature is not None and len(signature) > 0 and int(signature[0]) == -1
        shape = tuple(int(d) for d in details["shape"])
        return cls(details["index"], shape, details["dtype"], scale, zero_point, dynamic)

    @property
    def quantized(self) -> bool:
        return np.issubdtype(self.dtype, np.integer)


def quantize(values: np.ndarray, spec: TensorSpec) -> np.ndarray:
    info = np.iinfo(spec.dtype)
    quantized = np.round(values / spec.scale) + spec.zero_point
    return np.clip(quantized, info.min, info.max).astype(spec.dtype)


def dequantize(values: np.ndarray, spec: TensorSpec) -> np.ndarray:
    return (values.astype(np.float32) - spec.zero_point) * spec.scale


class ModelRunner:
    """One loaded TFLite model (LiteRT or tflite-runtime). Create once per container; thread-safe.

    Batches: a model whose batch dimension is dynamic gets its input tensor resized to the batch (one invoke);
    a fixed one is run image by image. `docs/benchmarks.md` compares the two (`batch_mode`).
    """

    def __init__(
        self,
        model_content: bytes,
        metadata: ModelMetadata,
        *,
        num_threads: int = 1,
        runtime: Runtime | None = None,
        batch_mode: str = "auto",
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
        self.batch_mode = self.resolve_batch_mode(batch_mode)
        self._batch = 1  # the batch size the interpreter's tensors are allocated for
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

    def resolve_batch_mode(self, requested: str) -> str:
        if requested not in ("auto", "resize", "loop"):
            raise ValueError(f"batch_mode must be auto, resize or loop, got {requested!r}")
        if requested == "resize" and not self.input.batch_dynamic:
            raise ModelError("This model's batch dimension is fixed at 1: its input cannot be resized to a batch")
        if requested == "auto":
            return "resize" if self.input.batch_dynamic else "loop"
        return requested

    @property
    def backend(self) -> str:
        return self.runtime.name

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
        return Classification(ranked(self.metadata.labels, probabilities), round(elapsed_ms, 3))

    def predict_batch(self, inputs: Sequence[np.ndarray]) -> list[Classification]:
        """Classify prepared (1, H, W, C) inputs in one go; results in the same order."""
        if len(inputs) == 0:
            return []
        batch = stack_inputs(inputs)
        if batch.shape[1:] != self.input.shape[1:]:
            raise ValueError(f"expected inputs of shape {self.input.shape}, got {batch.shape}")
        started = time.perf_counter()
        if self.batch_mode == "resize" and len(batch) > 1:
            probabilities = self._invoke_resized(batch)
        else:
            probabilities = np.stack([self.scores(item[np.newaxis])[0] for item in batch])
        return classifications(self.metadata.labels, probabilities, (time.perf_counter() - started) * 1000)

    def _invoke_resized(self, batch: np.ndarray) -> np.ndarray:
        values = quantize(batch, self.input) if self.input.quantized else batch.astype(self.input.dtype, copy=False)
        with self._lock:
            self._resize(len(batch))
            self._interpreter.set_tensor(self.input.index, values)
            self._interpreter.invoke()
            raw = self._interpreter.get_tensor(self.output.index).reshape(len(batch), -1)
        return self.probabilities_from(raw)

    def _resize(self, size: int) -> None:
        """Reallocate the tensors for `size` images (only when it changes: allocation is not free). Holds the lock."""
        if size == self._batch:
            return
        self._interpreter.resize_tensor_input(self.input.index, [size, *self.input.shape[1:]], strict=True)
        self._interpreter.allocate_tensors()
        self._batch = size

    def scores(self, batch: np.ndarray) -> tuple[np.ndarray, float]:
        """Every class's probability in label order, and the milliseconds spent in the interpreter."""
        if batch.shape != self.input.shape:
            raise ValueError(f"expected input of shape {self.input.shape}, got {batch.shape}")
        values = quantize(batch, self.input) if self.input.quantized else batch.astype(self.input.dtype, copy=False)
        with self._lock:
            self._resize(1)
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
