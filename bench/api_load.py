"""`python -m bench.api_load [--users N] [--run-time S] [--quick]` (`make load`): Locust against the local stack.

Starts a fresh `make run` stack on free ports of 127.0.0.1 (bcrypt at the template's default cost, 12, unless
--bcrypt-rounds says otherwise), warms every API function up with two journeys at once, then runs the `locust` CLI
headless with bench/locustfile.py's users (register and log in once; then upload a committed digit through the
presigned POST, poll until done, list the history, delete; repeat) for a fixed time, and stops the stack. Locust's
per-route requests/s, p50/p95/p99 and failures, and its upload → done timings, go into docs/benchmarks.json under
"api_load" and into their own section of docs/benchmarks.md (--out elsewhere: a test's folder). Exit status 1 on
any failed request, any exception in the users' code, a dead letter, or a stack that did not stop cleanly.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from importlib.metadata import version
from pathlib import Path
from typing import Any

import requests

from bench import machine, report_api_load
from bench.load import others_testing, uncommitted
from bench.load_checks import queue_depths
from devstack.launch import RunningStack, start_stack

ROOT = Path(__file__).resolve().parents[1]
LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"
DIGIT = ROOT / "tests" / "fixtures" / "digits" / "digit-7.png"
PIPELINE = "PIPELINE"  # bench/locustfile.py's request type for the upload → done timings (not requests)
UNFINISHED = ("pending", "processing")
# Every route a journey takes (the report's order): each must have been requested in a run.
ROUTES = report_api_load.ORDER
STARTED = time.perf_counter()


def log(message: str) -> None:
    print(f"[{time.perf_counter() - STARTED:6.1f}s] {message}", file=sys.stderr, flush=True)


def _ok(response: requests.Response) -> requests.Response:
    if response.status_code >= 300:
        raise RuntimeError(f"{response.request.method} {response.url}: {response.status_code} {response.text[:300]}")
    return response


def warm_up(stack: RunningStack, journeys: int = 2) -> None:
    """`journeys` journeys at once by one user, so the stack's warm containers (two per function) have started
    before Locust measures: cold starts are section 1's subject, not this one's."""
    body = {"email": f"warm-{uuid.uuid4().hex[:10]}@example.com", "name": "Warm", "password": "correct horse battery"}
    headers = {
        "Authorization": f"Bearer {_ok(requests.post(stack.url('/auth/register'), json=body)).json()['access_token']}"
    }
    login = {"email": body["email"], "password": body["password"]}
    errors: list[Exception] = []

    def journey() -> None:
        try:
            _ok(requests.post(stack.url("/auth/login"), json=login, timeout=60))
            upload = {"filename": "warm.png", "content_type": "image/png"}
            slot = _ok(requests.post(stack.url("/uploads"), json=upload, headers=headers, timeout=60)).json()
            files = {"file": ("warm.png", DIGIT.read_bytes(), "image/png")}
            _ok(requests.post(slot["upload"]["url"], data=slot["upload"]["fields"], files=files, timeout=60))
            path = f"/predictions/{slot['prediction_id']}"
            deadline = time.monotonic() + 120
            while _ok(requests.get(stack.url(path), headers=headers, timeout=60)).json()["status"] in UNFINISHED:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"the warm-up upload {path} was not classified in 120 s")
                time.sleep(0.2)
            _ok(requests.get(stack.url("/predictions"), headers=headers, timeout=60))
            _ok(requests.delete(stack.url(path), headers=headers, timeout=60))
        except Exception as error:  # reported by the caller, in this thread
            errors.append(error)

    threads = [threading.Thread(target=journey) for _ in range(journeys)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise RuntimeError(f"the warm-up failed: {errors[0]}\n{stack.log_text()[-4000:]}") from errors[0]


def read_stats(path: Path) -> dict[str, Any]:
    """bench/locustfile.py's summary of the run: per route (and per upload timing) the count, failures, requests/s
    over the run and Locust's own percentiles (ms); its failures and the exceptions raised in the users' code."""
    summary = json.loads(path.read_text())
    duration = summary["duration_s"]
    routes, pipeline = {}, {}
    for entry in summary["entries"]:
        found = {key: entry[key] for key in ("requests", "failures", "mean", "p50", "p95", "p99", "max")}
        found["rps"] = entry["requests"] / duration
        if entry["type"] == PIPELINE:
            pipeline[entry["name"]] = found
        else:
            routes[f"{entry['type']} {entry['name']}"] = found
    failures = [
        {"route": f"{f['type']} {f['name']}", "error": f["error"], "occurrences": f["occurrences"]}
        for f in summary["failures"]
    ]
    requests_total = sum(entry["requests"] for entry in routes.values())
    return {
        "duration_s": duration,
        "routes": routes,
        "pipeline": pipeline,
        "requests": requests_total,
        "rps": requests_total / duration,
        "failed_requests": sum(entry["failures"] for entry in routes.values()),
        "failed_pipeline": sum(entry["failures"] for entry in pipeline.values()),
        "failures": failures,
        "exceptions": summary["exceptions"],
    }


def run_locust(stack: RunningStack, args: argparse.Namespace, work: Path) -> tuple[int, Path, str]:
    """The `locust` CLI, headless, against the stack: its exit status, its summary file and its output."""
    summary = work / "locust-summary.json"
    command = [
        sys.executable,
        "-m",
        "locust",
        "--locustfile",
        str(LOCUSTFILE),
        "--headless",
        "--host",
        stack.api_url,
        "--users",
        str(args.users),
        "--spawn-rate",
        str(args.spawn_rate),
        "--run-time",
        f"{args.run_time}s",
        "--only-summary",
        "--exit-code-on-error",
        "1",
        "--summary-file",
        str(summary),
    ]
    output = work / "locust.log"
    with open(output, "wb") as sink:
        done = subprocess.run(
            command, cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT, timeout=args.run_time + 120, check=False
        )
    text = output.read_text(errors="replace")
    if not summary.exists():
        raise RuntimeError(f"locust exited with {done.returncode} and wrote no summary:\n{text[-4000:]}")
    return done.returncode, summary, text


def violations(result: dict[str, Any]) -> list[str]:
    found = []
    if result["failed_requests"] or result["failed_pipeline"]:
        listed = "; ".join(f"{f['route']}: {f['error']} ×{f['occurrences']}" for f in result["failures"][:5])
        failed = f"{result['failed_requests']} failed requests, {result['failed_pipeline']} failed uploads"
        found.append(f"{failed}: {listed}")
    if result["exceptions"]:
        found.append(f"{sum(e['count'] for e in result['exceptions'])} exceptions in the users' code")
    missing = [route for route in ROUTES if not result["routes"].get(route, {}).get("requests")]
    if missing:
        found.append(f"routes never requested: {', '.join(missing)}")
    if not result["pipeline"].get("upload → done", {}).get("requests"):
        found.append("no upload was classified")
    if result["locust_exit_code"] != 0:
        found.append(f"locust exited with {result['locust_exit_code']}")
    if any(result["dead_letters"].values()):
        found.append(f"dead letters: {result['dead_letters']}")
    if result["stack_exit_code"] != 0:
        found.append(f"the stack exited with {result['stack_exit_code']}")
    return found


def measure(args: argparse.Namespace) -> dict[str, Any]:
    env = {"BCRYPT_ROUNDS": str(args.bcrypt_rounds), "LOCAL_FUNCTION_CONCURRENCY": "2", "LOCAL_CLASSIFIER": "lambda"}
    with tempfile.TemporaryDirectory(prefix="api-load-") as folder:
        work = Path(folder)
        log(f"starting a fresh stack (bcrypt rounds {args.bcrypt_rounds})")
        stack = start_stack(work / "stack", env)
        try:
            warm_up(stack)
            load_before = os.getloadavg()[0]
            log(f"locust: {args.users} users, {args.spawn_rate}/s spawned, for {args.run_time} s")
            code, summary, output = run_locust(stack, args, work)
            load_after = os.getloadavg()[0]
            print(output[-8000:], file=sys.stderr)  # Locust's own tables
            result = read_stats(summary)
            queues = queue_depths(stack.aws_endpoint)
            dead = {name: q["visible"] + q["in_flight"] for name, q in queues.items() if q["dead_letters"]}
        finally:
            stack_code = stack.stop()
        if code != 0 or stack_code != 0 or result["failed_requests"] or result["failed_pipeline"]:
            print(f"the stack's log ends:\n{stack.log_text()[-6000:]}", file=sys.stderr)
    return {
        **result,
        "env": env,
        "locust_exit_code": code,
        "stack_exit_code": stack_code,
        "dead_letters": dead,
        "load_average": {"before": load_before, "after": load_after},
    }


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.api_load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=None, help="concurrent Locust users (default 50; --quick: 10)")
    parser.add_argument("--spawn-rate", type=float, default=None, help="users started per second (default 1)")
    parser.add_argument("--run-time", type=int, default=None, help="seconds Locust runs (default 120; --quick: 15)")
    parser.add_argument("--bcrypt-rounds", type=int, default=None, help="the stack's bcrypt cost (12; --quick: 4)")
    parser.add_argument("--quick", action="store_true", help="a short run: 10 users for 15 s, bcrypt rounds 4")
    parser.add_argument("--out", type=Path, default=ROOT / "docs", help="where benchmarks.md/.json go (docs/)")
    args = parser.parse_args(argv)
    args.users = args.users or (10 if args.quick else 50)
    args.spawn_rate = args.spawn_rate or (10 if args.quick else 1)
    args.run_time = args.run_time or (15 if args.quick else 120)
    args.bcrypt_rounds = args.bcrypt_rounds or (4 if args.quick else 12)
    if args.users < 1 or args.spawn_rate <= 0 or args.run_time < 1 or not 4 <= args.bcrypt_rounds <= 16:
        parser.error("--users, --spawn-rate and --run-time must be positive, --bcrypt-rounds 4 to 16")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    command = "make load" + (" QUICK=1" if args.quick else "")
    if argv and set(argv) - {"--quick"}:
        command += f"  (python -m bench.api_load {' '.join(argv)})"
    started = time.perf_counter()
    results: dict[str, Any] = {
        "command": command,
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "commit": machine.git_commit(),
        "uncommitted": uncommitted(),
        "machine": machine.cpu(),
        "locust": version("locust"),
        "users": args.users,
        "spawn_rate": args.spawn_rate,
        "run_time_s": args.run_time,
        "bcrypt_rounds": args.bcrypt_rounds,
        "others_testing": others_testing(),
        **measure(args),
    }
    results["wall_s"] = time.perf_counter() - started
    results["violations"] = violations(results)
    results["ok"] = not results["violations"]
    report_api_load.write(args.out, results)
    log(
        f"{results['rps']:.1f} requests/s, {results['failed_requests']} failed; "
        + ("; ".join(results["violations"]) or "no failures")
        + f"; wrote {args.out / 'benchmarks.md'} and benchmarks.json"
    )
    return 0 if results["ok"] else 1


if __name__ == "__main__":
    # Stop the stack cleanly on Ctrl-C or SIGTERM, even when started in the background with SIGINT ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sys.exit(main(sys.argv[1:]))
