"""Both classifiers behind one protocol: LiteRT (the Lambda path) and ONNX Runtime (the batch worker) agree on the
committed samples, a batch gives exactly what one image at a time gives, and model.onnx is checked against model.json.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from imagepredict.model import Classification, Classifier, ModelError, ModelIntegrityError, ModelRunner, load_runner
from imagepredict.model.onnx import CPU, CUDA, OnnxRunner, choose_providers, load_onnx_runner

ROOT = Path(__file__).resolve().parents[2]
MODEL_DIR = ROOT / "functions" / "classify" / "model"
SAMPLES = sorted((ROOT / "tests" / "fixtures" / "digits").glob("digit-*"))


def digit_of(sample: Path) -> str:
    return sample.name.split("-")[1].split(".")[0]


@pytest.fixture(scope="module")
def litert() -> ModelRunner:
    return load_runner(bundled_dir=MODEL_DIR, num_threads=1)


@pytest.fixture(scope="module")
def onnx() -> OnnxRunner:
    return load_onnx_runner(bundled_dir=MODEL_DIR, num_threads=1, providers="cpu")


@pytest.fixture(scope="module")
def inputs(litert: ModelRunner) -> list[np.ndarray]:
    prepared = []
    for sample in SAMPLES:
        with Image.open(sample) as image:
            prepared.append(litert.prepare(image.convert("RGB")))
    return prepared


def by_label(classification: Classification) -> np.ndarray:
    return np.array([entry.probability for entry in sorted(classification.probabilities, key=lambda e: e.label)])


def test_both_runners_are_classifiers_and_say_what_runs(litert: ModelRunner, onnx: OnnxRunner) -> None:
    assert isinstance(litert, Classifier)
    assert isinstance(onnx, Classifier)
    assert litert.backend == "litert"
    assert onnx.backend == f"onnxruntime/{CPU}"
    assert litert.input_size == onnx.input_size == (224, 224)


def test_onnx_and_tflite_agree_on_every_committed_sample(
    litert: ModelRunner, onnx: OnnxRunner, inputs: list[np.ndarray]
) -> None:
    tflite, onnx_results = litert.predict_batch(inputs), onnx.predict_batch(inputs)
    for sample, ours, theirs in zip(SAMPLES, tflite, onnx_results, strict=True):
        assert ours.top.label == theirs.top.label == digit_of(sample), sample.name
        assert np.abs(by_label(ours) - by_label(theirs)).max() < 1e-4


@pytest.mark.parametrize("mode", ["resize", "loop"])
def test_a_litert_batch_gives_exactly_what_single_images_give(
    litert: ModelRunner, inputs: list[np.ndarray], mode: str
) -> None:
    singles = [litert.predict(item) for item in inputs]
    litert.batch_mode = litert.resolve_batch_mode(mode)
    try:
        batch = litert.predict_batch(inputs)
    finally:
        litert.batch_mode = litert.resolve_batch_mode("auto")
    assert [c.probabilities for c in batch] == [c.probabilities for c in singles]
    assert all(c.inference_ms > 0 for c in batch)
    assert litert.predict(inputs[0]).probabilities == singles[0].probabilities  # resized back for one image


def test_an_onnx_batch_gives_exactly_what_single_images_give(onnx: OnnxRunner, inputs: list[np.ndarray]) -> None:
    batch = onnx.predict_batch(inputs)
    assert [c.probabilities for c in batch] == [onnx.predict_batch([item])[0].probabilities for item in inputs]


@pytest.mark.parametrize("runner_name", ["litert", "onnx"])
def test_empty_and_misshapen_batches(runner_name: str, request: pytest.FixtureRequest) -> None:
    runner = request.getfixturevalue(runner_name)
    assert runner.predict_batch([]) == []
    with pytest.raises(ValueError, match="shape"):
        runner.predict_batch([np.zeros((1, 32, 32, 3), dtype=np.float32)])


def copy_model(tmp_path: Path) -> Path:
    target = tmp_path / "model"
    shutil.copytree(MODEL_DIR, target)
    return target


def test_a_model_onnx_that_does_not_match_model_json_is_refused(tmp_path: Path) -> None:
    directory = copy_model(tmp_path)
    (directory / "model.onnx").write_bytes((directory / "model.onnx").read_bytes() + b"\0")
    with pytest.raises(ModelIntegrityError, match=r"model\.onnx has SHA-256"):
        load_onnx_runner(bundled_dir=directory, providers="cpu")
    assert load_runner(bundled_dir=directory).metadata.name == "digits-demo"  # model.tflite is still fine


def test_a_model_converted_without_onnx_says_how_to_get_one(tmp_path: Path) -> None:
    directory = copy_model(tmp_path)
    document = json.loads((directory / "model.json").read_text())
    document["onnx"] = None
    (directory / "model.json").write_text(json.dumps(document))
    with pytest.raises(ModelError, match="--onnx"):
        load_onnx_runner(bundled_dir=directory, providers="cpu")


def test_providers_are_chosen_from_what_the_machine_has() -> None:
    assert choose_providers("auto", [CUDA, CPU]) == [CUDA, CPU]
    assert choose_providers("auto", [CPU]) == [CPU]
    assert choose_providers("cpu", [CUDA, CPU]) == [CPU]
    with pytest.raises(ModelError, match="onnxruntime-gpu"):
        choose_providers("cuda", [CPU])
    with pytest.raises(ModelError, match="Unknown"):
        choose_providers("tpu", [CPU])
