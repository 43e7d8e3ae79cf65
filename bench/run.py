"""Running workers in fresh processes, and collecting what they print."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TFLITE_PYTHON = ROOT / ".venv-tflite" / "bin" / "python"


def worker(
    kind: str,
    args: dict[str, Any],
    *,
    python: Path | str = sys.executable,
    env: dict[str, str] | None = None,
    timeout: int = 600,
) -> tuple[dict[str, Any], float]:
    """Run `bench.workers KIND` in a new process; its result and the process's wall time in ms."""
    environment = {
        **os.environ,
        "PYTHONPATH": f"{ROOT / 'layers' / 'core'}:{ROOT}",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        **(env or {}),
    }
    started = time.perf_counter()
    done = subprocess.run(
        [str(python), "-m", "bench.workers", kind, json.dumps(args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=environment,
        timeout=timeout,
        check=False,
    )
    wall_ms = (time.perf_counter() - started) * 1000
    marker = next((line for line in reversed(done.stdout.splitlines()) if line.startswith("BENCH-RESULT ")), None)
    if done.returncode != 0 or marker is None:
        raise RuntimeError(f"bench worker {kind} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(marker.removeprefix("BENCH-RESULT ")), wall_ms
