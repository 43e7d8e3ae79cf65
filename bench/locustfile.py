"""Locust users of the public API, for `make load` (`python -m bench.api_load`) and its short run in `make test`.

Each simulated user registers once and logs in, then repeats a journey as the web client makes it: ask for an
upload slot (`POST /uploads`), send a committed digit sample straight to S3 with the presigned POST, poll
`GET /predictions/{id}` every second (the web client's interval) until it is done, list its history
(`GET /predictions`) and delete the prediction; then it thinks for a moment. Any status other than the one the API
documents for success is a failure, and so is a prediction that is rejected, failed, wrongly labelled, missing from
the history or not done within POLL_TIMEOUT_S.

Two custom entries time the pipeline, from the start of `POST /uploads` (request type `PIPELINE`, not requests):
"upload → done" ends at the prediction's `completed_at` (the server's clock, which is this machine's), and
"upload → seen done" at the poll that saw it done (what the user waits, poll interval included).

Run only against a local stack: the host and the presigned URL must be loopback addresses (a test run against
anything else stops before the first request).

    locust -f bench/locustfile.py --headless --host http://127.0.0.1:3000 --users 10 --spawn-rate 5 --run-time 30s
"""

from __future__ import annotations

import ipaddress
import json
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import gevent
from locust import HttpUser, between, events, task
from locust.env import Environment
from locust.exception import StopUser
from locust.stats import StatsEntry

DIGITS = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "digits"
TYPES = {".png": "image/png", ".jpg": "image/jpeg"}
SAMPLES = [
    (path.name, TYPES[path.suffix], path.read_bytes(), path.stem.removeprefix("digit-"))
    for path in sorted(DIGITS.iterdir())
    if path.suffix in TYPES
]
PASSWORD = "correct horse battery"
POLL_INTERVAL_S = 1.0  # web/js/views.js: POLL_MS
POLL_TIMEOUT_S = 60.0
UNFINISHED = ("pending", "processing")
PIPELINE = "PIPELINE"
UPLOAD_TO_DONE = "upload → done"
UPLOAD_TO_SEEN = "upload → seen done"
S3_POST = "S3 presigned POST"
BY_ID = "/predictions/{id}"  # one entry per route, not per id


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@events.init.add_listener
def only_local(environment: Environment, **_: Any) -> None:
    """Refuse any host but this machine's, before any user starts: this load is for the local stack."""
    if not is_loopback(environment.host or ""):
        raise SystemExit(f"refusing to load {environment.host!r}: bench/locustfile.py targets only 127.0.0.1")


@events.init_command_line_parser.add_listener
def summary_option(parser: Any) -> None:
    parser.add_argument("--summary-file", default="", help="write the final stats as JSON here (bench.api_load)")


@events.quitting.add_listener
def write_summary(environment: Environment, **_: Any) -> None:
    """The final stats (Locust's CSV files lag by up to a second): every entry with Locust's own percentiles, every
    failure and every exception raised in the users' code."""
    path = getattr(environment.parsed_options, "summary_file", "")
    if not path or environment.runner is None:
        return
    stats = environment.stats

    def entry(found: StatsEntry) -> dict[str, Any]:
        percentiles = {f"p{round(q * 100)}": found.get_response_time_percentile(q) for q in (0.5, 0.95, 0.99)}
        return {
            "type": found.method,
            "name": found.name,
            "requests": found.num_requests,
            "failures": found.num_failures,
            "mean": found.avg_response_time,
            **percentiles,
            "max": found.max_response_time,
        }

    summary = {
        "duration_s": (stats.total.last_request_timestamp or time.time()) - stats.total.start_time,
        "entries": [entry(found) for found in stats.entries.values()],
        "failures": [
            {"type": e.method, "name": e.name, "error": str(e.error)[:300], "occurrences": e.occurrences}
            for e in stats.errors.values()
        ],
        "exceptions": [
            {"count": e["count"], "message": str(e["msg"])[:300], "traceback": e["traceback"][-1500:]}
            for e in environment.runner.exceptions.values()
        ],
    }
    Path(path).write_text(json.dumps(summary, indent=1))


class ApiUser(HttpUser):
    wait_time = between(1, 3)  # a person looking at the result before the next upload

    def on_start(self) -> None:
        self.email = f"locust-{uuid.uuid4().hex[:12]}@example.com"
        self.journeys = 0
        body = {"email": self.email, "name": "Locust", "password": PASSWORD}
        if self.expect(self.client.post("/auth/register", json=body, catch_response=True), 201) is None:
            raise StopUser
        body = {"email": self.email, "password": PASSWORD}
        session = self.expect(self.client.post("/auth/login", json=body, catch_response=True), 200)
        if session is None:
            raise StopUser
        self.client.headers["Authorization"] = f"Bearer {session['access_token']}"

    @staticmethod
    def expect(request: Any, *statuses: int, check: Callable[[Any], str | None] | None = None) -> Any:
        """The response's JSON ({} when it has no body) if its status is one of `statuses` and `check` finds nothing
        wrong with it; else None, and the request is marked failed with its status and the start of its body, or
        with what `check` said."""
        with request as response:
            if response.status_code not in statuses:
                response.failure(f"{response.status_code}: {response.text[:200]}")
                return None
            try:
                body = response.json() if response.content else {}  # a 204 has no body
            except ValueError:
                response.failure(f"{response.status_code} but not JSON: {response.text[:200]}")
                return None
            if check is not None and (problem := check(body)):
                response.failure(problem)
                return None
            return body

    def pipeline(self, name: str, started: float, ended: float, error: str | None = None) -> None:
        self.environment.events.request.fire(
            request_type=PIPELINE,
            name=name,
            response_time=(ended - started) * 1000,
            response_length=0,
            exception=AssertionError(error) if error else None,
            context={},
        )

    @task
    def journey(self) -> None:
        filename, content_type, data, digit = SAMPLES[self.journeys % len(SAMPLES)]
        self.journeys += 1
        started_wall, started = time.time(), time.perf_counter()
        body = {"filename": filename, "content_type": content_type}
        slot = self.expect(self.client.post("/uploads", json=body, catch_response=True), 201)
        if slot is None:
            return
        prediction_id, upload = slot["prediction_id"], slot["upload"]
        if not is_loopback(upload["url"]):
            self.pipeline(UPLOAD_TO_SEEN, started, time.perf_counter(), f"not a local URL: {upload['url']}")
            raise StopUser
        files = {"file": (filename, data, content_type)}  # after every field, as S3 wants
        sent = self.client.post(upload["url"], data=upload["fields"], files=files, name=S3_POST, catch_response=True)
        if self.expect(sent, 200, 201, 204) is None:
            return
        prediction = self.poll(prediction_id, started)
        if prediction is None:
            return
        seen = time.perf_counter()
        if prediction["status"] != "done":
            self.pipeline(UPLOAD_TO_SEEN, started, seen, f"{prediction['status']}: {prediction.get('error')}")
            return
        completed = datetime.fromisoformat(prediction["completed_at"]).timestamp()
        self.pipeline(UPLOAD_TO_DONE, started_wall, completed)
        label = prediction["result"]["top"]["label"]
        self.pipeline(UPLOAD_TO_SEEN, started, seen, None if label == digit else f"top label {label}, not {digit}")

        def lists_it(page: dict[str, Any]) -> str | None:
            ids = [item["id"] for item in page["items"]]
            return None if prediction_id in ids else "the new prediction is missing from the history's first page"

        listed = self.client.get("/predictions?limit=20", name="/predictions", catch_response=True)
        self.expect(listed, 200, check=lists_it)
        self.expect(self.client.delete(f"/predictions/{prediction_id}", name=BY_ID, catch_response=True), 204)

    def poll(self, prediction_id: str, started: float) -> dict[str, Any] | None:
        """The prediction once it is no longer pending or processing; None (a failure recorded) otherwise."""
        while True:
            prediction = self.expect(
                self.client.get(f"/predictions/{prediction_id}", name=BY_ID, catch_response=True), 200
            )
            if prediction is None:
                return None
            if prediction["status"] not in UNFINISHED:
                return prediction
            if time.perf_counter() - started > POLL_TIMEOUT_S:
                error = f"still {prediction['status']} after {POLL_TIMEOUT_S:.0f} s"
                self.pipeline(UPLOAD_TO_SEEN, started, time.perf_counter(), error)
                return None
            gevent.sleep(POLL_INTERVAL_S)
