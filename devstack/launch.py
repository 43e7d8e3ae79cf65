"""Start `python -m devstack` (what `make run` runs) as a child process on free ports: for tests and benchmarks."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import requests

from devstack.stack import free_port

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class RunningStack:
    process: subprocess.Popen[bytes]
    api_url: str
    mongodb_uri: str
    aws_endpoint: str
    log_path: Path

    def url(self, path: str) -> str:
        return self.api_url + path

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout=30)

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")


def start_stack(
    data_dir: Path,
    extra_env: Mapping[str, str] | None = None,
    *,
    log_name: str = "stack.log",
    healthy: bool = True,
    own_process_group: bool = False,
) -> RunningStack:
    """Run `python -m devstack` (what `make run` runs) on free ports; wait until /health answers (200 if healthy)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MONGODB_", "LOCAL_"))}
    env.update(
        {
            "LOCAL_API_PORT": str(free_port()),
            "LOCAL_AWS_PORT": str(free_port()),
            "LOCAL_MONGO_PORT": str(free_port()),
            "LOCAL_DATA_DIR": str(data_dir),
            "BCRYPT_ROUNDS": "4",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra_env or {})
    log_path = data_dir / log_name
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "devstack"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=log,
            start_new_session=own_process_group,  # a terminal's Ctrl-C, sent to a whole group, can then be tested
        )
    api_url = f"http://127.0.0.1:{env['LOCAL_API_PORT']}"
    stack = RunningStack(
        process=process,
        api_url=api_url,
        mongodb_uri=env.get("MONGODB_URI") or f"mongodb://127.0.0.1:{env['LOCAL_MONGO_PORT']}/?directConnection=true",
        aws_endpoint=env.get("LOCAL_AWS_ENDPOINT") or f"http://127.0.0.1:{env['LOCAL_AWS_PORT']}",
        log_path=log_path,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the stack exited with {process.returncode}:\n{stack.log_text()}")
        try:
            status = requests.get(stack.url("/health"), timeout=10).status_code
            if status == 200 or not healthy:
                return stack
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    stack.stop()
    raise TimeoutError(f"the stack did not become healthy:\n{stack.log_text()}")
