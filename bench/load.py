"""`python -m bench.load [--images N] [--quick]` (`make load-pipeline`): a heavy load through the local stack.

N uploads (default 1,000) through the real API (POST /uploads, then the presigned multipart POST to S3) by a bounded
pool of concurrent clients, on a fresh stack for each consumer of the classify queue: the Lambda poller, the batch
worker, then both. Measures images/s and each image's upload→done and upload→email latency, and checks that nothing
is lost or wrong, that no one gets an email twice and that the dead-letter queues stay empty. The results go into
docs/benchmarks.json under "load" and into their own section of docs/benchmarks.md; exit status 1 if any of those
invariants is violated.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
from bson import ObjectId
from pymongo import MongoClient

from bench import machine, report_load
from bench.load_checks import check_mode, latency, queue_depths
from devstack.launch import RunningStack, start_stack
from devstack.mail import sent_mail

ROOT = Path(__file__).resolve().parents[1]
DIGITS = ROOT / "tests" / "fixtures" / "digits"
PASSWORD = "correct horse battery"
TYPES = {".png": "image/png", ".jpg": "image/jpeg"}
FINISHED = ("done", "rejected", "failed")
EMAIL_FINAL = ("sent", "refused", "skipped")
VERIFY_LINK = re.compile(r"/#/verify-email\?token=([A-Za-z0-9_-]{43})")
MODES: dict[str, dict[str, str]] = {
    # LOCAL_FUNCTION_CONCURRENCY stays at the stack's default (2 warm classify containers); BATCH_SIZE at the
    # worker's default (32), named so a shell's BATCH_SIZE cannot change what is measured.
    "lambda": {"LOCAL_CLASSIFIER": "lambda", "LOCAL_FUNCTION_CONCURRENCY": "2"},
    "worker": {"LOCAL_CLASSIFIER": "worker", "LOCAL_FUNCTION_CONCURRENCY": "2", "BATCH_SIZE": "32"},
    "both": {"LOCAL_CLASSIFIER": "both", "LOCAL_FUNCTION_CONCURRENCY": "2", "BATCH_SIZE": "32"},
}
STARTED = time.perf_counter()


def log(message: str) -> None:
    print(f"[{time.perf_counter() - STARTED:6.1f}s] {message}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Upload:
    filename: str  # unique in the run: the result email's subject names it
    content_type: str
    data: bytes
    digit: str  # the true label of the sample


def plan(images: int, run: str) -> list[Upload]:
    """`images` uploads cycling through the committed digit samples (PNG and JPEG), each with a unique filename."""
    samples = sorted(path for path in DIGITS.iterdir() if path.suffix in TYPES)
    uploads = []
    for index in range(images):
        sample = samples[index % len(samples)]
        digit = sample.stem.removeprefix("digit-")
        name = f"load-{run}-{index:05d}-digit-{digit}{sample.suffix}"
        uploads.append(Upload(name, TYPES[sample.suffix], sample.read_bytes(), digit))
    return uploads


def register(stack: RunningStack, users: int) -> list[tuple[str, dict[str, str]]]:
    """Signed-in users with verified addresses (result emails go only to those): (email, Authorization header)."""
    found = []
    for _ in range(users):
        email = f"load-{uuid.uuid4().hex[:10]}@example.com"
        body = {"email": email, "name": "Load", "password": PASSWORD}
        response = requests.post(stack.url("/auth/register"), json=body, timeout=60)
        response.raise_for_status()
        found.append((email, {"Authorization": f"Bearer {response.json()['access_token']}"}))
    for email, _ in found:
        verified = requests.post(stack.url("/auth/verify-email"), json={"token": verification_token(stack, email)})
        verified.raise_for_status()
    return found


def verification_token(stack: RunningStack, address: str, timeout: float = 60) -> str:
    """The token of the verification link mailed to the address (the email function sends it from the queue)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in sent_mail(stack.aws_endpoint):
            found = VERIFY_LINK.search(message["text"]) if message["to"] == address else None
            if found:
                return found[1]
        time.sleep(0.2)
    raise RuntimeError(f"no verification email reached {address} within {timeout:.0f} s")


def result_mail(aws_endpoint: str) -> list[dict[str, Any]]:
    """The result emails sent (the account emails, such as the verification links, are not the run's)."""
    return [message for message in sent_mail(aws_endpoint) if message["subject"].startswith("Prediction for ")]


_sessions = threading.local()


def _session() -> requests.Session:
    if not hasattr(_sessions, "session"):
        _sessions.session = requests.Session()
    return _sessions.session  # type: ignore[no-any-return]


def send(stack: RunningStack, headers: dict[str, str], upload: Upload) -> dict[str, Any]:
    """POST /uploads, then the presigned POST to S3: the prediction's id and when the upload started, or the error."""
    started_at, started = datetime.now(UTC), time.perf_counter()
    try:
        slot = _session().post(
            stack.url("/uploads"),
            json={"filename": upload.filename, "content_type": upload.content_type},
            headers=headers,
            timeout=60,
        )
        slot.raise_for_status()
        body = slot.json()
        sent = _session().post(
            body["upload"]["url"],
            data=body["upload"]["fields"],
            files={"file": (upload.filename, upload.data, upload.content_type)},
            timeout=60,
        )
        sent.raise_for_status()
    except (requests.RequestException, KeyError, ValueError) as error:
        return {"filename": upload.filename, "error": f"{type(error).__name__}: {error}"[:300]}
    return {
        "filename": upload.filename,
        "id": str(body["prediction_id"]),
        "started_at": started_at,
        "upload_ms": (time.perf_counter() - started) * 1000,
    }


def wait_for(predictions: Any, query: dict[str, Any], expected: int, timeout: float, what: str) -> float:
    """Poll MongoDB (not the API, which would compete for the CPU) until `expected` documents match `query`; the
    seconds it took, or the timeout when they never did. SecantusDB scans for a count, so it is asked at most once a
    second and at most 5% of the time."""
    started = time.monotonic()
    while True:
        asked = time.monotonic()
        found = predictions.count_documents(query)
        if found >= expected:
            break
        if time.monotonic() - started > timeout:
            log(f"{what}: {found}/{expected} after {timeout:.0f} s; giving up")
            break
        time.sleep(max(1.0, 20 * (time.monotonic() - asked)))
    return time.monotonic() - started


def on_stack(mode: str, uploads: list[Upload], args: argparse.Namespace) -> dict[str, Any]:
    """One consumer on a fresh stack: one warm-up upload, then the load; everything checked before it stops."""
    with tempfile.TemporaryDirectory(prefix=f"load-{mode}-") as data_dir:
        stack = start_stack(Path(data_dir), MODES[mode])
        try:
            result = drive(stack, mode, uploads, args)
        finally:
            exit_code = stack.stop()
        result["stack_exit_code"] = exit_code
        if exit_code != 0:
            result["violations"].append(f"the stack exited with {exit_code}")
    return result


def drive(stack: RunningStack, mode: str, uploads: list[Upload], args: argparse.Namespace) -> dict[str, Any]:
    """Upload everything, wait for the results and then the emails, and check them all."""
    warmer, *users = register(stack, args.users + 1)  # one more, for the warm-up upload alone
    owners = {"owner_email": {"$in": [email for email, _ in users]}}  # cheaper to count than 1,000 ids
    database = MongoClient(stack.mongodb_uri, tz_aware=True)["imagepredict"]
    predictions = database["predictions"]
    warmup = Upload(f"load-{args.run}-warmup-digit-7.png", "image/png", (DIGITS / "digit-7.png").read_bytes(), "7")
    warm = send(stack, warmer[1], warmup)
    if "error" in warm:
        raise RuntimeError(f"the warm-up upload failed: {warm['error']}")
    wait_for(predictions, {"_id": ObjectId(warm["id"]), "status": {"$in": FINISHED}}, 1, 120, "warm-up")
    load_before = os.getloadavg()
    log(f"{mode}: {len(uploads)} uploads by {args.clients} clients as {args.users} users")
    with ThreadPoolExecutor(args.clients) as pool:
        sent = list(pool.map(lambda i: send(stack, users[i % len(users)][1], uploads[i]), range(len(uploads))))
    good = [s for s in sent if "id" in s]
    ids = [ObjectId(s["id"]) for s in good]
    first = min((s["started_at"] for s in good), default=datetime.now(UTC))
    uploads_s = (datetime.now(UTC) - first).total_seconds()
    log(f"{mode}: uploads sent in {uploads_s:.1f} s ({len(sent) - len(good)} failed); waiting for the results")
    done_wait = wait_for(
        predictions, {**owners, "status": {"$in": FINISHED}}, len(ids), args.timeout, f"{mode} results"
    )
    email_wait = wait_for(
        predictions,
        {**owners, "email.status": {"$in": EMAIL_FINAL}},
        len(ids),
        args.email_timeout,
        f"{mode} emails",
    )
    documents = {str(d["_id"]): d for d in predictions.find(owners)}
    load_after = os.getloadavg()
    mail = result_mail(stack.aws_endpoint)
    queues = queue_depths(stack.aws_endpoint)
    database.client.close()
    result = check_mode(uploads, sent, documents, mail, queues, {email for email, _ in [warmer, *users]})
    return {
        "env": MODES[mode],
        "images": len(uploads),
        "uploads_s": uploads_s,
        "upload_ms": latency([s["upload_ms"] for s in good]),
        "wait_done_s": done_wait,
        "wait_email_s": email_wait,
        "load_average": {"before": load_before[0], "after": load_after[0]},
        **result,
    }


def uncommitted() -> list[str]:
    """Tracked files that differ from the commit, outside bench/, docs/ and tests/ (the run measures the working
    tree: these change what runs in the stack)."""
    try:
        found = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True, text=True
        )
    except OSError:
        return []
    paths = [line[3:] for line in found.stdout.splitlines()]
    return [path for path in paths if not path.startswith(("bench/", "docs/", "tests/"))]


def others_testing() -> bool:
    """Whether other test runs share the machine (pytest processes besides this one and its parent)."""
    try:
        found = subprocess.run(["pgrep", "-f", "pytest"], capture_output=True, text=True, check=False).stdout.split()
    except OSError:
        return False
    return bool(set(map(int, found)) - {os.getpid(), os.getppid()})


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=None, help="uploads per consumer (default 1000; --quick: 60)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 60 images per consumer")
    parser.add_argument("--modes", default=",".join(MODES), help="consumers to run, of: lambda,worker,both")
    parser.add_argument("--clients", type=int, default=8, help="concurrent uploading clients (default 8)")
    parser.add_argument("--users", type=int, default=4, help="registered users the uploads are spread over")
    parser.add_argument("--timeout", type=float, default=None, help="seconds to wait for every result")
    parser.add_argument("--email-timeout", type=float, default=None, help="seconds to wait for the emails after")
    parser.add_argument("--out", type=Path, default=ROOT / "docs", help="where benchmarks.md/.json go (docs/)")
    args = parser.parse_args(argv)
    args.images = args.images or (60 if args.quick else 1000)
    args.timeout = args.timeout or 120 + args.images * 0.5
    args.email_timeout = args.email_timeout or 120 + args.images * 0.2
    args.run = uuid.uuid4().hex[:8]  # in every filename of the run
    args.modes = [mode.strip() for mode in args.modes.split(",") if mode.strip()]
    unknown = set(args.modes) - set(MODES)
    if unknown or args.images < 1 or args.clients < 1 or args.users < 1:
        parser.error(f"unknown modes {sorted(unknown)}" if unknown else "--images/--clients/--users must be >= 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    uploads = plan(args.images, args.run)
    command = "make load-pipeline" + (" QUICK=1" if args.quick else "")
    if argv and set(argv) - {"--quick"}:
        command += f"  (python -m bench.load {' '.join(argv)})"
    results: dict[str, Any] = {
        "command": command,
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "commit": machine.git_commit(),
        "uncommitted": uncommitted(),
        "machine": machine.cpu(),
        "images": args.images,
        "clients": args.clients,
        "users": args.users,
        "timeout_s": args.timeout,
        "email_timeout_s": args.email_timeout,
        "modes": {},
    }
    started = time.perf_counter()
    for mode in args.modes:
        shared = others_testing()
        log(f"{mode}: starting a fresh stack" + (" (other test runs share this machine)" if shared else ""))
        results["modes"][mode] = {**on_stack(mode, uploads, args), "others_testing": shared}
        row = results["modes"][mode]
        log(
            f"{mode}: {row['throughput']:.1f} images/s, upload→done p50 {row['to_done_ms']['p50']:.0f} ms, "
            f"p99 {row['to_done_ms']['p99']:.0f} ms; " + ("; ".join(row["violations"]) or "all invariants held")
        )
    results["wall_s"] = time.perf_counter() - started
    results["ok"] = not any(row["violations"] for row in results["modes"].values())
    report_load.write(args.out, results)
    log(f"wrote the load section of {args.out / 'benchmarks.md'} and benchmarks.json in {results['wall_s']:.0f} s")
    return 0 if results["ok"] else 1


if __name__ == "__main__":
    # Stop cleanly (each stack stopped) on Ctrl-C or SIGTERM, even when started in the background with SIGINT ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sys.exit(main(sys.argv[1:]))
