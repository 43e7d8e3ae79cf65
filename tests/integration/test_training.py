"""The demo model's training script runs end to end (briefly), so `make demo-model` cannot rot."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from training import train_digits

pytestmark = [pytest.mark.slow, pytest.mark.tensorflow]  # TensorFlow and scikit-learn: .venv-convert


def test_training_converts_evaluates_and_writes_variants_and_samples(tmp_path: Path) -> None:
    out, samples, variants = tmp_path / "model", tmp_path / "samples", tmp_path / "variants"
    arguments = ["--epochs", "2", "--out", str(out), "--samples", str(samples), "--variants", str(variants)]
    assert train_digits.main(arguments) == 0

    metadata = json.loads((out / "model.json").read_text())
    assert metadata["name"] == "digits-demo"
    assert metadata["labels"] == [str(digit) for digit in range(10)]
    assert metadata["input"]["shape"] == [1, 224, 224, 3]
    assert metadata["parity"]["tflite"]["images"] == 360
    evaluation = metadata["evaluation"]
    assert evaluation["heldout_images"] == 360
    assert evaluation["epochs"] == 2
    assert 0.5 < evaluation["tflite_accuracy"] <= 1.0  # two epochs already learn most digits
    assert abs(evaluation["tflite_accuracy"] - evaluation["keras_accuracy"]) < 0.01
    for variant in ("digits-int8-io", "digits-dynamic", "digits-logits"):
        assert (variants / variant / "model.tflite").is_file()
    written = sorted(p.name for p in samples.iterdir())
    assert written
    assert all(name.startswith("digit-") for name in written)
