"""`sam build` on a machine with no Python 3.12: every function and layer builds through its Makefile with pip's
platform options, every compiled package in the layers is a CPython 3.12 manylinux x86-64 build, and where a
Python 3.12 does exist, the built layers import and classify on it with nothing else on its path."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAM = ROOT / ".venv-sam" / "bin" / "sam"
SAMPLE = ROOT / "tests" / "fixtures" / "digits" / "digit-7.png"

pytestmark = pytest.mark.slow


def path_without_python_312() -> str:
    """This machine's PATH minus every directory that offers a python3.12 (a version manager's shims included)."""
    directories = [d for d in os.environ["PATH"].split(os.pathsep) if d]
    return os.pathsep.join(d for d in directories if not (Path(d) / "python3.12").exists() and "pyenv" not in d)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not SAM.exists():
        pytest.fail("AWS SAM CLI is missing: `make test` installs it (.venv-sam)")
    out = tmp_path_factory.mktemp("sam")
    env = {
        "PATH": path_without_python_312(),
        "HOME": os.environ.get("HOME", str(out)),
        "BUILD_PYTHON": str(ROOT / ".venv" / "bin" / "python"),  # any Python with pip; here 3.11
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "SAM_CLI_TELEMETRY": "0",
    }
    assert shutil.which("python3.12", path=env["PATH"]) is None
    command = [str(SAM), "build", "--build-dir", str(out / "build"), "--cache-dir", str(out / "cache")]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return out / "build"


def wheel_tags(layer: Path) -> dict[str, list[str]]:
    return {
        wheel.parent.name: [
            line.split(":", 1)[1].strip() for line in wheel.read_text().splitlines() if line.startswith("Tag:")
        ]
        for wheel in (layer / "python").glob("*.dist-info/WHEEL")
    }


def test_every_function_and_layer_is_built(built: Path) -> None:
    for name in (
        "AuthFunction",
        "HealthFunction",
        "UploadsFunction",
        "PredictionsFunction",
        "AdminFunction",
        "EmailFunction",
    ):
        assert sorted(p.name for p in (built / name).iterdir()) == ["app.py"], name
    assert sorted(p.name for p in (built / "ClassifyFunction" / "model").iterdir()) == ["model.json", "model.tflite"]
    assert (built / "CoreLayer" / "python" / "imagepredict" / "__init__.py").is_file()
    assert not list((built / "CoreLayer").rglob("__pycache__"))
    assert (built / "MlLayer" / "python" / "ai_edge_litert").is_dir()


@pytest.mark.parametrize("layer", ["CoreLayer", "MlLayer"])
def test_every_compiled_package_is_a_cpython_312_manylinux_x86_64_build(built: Path, layer: str) -> None:
    tags = wheel_tags(built / layer)
    compiled = {name: found for name, found in tags.items() if not all(tag.endswith("-none-any") for tag in found)}
    assert compiled, "no compiled package found: the check would prove nothing"
    for name, found in compiled.items():
        for tag in found:
            interpreter, abi, platform = tag.split("-")
            assert interpreter == "cp312" or (abi == "abi3" and int(interpreter[3:]) <= 312), (name, tag)
            assert platform.startswith("manylinux"), (name, tag)
            assert platform.endswith("x86_64"), (name, tag)
    for extension in (built / layer).rglob("*.cpython-*.so"):
        assert ".cpython-312-x86_64-linux-gnu.so" in extension.name, extension


def a_python_312() -> str | None:
    """A Python 3.12 that really runs (a version manager's shim may exist and refuse), or None."""
    candidates = [
        shutil.which("python3.12"),
        *map(str, sorted(Path.home().glob(".pyenv/versions/3.12*/bin/python3.12"))),
    ]
    for candidate in filter(None, candidates):
        done = subprocess.run(
            [candidate, "-c", "import sys; print(sys.version_info[:2])"], capture_output=True, text=True, check=False
        )
        if done.returncode == 0 and done.stdout.strip() == "(3, 12)":
            return candidate
    return None


def test_the_built_layers_classify_on_python_312_when_there_is_one(built: Path) -> None:
    python = a_python_312()
    if python is None:
        pytest.skip("no Python 3.12 on this machine: the wheel tags above are the check")
    code = (
        "import sys; from pathlib import Path; "
        f"sys.path[:0] = [{str(built / 'CoreLayer' / 'python')!r}, {str(built / 'MlLayer' / 'python')!r}]; "
        "from PIL import Image; from imagepredict.model import load_runner; "
        f"runner = load_runner(bundled_dir=Path({str(built / 'ClassifyFunction' / 'model')!r}), num_threads=1); "
        f"print(runner.backend, runner.classify(Image.open({str(SAMPLE)!r}).convert('RGB')).top.label)"
    )
    done = subprocess.run([python, "-I", "-S", "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == ["litert", "7"]
