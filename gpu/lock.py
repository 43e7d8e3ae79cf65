"""Pin the GPU image's requirements for its platform (Linux x86-64, CPython 3.12, wheels only), not this machine's.

    .venv/bin/python -m gpu.lock          (make gpu-requirements): requirements.in → requirements.txt

pip resolves with `--dry-run --report` and the image's platform tags, so nothing is installed or built here and
only package metadata is fetched (no CUDA wheels are downloaded).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
PYTHON_VERSION = "3.12"
# The image's glibc (Debian bookworm: 2.36) runs every manylinux tag up to 2_36; these are the ones wheels use.
PLATFORMS = ("manylinux_2_28_x86_64", "manylinux_2_27_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64")


def resolve(requirements: Path) -> dict[str, str]:
    """Every distribution pip would install from `requirements` in the image: {normalised name: version}."""
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "report.json"
        command = [sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "--ignore-installed"]
        command += ["--disable-pip-version-check", "--only-binary=:all:", "--implementation", "cp"]
        command += ["--python-version", PYTHON_VERSION, "--target", str(Path(scratch) / "target")]
        for platform in PLATFORMS:
            command += ["--platform", platform]
        command += ["--report", str(report), "-r", str(requirements)]
        completed = subprocess.run(command, capture_output=True, text=True, check=False)
        if completed.returncode != 0:
            errors = [line for line in completed.stderr.splitlines() if not line.startswith("WARNING: Location")]
            raise RuntimeError("pip could not resolve the image's requirements:\n" + "\n".join(errors))
        installed = json.loads(report.read_text())["install"]
    return {normalise(item["metadata"]["name"]): item["metadata"]["version"] for item in installed}


def normalise(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def main() -> int:
    pins = resolve(HERE / "requirements.in")
    header = [
        "# The GPU image's complete, pinned requirements for Linux x86-64 / CPython 3.12 (wheels only).",
        "# Generated from requirements.in by `make gpu-requirements` (python -m gpu.lock): do not edit by hand.",
    ]
    lines = [f"{name}=={version}" for name, version in sorted(pins.items())]
    (HERE / "requirements.txt").write_text("\n".join(header + lines) + "\n")
    print(f"pinned {len(lines)} distributions in {HERE / 'requirements.txt'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
