"""The models measured: the shipped demo model, and a MobileNetV2-sized stand-in (random weights, made here since
no weights can be downloaded) converted with convert_model.py to float32, float16, dynamic-range and int8."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
DEMO_DIR = ROOT / "functions" / "classify" / "model"
VARIANTS = ("none", "float16", "dynamic", "int8")
LABELS = [f"finding-{index}" for index in range(10)]
SIZE = 224


@dataclass(frozen=True)
class StandIn:
    keras_path: Path
    variants: dict[str, Path]  # quantization mode -> directory with model.tflite + model.json
    macs: int
    check_dir: Path


def count_macs(model: Any) -> int:
    """Multiply-adds of the convolutions and dense layers (what dominates a CNN), from the layers' shapes."""
    import keras

    total = 0
    for layer in model.layers:
        if isinstance(layer, keras.layers.DepthwiseConv2D):
            _, height, width, channels = layer.output.shape
            total += height * width * channels * layer.kernel_size[0] * layer.kernel_size[1]
        elif isinstance(layer, keras.layers.Conv2D):
            _, height, width, filters = layer.output.shape
            inputs = layer.input.shape[-1]
            total += height * width * filters * inputs * layer.kernel_size[0] * layer.kernel_size[1] // layer.groups
        elif isinstance(layer, keras.layers.Dense):
            total += layer.input.shape[-1] * layer.units
    return int(total)


def real_images(directory: Path, count: int, offset: int = 0) -> Path:
    """Rendered scikit-learn digits: real images (int8 calibration on noise would be meaningless)."""
    from training.digits import load_split, render

    directory.mkdir(parents=True, exist_ok=True)
    if len(list(directory.glob("*.png"))) >= count:
        return directory
    split = load_split()
    for index in range(offset, offset + count):
        render(split.train_digits[index]).save(directory / f"{index:04d}.png")
    return directory


def build_standin(work: Path, log: Any) -> StandIn:
    """MobileNetV2 (224x224x3, 10 classes, random weights with a fixed seed), converted once and cached in work/."""
    work.mkdir(parents=True, exist_ok=True)
    keras_path = work / "mobilenetv2-standin.keras"
    info_path = work / "standin.json"
    calibration = real_images(work / "calibration", 100)
    check = real_images(work / "check", 50, offset=500)
    if not keras_path.exists() or not info_path.exists():
        log("building the MobileNetV2 stand-in (random weights, seed 7)")
        import keras

        keras.utils.set_random_seed(7)
        model = keras.applications.MobileNetV2(input_shape=(SIZE, SIZE, 3), weights=None, classes=len(LABELS))
        model.save(keras_path)
        info_path.write_text(json.dumps({"macs": count_macs(model)}))
    variants = {}
    for mode in VARIANTS:
        out = work / f"standin-{mode}"
        if not (out / "model.json").exists() or (mode == "none" and not (out / "model.onnx").exists()):
            log(f"converting the stand-in with convert_model.py --quantize {mode}")
            command = [
                sys.executable,
                str(ROOT / "convert_model.py"),
                str(keras_path),
                "--labels",
                ",".join(LABELS),
                "--out",
                str(out),
                "--quantize",
                mode,
                "--check-dir",
                str(check),
                "--min-agreement",
                "0",
                "--name",
                "mobilenetv2-standin",
            ]
            if mode == "int8":
                command += ["--calibration-dir", str(calibration)]
            if mode == "none":
                command.append("--onnx")  # for ONNX Runtime, measured beside LiteRT
            subprocess.run(command, check=True, capture_output=True, text=True)
        variants[mode] = out
    return StandIn(keras_path, variants, json.loads(info_path.read_text())["macs"], check)


def photo_jpeg(path: Path) -> Path:
    """A real photograph as an upload would be: scikit-learn's bundled china.jpg, 640x427, re-encoded at q=90."""
    if not path.exists():
        from sklearn.datasets import load_sample_image

        Image.fromarray(np.asarray(load_sample_image("china.jpg"))).save(path, "JPEG", quality=90)
    return path


def tflite_size(directory: Path) -> int:
    return (directory / "model.tflite").stat().st_size
