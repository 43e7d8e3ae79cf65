"""`make load` (`python -m bench.api_load`, Locust with bench/locustfile.py) short: 10 users for 15 s against a fresh
local stack with no error, every route of the journey requested and uploads classified; its section renders beside
`make bench`'s, which keeps it. And what counts as an error does fail the run. No timings are asserted."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
from argparse import Namespace
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

import pytest

from bench import api_load, report, report_api_load, report_load

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


@pytest.mark.slow
def test_a_short_locust_run_on_the_local_stack_has_no_error(tmp_path: Path) -> None:
    shutil.copy(DOCS / "benchmarks.json", tmp_path / "benchmarks.json")
    before = json.loads((tmp_path / "benchmarks.json").read_text())
    before.pop("api_load", None)

    assert api_load.main(["--quick", "--out", str(tmp_path)]) == 0

    after = json.loads((tmp_path / "benchmarks.json").read_text())
    run = after.pop("api_load")
    assert after == before  # the other measurements are left as they were
    assert (run["users"], run["run_time_s"], run["bcrypt_rounds"]) == (10, 15, 4)
    assert run["violations"] == []
    assert run["ok"]
    assert (run["failed_requests"], run["failed_pipeline"], run["failures"], run["exceptions"]) == (0, 0, [], [])
    assert (run["locust_exit_code"], run["stack_exit_code"]) == (0, 0)
    assert set(run["routes"]) == set(api_load.ROUTES)  # every route of the journey, grouped by route
    for route, entry in run["routes"].items():
        assert entry["requests"] > 0, route
        assert entry["failures"] == 0, route
    assert run["routes"]["POST /auth/register"]["requests"] == 10  # once per user
    done, seen = run["pipeline"]["upload → done"], run["pipeline"]["upload → seen done"]
    assert done["requests"] > 0
    assert seen["requests"] == done["requests"]
    assert seen["failures"] == 0
    assert run["dead_letters"]
    assert not any(run["dead_letters"].values())
    markdown = (tmp_path / "benchmarks.md").read_text()
    assert markdown == report.markdown({**before, "api_load": run})
    assert f". {report_api_load.TITLE}\n" in markdown
    assert "**No errors**" in markdown
    assert "| `GET /predictions/{id}` |" in markdown


def test_make_bench_keeps_the_locust_section(tmp_path: Path) -> None:
    (tmp_path / "benchmarks.json").write_text(json.dumps({"load": {"images": 1000}, "api_load": {"users": 50}}))
    assert report_load.keep(tmp_path, {"command": "make bench"}) == {
        "command": "make bench",
        "load": {"images": 1000},
        "api_load": {"users": 50},
    }
    assert report_load.keep(tmp_path, {"api_load": {"users": 5}}) == {
        "api_load": {"users": 5},
        "load": {"images": 1000},
    }


class FakeApi(BaseHTTPRequestHandler):
    """An API that answers every request with its documented status but gets three things wrong: the prediction's
    top label, the history (empty) and the delete (404)."""

    def _answer(self, status: int, body: object | None = None) -> None:
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        if body is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        host = f"http://127.0.0.1:{self.server.server_address[1]}"
        answers = {
            "/auth/register": (201, {"access_token": "a"}),
            "/auth/login": (200, {"access_token": "a"}),
            "/uploads": (201, {"prediction_id": "p1", "upload": {"url": f"{host}/s3", "fields": {"key": "k"}}}),
            "/s3": (204, None),
        }
        self._answer(*answers.get(self.path, (404, {"code": "not_found"})))

    def do_GET(self) -> None:
        if self.path == "/predictions/p1":
            completed = datetime.now(UTC).isoformat()
            self._answer(200, {"status": "done", "completed_at": completed, "result": {"top": {"label": "x"}}})
        else:
            self._answer(200, {"items": [], "next_cursor": None})

    def do_DELETE(self) -> None:
        self._answer(404, {"code": "not_found"})

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def fake_api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeApi)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.slow
def test_wrong_answers_are_failures_and_fail_the_run(fake_api: str, tmp_path: Path) -> None:
    stack = SimpleNamespace(api_url=fake_api)
    args = Namespace(users=2, spawn_rate=2, run_time=3)

    code, summary, output = api_load.run_locust(stack, args, tmp_path)  # type: ignore[arg-type]

    assert code == 1, output
    result = api_load.read_stats(summary)
    failed = {failure["route"]: failure["error"] for failure in result["failures"]}
    assert "top label x, not " in failed["PIPELINE upload → seen done"]
    assert failed["GET /predictions"] == "the new prediction is missing from the history's first page"
    assert failed["DELETE /predictions/{id}"].startswith("404: ")
    assert result["failed_requests"] > 0
    assert result["failed_pipeline"] > 0
    assert result["routes"]["POST /uploads"]["failures"] == 0
    found = api_load.violations(
        {**result, "locust_exit_code": code, "stack_exit_code": 0, "dead_letters": {"ClassifyDeadLetters": 1}}
    )
    assert found[0].startswith(f"{result['failed_requests']} failed requests, {result['failed_pipeline']} failed")
    assert found[1:] == ["locust exited with 1", "dead letters: {'ClassifyDeadLetters': 1}"]


def test_the_locustfile_refuses_any_host_but_this_machine(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            *(sys.executable, "-m", "locust", "-f", str(api_load.LOCUSTFILE), "--headless"),
            *("--host", "http://192.0.2.1", "--users", "1", "--run-time", "5s"),
            *("--summary-file", str(tmp_path / "summary.json")),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert "targets only 127.0.0.1" in done.stderr
    assert not (tmp_path / "summary.json").exists()  # no user ran
