"""Measurements that must run in a fresh process of their own: `python -m bench.workers KIND JSON` prints JSON.

Kept free of TensorFlow imports except in the workers that measure TensorFlow, and runnable by the tflite-runtime
venv (which has numpy < 2, Pillow and tflite-runtime only, plus layers/core on PYTHONPATH).
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

from bench.workers_batch import batch_inference

ROOT = Path(__file__).resolve().parents[1]


def _timed(function: Any) -> float:
    started = time.perf_counter()
    function()
    return (time.perf_counter() - started) * 1000


def _runner(directory: str, threads: int, runtime: str) -> Any:
    from imagepredict.model import find_runtime, read_model_dir
    from imagepredict.model.runner import ModelRunner

    content, metadata = read_model_dir(Path(directory))
    return ModelRunner(content, metadata, num_threads=threads, runtime=find_runtime(runtime))


def _bare(runner: Any, batch: Any) -> Any:
    """Only the interpreter: set the input, invoke, read the output (what the runtime itself costs)."""
    values = batch.astype(runner.input.dtype, copy=False)
    interpreter = runner._interpreter

    def call() -> None:
        interpreter.set_tensor(runner.input.index, values)
        interpreter.invoke()
        interpreter.get_tensor(runner.output.index)

    return call


def interpreters(args: dict[str, Any]) -> dict[str, Any]:
    """Bare invoke of every variant at each thread count; for float32 also our full path, interleaved with it."""
    import numpy as np

    jpeg = Path(args["jpeg"]).read_bytes()
    results: dict[str, Any] = {}
    for threads in args["threads"]:
        for mode, directory in args["variants"].items():
            key = f"{mode}/{threads}"
            try:
                runner = _runner(directory, threads, args["runtime"])
            except Exception as error:  # e.g. tflite-runtime and a dynamic-range model
                results[key] = {"error": str(error).split(". ")[0]}
                continue
            batch = np.random.default_rng(0).random(runner.input.shape, dtype=np.float32)
            if runner.input.quantized:
                from imagepredict.model.runner import quantize

                batch = quantize(batch, runner.input)
            bare = _bare(runner, batch)

            parts: dict[str, list[float]] = {"decode_ms": [], "preprocess_ms": [], "infer_ms": []}

            def full(runner: Any = runner, parts: dict[str, list[float]] = parts) -> None:
                classify_once(runner, jpeg, args.get("draft", True), parts)

            measure_full = mode == "none" and args.get("full_path", True)
            extra = _alternatives(runner, args) if measure_full and args.get("alternatives") else {}
            for _ in range(args["warmup"]):
                bare()
                if measure_full:
                    full()
                    for call in extra.values():
                        call()
            for values in parts.values():
                values.clear()
            bare_ms: list[float] = []
            timings: dict[str, list[float]] = {"full_ms": [], **{name: [] for name in extra}}
            for _ in range(args["iterations"]):
                bare_ms.append(_timed(bare))
                if measure_full:
                    timings["full_ms"].append(_timed(full))
                    for name, call in extra.items():
                        timings[name].append(_timed(call))
            results[key] = {"bare_ms": bare_ms, **({**timings, **parts} if measure_full else {})}
    return results


def keras(args: dict[str, Any]) -> dict[str, Any]:
    """The original app's approach: Keras model.predict on one image at a time, and predict_on_batch."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import numpy as np
    import tensorflow as tf

    model = tf.keras.models.load_model(args["keras_path"], compile=False)
    batch = np.random.default_rng(0).random((1, 224, 224, 3), dtype=np.float32)
    for _ in range(args["warmup"]):
        model.predict(batch, verbose=0)
        model.predict_on_batch(batch)
    predict_ms, on_batch_ms = [], []
    for _ in range(args["iterations"]):
        predict_ms.append(_timed(lambda: model.predict(batch, verbose=0)))
        on_batch_ms.append(_timed(lambda: model.predict_on_batch(batch)))
    return {"predict_ms": predict_ms, "predict_on_batch_ms": on_batch_ms, "tf_threads": "TensorFlow's default"}


def onnx(args: dict[str, Any]) -> dict[str, Any]:
    import numpy as np
    import onnxruntime

    batch = np.random.default_rng(0).random((1, 224, 224, 3), dtype=np.float32)
    results = {}
    for threads in args["threads"]:
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        session = onnxruntime.InferenceSession(args["onnx_path"], options, providers=["CPUExecutionProvider"])
        name = session.get_inputs()[0].name

        def call(session: Any = session, name: str = name) -> None:
            session.run(None, {name: batch})

        for _ in range(args["warmup"]):
            call()
        results[f"none/{threads}"] = {"bare_ms": [_timed(call) for _ in range(args["iterations"])]}
    return results


def classify_once(runner: Any, jpeg: bytes, draft: bool = True, parts: dict[str, list[float]] | None = None) -> str:
    """What ClassifyService does with the downloaded bytes: decode, preprocess, infer (each timed into `parts`)."""
    from imagepredict.imaging import decode_image

    started = time.perf_counter()
    decoded = decode_image(jpeg, max_pixels=40_000_000, target=runner.input_size if draft else None)
    decoded_at = time.perf_counter()
    batch = runner.prepare(decoded.image)
    prepared_at = time.perf_counter()
    label = runner.predict(batch).top.label
    if parts is not None:
        parts["decode_ms"].append((decoded_at - started) * 1000)
        parts["preprocess_ms"].append((prepared_at - decoded_at) * 1000)
        parts["infer_ms"].append((time.perf_counter() - prepared_at) * 1000)
    return label


def _alternatives(runner: Any, args: dict[str, Any]) -> dict[str, Any]:
    """The same full path for a model converted with --resize bilinear, and for an upload already at the model's
    size (a client that downsizes before uploading): what decides the overhead."""
    import copy
    import dataclasses
    import io

    from PIL import Image

    bilinear = copy.copy(runner)
    bilinear.metadata = dataclasses.replace(
        runner.metadata, preprocessing=dataclasses.replace(runner.metadata.preprocessing, resize="bilinear")
    )
    jpeg = Path(args["jpeg"]).read_bytes()
    with Image.open(args["jpeg"]) as photo:
        buffer = io.BytesIO()
        photo.convert("RGB").resize(runner.input_size[::-1], Image.Resampling.BICUBIC).save(buffer, "JPEG", quality=90)
    small = buffer.getvalue()
    return {
        "full_bilinear_ms": lambda: classify_once(bilinear, jpeg),
        "full_model_sized_ms": lambda: classify_once(runner, small),
    }


def cold_ours(args: dict[str, Any]) -> dict[str, Any]:
    """A classify container's cold start: import the handler, settings, clients, model load, first prediction."""
    started = time.perf_counter()
    marks: dict[str, float] = {}
    import importlib.util

    spec = importlib.util.spec_from_file_location("classify_app", ROOT / "functions" / "classify" / "app.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    marks["import_ms"] = (time.perf_counter() - started) * 1000
    from imagepredict.aws import s3_client, ses_client
    from imagepredict.model import load_runner
    from imagepredict.settings import get_settings
    from imagepredict.storage.mongo import get_database

    settings = get_settings()
    marks["settings_ms"] = (time.perf_counter() - started) * 1000
    get_database(settings)  # MongoClient: connects lazily, as in the function
    s3_client()
    ses_client()
    marks["clients_ms"] = (time.perf_counter() - started) * 1000
    runner = load_runner(bundled_dir=Path(args["model_dir"]), num_threads=args["threads"])
    marks["model_loaded_ms"] = (time.perf_counter() - started) * 1000
    jpeg = Path(args["jpeg"]).read_bytes()
    top = classify_once(runner, jpeg)
    marks["first_prediction_ms"] = (time.perf_counter() - started) * 1000
    for _ in range(args.get("load_images", 0)):
        classify_once(runner, jpeg)
    marks["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    marks["top"] = top
    return marks


def cold_original(args: dict[str, Any]) -> dict[str, Any]:
    """The original app's cold start: import TensorFlow, load_model, preprocess as it did, first predict."""
    started = time.perf_counter()
    marks: dict[str, float] = {}
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import numpy as np
    import tensorflow as tf
    from PIL import Image

    marks["import_ms"] = (time.perf_counter() - started) * 1000
    model = tf.keras.models.load_model(args["keras_path"], compile=False)
    marks["model_loaded_ms"] = (time.perf_counter() - started) * 1000
    image = Image.open(args["jpeg"]).convert("RGB").resize((224, 224))
    batch = np.expand_dims(np.array(image) / 255.0, axis=0)
    model.predict(batch, verbose=0)
    marks["first_prediction_ms"] = (time.perf_counter() - started) * 1000
    marks["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return marks


def cold_api(args: dict[str, Any]) -> dict[str, Any]:
    """An API function's cold start: pydantic's import (timed first, to tell its share), the rest of the handler
    module (Powertools, the routes' models), then one request through the handler that validates its input and
    needs no MongoDB or AWS (a 400, or a 404 for health, which takes no input)."""
    started = time.perf_counter()
    from pydantic import BaseModel, TypeAdapter  # noqa: F401 - timed alone (`import pydantic` alone is lazy)

    marks: dict[str, Any] = {"pydantic_ms": (time.perf_counter() - started) * 1000}
    import importlib.util

    name = args["function"]
    spec = importlib.util.spec_from_file_location(f"{name}_app", ROOT / "functions" / name / "app.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    marks["import_ms"] = (time.perf_counter() - started) * 1000
    method, path, body = args["request"]
    route, _, query = path.partition("?")
    event = {
        "version": "2.0",
        "routeKey": f"{method} {route}",
        "rawPath": route,
        "rawQueryString": query,
        "queryStringParameters": dict(part.split("=", 1) for part in query.split("&") if part) or None,
        "headers": {"content-type": "application/json", "authorization": f"Bearer {args['token']}"},
        "requestContext": {"http": {"method": method, "path": route}, "requestId": "bench", "stage": "$default"},
        "body": body,
        "isBase64Encoded": False,
    }
    context = type(
        "Context",
        (),
        {
            "function_name": name,
            "memory_limit_in_mb": 512,
            "aws_request_id": "bench",
            "invoked_function_arn": "arn:aws:lambda:us-east-1:123456789012:function:f",
        },
    )()
    marks["status"] = module.lambda_handler(event, context)["statusCode"]
    marks["first_request_ms"] = (time.perf_counter() - started) * 1000
    marks["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return marks


KINDS = {
    "cold-api": cold_api,
    "interpreters": interpreters,
    "keras": keras,
    "onnx": onnx,
    "cold-ours": cold_ours,
    "cold-original": cold_original,
    "batch": batch_inference,
}

if __name__ == "__main__":
    result = KINDS[sys.argv[1]](json.loads(sys.argv[2]))
    sys.stdout.write("\nBENCH-RESULT " + json.dumps(result) + "\n")
