"""The GPU image's build inputs, checked without a Docker engine: every COPY source exists and is in the build
context, the entrypoint is the worker module the tests run, the health check is its liveness probe, it stops on
SIGTERM within ECS's stop timeout, runs as a non-root user, and its pinned requirements cover every import."""

from __future__ import annotations

import json
import shlex
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

from tests.unit.test_packaging import PACKAGE, ROOT, imports_of

DOCKERFILE = ROOT / "gpu" / "Dockerfile"
ECS_MAX_STOP_TIMEOUT = 120  # seconds: ECS's ceiling for a container's stopTimeout
# Modules whose distribution in the image differs from the dev venv's (same import name, another wheel).
IMAGE_DISTRIBUTIONS = {"onnxruntime": "onnxruntime-gpu"}


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined and comments dropped."""
    logical, current = [], ""
    for line in DOCKERFILE.read_text().splitlines():
        stripped = line.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        current += " " + stripped.removesuffix("\\").strip()
        if not stripped.endswith("\\"):
            logical.append(current.strip())
            current = ""
    return [(text.split(None, 1)[0].upper(), text.split(None, 1)[1]) for text in logical]


def arguments_of(name: str) -> list[str]:
    return [arguments for instruction, arguments in instructions() if instruction == name]


def environment() -> dict[str, str]:
    variables = {}
    for arguments in arguments_of("ENV"):
        for pair in shlex.split(arguments):
            key, _, value = pair.partition("=")
            variables[key] = value
    return variables


def copies() -> list[tuple[str, str]]:
    return [(parts[0], parts[1]) for parts in (shlex.split(arguments) for arguments in arguments_of("COPY"))]


def test_the_base_is_a_slim_official_python_312() -> None:
    (base,) = arguments_of("FROM")
    assert base.startswith("python:3.12-slim")


def test_every_copy_source_exists_and_is_in_the_build_context() -> None:
    ignore = (ROOT / ".dockerignore").read_text().splitlines()
    assert "*" in ignore, "the context is the repository root: everything else stays out"
    for source, _ in copies():
        assert (ROOT / source).exists(), source
        assert f"!{source}" in ignore, f"{source} is not re-included in .dockerignore"


def test_the_code_lands_where_pythonpath_and_model_dir_say() -> None:
    targets = dict(copies())
    env = environment()
    assert targets["layers/core/imagepredict"] == f"{env['PYTHONPATH']}/imagepredict"
    assert targets["batchworker"] == f"{env['PYTHONPATH']}/batchworker"
    assert targets["functions/classify/model"] == env["MODEL_DIR"]
    assert (ROOT / "functions/classify/model/model.onnx").is_file()  # MODEL_BACKEND=onnx needs it baked in
    assert env["MODEL_BACKEND"] == "onnx"


def test_the_entrypoint_is_the_worker_module_the_tests_run() -> None:
    (entrypoint,) = arguments_of("ENTRYPOINT")
    assert json.loads(entrypoint) == ["python", "-m", "batchworker"]
    assert (ROOT / "batchworker" / "__main__.py").is_file()


def test_the_health_check_is_the_workers_liveness_probe_on_its_port() -> None:
    (healthcheck,) = arguments_of("HEALTHCHECK")
    assert json.loads(healthcheck.split("CMD", 1)[1].strip()) == ["python", "-m", "batchworker.probe"]
    assert (ROOT / "batchworker" / "probe.py").is_file()
    assert arguments_of("EXPOSE") == [environment()["HEALTH_PORT"]]


def test_it_stops_on_sigterm_within_ecs_stop_timeout() -> None:
    assert arguments_of("STOPSIGNAL") == ["SIGTERM"]
    assert 0 < int(environment()["DRAIN_SECONDS"]) <= ECS_MAX_STOP_TIMEOUT - 15  # room to hand a batch back


def test_it_runs_as_a_non_root_user() -> None:
    (user,) = arguments_of("USER")
    assert user not in ("root", "0")


def test_tracing_is_off_since_the_image_has_no_xray_sdk() -> None:
    assert environment()["POWERTOOLS_TRACE_DISABLED"] == "true"
    assert "aws-xray-sdk" not in pinned()


def pinned() -> dict[str, str]:
    lines = (ROOT / "gpu" / "requirements.txt").read_text().splitlines()
    pairs = [line.split("==") for line in lines if line.strip() and not line.startswith("#")]
    return {normalise(name): version for name, version in pairs}


def normalise(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def worker_third_party_imports() -> set[str]:
    """Top-level third-party modules the worker's code can import, following imagepredict's modules."""
    pending = sorted((ROOT / "batchworker").glob("*.py"))
    seen: set[Path] = set()
    found: set[str] = set()
    while pending:
        path = pending.pop()
        if path in seen or path.name in ("lock.py",):
            continue
        seen.add(path)
        for module in imports_of(path):
            top = module.split(".")[0]
            if top == "imagepredict":
                candidate = PACKAGE.joinpath(*module.split(".")[1:])
                pending += [p for p in (candidate.with_suffix(".py"), candidate / "__init__.py") if p.is_file()]
            elif top not in sys.stdlib_module_names and top != "batchworker":
                found.add(top)
    return found


def test_the_pinned_requirements_cover_every_module_the_worker_imports() -> None:
    owners = packages_distributions()
    pins = pinned()
    modules = worker_third_party_imports()
    assert {"onnxruntime", "numpy", "PIL", "pymongo", "boto3", "aws_lambda_powertools"} <= modules
    for module in modules:
        distributions = {normalise(IMAGE_DISTRIBUTIONS.get(module, d)) for d in owners.get(module, [module])}
        assert distributions & set(pins), f"the worker imports {module}, which gpu/requirements.txt does not pin"


@pytest.mark.parametrize("name", ["numpy", "pillow", "boto3", "pymongo", "aws-lambda-powertools"])
def test_shared_packages_are_the_versions_the_functions_ship(name: str) -> None:
    layers = {}
    for layer in ("core", "ml"):
        for line in (ROOT / "layers" / layer / "requirements.txt").read_text().splitlines():
            if "==" in line and not line.startswith("#"):
                package, version = line.split("==")
                layers[package.split("[")[0].lower()] = version
    assert pinned()[name] == layers[name], f"{name}: the worker and the functions must run the same version"
