"""Tracing off means the X-Ray SDK is never imported: its recorder builds botocore clients at import time."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import sys
from imagepredict.observability import tracer

@tracer.capture_method
def work():
    return 42

assert work() == 42
print("aws_xray_sdk.core" in sys.modules)
"""


def imports_xray(disabled: str | None) -> bool:
    env = {k: v for k, v in os.environ.items() if k != "POWERTOOLS_TRACE_DISABLED"}
    env["PYTHONPATH"] = str(ROOT / "layers" / "core")
    if disabled is not None:
        env["POWERTOOLS_TRACE_DISABLED"] = disabled
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, check=True)
    return done.stdout.strip().splitlines()[-1] == "True"


def test_disabled_tracing_keeps_the_xray_sdk_off_the_cold_start() -> None:
    assert imports_xray("true") is False


def test_enabled_tracing_still_uses_the_xray_sdk() -> None:
    assert imports_xray(None) is True
