"""Batched inference, measured in a fresh process (`python -m bench.workers batch JSON`): images/s of one
`predict_batch` call per batch, on prepared inputs from real images, for one model, backend and batch size.

LiteRT's two batch modes run in the same process, call by call (pairs); ONNX Runtime gets a process of its own,
since its idle threads spin and would tax whatever runs next.
Imports nothing at module level beyond the standard library: the tflite-runtime venv imports bench.workers too.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any


def prepared_inputs(classifier: Any, paths: Sequence[str], count: int) -> list[Any]:
    """`count` model inputs, the images cycled, decoded and prepared as the classify service does it."""
    from imagepredict.imaging import decode_image

    prepared = []
    for path in paths:
        decoded = decode_image(Path(path).read_bytes(), max_pixels=40_000_000, target=classifier.input_size)
        prepared.append(classifier.prepare(decoded.image))
    return [prepared[index % len(prepared)] for index in range(count)]


def _litert(directory: str, threads: int, mode: str) -> Any:
    from imagepredict.model import load_runner

    runner = load_runner(bundled_dir=Path(directory), num_threads=threads)
    runner.batch_mode = runner.resolve_batch_mode(mode)
    return runner


def _onnx(directory: str, threads: int, providers: str) -> Any:
    from imagepredict.model.onnx import load_onnx_runner

    return load_onnx_runner(bundled_dir=Path(directory), num_threads=threads, providers=providers)


def _calls(args: dict[str, Any]) -> tuple[dict[str, Callable[[], object]], str]:
    """The timed calls of this configuration, by name, and the backend that runs the batches."""
    size, threads, directory = args["batch_size"], args["threads"], args["model_dir"]
    if args["backend"] == "litert":
        resize, loop = _litert(directory, threads, "resize"), _litert(directory, threads, "loop")
        inputs = prepared_inputs(resize, args["images"], size)
        return {"resize": lambda: resize.predict_batch(inputs), "loop": lambda: loop.predict_batch(inputs)}, "litert"
    runner = _onnx(directory, threads, args.get("providers", "cpu"))
    inputs = prepared_inputs(runner, args["images"], size)
    return {"onnx": lambda: runner.predict_batch(inputs)}, runner.backend


def batch_inference(args: dict[str, Any]) -> dict[str, Any]:
    """Milliseconds per call of each configuration, interleaved round by round until enough time has passed."""
    calls, backend = _calls(args)
    for _ in range(args["warmup"]):
        for call in calls.values():
            call()
    timings: dict[str, list[float]] = {name: [] for name in calls}
    started = time.perf_counter()
    rounds = 0
    while rounds < args["max_rounds"] and (
        rounds < args["min_rounds"] or time.perf_counter() - started < args["min_seconds"]
    ):
        for name, call in calls.items():
            began = time.perf_counter()
            call()
            timings[name].append((time.perf_counter() - began) * 1000)
        rounds += 1
    return {"ms": timings, "backend": backend, "batch_size": args["batch_size"], "threads": args["threads"]}
