"""The runner's arithmetic and metadata rules, without loading a model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from imagepredict.model import MetadataError, ModelMetadata, Preprocessing, S3Location
from imagepredict.model.preprocess import to_model_input
from imagepredict.model.runner import TensorSpec, dequantize, quantize, softmax
from imagepredict.model.runtime import (
    ModelIncompatible,
    Runtime,
    RuntimeUnavailable,
    explain_load_failure,
    find_runtime,
)

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "functions" / "classify" / "model" / "model.json"


def spec(dtype: type, scale: float, zero_point: int) -> TensorSpec:
    return TensorSpec(index=0, shape=(1, 4), dtype=dtype, scale=scale, zero_point=zero_point)


def test_int8_quantization_uses_the_models_scale_and_zero_point_and_saturates() -> None:
    int8 = spec(np.int8, 1 / 255, -128)
    values = np.array([0.0, 0.6, 1.0, 2.0], dtype=np.float32)
    quantized = quantize(values, int8)
    assert quantized.dtype == np.int8
    assert quantized.tolist() == [-128, 25, 127, 127]  # 2.0 is out of range: clipped, not wrapped
    assert np.allclose(dequantize(quantized, int8)[:3], [0.0, 153 / 255, 1.0])


def test_uint8_quantization_round_trips_within_half_a_step() -> None:
    uint8 = spec(np.uint8, 0.02, 10)
    values = np.linspace(-0.2, 4.9, 50, dtype=np.float32)
    assert np.abs(dequantize(quantize(values, uint8), uint8) - values).max() <= 0.01 + 1e-6


def test_softmax_is_stable_for_large_logits() -> None:
    probabilities = softmax(np.array([1000.0, 999.0, -1000.0], dtype=np.float32))
    assert np.isfinite(probabilities).all()
    assert probabilities.sum() == pytest.approx(1.0)
    assert probabilities[0] == pytest.approx(1 / (1 + np.exp(-1)))


def test_preprocessing_defaults_to_the_original_apps_divide_by_255() -> None:
    image = Image.new("RGB", (10, 20), (255, 0, 51))
    batch = to_model_input(image, Preprocessing(), 5, 4, 3)
    assert batch.shape == (1, 5, 4, 3)
    assert batch.dtype == np.float32
    assert np.allclose(batch[0, 2, 2], [1.0, 0.0, 0.2])


def test_preprocessing_applies_channel_order_mean_and_std() -> None:
    image = Image.new("RGB", (4, 4), (255, 128, 0))
    spec_ = Preprocessing(channel_order="BGR", mean=(0.5, 0.5, 0.5), std=(0.5, 0.25, 0.5))
    pixel = to_model_input(image, spec_, 4, 4, 3)[0, 0, 0]
    assert np.allclose(pixel, [(0 - 0.5) / 0.5, (128 / 255 - 0.5) / 0.25, (1 - 0.5) / 0.5], atol=1e-6)


def test_preprocessing_converts_any_mode_to_what_the_model_takes() -> None:
    rgba = Image.new("RGBA", (8, 8), (10, 20, 30, 0))
    assert to_model_input(rgba, Preprocessing(), 8, 8, 3).shape == (1, 8, 8, 3)
    grey = to_model_input(Image.new("RGB", (8, 8), (255, 255, 255)), Preprocessing(), 2, 2, 1)
    assert grey.shape == (1, 2, 2, 1)
    assert np.allclose(grey, 1.0)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("resize", "sinc", "preprocessing.resize"),
        ("channel_order", "RBG", "RGB or BGR"),
        ("scale", 0.0, "scale must be positive"),
        ("std", (1.0, 0.0, 1.0), "std values must be positive"),
        ("mean", (0.1, 0.2), "1 or 3 values"),
    ],
)
def test_bad_preprocessing_is_refused(field: str, value: object, message: str) -> None:
    with pytest.raises(MetadataError, match=message):
        Preprocessing(**{field: value})


def demo_document() -> dict:
    return json.loads(DEMO.read_text())


def test_the_demo_metadata_reads_back() -> None:
    metadata = ModelMetadata.from_json(demo_document())
    assert metadata.labels == tuple("0123456789")
    assert metadata.output_kind == "probabilities"
    assert metadata.preprocessing == Preprocessing()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(format="v0"), "format must be"),
        (lambda d: d.update(labels=["a", "a"]), "unique"),
        (lambda d: d.update(labels=[]), "non-empty"),
        (lambda d: d["output"].update(kind="scores"), "probabilities or logits"),
        (lambda d: d.pop("tflite"), "incomplete or malformed"),
        (lambda d: d.update(quantization="int4"), "quantization must be one of"),
    ],
)
def test_malformed_metadata_is_refused_with_a_reason(change: object, message: str) -> None:
    document = demo_document()
    change(document)  # type: ignore[operator]
    with pytest.raises(MetadataError, match=message):
        ModelMetadata.from_json(document)


def test_metadata_that_is_not_json_says_so(tmp_path: Path) -> None:
    (tmp_path / "model.json").write_text("{not json")
    with pytest.raises(MetadataError, match="cannot be read as JSON"):
        ModelMetadata.read(tmp_path / "model.json")
    with pytest.raises(MetadataError, match="not found"):
        ModelMetadata.read(tmp_path / "missing.json")


@pytest.mark.parametrize(
    ("uri", "bucket", "prefix"),
    [
        ("s3://models/digits/v2/", "models", "digits/v2/"),
        ("s3://models/digits/v2", "models", "digits/v2/"),
        ("s3://models/digits/v2/model.tflite", "models", "digits/v2/"),
        ("s3://models/model.json", "models", ""),
        ("s3://models", "models", ""),
    ],
)
def test_s3_model_locations(uri: str, bucket: str, prefix: str) -> None:
    location = S3Location.parse(uri)
    assert (location.bucket, location.prefix) == (bucket, prefix)
    assert location.key("model.json") == prefix + "model.json"


def test_s3_location_refuses_other_schemes() -> None:
    with pytest.raises(ValueError, match="expected s3://"):
        S3Location.parse("https://models.s3.amazonaws.com/model.tflite")


def test_auto_prefers_litert_and_unknown_runtimes_are_refused() -> None:
    assert find_runtime("auto").name == "litert"
    with pytest.raises(RuntimeUnavailable, match="Unknown model runtime"):
        find_runtime("onnx")


def test_tflite_runtime_load_errors_on_new_op_versions_point_at_the_fix() -> None:
    runtime = Runtime("tflite-runtime", object)
    error = ValueError("Didn't find op for builtin opcode 'FULLY_CONNECTED' version '12'.")
    explained = explain_load_failure(runtime, "none", error)
    assert isinstance(explained, ModelIncompatible)
    assert "Install ai-edge-litert" in str(explained)
    assert "FULLY_CONNECTED" in str(explained)
    assert not isinstance(explain_load_failure(Runtime("litert", object), "none", error), ModelIncompatible)
