"""The local stack's containers write their output a whole line at a time: they and the stack append to one log
file unbuffered, and a metrics (EMF) line split by another process's line could no longer be read back."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WRITER = """
import sys
from devstack.worker import whole_lines
if sys.argv[1] == "whole":
    sys.stdout = whole_lines(sys.stdout)
for i in range(2000):
    print('{"_aws": %d, "pad": "%s"}' % (i, "x" * 150))
"""


def broken_lines(tmp_path: Path, mode: str) -> int:
    """Lines that are not one writer's whole line (without whole_lines, about one in eight here)."""
    log = tmp_path / f"{mode}.log"
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(ROOT)}
    with open(log, "ab") as out:
        writers = [subprocess.Popen([sys.executable, "-c", WRITER, mode], stdout=out, env=env) for _ in range(3)]
        assert [writer.wait(timeout=60) for writer in writers] == [0, 0, 0]
    lines = log.read_text().splitlines()
    assert len(lines) == 6000
    return sum(not (line.startswith('{"_aws": ') and line.endswith('"}') and line.count("_aws") == 1) for line in lines)


def test_three_processes_appending_to_one_log_keep_every_line_whole(tmp_path: Path) -> None:
    assert broken_lines(tmp_path, "whole") == 0
