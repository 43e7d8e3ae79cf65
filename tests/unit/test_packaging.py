"""What runs in Lambda imports only what its layers ship: local runs see the whole dev venv, Lambda does not."""

from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import packages_distributions, requires
from pathlib import Path

from packaging.requirements import Requirement

from devstack.template import Template

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "layers" / "core" / "imagepredict"
# Modules only the batch worker imports (ONNX Runtime is in no layer); the packages' __init__ files never import them.
WORKER_ONLY = {PACKAGE / "model" / "onnx.py"}
FORBIDDEN = ("tensorflow", "tensorflow-cpu", "keras", "tf2onnx", "moto", "secantusdb", "pytest", "scikit-learn")


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def shipped_distributions(layer_dir: Path) -> set[str]:
    """A layer's requirements and everything they install, following only the extras that are asked for."""
    lines = (layer_dir / "requirements.txt").read_text().splitlines()
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


def imports_of(path: Path) -> set[str]:
    """Absolute imports of one file, as dotted names (`from a import b` gives a and a.b: b may be a module)."""
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            modules |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules |= {node.module, *(f"{node.module}.{alias.name}" for alias in node.names)}
    return modules


def package_file(module: str) -> list[Path]:
    """The files importing an imagepredict module runs: its parents' __init__ files, then the module itself
    (for a package, every file in it: an over-approximation that can only make this check stricter)."""
    parts = module.split(".")[1:]
    files = [PACKAGE.joinpath(*parts[:depth], "__init__.py") for depth in range(len(parts))]
    as_module = PACKAGE.joinpath(*parts).with_suffix(".py") if parts else None
    if as_module is not None and as_module.is_file():
        files.append(as_module)
    elif PACKAGE.joinpath(*parts).is_dir():
        files.extend(sorted(set(PACKAGE.joinpath(*parts).rglob("*.py")) - WORKER_ONLY))
    return [path for path in files if path.is_file()]


def third_party_imports(code_dir: Path) -> set[str]:
    """Top-level third-party modules a function's code needs, following its imports into imagepredict."""
    seen: set[Path] = set()
    pending = sorted(code_dir.rglob("*.py"))
    found: set[str] = set()
    while pending:
        path = pending.pop()
        if path in seen:
            continue
        seen.add(path)
        for module in imports_of(path):
            top = module.split(".")[0]
            if top == "imagepredict":
                pending.extend(package_file(module))
            elif top not in sys.stdlib_module_names:
                found.add(top)
    return found


def test_every_function_imports_only_what_its_layers_ship() -> None:
    template = Template(ROOT / "template.yaml")
    owners = packages_distributions()
    for function in template.functions():
        layer_ids = [layer["Ref"] for layer in function.layers]
        shipped = set().union(*(shipped_distributions(template.layer_dir(layer)) for layer in layer_ids))
        for module in third_party_imports(function.code_dir):
            distributions = {_normalise(d) for d in owners.get(module, [])}
            assert distributions & shipped, f"{function.logical_id} imports {module}, which {layer_ids} do not ship"


def test_the_model_runner_imports_only_what_the_core_and_ml_layers_ship() -> None:
    shipped = shipped_distributions(ROOT / "layers" / "core") | shipped_distributions(ROOT / "layers" / "ml")
    owners = packages_distributions()
    for path in [*(PACKAGE / "model").rglob("*.py"), *(PACKAGE / "imaging").rglob("*.py")]:
        allowed = shipped | ({"onnxruntime"} if path in WORKER_ONLY else set())
        for module in {m.split(".")[0] for m in imports_of(path)} - set(sys.stdlib_module_names) - {"imagepredict"}:
            assert {_normalise(d) for d in owners.get(module, [])} & allowed, f"{path.name} imports {module}"


def test_worker_only_modules_are_imported_by_no_function_nor_any_package_init() -> None:
    names = {"imagepredict." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts) for path in WORKER_ONLY}
    importers = [*(ROOT / "functions").rglob("*.py"), *(p for p in PACKAGE.rglob("*.py") if p not in WORKER_ONLY)]
    for path in importers:
        assert not imports_of(path) & names, f"{path} imports a worker-only module ({names})"


def test_imaging_knows_nothing_of_models() -> None:
    for path in (PACKAGE / "imaging").rglob("*.py"):
        assert not {m for m in imports_of(path) if m.startswith("imagepredict.model")}, f"{path} imports the model"


def test_the_auth_and_health_functions_do_not_load_the_model_stack() -> None:
    for name in ("auth", "health"):
        modules = third_party_imports(ROOT / "functions" / name)
        assert not modules & {"numpy", "PIL", "ai_edge_litert", "tflite_runtime"}, f"{name} imports {modules}"


def test_the_layers_never_ship_tensorflow_or_dev_tools() -> None:
    core = shipped_distributions(ROOT / "layers" / "core")
    ml = shipped_distributions(ROOT / "layers" / "ml")
    for forbidden in FORBIDDEN:
        assert forbidden not in core | ml
    assert {"aws-lambda-powertools", "pymongo", "bcrypt", "pyjwt", "boto3", "botocore"} <= core
    assert {"ai-edge-litert", "numpy", "pillow"} <= ml
    assert not {"numpy", "pillow"} & core, "numpy/Pillow in two layers would be shipped (and counted) twice"


def test_nothing_deployed_imports_tensorflow() -> None:
    for root in (ROOT / "functions", ROOT / "layers"):
        for path in root.rglob("*.py"):
            tops = {module.split(".")[0] for module in imports_of(path)}
            assert not tops & {"tensorflow", "keras", "tf2onnx"}, f"{path} imports TensorFlow"
