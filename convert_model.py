#!/usr/bin/env python3
"""Convert a trained Keras image classifier into the model.tflite + model.json that imagepredict's functions run.

    .venv-convert/bin/python convert_model.py MODEL --labels FILE|a,b,c --out DIR
        [--quantize none|float16|dynamic|int8] ...

MODEL is a .keras file, a legacy .h5 file or a SavedModel directory whose one input is a batch of images
(batch, height, width, 1 or 3) and whose one output is (batch, classes). The converted model is checked against
the original with the same runner the functions use (see "parity" in model.json), and nothing is written unless
the check passes. TensorFlow is needed here only, in its own venv (`make convert-deps` makes .venv-convert;
`make run`'s .venv has none); the functions run the result with LiteRT.

Exit status: 0 written, 1 the model cannot be converted (the message says why), 2 bad arguments,
3 the converted model disagrees with the original more than --min-agreement allows.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "layers" / "core"))  # the parity check runs the model with the functions' own runner

from imagepredict.model.metadata import (  # noqa: E402
    METADATA_FORMAT,
    QUANTIZATION_MODES,
    RESIZE_METHODS,
    ModelError,
    ModelMetadata,
    Preprocessing,
)
from imagepredict.model.preprocess import to_model_input  # noqa: E402
from imagepredict.model.runner import ModelRunner, softmax  # noqa: E402
from imagepredict.model.runtime import Runtime, find_runtime  # noqa: E402

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_PARITY = 0, 1, 2, 3
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"}
DEFAULT_MIN_AGREEMENT = {"none": 99.0, "float16": 99.0, "dynamic": 95.0, "int8": 95.0}
SYNTHETIC_IMAGES = 32
MIN_CALIBRATION_IMAGES = 10


class ConversionError(Exception):
    """The model cannot be converted as asked; the message says why and what to do."""


# --- command line ---------------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="convert_model.py",
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 2)[2],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("model", type=Path, help="a .keras file, a legacy .h5 file, or a SavedModel directory")
    parser.add_argument(
        "--labels",
        required=True,
        help="class names in output order: a text file (one per line), a JSON file (a list, or an object "
        'mapping indexes to names like {"0": "cat"}), or a comma-separated list such as "cat,dog"',
    )
    parser.add_argument("--out", required=True, type=Path, help="directory to write model.tflite and model.json to")
    parser.add_argument(
        "--quantize",
        choices=QUANTIZATION_MODES,
        default="none",
        help="none: float32 (default, most accurate); float16: half-size weights; dynamic: int8 weights, float "
        "activations (about 4x smaller; needs LiteRT, not tflite-runtime); int8: full integer, needs "
        "--calibration-dir",
    )
    parser.add_argument(
        "--calibration-dir",
        type=Path,
        help="real, representative images (100-500 is plenty) to calibrate int8 quantization with",
    )
    parser.add_argument(
        "--calibration-limit", type=int, default=300, help="use at most this many calibration images (300)"
    )
    parser.add_argument("--int8-io", action="store_true", help="with int8: make the input and output int8 too")
    parser.add_argument(
        "--check-dir",
        type=Path,
        help="images to compare the converted model with the original on (default: a fixed set of synthetic images)",
    )
    parser.add_argument(
        "--min-agreement",
        type=float,
        help="percentage of check images whose top class must match the original (default 99 for none/float16, "
        "95 for dynamic/int8)",
    )
    parser.add_argument("--onnx", action="store_true", help="also write model.onnx (tf2onnx) for the GPU worker")
    parser.add_argument("--opset", type=int, default=17, help="ONNX opset for --onnx (17)")
    parser.add_argument("--name", help="model name recorded in model.json (default: the file name)")
    parser.add_argument("--version", default="1", help='model version recorded in model.json (default "1")')
    parser.add_argument(
        "--output-kind",
        choices=("auto", "probabilities", "logits"),
        default="auto",
        help="whether the output is softmax probabilities or logits (default: detected from the model's outputs)",
    )
    pre = parser.add_argument_group("preprocessing (default: the original app's: resize, RGB, divide by 255)")
    pre.add_argument("--resize", choices=RESIZE_METHODS, default="bicubic", help="resize filter (bicubic, as PIL)")
    pre.add_argument("--channel-order", choices=("RGB", "BGR"), default="RGB", help="channel order (RGB)")
    pre.add_argument("--scale", type=float, default=1 / 255, help="multiply pixel values 0-255 by this (1/255)")
    pre.add_argument("--mean", type=_floats, default=(0.0,), help="subtract after scaling, e.g. 0.485,0.456,0.406")
    pre.add_argument("--std", type=_floats, default=(1.0,), help="then divide by, e.g. 0.229,0.224,0.225")
    parser.add_argument(
        "--allow-select-tf-ops",
        action="store_true",
        help="keep ops TFLite cannot express as TensorFlow ops (the model then needs the full TensorFlow runtime; "
        "LiteRT and tflite-runtime cannot run it)",
    )
    parser.add_argument("--verbose", action="store_true", help="show TensorFlow's own log output")
    args = parser.parse_args(argv)
    if args.min_agreement is not None and not 0 <= args.min_agreement <= 100:
        parser.error("--min-agreement is a percentage between 0 and 100")
    if args.calibration_limit < 1:
        parser.error("--calibration-limit must be at least 1")
    if args.int8_io and args.quantize != "int8":
        parser.error("--int8-io only applies with --quantize int8")
    return args


def _floats(text: str) -> tuple[float, ...]:
    try:
        values = tuple(float(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers separated by commas, got {text!r}") from None
    if len(values) not in (1, 3):
        raise argparse.ArgumentTypeError("give one value, or three (one per channel)")
    return values


class Progress:
    def __init__(self) -> None:
        self.started = time.perf_counter()

    def __call__(self, message: str) -> None:
        print(f"[{time.perf_counter() - self.started:6.1f}s] {message}", file=sys.stderr, flush=True)


# --- labels and images ----------------------------------------------------------------------------------------------


def read_labels(spec: str) -> list[str]:
    path = Path(spec)
    if path.is_file():
        labels = _labels_from_file(path)
    elif "," in spec or not path.suffix:
        labels = [part.strip() for part in spec.split(",")]
    else:
        raise ConversionError(f"labels file {spec} not found")
    if not labels or any(not label for label in labels):
        raise ConversionError("--labels: every class needs a non-empty name")
    duplicates = sorted({label for label in labels if labels.count(label) > 1})
    if duplicates:
        raise ConversionError(f"--labels: names must be unique, repeated: {', '.join(duplicates)}")
    return labels


def _labels_from_file(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() != ".json":
        return [line.strip() for line in text.splitlines() if line.strip()]
    try:
        data = json.loads(text)
    except ValueError as error:
        raise ConversionError(f"{path} is not valid JSON: {error}") from None
    if isinstance(data, list):
        return [str(item).strip() for item in data]
    if isinstance(data, dict):
        try:
            indexed = {int(key): str(value).strip() for key, value in data.items()}
        except ValueError:
            raise ConversionError(f'{path}: an object of labels needs integer keys, like {{"0": "cat"}}') from None
        if sorted(indexed) != list(range(len(indexed))):
            raise ConversionError(f"{path}: label indexes must be 0..{len(indexed) - 1} with none missing")
        return [indexed[i] for i in range(len(indexed))]
    raise ConversionError(f"{path} must hold a JSON list of names or an object of index: name")


def image_files(directory: Path, option: str) -> list[Path]:
    if not directory.is_dir():
        raise ConversionError(f"{option} {directory} is not a directory")
    files = sorted(p for p in directory.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    if not files:
        raise ConversionError(f"{option} {directory} holds no images ({', '.join(sorted(IMAGE_SUFFIXES))})")
    return files


def load_images(files: Sequence[Path], prepare: Callable[[Any], np.ndarray]) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    batches = []
    for path in files:
        try:
            with Image.open(path) as image:
                image.seek(0)
                batches.append(prepare(image))
        except (OSError, UnidentifiedImageError) as error:
            raise ConversionError(f"{path} cannot be read as an image: {error}") from None
    return np.concatenate(batches)


def synthetic_images(count: int, prepare: Callable[[Any], np.ndarray], height: int, width: int) -> np.ndarray:
    """Smooth colour fields with shapes and noise, from a fixed seed: the same set on every run."""
    from PIL import Image, ImageDraw

    rng = np.random.default_rng(20261125)
    batches = []
    for _ in range(count):
        low = rng.integers(0, 256, size=(4, 4, 3), dtype=np.uint8)
        image = Image.fromarray(low, "RGB").resize((width, height), Image.Resampling.BICUBIC)
        draw = ImageDraw.Draw(image)
        for _ in range(3):
            x0, y0 = rng.integers(0, width), rng.integers(0, height)
            x1, y1 = x0 + rng.integers(4, max(5, width // 2)), y0 + rng.integers(4, max(5, height // 2))
            draw.ellipse((int(x0), int(y0), int(x1), int(y1)), fill=tuple(int(v) for v in rng.integers(0, 256, 3)))
        noisy = np.asarray(image, dtype=np.int16) + rng.integers(-12, 13, size=(height, width, 3))
        batches.append(prepare(Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8), "RGB")))
    return np.concatenate(batches)


# --- the source model -----------------------------------------------------------------------------------------------


@dataclass
class SourceModel:
    """A loaded Keras model or SavedModel: its image input, its class output, and how to run and convert it."""

    path: Path
    kind: str  # "keras", "h5" or "saved_model"
    input_shape: tuple[Any, ...]
    output_shape: tuple[Any, ...]
    input_dtype: str
    run: Callable[[np.ndarray], np.ndarray]
    make_converter: Callable[[], Any]
    tf_function: Callable[[], Any]  # a tf.function taking the image batch, for tf2onnx
    keep_alive: Any = None  # a loaded SavedModel: its signature's variables live as long as it does

    def predict(self, images: np.ndarray, batch_size: int = 32) -> np.ndarray:
        outputs = [np.asarray(self.run(images[i : i + batch_size])) for i in range(0, len(images), batch_size)]
        return np.concatenate(outputs).astype(np.float32)


def check_model_path(path: Path) -> str:
    """The model's format from its path ("keras", "h5" or "saved_model"), before TensorFlow is imported."""
    if not path.exists():
        raise ConversionError(f"{path} does not exist")
    if path.is_dir():
        if not (path / "saved_model.pb").is_file():
            raise ConversionError(f"{path} is a directory but not a SavedModel (no saved_model.pb in it)")
        return "saved_model"
    suffix = path.suffix.lower()
    if suffix not in (".keras", ".h5", ".hdf5"):
        raise ConversionError(f"{path}: expected a .keras file, a legacy .h5 file or a SavedModel directory")
    if not os.access(path, os.R_OK):
        raise ConversionError(f"{path} is not readable")
    return "keras" if suffix == ".keras" else "h5"


def load_source(path: Path, tf: Any) -> SourceModel:
    kind = check_model_path(path)
    if kind == "saved_model":
        return _load_saved_model(path, tf)
    try:
        model = tf.keras.models.load_model(path, compile=False)
    except Exception as error:  # Keras raises many types for unreadable files
        raise ConversionError(f"{path} cannot be loaded as a Keras model: {_first_line(error)}") from None
    return _keras_source(path, kind, model, tf)


def _keras_source(path: Path, kind: str, model: Any, tf: Any) -> SourceModel:
    inputs, outputs = getattr(model, "inputs", None), getattr(model, "outputs", None)
    if not inputs or not outputs:
        raise ConversionError(f"{path}: the model has no defined inputs/outputs (build it on an Input before saving)")
    if len(inputs) != 1:
        raise ConversionError(f"{path}: the model has {len(inputs)} inputs; an image classifier takes one image batch")
    if len(outputs) != 1:
        raise ConversionError(
            f"{path}: the model has {len(outputs)} outputs; expected one (batch, classes) tensor of class scores"
        )
    input_shape = tuple(inputs[0].shape)
    spec = tf.TensorSpec((None, *input_shape[1:]), tf.float32, name="image")

    @tf.function(input_signature=[spec])
    def serve(images: Any) -> Any:
        return model(images, training=False)

    return SourceModel(
        path=path,
        kind=kind,
        input_shape=input_shape,
        output_shape=tuple(outputs[0].shape),
        input_dtype=str(getattr(inputs[0], "dtype", "float32")),
        run=lambda images: model(images, training=False),
        make_converter=lambda: tf.lite.TFLiteConverter.from_keras_model(model),
        tf_function=lambda: serve,
    )


def _load_saved_model(path: Path, tf: Any) -> SourceModel:
    try:
        loaded = tf.saved_model.load(str(path))
    except Exception as error:
        raise ConversionError(f"{path} cannot be loaded as a SavedModel: {_first_line(error)}") from None
    signature = loaded.signatures.get("serving_default")
    if signature is None:
        raise ConversionError(f"{path}: the SavedModel has no serving_default signature")
    _, input_specs = signature.structured_input_signature
    if len(input_specs) != 1:
        raise ConversionError(f"{path}: the model has {len(input_specs)} inputs; an image classifier takes one")
    output_specs = signature.structured_outputs
    if len(output_specs) != 1:
        raise ConversionError(
            f"{path}: the model has {len(output_specs)} outputs; expected one (batch, classes) tensor of class scores"
        )
    (input_name, input_spec), (output_name, output_spec) = (
        next(iter(input_specs.items())),
        next(iter(output_specs.items())),
    )
    spec = tf.TensorSpec(input_spec.shape, tf.float32, name="image")

    @tf.function(input_signature=[spec])
    def serve(images: Any) -> Any:
        return signature(**{input_name: images})[output_name]

    return SourceModel(
        path=path,
        kind="saved_model",
        input_shape=tuple(input_spec.shape.as_list()),
        output_shape=tuple(output_spec.shape.as_list()),
        input_dtype=input_spec.dtype.name,
        run=lambda images: signature(**{input_name: tf.constant(images)})[output_name].numpy(),
        make_converter=lambda: tf.lite.TFLiteConverter.from_saved_model(str(path)),
        tf_function=lambda: serve,
        keep_alive=loaded,
    )


def check_contract(source: SourceModel, labels: Sequence[str]) -> tuple[int, int, int]:
    """(height, width, channels) of the image input, after checking the model is an image classifier."""
    shape = source.input_shape
    if len(shape) != 4 or shape[-1] not in (1, 3) or "float" not in source.input_dtype:
        raise ConversionError(
            f"the model's input {shape} ({source.input_dtype}) is not an image tensor: expected float "
            "(batch, height, width, 1 or 3)"
        )
    if shape[1] is None or shape[2] is None:
        raise ConversionError(
            f"the model's input {shape} has no fixed height and width: rebuild it with a fixed input size, "
            "e.g. keras.Input((224, 224, 3))"
        )
    if len(source.output_shape) != 2 or source.output_shape[1] is None:
        raise ConversionError(
            f"the model's output {source.output_shape} is not a single (batch, classes) tensor of class scores"
        )
    classes = int(source.output_shape[1])
    if classes != len(labels):
        raise ConversionError(f"--labels names {len(labels)} classes but the model outputs {classes}")
    return int(shape[1]), int(shape[2]), int(shape[3])


def detect_output_kind(outputs: np.ndarray) -> str:
    """Probabilities when every row is non-negative and sums to 1; otherwise logits."""
    rows_sum_to_one = np.allclose(outputs.sum(axis=1), 1.0, atol=1e-3)
    return "probabilities" if rows_sum_to_one and (outputs >= -1e-6).all() else "logits"


# --- conversion -----------------------------------------------------------------------------------------------------


def convert(source: SourceModel, args: argparse.Namespace, calibration: np.ndarray | None, tf: Any) -> bytes:
    converter = source.make_converter()
    builtins = tf.lite.OpsSet.TFLITE_BUILTINS
    if args.quantize == "float16":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.target_spec.supported_types = [tf.float16]
    elif args.quantize == "dynamic":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    elif args.quantize == "int8":
        assert calibration is not None

        def representative_dataset() -> Iterator[list[np.ndarray]]:
            for image in calibration:
                yield [image[np.newaxis]]

        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = representative_dataset
        builtins = tf.lite.OpsSet.TFLITE_BUILTINS_INT8
        if args.int8_io:
            converter.inference_input_type = tf.int8
            converter.inference_output_type = tf.int8
    converter.target_spec.supported_ops = [builtins]
    if args.allow_select_tf_ops:
        converter.target_spec.supported_ops.append(tf.lite.OpsSet.SELECT_TF_OPS)
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # Keras prints its export summary on stdout
            return converter.convert()
    except Exception as error:
        raise ConversionError(_explain_converter_error(str(error), args)) from None


def _explain_converter_error(message: str, args: argparse.Namespace) -> str:
    select = _listed(message, "TF Select ops:")
    custom = _listed(message, "Custom ops:")
    if select or "not supported by the native TFLite runtime" in message:
        ops = ", ".join(select + custom) or "see the converter output above"
        return (
            f"the converter cannot lower these TensorFlow ops to TFLite builtins: {ops}. Re-run with "
            "--allow-select-tf-ops to keep them as TensorFlow ops, but such a model needs the full TensorFlow "
            "runtime (its Flex delegate): LiteRT and tflite-runtime, which the functions use, cannot run it. "
            "Better: replace those ops in the model with ones TFLite supports."
        )
    if args.quantize == "int8" and ("quantiz" in message.lower() or "int8" in message.lower()):
        return f"full-integer quantization failed: {_first_line(message)}. Try --quantize dynamic or float16."
    return f"the converter failed: {_first_line(message)}"


def _listed(message: str, heading: str) -> list[str]:
    for line in message.splitlines():
        if line.strip().startswith(heading):
            return [op.strip() for op in line.split(":", 1)[1].split(",") if op.strip()]
    return []


def _first_line(error: object) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__


# --- parity ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Parity:
    images: int
    source: str
    top1_agreement: float  # percent
    max_abs_diff: float

    def to_json(self) -> dict[str, Any]:
        return {
            "images": self.images,
            "source": self.source,
            "top1_agreement": round(self.top1_agreement, 3),
            "max_abs_diff": round(self.max_abs_diff, 6),
        }


def compare(reference: np.ndarray, candidate: np.ndarray, source: str) -> Parity:
    agreement = float((reference.argmax(axis=1) == candidate.argmax(axis=1)).mean() * 100)
    return Parity(len(reference), source, agreement, float(np.abs(reference - candidate).max()))


def as_probabilities(outputs: np.ndarray, kind: str) -> np.ndarray:
    return np.stack([softmax(row) for row in outputs]) if kind == "logits" else outputs


def tflite_outputs(runner: ModelRunner, images: np.ndarray) -> np.ndarray:
    return np.stack([runner.scores(image[np.newaxis])[0] for image in images])


def export_onnx(source: SourceModel, target: Path, opset: int) -> None:
    import tf2onnx

    function = source.tf_function()
    spec = function.input_signature
    with contextlib.redirect_stdout(io.StringIO()):
        tf2onnx.convert.from_function(function, input_signature=spec, opset=opset, output_path=str(target))


def onnx_outputs(path: Path, images: np.ndarray) -> np.ndarray:
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return np.concatenate([session.run(None, {name: images[i : i + 32]})[0] for i in range(0, len(images), 32)])


# --- output ---------------------------------------------------------------------------------------------------------


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def sha256_source(path: Path) -> str:
    """A file's digest, or for a SavedModel directory one digest over its relative paths and contents."""
    if path.is_file():
        return sha256_file(path)
    digest = hashlib.sha256()
    for item in sorted(p for p in path.rglob("*") if p.is_file()):
        digest.update(item.relative_to(path).as_posix().encode() + b"\0" + sha256_file(item).encode())
    return digest.hexdigest()


def tensor_json(details: Any) -> dict[str, Any]:
    return {
        "shape": list(details.shape),
        "dtype": np.dtype(details.dtype).name,
        "quantization": {"scale": float(details.scale), "zero_point": int(details.zero_point)},
    }


def publish(staging: Path, out_dir: Path, names: Sequence[str]) -> None:
    """Move the finished files into out_dir; a stale model.onnx from an earlier run is removed."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.move(str(staging / name), str(out_dir / name))
    if "model.onnx" not in names and (out_dir / "model.onnx").exists():
        (out_dir / "model.onnx").unlink()


# --- main -----------------------------------------------------------------------------------------------------------


def import_tensorflow(verbose: bool) -> Any:
    if not verbose:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    try:
        import tensorflow as tf
    except ImportError:
        raise ConversionError(
            "TensorFlow is not installed in this Python (`make run`'s .venv has none). Run `make convert-deps` and "
            "use .venv-convert/bin/python convert_model.py ..., or pip install -r requirements-convert.txt"
        ) from None
    if not verbose:
        tf.get_logger().setLevel("ERROR")
        with contextlib.suppress(ImportError):
            import absl.logging

            absl.logging.set_verbosity(absl.logging.ERROR)
    return tf


@dataclass(frozen=True)
class Inputs:
    """What the arguments name, checked before TensorFlow is imported (so mistakes fail in a fraction of a second)."""

    labels: list[str]
    calibration_files: list[Path]
    check_files: list[Path]


def check_inputs(args: argparse.Namespace) -> Inputs:
    labels = read_labels(args.labels)
    check_model_path(args.model)
    calibration_files: list[Path] = []
    if args.quantize == "int8":
        if args.calibration_dir is None:
            raise ConversionError(
                "--quantize int8 needs --calibration-dir with real, representative images (100-500 of them): "
                "int8 ranges calibrated on random noise give a poor model, so there is no synthetic fallback"
            )
        calibration_files = image_files(args.calibration_dir, "--calibration-dir")
        if len(calibration_files) < MIN_CALIBRATION_IMAGES:
            raise ConversionError(
                f"--calibration-dir has {len(calibration_files)} images; int8 calibration needs at least "
                f"{MIN_CALIBRATION_IMAGES} real ones (100-500 is better)"
            )
    check_files = image_files(args.check_dir, "--check-dir") if args.check_dir else []
    return Inputs(labels, calibration_files[: args.calibration_limit], check_files)


def preprocessing_from(args: argparse.Namespace) -> Preprocessing:
    try:
        return Preprocessing(
            resize=args.resize,
            channel_order=args.channel_order,
            scale=args.scale,
            mean=args.mean if len(args.mean) == 3 else args.mean * 3,
            std=args.std if len(args.std) == 3 else args.std * 3,
        )
    except ModelError as error:
        raise ConversionError(str(error).replace("preprocessing.", "--")) from None


def load_runner_for_parity(
    tflite_bytes: bytes, metadata: ModelMetadata, args: argparse.Namespace, tf: Any
) -> ModelRunner:
    runtime = _parity_runtime(args, tf)
    try:
        return ModelRunner(tflite_bytes, metadata, num_threads=2, runtime=runtime)
    except ModelError as error:
        if args.allow_select_tf_ops:
            raise ConversionError(
                "the model converted with TensorFlow select ops, but no interpreter here can run it to check "
                "parity (this TensorFlow's tf.lite.Interpreter has no Flex delegate), and LiteRT and tflite-runtime, "
                "which the functions run, cannot load it at all. Replace those ops with ones TFLite supports. "
                f"Interpreter said: {_first_line(error)}"
            ) from None
        raise ConversionError(f"the converted model does not load in {runtime.name}: {error}") from None


def write_onnx(source: SourceModel, path: Path, opset: int) -> dict[str, Any]:
    try:
        export_onnx(source, path, opset)
    except Exception as error:  # tf2onnx raises many types
        raise ConversionError(f"tf2onnx could not convert the model: {_first_line(error)}") from None
    return {"file": path.name, "sha256": sha256_file(path), "bytes": path.stat().st_size, "opset": opset}


def report_parity(results: dict[str, Parity], minimum: float) -> list[str]:
    """Print each result; the names of those below the minimum."""
    for name, result in results.items():
        print(
            f"{name}: top-1 agreement {result.top1_agreement:.2f}% on {result.images} {result.source} images, "
            f"largest probability difference {result.max_abs_diff:.5f} (minimum agreement {minimum:g}%)",
            file=sys.stderr,
        )
    return [name for name, result in results.items() if result.top1_agreement < minimum]


def run(args: argparse.Namespace, progress: Progress, staging: Path) -> tuple[int, list[str]]:
    inputs = check_inputs(args)
    preprocessing = preprocessing_from(args)
    progress("importing TensorFlow (a few seconds)")
    tf = import_tensorflow(args.verbose)
    progress(f"loading {args.model}")
    source = load_source(args.model, tf)
    height, width, channels = check_contract(source, inputs.labels)

    def prepare(image: Any) -> np.ndarray:
        return to_model_input(image, preprocessing, height, width, channels)

    if inputs.check_files:
        progress(f"reading {len(inputs.check_files)} check images from {args.check_dir}")
        check_images, check_source = load_images(inputs.check_files, prepare), "check-dir"
    else:
        progress(f"no --check-dir: checking parity on {SYNTHETIC_IMAGES} synthetic images (fixed seed)")
        check_images, check_source = synthetic_images(SYNTHETIC_IMAGES, prepare, height, width), "synthetic"
    calibration = None
    if inputs.calibration_files:
        progress(f"reading {len(inputs.calibration_files)} calibration images from {args.calibration_dir}")
        calibration = load_images(inputs.calibration_files, prepare)

    progress("running the original model on the check images")
    reference = source.predict(check_images)
    kind = detect_output_kind(reference) if args.output_kind == "auto" else args.output_kind
    progress(f"output looks like {kind}" if args.output_kind == "auto" else f"output is {kind} (as told)")
    reference = as_probabilities(reference, kind)

    progress(f"converting to TFLite (--quantize {args.quantize})")
    tflite_bytes = convert(source, args, calibration, tf)
    (staging / "model.tflite").write_bytes(tflite_bytes)
    metadata = ModelMetadata(
        name=args.name or args.model.name.split(".")[0],
        version=args.version,
        labels=tuple(inputs.labels),
        tflite_sha256=hashlib.sha256(tflite_bytes).hexdigest(),
        output_kind=kind,
        quantization=args.quantize,
        preprocessing=preprocessing,
    )
    runner = load_runner_for_parity(tflite_bytes, metadata, args, tf)
    progress(f"checking parity with {runner.runtime.name} on {len(check_images)} images")
    results = {"tflite": compare(reference, tflite_outputs(runner, check_images), check_source)}
    written = ["model.tflite", "model.json"]
    onnx_json = None
    if args.onnx:
        progress(f"exporting ONNX (opset {args.opset})")
        onnx_json = write_onnx(source, staging / "model.onnx", args.opset)
        progress("checking ONNX parity with onnxruntime")
        onnx_probabilities = as_probabilities(onnx_outputs(staging / "model.onnx", check_images), kind)
        results["onnx"] = compare(reference, onnx_probabilities, check_source)
        written.append("model.onnx")

    minimum = args.min_agreement if args.min_agreement is not None else DEFAULT_MIN_AGREEMENT[args.quantize]
    failed = report_parity(results, minimum)
    if failed:
        print(
            f"error: {', '.join(failed)} agreement below {minimum:g}%: nothing written. Check the preprocessing "
            "options, try a gentler --quantize, or pass --min-agreement if this is expected.",
            file=sys.stderr,
        )
        return EXIT_PARITY, []

    document = {
        "format": METADATA_FORMAT,
        "name": metadata.name,
        "version": metadata.version,
        "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "source": {"file": args.model.name, "format": source.kind, "sha256": sha256_source(args.model)},
        "tflite": {"file": "model.tflite", "sha256": metadata.tflite_sha256, "bytes": len(tflite_bytes)},
        "onnx": onnx_json,
        "labels": inputs.labels,
        "input": tensor_json(runner.input),
        "output": {**tensor_json(runner.output), "kind": kind},
        "preprocessing": preprocessing.to_json(),
        "quantization": args.quantize,
        "int8_io": bool(args.int8_io),
        "select_tf_ops": bool(args.allow_select_tf_ops),
        "parity": {"min_agreement": minimum, **{name: result.to_json() for name, result in results.items()}},
        "converter": {"tensorflow": tf.__version__, "keras": getattr(tf.keras, "__version__", None)},
    }
    ModelMetadata.from_json(document)  # what the runner will read back must be valid
    (staging / "model.json").write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return EXIT_OK, written


def _parity_runtime(args: argparse.Namespace, tf: Any) -> Runtime:
    if args.allow_select_tf_ops:
        print(
            "warning: --allow-select-tf-ops: the parity check uses TensorFlow's own interpreter; the functions' "
            "LiteRT runtime cannot load a model that keeps TensorFlow ops",
            file=sys.stderr,
        )
        return Runtime("tensorflow", tf.lite.Interpreter)
    return find_runtime()


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    progress = Progress()
    staging = Path(tempfile.mkdtemp(prefix="convert-model-"))
    try:
        status, written = run(args, progress, staging)
        if status == EXIT_OK:
            publish(staging, args.out, written)
            progress(f"wrote {', '.join(str(args.out / name) for name in written)}")
        return status
    except (ConversionError, ModelError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("interrupted: nothing written", file=sys.stderr)
        return 130
    finally:
        shutil.rmtree(staging, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
