"""convert_model.py's command line where TensorFlow is not installed: .venv, what `make run` installs.

Its arguments are checked before TensorFlow is imported, so help, usage errors and a missing model answer at once in
any venv; asked to convert in a venv without TensorFlow, it names the venv that has it.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = str(ROOT / "convert_model.py")


def test_the_command_line_helps_and_fails_fast_without_tensorflow_work(tmp_path: Path) -> None:
    script = SCRIPT
    shown = subprocess.run([sys.executable, script, "--help"], capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0
    for option in (
        "--labels",
        "--out",
        "--quantize",
        "--calibration-dir",
        "--check-dir",
        "--onnx",
        "--name",
        "--version",
        "--min-agreement",
        "--int8-io",
        "--allow-select-tf-ops",
        "Exit status",
    ):
        assert option in shown.stdout
    missing = subprocess.run(
        [sys.executable, script, str(tmp_path / "model.keras"), "--labels", "a,b", "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert missing.returncode == 1
    assert "error:" in missing.stderr
    assert "does not exist" in missing.stderr
    assert "importing TensorFlow" not in missing.stderr
    usage = subprocess.run(
        [sys.executable, script, "m.keras", "--out", "o"], capture_output=True, text=True, timeout=60
    )
    assert usage.returncode == 2
    assert "--labels" in usage.stderr


@pytest.mark.skipif(importlib.util.find_spec("tensorflow") is not None, reason="TensorFlow is installed here")
def test_without_tensorflow_it_names_the_venv_that_has_it(tmp_path: Path) -> None:
    model = tmp_path / "model.keras"
    model.write_bytes(b"not read: TensorFlow is missing first")
    done = subprocess.run(
        [sys.executable, SCRIPT, str(model), "--labels", "a,b", "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "TensorFlow is not installed in this Python" in done.stderr
    assert "make convert-deps" in done.stderr
    assert ".venv-convert/bin/python convert_model.py" in done.stderr
    assert not (tmp_path / "o").exists()
