"""The runner with the committed demo model and its variants: accuracy, quantized IO, logits, loading from S3."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from imagepredict.model import (
    MetadataError,
    ModelIntegrityError,
    ModelMetadata,
    ModelRunner,
    container_runner,
    load_runner,
)
from imagepredict.settings import load_settings
from tests.conftest import aws_client
from training.digits import Split, load_split, render

ROOT = Path(__file__).resolve().parents[2]
DEMO_DIR = ROOT / "functions" / "classify" / "model"
VARIANTS = ROOT / "tests" / "fixtures" / "models"
SAMPLES = ROOT / "tests" / "fixtures" / "digits"


@pytest.fixture(scope="module")
def split() -> Split:
    return load_split()


@pytest.fixture(scope="module")
def demo() -> ModelRunner:
    return load_runner(bundled_dir=DEMO_DIR)


def accuracy(runner: ModelRunner, split: Split) -> float:
    hits = [
        runner.classify(render(digit)).top.label == str(label)
        for digit, label in zip(split.heldout_digits, split.heldout_labels, strict=True)
    ]
    return sum(hits) / len(hits)


@pytest.mark.tensorflow  # the held-out digits come from scikit-learn: .venv-convert
@pytest.mark.parametrize("variant", ["demo", "digits-int8-io", "digits-dynamic", "digits-logits"])
def test_held_out_accuracy_stays_at_least_95_percent(variant: str, split: Split) -> None:
    runner = load_runner(bundled_dir=DEMO_DIR if variant == "demo" else VARIANTS / variant)
    assert len(split.heldout_labels) == 360
    assert accuracy(runner, split) >= 0.95


@pytest.mark.parametrize("sample", sorted(p.name for p in SAMPLES.iterdir()))
def test_every_committed_sample_comes_back_as_its_digit(sample: str, demo: ModelRunner) -> None:
    with Image.open(SAMPLES / sample) as image:
        result = demo.classify(image)
    assert result.top.label == sample.split("-")[1].split(".")[0]
    assert result.top.probability > 0.5


def test_every_class_comes_back_sorted_with_a_probability(demo: ModelRunner) -> None:
    with Image.open(SAMPLES / "digit-7.png") as image:
        result = demo.classify(image)
    labels = [entry.label for entry in result.probabilities]
    probabilities = [entry.probability for entry in result.probabilities]
    assert sorted(labels) == list("0123456789")
    assert probabilities == sorted(probabilities, reverse=True)
    assert all(0.0 <= p <= 1.0 for p in probabilities)
    assert sum(probabilities) == pytest.approx(1.0, abs=1e-4)
    assert result.inference_ms > 0
    assert result.top == result.probabilities[0]


def test_input_size_comes_from_the_model_so_any_picture_size_works(demo: ModelRunner) -> None:
    assert demo.input_size == (224, 224)
    with Image.open(SAMPLES / "digit-3.png") as image:
        small = image.resize((40, 40))
    assert demo.classify(small).top.label == "3"
    with Image.open(SAMPLES / "digit-3.png") as image:
        grey_alpha = image.convert("LA")
    assert demo.classify(grey_alpha).top.label == "3"


def test_int8_io_is_quantized_and_dequantized_with_the_models_own_parameters(demo: ModelRunner) -> None:
    int8 = load_runner(bundled_dir=VARIANTS / "digits-int8-io")
    assert int8.input.dtype == np.int8
    assert int8.output.dtype == np.int8
    assert int8.input.scale > 0
    assert int8.output.scale > 0
    for sample in sorted(SAMPLES.glob("*.png")):
        with Image.open(sample) as image:
            batch = demo.prepare(image)
        exact, _ = demo.scores(batch)
        quantized, _ = int8.scores(batch)
        assert quantized.argmax() == exact.argmax()
        assert np.abs(quantized - exact).max() < 0.1  # dequantized into probabilities, not raw int8 codes


def test_logits_get_a_softmax_and_match_the_probability_model(demo: ModelRunner) -> None:
    logits = load_runner(bundled_dir=VARIANTS / "digits-logits")
    assert logits.metadata.output_kind == "logits"
    for sample in sorted(SAMPLES.glob("*.png")):
        with Image.open(sample) as image:
            batch = demo.prepare(image)
        expected, _ = demo.scores(batch)
        actual, _ = logits.scores(batch)
        assert actual.sum() == pytest.approx(1.0, abs=1e-5)
        assert np.abs(actual - expected).max() < 1e-4


def test_concurrent_callers_get_the_same_answers(demo: ModelRunner) -> None:
    images = []
    for sample in sorted(SAMPLES.glob("*.png")):
        with Image.open(sample) as image:
            images.append(image.copy())
    expected = [demo.classify(image).top for image in images]
    with ThreadPoolExecutor(4) as pool:
        for _ in range(3):
            assert [result.top for result in pool.map(demo.classify, images)] == expected


def test_a_label_count_that_does_not_match_the_output_is_refused(tmp_path: Path) -> None:
    content = (DEMO_DIR / "model.tflite").read_bytes()
    metadata = ModelMetadata.read(DEMO_DIR / "model.json")
    nine = ModelMetadata(metadata.name, metadata.version, metadata.labels[:9], metadata.tflite_sha256)
    with pytest.raises(MetadataError, match="lists 9 labels but the model outputs 10"):
        ModelRunner(content, nine)


def test_a_tampered_bundled_model_is_refused(tmp_path: Path) -> None:
    shutil.copytree(DEMO_DIR, tmp_path / "model")
    tflite = tmp_path / "model" / "model.tflite"
    content = bytearray(tflite.read_bytes())
    content[-100] ^= 0xFF
    tflite.write_bytes(bytes(content))
    with pytest.raises(ModelIntegrityError, match="SHA-256"):
        load_runner(bundled_dir=tmp_path / "model")


@pytest.fixture
def s3(stack):
    return aws_client(stack, "s3")


@pytest.fixture
def model_bucket(s3) -> str:
    name = f"models-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    return name


def test_model_s3_uri_downloads_verifies_and_caches(s3, model_bucket: str, tmp_path: Path) -> None:
    for name in ("model.tflite", "model.json"):
        s3.upload_file(str(DEMO_DIR / name), model_bucket, f"digits/v1/{name}")
    runner = load_runner(
        bundled_dir=tmp_path / "absent", s3_uri=f"s3://{model_bucket}/digits/v1/", s3=s3, cache_dir=tmp_path
    )
    with Image.open(SAMPLES / "digit-7.png") as image:
        assert runner.classify(image).top.label == "7"
    sha = runner.metadata.tflite_sha256
    assert [p.name for p in tmp_path.iterdir()] == [f"model-{sha}"]

    s3.delete_object(Bucket=model_bucket, Key="digits/v1/model.tflite")  # a second cold start uses /tmp's copy
    again = load_runner(
        bundled_dir=tmp_path / "absent", s3_uri=f"s3://{model_bucket}/digits/v1", s3=s3, cache_dir=tmp_path
    )
    assert again.metadata.tflite_sha256 == sha


def test_model_s3_uri_with_a_mismatched_model_is_rejected_and_nothing_is_cached(
    s3, model_bucket: str, tmp_path: Path
) -> None:
    s3.upload_file(str(DEMO_DIR / "model.json"), model_bucket, "mixed/model.json")
    s3.upload_file(str(VARIANTS / "digits-int8-io" / "model.tflite"), model_bucket, "mixed/model.tflite")
    with pytest.raises(ModelIntegrityError, match=r"model\.json expects"):
        load_runner(bundled_dir=DEMO_DIR, s3_uri=f"s3://{model_bucket}/mixed/", s3=s3, cache_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_the_container_loads_its_model_once_from_where_settings_point(
    s3, model_bucket: str, stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("model.tflite", "model.json"):
        s3.upload_file(str(VARIANTS / "digits-logits" / name), model_bucket, f"v2/{name}")
    for key, value in {
        "AWS_ENDPOINT_URL": stack.aws_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    base = {"MONGODB_URI": "mongodb://unused", "JWT_SECRET": "k" * 40, "MODEL_THREADS": "1"}
    container_runner.cache_clear()
    try:
        bundled = container_runner(load_settings(base), DEMO_DIR)
        assert bundled is container_runner(load_settings(base), DEMO_DIR)
        assert bundled.metadata.output_kind == "probabilities"

        container_runner.cache_clear()
        from_s3 = container_runner(load_settings({**base, "MODEL_S3_URI": f"s3://{model_bucket}/v2/"}), DEMO_DIR)
        assert from_s3.metadata.output_kind == "logits"  # the S3 model, not the bundled one
        shutil.rmtree(Path(tempfile.gettempdir()) / f"model-{from_s3.metadata.tflite_sha256}", ignore_errors=True)
    finally:
        container_runner.cache_clear()
