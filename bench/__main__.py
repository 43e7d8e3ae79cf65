"""`python -m bench [--quick]`: measure, then write docs/benchmarks.md and docs/benchmarks.json.

Every figure is a median with its spread over repeated runs in fresh processes; ratios come from pairs measured in
the same run (interleaved where they share a process), since the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import json
import shlex
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import jwt
import numpy as np
from PIL import Image

from bench import batch, floor, machine, models, report, report_load, service, size
from bench.run import TFLITE_PYTHON, worker
from bench.stats import summary
from devstack.launch import start_stack

ROOT = Path(__file__).resolve().parents[1]
STARTED = time.perf_counter()
COLD_ENV = {
    "MONGODB_URI": "mongodb://127.0.0.1:9/?directConnection=true",  # clients connect lazily; nothing is contacted
    "JWT_SECRET": "k" * 40,
    "UPLOADS_BUCKET": "bench-bucket",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_DEFAULT_REGION": "us-east-1",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_SERVICE_NAME": "bench",
    "POWERTOOLS_METRICS_NAMESPACE": "Bench",
}


def log(message: str) -> None:
    print(f"[{time.perf_counter() - STARTED:6.1f}s] {message}", file=sys.stderr, flush=True)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: fewer repetitions and images")
    parser.add_argument("--out", type=Path, default=ROOT / "docs", help="where benchmarks.md/.json go (docs/)")
    parser.add_argument("--work", type=Path, default=ROOT / ".bench", help="cache of models and images (.bench/)")
    parser.add_argument(
        "--skip",
        default="",
        help="comma-separated sections to skip: cold,api,latency,auth,pipeline,batch,worker,size",
    )
    return parser.parse_args(argv)


def big_photo(work: Path) -> Path:
    """A 12-megapixel phone-sized JPEG (the bundled photo scaled up), for the large-upload decode path."""
    path = work / "photo-12mp.jpg"
    if not path.exists():
        with Image.open(models.photo_jpeg(work / "photo.jpg")) as photo:
            photo.resize((4032, 3024), Image.Resampling.BICUBIC).save(path, "JPEG", quality=90)
    return path


def cold_starts(standin: models.StandIn, photo: Path, repeats: int) -> dict[str, Any]:
    """Ours (the demo model that ships, and the stand-in) against the original approach, alternating runs."""
    runs: dict[str, list[dict[str, Any]]] = {"ours_demo": [], "ours_standin": [], "original_standin": []}
    walls: dict[str, list[float]] = {name: [] for name in runs}
    for attempt in range(repeats):
        log(f"cold starts, round {attempt + 1}/{repeats}")
        for name, kind, args in (
            ("ours_demo", "cold-ours", {"model_dir": str(models.DEMO_DIR), "threads": 1, "jpeg": str(photo)}),
            (
                "ours_standin",
                "cold-ours",
                {"model_dir": str(standin.variants["none"]), "threads": 1, "jpeg": str(photo)},
            ),
            ("original_standin", "cold-original", {"keras_path": str(standin.keras_path), "jpeg": str(photo)}),
        ):
            result, wall = worker(kind, args, env=COLD_ENV)
            runs[name].append(result)
            walls[name].append(wall)
    summaries = {}
    for name, results in runs.items():
        keys = [key for key in results[0] if key.endswith("_ms")]
        summaries[name] = {key: summary([r[key] for r in results]) for key in keys}
        summaries[name]["process_wall_ms"] = summary(walls[name])
    ratio = [
        o["first_prediction_ms"] / t["first_prediction_ms"]
        for o, t in zip(runs["original_standin"], runs["ours_standin"], strict=True)
    ]
    summaries["original_over_ours"] = summary(ratio)
    return summaries


def peak_rss(standin: models.StandIn, photo: Path, images: int) -> dict[str, Any]:
    result, _ = worker(
        "cold-ours",
        {"model_dir": str(standin.variants["none"]), "threads": 2, "jpeg": str(photo), "load_images": images},
        env=COLD_ENV,
    )
    demo, _ = worker(
        "cold-ours",
        {"model_dir": str(models.DEMO_DIR), "threads": 2, "jpeg": str(photo), "load_images": images},
        env=COLD_ENV,
    )
    return {"standin_mb": result["peak_rss_mb"], "demo_mb": demo["peak_rss_mb"], "images": images}


API_REQUESTS = {  # what each API function answers without MongoDB or AWS, its input validated (health takes none)
    "auth": ("POST", "/auth/register", "{}"),
    "uploads": ("POST", "/uploads", "{}"),
    "predictions": ("GET", "/predictions?limit=0", None),
    "health": ("GET", "/no-such-route", None),
    "admin": ("GET", "/admin/stats?days=0", None),
}


def api_cold_starts(repeats: int) -> dict[str, Any]:
    """Each API function's cold start (import, then a first request), the functions alternating, fresh processes."""
    now = int(time.time())
    claims = {"sub": "6745a1c2e4b0a1b2c3d4e5f6", "email": "bench@example.com", "iat": now, "exp": now + 3600}
    claims |= {"iss": "imagepredict", "aud": "imagepredict-api", "jti": "b" * 32}
    # An admin's token for the admin function (a user's is refused with 403 before its query is validated).
    tokens = {
        name: jwt.encode(
            {**claims, "role": "admin" if name == "admin" else "user"}, COLD_ENV["JWT_SECRET"], algorithm="HS256"
        )
        for name in API_REQUESTS
    }
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in API_REQUESTS}
    for attempt in range(repeats):
        log(f"API cold starts, round {attempt + 1}/{repeats}")
        for name, request in API_REQUESTS.items():
            runs[name].append(
                worker("cold-api", {"function": name, "request": request, "token": tokens[name]}, env=COLD_ENV)[0]
            )
    return {
        name: {
            **{key: summary([run[key] for run in found]) for key in ("pydantic_ms", "import_ms", "first_request_ms")},
            "peak_rss_mb": summary([run["peak_rss_mb"] for run in found]),
            "status": found[0]["status"],
        }
        for name, found in runs.items()
    }


def _merge(runs: list[dict[str, Any]]) -> dict[str, dict[str, list[float]]]:
    merged: dict[str, dict[str, list[float]]] = {}
    for run in runs:
        for key, values in run.items():
            for metric, samples in values.items():
                if isinstance(samples, list):
                    merged.setdefault(key, {}).setdefault(metric, []).extend(samples)
                else:
                    merged.setdefault(key, {})[metric] = samples  # type: ignore[assignment]
    return merged


def latencies(standin: models.StandIn, photo: Path, big: Path, *, repeats: int, iterations: int) -> dict[str, Any]:
    variants = {mode: str(path) for mode, path in standin.variants.items()}
    common = {"threads": [1, 2], "iterations": iterations, "warmup": 5, "jpeg": str(photo)}
    litert, keras, onnx, tflite, big_runs, big_before = [], [], [], [], [], []
    for attempt in range(repeats):
        log(f"warm latency, round {attempt + 1}/{repeats}")
        litert.append(
            worker("interpreters", {**common, "variants": variants, "runtime": "litert", "alternatives": True})[0]
        )
        keras.append(
            worker(
                "keras", {"keras_path": str(standin.keras_path), "iterations": max(5, iterations // 2), "warmup": 3}
            )[0]
        )
        onnx.append(worker("onnx", {**common, "onnx_path": str(standin.variants["none"] / "model.onnx")})[0])
        if TFLITE_PYTHON.exists():
            tflite.append(
                worker(
                    "interpreters",
                    {**common, "variants": variants, "runtime": "tflite-runtime", "full_path": False},
                    python=TFLITE_PYTHON,
                )[0]
            )
        big_args = {
            "threads": [1],
            "iterations": max(3, iterations // 5),
            "warmup": 2,
            "jpeg": str(big),
            "variants": {"none": variants["none"]},
            "runtime": "litert",
        }
        big_runs.append(worker("interpreters", big_args)[0])
        big_before.append(worker("interpreters", {**big_args, "draft": False})[0])
    merged = {
        "litert": _merge(litert),
        "keras": _merge([{"keras": k} for k in keras])["keras"],
        "onnx": _merge(onnx),
        "tflite_runtime": _merge(tflite) if tflite else {},
        "big_photo": _merge(big_runs)["none/1"],
        "big_photo_no_draft": _merge(big_before)["none/1"],
    }
    for name in ("full_ms", "full_bilinear_ms", "full_model_sized_ms"):
        pairs = [statistics.median(run["none/1"][name]) / statistics.median(run["none/1"]["bare_ms"]) for run in litert]
        merged[f"{name.removesuffix('_ms')}_over_bare_1_thread"] = summary(pairs)
    return merged


def parity(standin: models.StandIn) -> dict[str, Any]:
    found = {}
    for mode, directory in standin.variants.items():
        document = json.loads((directory / "model.json").read_text())
        found[mode] = {**document["parity"]["tflite"], "bytes": models.tflite_size(directory)}
    return found


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    skip = {part.strip() for part in args.skip.split(",") if part.strip()}
    repeats = 2 if args.quick else 5
    command = (
        "make bench"
        + (" QUICK=1" if args.quick else "")
        + (f"  (python -m bench {shlex.join(argv or [])})" if argv else "")
    )
    results: dict[str, Any] = {
        "command": command,
        "quick": args.quick,
        "machine": machine.cpu(),
        "versions": machine.versions(),
        "commit": machine.git_commit(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    args.work.mkdir(parents=True, exist_ok=True)
    standin = models.build_standin(args.work, log)
    photo = models.photo_jpeg(args.work / "photo.jpg")
    big = big_photo(args.work)
    log("measuring this CPU's single-core float32 peak")
    gflops = floor.peak_gflops(repeats=3 if args.quick else 7)
    results["floor"] = {"macs": standin.macs, "peak_gflops": gflops, "floor_ms": floor.floor_ms(standin.macs, gflops)}
    results["parity"] = parity(standin)
    if "cold" not in skip:
        results["cold"] = cold_starts(standin, photo, repeats)
        results["peak_rss"] = peak_rss(standin, photo, 10 if args.quick else 50)
    if "api" not in skip:
        results["api_cold"] = api_cold_starts(3 if args.quick else 10)
    if "latency" not in skip:
        results["latency"] = latencies(
            standin, photo, big, repeats=2 if args.quick else 3, iterations=10 if args.quick else 50
        )
    if not {"auth", "pipeline"} <= skip:
        with tempfile.TemporaryDirectory() as data_dir:
            log("starting a local stack (bcrypt at the template's default cost, 12)")
            stack = start_stack(Path(data_dir), {"BCRYPT_ROUNDS": "12", "LOCAL_FUNCTION_CONCURRENCY": "2"})
            try:
                if "auth" not in skip:
                    log("auth: register and login")
                    results["auth"] = service.auth(stack, users=5 if args.quick else 20, rounds=12)
                if "pipeline" not in skip:
                    log("pipeline: uploads by concurrent clients")
                    results["pipeline"] = service.pipeline(
                        stack, photo, images=10 if args.quick else 60, clients=2 if args.quick else 4
                    )
            finally:
                stack.stop()
    if "batch" not in skip:
        models_dirs = {"standin": standin.variants["none"], "demo": models.DEMO_DIR}
        reused = {"standin": results["latency"]["litert"]["none/1"]["infer_ms"]} if "latency" in results else {}
        results["batch"] = batch.inference(
            models_dirs, photo, rounds=1 if args.quick else 3, quick=args.quick, log=log, lambda_ms=reused
        )
    if "worker" not in skip:
        results["batch_worker"] = batch.end_to_end(
            photo, images=16 if args.quick else 64, clients=4, rounds=1 if args.quick else 2, log=log
        )
    build = ROOT / ".aws-sam" / "build"
    if "size" not in skip and build.exists():
        log("sizes of the sam build output")
        results["size"] = size.sizes(ROOT, build)
    results["targets"] = report.targets(results)
    args.out.mkdir(parents=True, exist_ok=True)
    results = report_load.keep(args.out, results)  # the heavy-load run (`make load-pipeline`) is measured apart
    (args.out / "benchmarks.json").write_text(json.dumps(results, indent=1, default=float) + "\n")
    (args.out / "benchmarks.md").write_text(report.markdown(results))
    log(f"wrote {args.out / 'benchmarks.md'} and benchmarks.json")
    for target in results["targets"]:
        log(f"{'MET   ' if target['met'] else 'MISSED'} {target['name']}: {target['measured']}")
    return 0


if __name__ == "__main__":
    np.seterr(all="ignore")
    sys.exit(main(sys.argv[1:]))
