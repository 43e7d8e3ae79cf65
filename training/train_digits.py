"""Train the demo model on scikit-learn's digits, convert it with convert_model.py, and write sample images.

    .venv-convert/bin/python -m training.train_digits   (or `make demo-model`)

Deterministic: fixed seeds, a stratified split, and TensorFlow's deterministic ops. The model keeps the original
app's input contract (224x224x3 in [0, 1]); it averages the picture down to 32x32 first, since the digits were 8x8.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "layers" / "core"))

import convert_model  # noqa: E402
from training.digits import IMAGE_SIZE, LABELS, SPLIT_SEED, load_split, render, render_all  # noqa: E402

MODEL_DIR = ROOT / "functions" / "classify" / "model"
SAMPLES_DIR = ROOT / "tests" / "fixtures" / "digits"
VARIANTS_DIR = ROOT / "tests" / "fixtures" / "models"  # the same weights, converted other ways, for the runner's tests
SEED = 20261125
EPOCHS = 12


def build_model(keras: Any) -> Any:
    layers = keras.layers
    inputs = keras.Input((IMAGE_SIZE, IMAGE_SIZE, 3), name="image")
    x = layers.AveragePooling2D(pool_size=7)(inputs)  # 224 -> 32
    for filters in (16, 32, 64):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        x = layers.MaxPooling2D()(x)
    x = layers.Flatten()(x)
    x = layers.Dropout(0.3)(x)
    outputs = layers.Dense(len(LABELS), activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name="digits_demo")


def train(epochs: int) -> tuple[Any, float, Any]:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf

    keras = tf.keras
    keras.utils.set_random_seed(SEED)
    tf.config.experimental.enable_op_determinism()
    split = load_split()
    train_images = render_all(split.train_digits)
    heldout_images = render_all(split.heldout_digits)

    def scaled(images: Any, labels: Any) -> tuple[Any, Any]:
        return tf.cast(images, tf.float32) / 255.0, labels

    train_set = (
        tf.data.Dataset.from_tensor_slices((train_images, split.train_labels))
        .shuffle(len(train_images), seed=SEED)
        .batch(32)
        .map(scaled)
    )
    heldout_set = tf.data.Dataset.from_tensor_slices((heldout_images, split.heldout_labels)).batch(64).map(scaled)
    model = build_model(keras)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(train_set, epochs=epochs, verbose=2, shuffle=False)  # train_set is shuffled (seeded) above
    _, accuracy = model.evaluate(heldout_set, verbose=0)
    return model, float(accuracy), split


def write_images(digits: np.ndarray, labels: np.ndarray, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for index, (digit, label) in enumerate(zip(digits, labels, strict=True)):
        render(digit).save(directory / f"{index:04d}-{label}.png")
    return directory


def logits_twin(model: Any, keras: Any) -> Any:
    """The same network without its final softmax: a model whose output is logits."""
    final = model.get_layer("probabilities")
    logits = keras.layers.Dense(final.units, activation=None, name="logits")
    outputs = logits(final.input)
    logits.set_weights(final.get_weights())
    return keras.Model(model.inputs, outputs, name="digits_demo_logits")


def convert_variants(model: Any, split: Any, scratch: Path, heldout_dir: Path, out_root: Path) -> int:
    """int8 with int8 input/output, dynamic-range, and logits variants of the demo model, for the runner's tests."""
    import tensorflow as tf

    calibration_dir = write_images(split.train_digits[:300], split.train_labels[:300], scratch / "calibration")
    logits_source = scratch / "digits-demo-logits.keras"
    logits_twin(model, tf.keras).save(logits_source)
    source = str(scratch / "digits-demo.keras")
    common = ["--labels", ",".join(LABELS), "--check-dir", str(heldout_dir), "--name", "digits-demo"]
    variants = {
        "digits-int8-io": [source, "--quantize", "int8", "--int8-io", "--calibration-dir", str(calibration_dir)],
        "digits-dynamic": [source, "--quantize", "dynamic"],
        "digits-logits": [str(logits_source)],
    }
    for name, arguments in variants.items():
        status = convert_model.main([*arguments, *common, "--out", str(out_root / name)])
        if status != 0:
            return status
    return 0


def write_samples(split: Any, runner: Any, directory: Path) -> list[str]:
    """The first held-out example of each digit that the model gets right, as PNG (and two as JPEG)."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for digit in range(10):
        for index in np.flatnonzero(split.heldout_labels == digit):
            image = render(split.heldout_digits[index])
            if runner.classify(image).top.label == str(digit):
                image.save(directory / f"digit-{digit}.png", optimize=True)
                written.append(f"digit-{digit}.png (held-out #{index})")
                if digit in (3, 7):
                    image.save(directory / f"digit-{digit}.jpg", quality=92)
                break
    return written


def heldout_accuracy(runner: Any, split: Any) -> float:
    hits = sum(
        runner.classify(render(digit)).top.label == str(label)
        for digit, label in zip(split.heldout_digits, split.heldout_labels, strict=True)
    )
    return hits / len(split.heldout_labels)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--out", type=Path, default=MODEL_DIR, help=f"model directory ({MODEL_DIR.relative_to(ROOT)})")
    parser.add_argument("--samples", type=Path, default=SAMPLES_DIR)
    parser.add_argument("--variants", type=Path, default=VARIANTS_DIR, help="where the test variants go")
    parser.add_argument("--version", default="1")
    args = parser.parse_args(argv)

    model, keras_accuracy, split = train(args.epochs)
    print(f"Keras held-out accuracy: {keras_accuracy:.4f} on {len(split.heldout_labels)} images", file=sys.stderr)
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch) / "digits-demo.keras"
        model.save(source)
        heldout_dir = write_images(split.heldout_digits, split.heldout_labels, Path(scratch) / "heldout")
        status = convert_model.main(
            [
                str(source),
                "--labels",
                ",".join(LABELS),
                "--out",
                str(args.out),
                "--check-dir",
                str(heldout_dir),
                "--name",
                "digits-demo",
                "--version",
                args.version,
                "--onnx",  # the batch worker's model (ONNX Runtime), from the same weights
            ]
        )
        if status == 0:
            status = convert_variants(model, split, Path(scratch), heldout_dir, args.variants)
    if status != 0:
        return status

    from imagepredict.model import load_runner

    runner = load_runner(bundled_dir=args.out, num_threads=1)
    tflite_accuracy = heldout_accuracy(runner, split)
    print(f"TFLite held-out accuracy through the runner: {tflite_accuracy:.4f}", file=sys.stderr)
    metadata_path = args.out / "model.json"
    document = json.loads(metadata_path.read_text())
    document["evaluation"] = {
        "dataset": "scikit-learn load_digits (1,797 8x8 images), rendered to 224x224 RGB",
        "split": f"stratified 80/20, random_state={SPLIT_SEED}",
        "heldout_images": len(split.heldout_labels),
        "keras_accuracy": round(keras_accuracy, 4),
        "tflite_accuracy": round(tflite_accuracy, 4),
        "epochs": args.epochs,
        "seed": SEED,
    }
    metadata_path.write_text(json.dumps(document, indent=2) + "\n")
    for line in write_samples(split, runner, args.samples):
        print(f"sample: {line}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
