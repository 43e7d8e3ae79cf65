"""`python -m batchworker` as a child process joined to a running local stack (as `make worker` joins `make run`)."""

from __future__ import annotations

import json
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import requests

from devstack.batch import worker_process_env
from devstack.stack import free_port
from tests.conftest import ROOT, RunningStack


def stack_worker_env(stack: RunningStack) -> dict[str, str]:
    """The settings the stack wrote to its data directory for `make worker`."""
    values = {}
    for line in (stack.log_path.parent / "worker.env").read_text().splitlines():
        if line.strip():
            name, _, value = shlex.split(line)[0].partition("=")
            values[name] = value
    return values


class WorkerProcess:
    def __init__(self, stack: RunningStack, log_path: Path, overrides: Mapping[str, str] | None = None) -> None:
        self.port = free_port()
        settings = {**stack_worker_env(stack), "POLL_WAIT_SECONDS": "1", **(overrides or {})}
        env = worker_process_env(settings, "127.0.0.1", self.port)
        self.log_path = log_path
        with open(log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "batchworker"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def log_records(self, message: str | None = None) -> list[dict[str, Any]]:
        records = []
        for line in self.log_text().splitlines():
            if line.startswith("{"):
                record = json.loads(line)
                if message is None or record.get("message") == message:
                    records.append(record)
        return records

    def health(self) -> requests.Response:
        return requests.get(f"http://127.0.0.1:{self.port}/health", timeout=5)

    def wait_healthy(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"the worker exited with {self.process.returncode}:\n{self.log_text()}"
            try:
                if self.health().status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"the worker never answered /health:\n{self.log_text()}")

    def wait_for_log(self, message: str, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.log_records(message)
            if found:
                return found[0]
            time.sleep(0.02)
        raise AssertionError(f"no {message!r} in the worker's log:\n{self.log_text()}")

    def terminate(self, timeout: float = 60) -> int:
        """SIGTERM, as ECS sends it; the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)
