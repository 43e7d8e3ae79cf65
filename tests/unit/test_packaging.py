"""What runs in Lambda imports only what the layer ships: local runs see the whole dev venv, Lambda does not."""

from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import packages_distributions, requires
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
DEPLOYED = [ROOT / "functions", ROOT / "layers" / "core" / "imagepredict"]
FIRST_PARTY = {"imagepredict"}


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def shipped_distributions() -> set[str]:
    """The layer's requirements and everything they install, following only the extras that are asked for."""
    lines = (ROOT / "layers" / "core" / "requirements.txt").read_text().splitlines()
    pending = [Requirement(line) for line in lines if line.strip() and not line.startswith("#")]
    shipped: set[str] = set()
    while pending:
        requirement = pending.pop()
        name = _normalise(requirement.name)
        if name in shipped:
            continue
        shipped.add(name)
        for text in requires(name) or []:
            dependency = Requirement(text)
            environments = [{"extra": extra} for extra in requirement.extras] or [{"extra": ""}]
            if dependency.marker is None or any(dependency.marker.evaluate(env) for env in environments):
                pending.append(dependency)
    return shipped


def imported_modules(root: Path) -> set[str]:
    modules: set[str] = set()
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    return modules


def test_deployed_code_imports_only_what_the_layer_ships() -> None:
    shipped = shipped_distributions()
    owners = packages_distributions()
    for root in DEPLOYED:
        for module in imported_modules(root) - set(sys.stdlib_module_names) - FIRST_PARTY:
            distributions = {_normalise(d) for d in owners.get(module, [])}
            assert distributions & shipped, f"{root.name} imports {module}, which the core layer does not ship"


def test_the_layer_never_ships_tensorflow_or_dev_tools() -> None:
    shipped = shipped_distributions()
    for forbidden in ("tensorflow", "tensorflow-cpu", "keras", "moto", "secantusdb", "pytest"):
        assert forbidden not in shipped
    assert {"aws-lambda-powertools", "pymongo", "bcrypt", "pyjwt", "boto3", "botocore"} <= shipped
