"""model.json: what convert_model.py records about a converted model and what the runner needs from it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

METADATA_FORMAT = "imagepredict-model/1"
RESIZE_METHODS = ("nearest", "bilinear", "bicubic", "lanczos", "box", "hamming")
CHANNEL_ORDERS = ("RGB", "BGR")
OUTPUT_KINDS = ("probabilities", "logits")
QUANTIZATION_MODES = ("none", "float16", "dynamic", "int8")


class ModelError(RuntimeError):
    """The model cannot be loaded or run as configured (a deployment problem, not a user error)."""


class MetadataError(ModelError):
    """model.json is missing, malformed, or disagrees with the model it describes."""


@dataclass(frozen=True)
class Preprocessing:
    """How an image becomes the model's input. The default is the original app's: resize, RGB, divide by 255."""

    resize: str = "bicubic"
    channel_order: str = "RGB"
    scale: float = 1 / 255
    mean: tuple[float, ...] = (0.0, 0.0, 0.0)
    std: tuple[float, ...] = (1.0, 1.0, 1.0)

    def __post_init__(self) -> None:
        if self.resize not in RESIZE_METHODS:
            raise MetadataError(f"preprocessing.resize must be one of {', '.join(RESIZE_METHODS)}, got {self.resize!r}")
        if self.channel_order not in CHANNEL_ORDERS:
            raise MetadataError(f"preprocessing.channel_order must be RGB or BGR, got {self.channel_order!r}")
        if not self.scale > 0:
            raise MetadataError("preprocessing.scale must be positive")
        if len(self.mean) not in (1, 3) or len(self.std) not in (1, 3):
            raise MetadataError("preprocessing.mean and .std need 1 or 3 values")
        if any(value <= 0 for value in self.std):
            raise MetadataError("preprocessing.std values must be positive")

    def to_json(self) -> dict[str, Any]:
        return {
            "resize": self.resize,
            "channel_order": self.channel_order,
            "scale": self.scale,
            "mean": list(self.mean),
            "std": list(self.std),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Preprocessing:
        defaults = cls()
        return cls(
            resize=str(data.get("resize", defaults.resize)),
            channel_order=str(data.get("channel_order", defaults.channel_order)),
            scale=float(data.get("scale", defaults.scale)),
            mean=tuple(float(v) for v in data.get("mean", defaults.mean)),
            std=tuple(float(v) for v in data.get("std", defaults.std)),
        )


@dataclass(frozen=True)
class ModelMetadata:
    name: str
    version: str
    labels: tuple[str, ...]
    tflite_sha256: str
    output_kind: str = "probabilities"
    quantization: str = "none"
    preprocessing: Preprocessing = field(default_factory=Preprocessing)
    onnx_sha256: str | None = None  # model.onnx from `convert_model.py --onnx`, for the batch worker
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self.labels or any(not label for label in self.labels):
            raise MetadataError("labels must be a non-empty list of non-empty names")
        if len(set(self.labels)) != len(self.labels):
            raise MetadataError("labels must be unique")
        if self.output_kind not in OUTPUT_KINDS:
            raise MetadataError(f"output.kind must be probabilities or logits, got {self.output_kind!r}")
        if self.quantization not in QUANTIZATION_MODES:
            raise MetadataError(f"quantization must be one of {', '.join(QUANTIZATION_MODES)}")
        if len(self.tflite_sha256) != 64:
            raise MetadataError("tflite.sha256 must be a hex SHA-256 digest")
        if self.onnx_sha256 is not None and len(self.onnx_sha256) != 64:
            raise MetadataError("onnx.sha256 must be a hex SHA-256 digest")

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ModelMetadata:
        if data.get("format") != METADATA_FORMAT:
            raise MetadataError(f"model.json format must be {METADATA_FORMAT!r}, got {data.get('format')!r}")
        try:
            return cls(
                name=str(data["name"]),
                version=str(data["version"]),
                labels=tuple(str(label) for label in data["labels"]),
                tflite_sha256=str(data["tflite"]["sha256"]),
                output_kind=str(data["output"].get("kind", "probabilities")),
                quantization=str(data.get("quantization", "none")),
                preprocessing=Preprocessing.from_json(data.get("preprocessing", {})),
                onnx_sha256=str(data["onnx"]["sha256"]) if data.get("onnx") else None,
                raw=data,
            )
        except (KeyError, TypeError, ValueError) as error:
            if isinstance(error, MetadataError):
                raise
            raise MetadataError(f"model.json is incomplete or malformed: {error!r}") from None

    @classmethod
    def read(cls, path: Path) -> ModelMetadata:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise MetadataError(f"{path} not found: a model needs its model.json next to model.tflite") from None
        except (OSError, ValueError) as error:
            raise MetadataError(f"{path} cannot be read as JSON: {error}") from None
        if not isinstance(data, dict):
            raise MetadataError(f"{path} must hold a JSON object")
        return cls.from_json(data)
