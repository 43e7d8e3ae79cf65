"""Runs model.onnx (written by `convert_model.py --onnx`) with ONNX Runtime: the batch worker's classifier.

Providers come from what the machine has: CUDA first (onnxruntime-gpu on a GPU host), then CPU. ONNX Runtime
silently falls back to the CPU when CUDA's libraries do not load, so the provider reported is the one the
session really uses. Imported only by the worker: no Lambda layer ships ONNX Runtime.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import onnxruntime

from imagepredict.model.classifier import Classification, classifications, softmax, stack_inputs
from imagepredict.model.loader import ONNX_FILE, model_dir, read_model_dir
from imagepredict.model.metadata import MetadataError, ModelError, ModelMetadata
from imagepredict.model.preprocess import to_model_input

if TYPE_CHECKING:
    from PIL import Image

CUDA, CPU = "CUDAExecutionProvider", "CPUExecutionProvider"
PROVIDER_CHOICES = {"auto": (CUDA, CPU), "cuda": (CUDA,), "cpu": (CPU,)}


def choose_providers(preference: str, available: Sequence[str]) -> list[str]:
    """The providers to ask for, best first, among those this ONNX Runtime build has."""
    if preference not in PROVIDER_CHOICES:
        raise ModelError(f"Unknown ONNX provider preference {preference!r}: use {', '.join(PROVIDER_CHOICES)}")
    chosen = [name for name in PROVIDER_CHOICES[preference] if name in available]
    if not chosen:
        raise ModelError(
            f"ONNX Runtime has none of {', '.join(PROVIDER_CHOICES[preference])} (it has {', '.join(available)}); "
            "install onnxruntime-gpu for CUDA"
        )
    return chosen


class OnnxRunner:
    """One ONNX Runtime session. Create once per process; thread-safe (ONNX Runtime's `run` is)."""

    def __init__(
        self, model_content: bytes, metadata: ModelMetadata, *, num_threads: int = 0, providers: str = "auto"
    ) -> None:
        self.metadata = metadata
        if providers in ("auto", "cuda") and CUDA in onnxruntime.get_available_providers():
            preload_cuda_libraries()
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = num_threads
        options.log_severity_level = 3  # warnings about unused initialisers etc. are not ours to act on
        requested = choose_providers(providers, onnxruntime.get_available_providers())
        try:
            self._session = onnxruntime.InferenceSession(model_content, sess_options=options, providers=requested)
        except Exception as error:  # ONNX Runtime raises its own exception types for bad models
            raise ModelError(f"ONNX Runtime could not load model.onnx: {str(error).strip()}") from None
        self.provider = self._session.get_providers()[0]
        if providers == "cuda" and self.provider != CUDA:
            raise ModelError("CUDA was asked for, but ONNX Runtime could not use it (see its log for why)")
        self._input = self._single(self._session.get_inputs(), "input")
        self._output = self._single(self._session.get_outputs(), "output")
        self._shape = self._check_shapes()
        self.batch_dynamic = not isinstance(self._input.shape[0], int) or self._input.shape[0] != 1

    @staticmethod
    def _single(tensors: Sequence[Any], what: str) -> Any:
        if len(tensors) != 1:
            raise ModelError(f"model.onnx must have exactly one {what}, it has {len(tensors)}")
        return tensors[0]

    def _check_shapes(self) -> tuple[int, int, int]:
        shape = list(self._input.shape)
        if len(shape) != 4 or not all(isinstance(d, int) for d in shape[1:]) or shape[3] not in (1, 3):
            raise ModelError(f"model.onnx's input must be images (batch, height, width, 1 or 3), got {shape}")
        if self._input.type != "tensor(float)":
            raise ModelError(f"model.onnx's input must be float32, got {self._input.type}")
        classes = self._output.shape[-1]
        if classes != len(self.metadata.labels):
            raise MetadataError(f"model.json lists {len(self.metadata.labels)} labels but model.onnx outputs {classes}")
        return shape[1], shape[2], shape[3]

    @property
    def backend(self) -> str:
        return f"onnxruntime/{self.provider}"

    @property
    def input_size(self) -> tuple[int, int]:
        return self._shape[0], self._shape[1]

    def prepare(self, image: Image.Image) -> np.ndarray:
        height, width, channels = self._shape
        return to_model_input(image, self.metadata.preprocessing, height, width, channels)

    def classify(self, image: Image.Image) -> Classification:
        return self.predict_batch([self.prepare(image)])[0]

    def predict_batch(self, inputs: Sequence[np.ndarray]) -> list[Classification]:
        if len(inputs) == 0:
            return []
        batch = stack_inputs(inputs)
        if batch.shape[1:] != self._shape:
            raise ValueError(f"expected inputs of shape (N, {', '.join(map(str, self._shape))}), got {batch.shape}")
        started = time.perf_counter()
        if self.batch_dynamic:
            raw = self._run(batch)
        else:
            raw = np.concatenate([self._run(batch[i : i + 1]) for i in range(len(batch))])
        elapsed_ms = (time.perf_counter() - started) * 1000
        return classifications(self.metadata.labels, self._probabilities(raw), elapsed_ms)

    def _run(self, batch: np.ndarray) -> np.ndarray:
        return np.asarray(self._session.run([self._output.name], {self._input.name: batch})[0], dtype=np.float32)

    def _probabilities(self, raw: np.ndarray) -> np.ndarray:
        values = raw.reshape(len(raw), -1)
        if self.metadata.output_kind == "logits":
            values = softmax(values)
        return np.clip(values, 0.0, 1.0)


def preload_cuda_libraries() -> None:
    """CUDA and cuDNN from their pip packages (onnxruntime-gpu's `cuda`/`cudnn` extras), before the session."""
    preload = getattr(onnxruntime, "preload_dlls", None)
    if preload is not None:
        # missing libraries show up as the CPU provider being the one chosen, which is logged and reported
        with contextlib.suppress(Exception):
            preload()


def load_onnx_runner(
    *,
    bundled_dir: Path,
    s3_uri: str | None = None,
    s3: Any = None,
    cache_dir: Path | None = None,
    num_threads: int = 0,
    providers: str = "auto",
) -> OnnxRunner:
    """model.onnx from MODEL_S3_URI when one is set, else from the bundled directory; verified against model.json."""
    directory = model_dir(bundled_dir=bundled_dir, s3_uri=s3_uri, s3=s3, cache_dir=cache_dir, file=ONNX_FILE)
    content, metadata = read_model_dir(directory, ONNX_FILE)
    return OnnxRunner(content, metadata, num_threads=num_threads, providers=providers)
