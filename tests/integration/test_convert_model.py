"""convert_model.py for real: TensorFlow builds and converts small classifiers; the functions' runner loads them.

Every test here is marked `tensorflow`: it runs in .venv-convert (`make test` runs it there). The module still imports
without TensorFlow, so that .venv's run (what `make run` installs) collects it and leaves it to that one.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import convert_model
from imagepredict.model import ModelRunner, load_runner

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
try:
    import tensorflow as tf
except ImportError:  # .venv: every test is skipped or failed before it runs (tests/conftest.py)
    tf = None

ROOT = Path(__file__).resolve().parents[2]
keras = tf.keras if tf is not None else None
LABELS = "red,green,blue"
SIZE = 32

pytestmark = [pytest.mark.slow, pytest.mark.tensorflow]


@dataclass(frozen=True)
class Models:
    keras_path: Path
    h5_path: Path
    saved_model: Path
    logits_path: Path
    check_dir: Path
    calibration_dir: Path
    check_images: np.ndarray  # preprocessed as the runner does, (n, 32, 32, 3) in [0, 1]
    model: object
    logits_model: object


def colour_image(rng: np.random.Generator, label: int) -> Image.Image:
    """A noisy picture whose strongest channel is the class: red, green or blue."""
    pixels = rng.integers(0, 110, size=(SIZE, SIZE, 3))
    pixels[:, :, label] += rng.integers(90, 146)
    return Image.fromarray(pixels.astype(np.uint8), "RGB")


def write_images(directory: Path, rng: np.random.Generator, count: int) -> list[Image.Image]:
    directory.mkdir()
    images = []
    for index in range(count):
        image = colour_image(rng, index % 3)
        image.save(directory / f"{index:03d}.png")
        images.append(image)
    return images


def classifier(logits: bool = False) -> object:
    inputs = keras.Input((SIZE, SIZE, 3))
    x = keras.layers.Conv2D(8, 3, activation="relu")(inputs)
    x = keras.layers.GlobalAveragePooling2D()(x)
    outputs = keras.layers.Dense(3, activation=None if logits else "softmax")(x)
    return keras.Model(inputs, outputs)


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Models:
    root = tmp_path_factory.mktemp("convert")
    rng = np.random.default_rng(7)
    keras.utils.set_random_seed(7)
    train = np.stack([np.asarray(colour_image(rng, i % 3), np.float32) / 255 for i in range(300)])
    targets = np.arange(300) % 3
    model, logits_model = classifier(), classifier(logits=True)
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    model.fit(train, targets, epochs=15, batch_size=32, verbose=0)
    logits_model.set_weights(model.get_weights())
    check = write_images(root / "check", rng, 60)
    write_images(root / "calibration", rng, 60)
    model.save(root / "colours.keras")
    model.save(root / "colours.h5")
    model.export(root / "colours-savedmodel", verbose=False)
    logits_model.save(root / "colours-logits.keras")
    return Models(
        keras_path=root / "colours.keras",
        h5_path=root / "colours.h5",
        saved_model=root / "colours-savedmodel",
        logits_path=root / "colours-logits.keras",
        check_dir=root / "check",
        calibration_dir=root / "calibration",
        check_images=np.stack([np.asarray(image, np.float32) / 255 for image in check]),
        model=model,
        logits_model=logits_model,
    )


def convert(*arguments: object) -> int:
    return convert_model.main([str(argument) for argument in arguments])


def runner_outputs(runner: ModelRunner, images: np.ndarray) -> np.ndarray:
    return np.stack([runner.scores(image[np.newaxis])[0] for image in images])


def keras_outputs(model: object, images: np.ndarray) -> np.ndarray:
    return np.asarray(model(images, training=False))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


MODES = {
    "none": (["--quantize", "none"], 100.0, 1e-4),
    "float16": (["--quantize", "float16"], 100.0, 5e-3),
    "dynamic": (["--quantize", "dynamic"], 95.0, 0.05),
    "int8": (["--quantize", "int8"], 95.0, 0.1),
    "int8-io": (["--quantize", "int8", "--int8-io"], 95.0, 0.1),
}


@pytest.mark.parametrize("mode", MODES)
def test_every_quantization_mode_converts_loads_and_agrees_with_keras(
    mode: str, models: Models, tmp_path: Path
) -> None:
    options, min_agreement, max_difference = MODES[mode]
    if "int8" in mode:
        options = [*options, "--calibration-dir", models.calibration_dir]
    out = tmp_path / "out"
    status = convert(models.keras_path, "--labels", LABELS, "--out", out, "--check-dir", models.check_dir, *options)
    assert status == 0
    assert sorted(p.name for p in out.iterdir()) == ["model.json", "model.tflite"]

    runner = load_runner(bundled_dir=out)
    reference = keras_outputs(models.model, models.check_images)
    converted = runner_outputs(runner, models.check_images)
    agreement = (reference.argmax(1) == converted.argmax(1)).mean() * 100
    assert agreement >= min_agreement
    assert np.abs(reference - converted).max() <= max_difference
    assert reference.argmax(1).tolist().count(0) > 10  # the model really separates the classes

    metadata = json.loads((out / "model.json").read_text())
    assert metadata["quantization"] == MODES[mode][0][1]
    assert metadata["labels"] == ["red", "green", "blue"]
    assert metadata["tflite"]["sha256"] == sha256(out / "model.tflite")
    assert metadata["source"] == {"file": "colours.keras", "format": "keras", "sha256": sha256(models.keras_path)}
    assert metadata["input"]["shape"] == [1, SIZE, SIZE, 3]
    assert metadata["input"]["dtype"] == ("int8" if mode == "int8-io" else "float32")
    if mode == "int8-io":
        assert 0 < metadata["input"]["quantization"]["scale"] < 0.01  # calibrated on inputs in [0, 1]
        assert -128 <= metadata["input"]["quantization"]["zero_point"] <= 127
    assert metadata["output"]["kind"] == "probabilities"
    assert metadata["preprocessing"] == {
        "resize": "bicubic",
        "channel_order": "RGB",
        "scale": pytest.approx(1 / 255),
        "mean": [0.0, 0.0, 0.0],
        "std": [1.0, 1.0, 1.0],
    }
    parity = metadata["parity"]
    assert parity["tflite"]["source"] == "check-dir"
    assert parity["tflite"]["images"] == 60
    assert parity["tflite"]["top1_agreement"] >= min_agreement
    assert parity["min_agreement"] == (99.0 if mode in ("none", "float16") else 95.0)


@pytest.mark.parametrize("source", ["h5", "saved_model"])
def test_legacy_h5_and_saved_model_sources_convert(source: str, models: Models, tmp_path: Path) -> None:
    path = models.h5_path if source == "h5" else models.saved_model
    assert convert(path, "--labels", LABELS, "--out", tmp_path) == 0
    converted = runner_outputs(load_runner(bundled_dir=tmp_path), models.check_images)
    assert np.abs(converted - keras_outputs(models.model, models.check_images)).max() < 1e-4
    metadata = json.loads((tmp_path / "model.json").read_text())
    assert metadata["source"]["format"] == source
    assert metadata["parity"]["tflite"]["source"] == "synthetic"


def test_logits_are_detected_and_the_runner_applies_softmax(models: Models, tmp_path: Path) -> None:
    assert convert(models.logits_path, "--labels", LABELS, "--out", tmp_path, "--check-dir", models.check_dir) == 0
    assert json.loads((tmp_path / "model.json").read_text())["output"]["kind"] == "logits"
    logits = keras_outputs(models.logits_model, models.check_images)
    expected = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    converted = runner_outputs(load_runner(bundled_dir=tmp_path), models.check_images)
    assert np.abs(converted - expected).max() < 1e-4


def test_onnx_output_loads_in_onnxruntime_and_agrees(models: Models, tmp_path: Path) -> None:
    import onnxruntime

    status = convert(
        models.keras_path, "--labels", LABELS, "--out", tmp_path, "--onnx", "--check-dir", models.check_dir
    )
    assert status == 0
    metadata = json.loads((tmp_path / "model.json").read_text())
    assert metadata["onnx"]["sha256"] == sha256(tmp_path / "model.onnx")
    assert metadata["parity"]["onnx"]["top1_agreement"] == 100.0
    session = onnxruntime.InferenceSession(str(tmp_path / "model.onnx"), providers=["CPUExecutionProvider"])
    (output,) = session.run(None, {session.get_inputs()[0].name: models.check_images})
    assert np.abs(output - keras_outputs(models.model, models.check_images)).max() < 1e-4


def test_labels_may_come_from_a_text_or_json_file(models: Models, tmp_path: Path) -> None:
    (tmp_path / "labels.json").write_text(json.dumps({"2": "blue", "0": "red", "1": "green"}))
    assert convert(models.keras_path, "--labels", tmp_path / "labels.json", "--out", tmp_path / "a") == 0
    assert json.loads((tmp_path / "a" / "model.json").read_text())["labels"] == ["red", "green", "blue"]
    (tmp_path / "labels.txt").write_text("red\ngreen\n\nblue\n")
    assert convert(models.keras_path, "--labels", tmp_path / "labels.txt", "--out", tmp_path / "b") == 0
    assert json.loads((tmp_path / "b" / "model.json").read_text())["labels"] == ["red", "green", "blue"]


# --- what is refused ------------------------------------------------------------------------------------------------


def two_outputs(tmp_path: Path) -> Path:
    inputs = keras.Input((SIZE, SIZE, 3))
    pooled = keras.layers.GlobalAveragePooling2D()(inputs)
    model = keras.Model(inputs, [keras.layers.Dense(3)(pooled), keras.layers.Dense(2)(pooled)])
    model.save(tmp_path / "two-outputs.keras")
    return tmp_path / "two-outputs.keras"


def spatial_output(tmp_path: Path) -> Path:
    inputs = keras.Input((8, 8, 3))
    outputs = keras.layers.Reshape((64, 3))(keras.layers.Conv2D(3, 1)(inputs))
    keras.Model(inputs, outputs).save(tmp_path / "spatial.keras")
    return tmp_path / "spatial.keras"


def vector_input(tmp_path: Path) -> Path:
    inputs = keras.Input((10,))
    keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(inputs)).save(tmp_path / "tabular.keras")
    return tmp_path / "tabular.keras"


def unsupported_op(tmp_path: Path) -> Path:
    class Determinant(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 8, 8, 3], tf.float32)])
        def __call__(self, images: tf.Tensor) -> dict:
            det = tf.linalg.det(images[:, :3, :3, 0])
            return {"scores": tf.nn.softmax(tf.stack([det, -det, tf.zeros_like(det)], axis=1))}

    tf.saved_model.save(Determinant(), str(tmp_path / "determinant"))
    return tmp_path / "determinant"


def garbage(tmp_path: Path) -> Path:
    (tmp_path / "broken.keras").write_bytes(b"this is not a zip archive")
    return tmp_path / "broken.keras"


def not_a_saved_model(tmp_path: Path) -> Path:
    (tmp_path / "empty-dir").mkdir()
    return tmp_path / "empty-dir"


def float16_tie(tmp_path: Path) -> Path:
    """Two classes whose weights differ by less than float16 can hold: float16 turns every answer into a tie."""
    inputs = keras.Input((8, 8, 3))
    dense = keras.layers.Dense(2, use_bias=False, activation="softmax")
    model = keras.Model(inputs, dense(keras.layers.GlobalAveragePooling2D()(inputs)))
    dense.set_weights([np.array([[1.0, 1.0001]] * 3, dtype=np.float32)])
    model.save(tmp_path / "tie.keras")
    return tmp_path / "tie.keras"


FAILURES = {
    "missing": (lambda tmp: tmp / "nope.keras", [], 1, "does not exist"),
    "unreadable": (garbage, [], 1, "cannot be loaded as a Keras model"),
    "wrong-format": (lambda tmp: Path(__file__), [], 1, "expected a .keras file"),
    "not-a-saved-model": (not_a_saved_model, [], 1, "not a SavedModel"),
    "two-outputs": (two_outputs, [], 1, "has 2 outputs; expected one (batch, classes) tensor"),
    "spatial-output": (spatial_output, [], 1, "is not a single (batch, classes) tensor"),
    "vector-input": (vector_input, [], 1, "is not an image tensor"),
    "label-count": (lambda tmp: None, ["--labels", "red,green"], 1, "names 2 classes but the model outputs 3"),
    "duplicate-labels": (lambda tmp: None, ["--labels", "red,red,blue"], 1, "must be unique"),
    "unsupported-op": (unsupported_op, [], 1, "cannot lower these TensorFlow ops to TFLite builtins: MatrixDet"),
    "zero-std": (lambda tmp: None, ["--std", "0"], 1, "--std values must be positive"),
    "missing-check-dir": (lambda tmp: None, ["--check-dir", "/nonexistent/images"], 1, "is not a directory"),
    "int8-without-calibration": (
        lambda tmp: None,
        ["--quantize", "int8"],
        1,
        "calibrated on random noise give a poor model",
    ),
    "parity": (float16_tie, ["--quantize", "float16", "--labels", "a,b"], 3, "agreement below 99%"),
}


@pytest.mark.parametrize("case", FAILURES)
def test_refusals_exit_non_zero_with_a_reason_and_leave_nothing_behind(
    case: str, models: Models, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_model, options, expected_status, message = FAILURES[case]
    model = make_model(tmp_path) or models.keras_path
    out = tmp_path / "out" / "nested"
    arguments = [model, "--labels", LABELS, "--out", out, *options]
    assert convert(*arguments) == expected_status
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_failed_run_leaves_an_earlier_model_untouched(models: Models, tmp_path: Path) -> None:
    assert convert(models.keras_path, "--labels", LABELS, "--out", tmp_path) == 0
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert convert(models.keras_path, "--labels", "a,b", "--out", tmp_path) == 1
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_select_tf_ops_are_explained_when_nothing_here_can_run_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = unsupported_op(tmp_path)
    assert convert(model, "--labels", LABELS, "--out", tmp_path / "out", "--allow-select-tf-ops") == 1
    error = capsys.readouterr().err
    assert "LiteRT and tflite-runtime, which the functions run, cannot load it" in error
    assert not (tmp_path / "out").exists()
