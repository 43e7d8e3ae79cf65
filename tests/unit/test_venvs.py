"""`make run` installs no TensorFlow: .venv holds what the functions and the local stack need (requirements-run.txt),
plus the tests' tools (requirements-dev.txt); TensorFlow, tf2onnx and scikit-learn live in .venv-convert
(requirements-convert.txt). Read from the requirement files and the installed packages' metadata: no network."""

from __future__ import annotations

import os
import re
import subprocess
from importlib.metadata import PackageNotFoundError, requires
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
# TensorFlow and what only conversion and training need; none of it may reach the run venv.
CONVERTER_ONLY = {"tensorflow", "tensorflow-cpu", "tensorflow-intel", "tf-keras", "keras", "tf2onnx", "scikit-learn"}


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_requirements(path: Path) -> list[Requirement]:
    """Every requirement of a pip requirements file, following `-r` includes (relative to the including file)."""
    found: list[Requirement] = []
    for raw in path.read_text().splitlines():
        line = raw.split(" #")[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith(("-r ", "--requirement ")):
            found += read_requirements(path.parent / line.split(maxsplit=1)[1])
            continue
        assert not line.startswith("-"), f"{path}: option {line!r} is not expected here"
        found.append(Requirement(line))
    return found


def installed_closure(requirements: list[Requirement]) -> set[str]:
    """The distributions these requirements install, from this venv's metadata (following only the extras asked
    for). Every one must be installed here: .venv has all of requirements-dev.txt."""
    pending = list(requirements)
    seen: set[str] = set()
    while pending:
        requirement = pending.pop()
        name = _normalise(requirement.name)
        if name in seen:
            continue
        seen.add(name)
        try:
            dependencies = requires(name) or []
        except PackageNotFoundError:
            pytest.fail(f"{name} is not installed in this venv")
        environments = [{"extra": extra} for extra in requirement.extras] or [{"extra": ""}]
        for text in dependencies:
            dependency = Requirement(text)
            if dependency.marker is None or any(dependency.marker.evaluate(env) for env in environments):
                pending.append(dependency)
    return seen


def constraints() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, version = line.split("==")
            pins[_normalise(name)] = version.strip()
    return pins


@pytest.mark.parametrize("file", ["requirements-run.txt", "requirements-dev.txt"])
def test_the_run_venv_resolves_to_no_tensorflow(file: str) -> None:
    requirements = read_requirements(ROOT / file)
    direct = {_normalise(requirement.name) for requirement in requirements}
    assert not direct & CONVERTER_ONLY, f"{file} names {direct & CONVERTER_ONLY}"
    closure = installed_closure(requirements)
    assert not closure & CONVERTER_ONLY, f"{file} pulls in {closure & CONVERTER_ONLY}"
    # what the local stack and the batch worker run on is there
    assert {"ai-edge-litert", "onnxruntime", "moto", "secantusdb", "werkzeug", "pyyaml", "boto3"} <= closure


def test_the_converter_venv_has_tensorflow_and_everything_the_tests_need() -> None:
    direct = {_normalise(r.name) for r in read_requirements(ROOT / "requirements-convert.txt")}
    assert {"tensorflow-cpu", "tf2onnx", "scikit-learn", "onnxruntime", "pytest", "moto", "secantusdb"} <= direct
    dev = {_normalise(r.name) for r in read_requirements(ROOT / "requirements-dev.txt")}
    run = {_normalise(r.name) for r in read_requirements(ROOT / "requirements-run.txt")}
    assert run <= dev <= direct


@pytest.mark.parametrize("file", ["requirements-run.txt", "requirements-dev.txt", "requirements-convert.txt"])
def test_every_requirement_is_pinned_as_constraints_txt_pins_it(file: str) -> None:
    pins = constraints()
    for requirement in read_requirements(ROOT / file):
        name = _normalise(requirement.name)
        specifiers = list(requirement.specifier)
        assert len(specifiers) == 1, f"{file}: {requirement} is not pinned"
        assert specifiers[0].operator == "==", f"{file}: {requirement} is not pinned"
        assert pins.get(name) == specifiers[0].version, f"{file}: {requirement}, constraints.txt: {pins.get(name)}"


def test_make_run_installs_only_the_run_requirements() -> None:
    """What `make run` would do on a fresh clone (-B: everything out of date; -n: printed, not run)."""
    outer_make = ("MAKELEVEL", "MAKEFLAGS", "MFLAGS")  # under `make test`, a sub-make would print its directory
    env = {name: value for name, value in os.environ.items() if name not in outer_make}
    command = ["make", "--no-print-directory", "-n", "-B", "run"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True, env=env)
    installs = [line for line in done.stdout.splitlines() if "pip install" in line]
    assert installs, done.stdout
    for line in installs:
        assert "-r requirements-run.txt" in line, line
        for other in ("requirements-dev.txt", "requirements-convert.txt", ".venv-convert"):
            assert other not in line, line
    assert ".venv-convert" not in done.stdout
    assert done.stdout.strip().splitlines()[-1] == ".venv/bin/python -m devstack"
