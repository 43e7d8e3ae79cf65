"""The batch worker's numbers: batched inference (ONNX Runtime; LiteRT resizing its input or looping) against the
Lambda path's images/s per vCPU, and the real worker end to end on the local stack, per BATCH_SIZE."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench import service
from bench.run import worker
from bench.stats import summary
from devstack.launch import start_stack

ROOT = Path(__file__).resolve().parents[1]
DIGITS = ROOT / "tests" / "fixtures" / "digits"
SIZES = (1, 8, 32)
NO_GPU = "not measured on a GPU (no GPU machine in this run)"
CUDA = "CUDAExecutionProvider"
Log = Callable[[str], None]


def cores() -> int:
    """What the worker uses: every CPU this process may run on (its MODEL_THREADS default, capped at 4, agrees)."""
    return len(os.sched_getaffinity(0))


def sample_images(photo: Path) -> list[Path]:
    """The digit samples (224×224 PNG and JPEG) and the 640×427 photo: real images, as uploads would be."""
    return [*sorted(DIGITS.glob("*.png")), *sorted(DIGITS.glob("*.jpg")), photo]


# --- batched inference ----------------------------------------------------------------------------------------------


def _throughput(result: dict[str, Any], name: str) -> list[float]:
    """Images/s of each timed call."""
    return [result["batch_size"] / ms * 1000 for ms in result["ms"][name]]


def _median_ips(result: dict[str, Any], name: str) -> float:
    return statistics.median(_throughput(result, name))


def _summarise_size(
    litert: list[dict[str, Any]], onnx: list[dict[str, Any]], lambda_ips: float, threads: int
) -> dict[str, Any]:
    """One batch size of one model: images/s per configuration, per vCPU against the Lambda path's, and LiteRT's
    resize against loop from the pairs measured in the same process."""
    entry: dict[str, Any] = {"backend": onnx[0]["backend"] if onnx else None}
    for name, runs in (("onnx", onnx), ("resize", litert), ("loop", litert)):
        if runs:
            entry[name] = summary([value for run in runs for value in _throughput(run, name)])
            entry[f"{name}_per_vcpu_over_lambda"] = entry[name]["median"] / threads / lambda_ips
    if litert:
        entry["resize_over_loop"] = summary([_median_ips(run, "resize") / _median_ips(run, "loop") for run in litert])
    return entry


def lambda_path(directory: Path, photo: Path, iterations: int) -> list[float]:
    """The Lambda path's inference as section 2 measures it (its `interpreters` worker): `runner.predict` on one
    image at one thread, between decoding and preparing the photo, as the function does per message."""
    args = {
        "threads": [1],
        "variants": {"none": str(directory)},
        "runtime": "litert",
        "iterations": iterations,
        "warmup": 5,
        "jpeg": str(photo),
    }
    return worker("interpreters", args)[0]["none/1"]["infer_ms"]


def _run(model_dir: Path, backend: str, size: int, images: list[Path], threads: int, quick: bool) -> dict[str, Any]:
    args = {
        "model_dir": str(model_dir),
        "backend": "onnx" if backend.startswith("onnx") else "litert",
        "providers": "cuda" if backend == "onnx-cuda" else "cpu",
        "batch_size": size,
        "threads": threads,
        "images": [str(path) for path in images],
        "warmup": 2,
        "min_rounds": 3 if quick else 5,
        "max_rounds": 2000,
        "min_seconds": 0.2 if quick else 0.8,
    }
    return worker("batch", args)[0]


def inference(
    models: dict[str, Path],
    photo: Path,
    *,
    rounds: int,
    quick: bool,
    log: Log,
    lambda_ms: dict[str, list[float]] | None = None,
    sizes: Sequence[int] = SIZES,
) -> dict[str, Any]:
    """Every model × batch size × runtime in a fresh process, rounds alternating which runtime goes first; the
    Lambda path's per-image inference from `lambda_ms` (section 2's, where it measured that model) or measured here."""
    threads, images = cores(), sample_images(photo)
    reused = dict(lambda_ms or {})
    baseline: dict[str, list[float]] = {name: list(reused.get(name, [])) for name in models}
    runs: dict[tuple[str, int, str], list[dict[str, Any]]] = {}
    for attempt in range(rounds):
        log(f"batched inference, round {attempt + 1}/{rounds}")
        backends = ("litert", "onnx") if attempt % 2 == 0 else ("onnx", "litert")
        for name, directory in models.items():
            if name not in reused:
                baseline[name] += lambda_path(directory, photo, 10 if quick else 50)
            for size in sizes:
                for backend in backends:
                    result = _run(directory, backend, size, images, threads, quick)
                    runs.setdefault((name, size, backend), []).append(result)
    found: dict[str, Any] = {
        "threads": threads,
        "sizes": list(sizes),
        "rounds": rounds,
        "images": [path.name for path in images],
        "models": {},
    }
    for name in models:
        lambda_ips = summary([1000 / ms for ms in baseline[name]])
        found["models"][name] = {
            "lambda": lambda_ips,
            "lambda_from": "latency" if name in reused else "batch",
            "sizes": {
                str(size): _summarise_size(
                    runs[(name, size, "litert")], runs[(name, size, "onnx")], lambda_ips["median"], threads
                )
                for size in sizes
            },
        }
    found["cuda"] = cuda(models, images, threads, quick, log, sizes)
    return found


def gpu_name() -> str:
    try:
        done = subprocess.run(
            ["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"], capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown (nvidia-smi did not answer)"
    return ", ".join(line.strip() for line in done.stdout.splitlines() if line.strip())


def cuda(
    models: dict[str, Path], images: list[Path], threads: int, quick: bool, log: Log, sizes: Sequence[int] = SIZES
) -> dict[str, Any]:
    """ONNX Runtime's CUDA provider where this ONNX Runtime has it; otherwise it says so (never an estimate)."""
    import onnxruntime

    if CUDA not in onnxruntime.get_available_providers():
        return {"measured": False, "note": NO_GPU}
    log("batched inference on the GPU (ONNX Runtime, CUDA)")
    found: dict[str, Any] = {"measured": True, "device": gpu_name(), "models": {}}
    for name, directory in models.items():
        for size in sizes:
            try:
                result = _run(directory, "onnx-cuda", size, images, threads, quick)
            except RuntimeError as error:  # the provider is listed but its libraries did not load
                return {"measured": False, "note": f"CUDA listed but unusable: {str(error).splitlines()[-1][:200]}"}
            found["models"].setdefault(name, {})[str(size)] = {
                "backend": result["backend"],
                "onnx": summary(_throughput(result, "onnx")),
            }
    return found


# --- the real worker on the local stack -------------------------------------------------------------------------


def upload_mix(photo: Path, count: int) -> list[service.Upload]:
    """`count` uploads cycling through the digit samples and the photo."""
    files = sample_images(photo)
    return [service.Upload.of(files[index % len(files)]) for index in range(count)]


def stack_settings(sizes: Sequence[int]) -> dict[str, dict[str, str]]:
    """The Lambda path (the baseline) and the batch worker at each BATCH_SIZE, with ONNX Runtime on the CPU."""
    rows = {"lambda": {"LOCAL_CLASSIFIER": "lambda", "LOCAL_FUNCTION_CONCURRENCY": str(cores())}}
    for size in sizes:
        rows[f"worker/{size}"] = {
            "LOCAL_CLASSIFIER": "worker",
            "BATCH_SIZE": str(size),
            "BATCH_WAIT_MS": "1000",
            "MODEL_BACKEND": "onnx",
            "ONNX_PROVIDERS": "cpu",
        }
    return rows


def end_to_end(
    photo: Path, *, images: int, clients: int, rounds: int, log: Log, sizes: Sequence[int] = SIZES
) -> dict[str, Any]:
    """Each setting on a stack of its own, the same uploads, rounds alternating the order of the settings."""
    uploads = upload_mix(photo, images)
    settings = stack_settings(sizes)
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in settings}
    for attempt in range(rounds):
        for name in list(settings) if attempt % 2 == 0 else list(reversed(settings)):
            log(f"worker end to end, round {attempt + 1}/{rounds}: {name}, {images} uploads")
            runs[name].append(on_stack(settings[name], uploads, clients))
    return {
        "images": images,
        "clients": clients,
        "cores": cores(),
        "rounds": rounds,
        "rows": {name: {"env": settings[name], **pooled(runs[name])} for name in settings},
    }


def on_stack(env: dict[str, str], uploads: list[service.Upload], clients: int) -> dict[str, Any]:
    """One run on a fresh stack; with the batch worker, also its own per-batch log lines."""
    with tempfile.TemporaryDirectory() as data_dir:
        stack = start_stack(Path(data_dir), env)
        try:
            result = service.batch_pipeline(stack, uploads, clients=clients)
        finally:
            stack.stop()
        if env["LOCAL_CLASSIFIER"] == "worker":
            result["batches"] = worker_batches(Path(data_dir) / "logs" / "batchworker.log")
    return result


def pooled(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Throughput per run summarised; per-image and per-batch samples of every run together."""
    stages = sorted({stage for run in runs for stage in run["stages_ms"]})
    lists = ("batch_sizes", "claimed_to_done_ms", "store_email_ms", "batches")
    return {
        "throughput": summary([run["throughput"] for run in runs]),
        "statuses": sorted({status for run in runs for status in run["statuses"]}),
        "elapsed_s": [run["elapsed_s"] for run in runs],
        "uploads_s": [run["uploads_s"] for run in runs],
        "stages_ms": {stage: [v for run in runs for v in run["stages_ms"].get(stage, [])] for stage in stages},
        **{name: [v for run in runs for v in run.get(name, [])] for name in lists},
    }


def worker_batches(log_path: Path) -> list[dict[str, Any]]:
    """The worker's own "Batch finished" lines that classified something, less the first (the warm-up image's)."""
    if not log_path.exists():
        raise RuntimeError(f"LOCAL_CLASSIFIER=worker started no batch worker ({log_path} is missing)")
    found = []
    for line in log_path.read_text(errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and record.get("message") == "Batch finished" and record.get("classified"):
            found.append({key: record.get(key) for key in ("messages", "classified", "batch_ms", "gather_ms")})
    return found[1:]
