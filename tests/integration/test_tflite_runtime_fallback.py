"""Where only tflite-runtime installs (Python <= 3.11, numpy < 2), the runner falls back to it.

Runs in .venv-tflite (made by `make test` from requirements-tflite.txt), which has tflite-runtime and no LiteRT.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYTHON = ROOT / ".venv-tflite" / "bin" / "python"

SCRIPT = """
import json, sys
from pathlib import Path
from PIL import Image
from imagepredict.model import ModelIncompatible, ModelRunner, load_runner, read_model_dir
from imagepredict.model.metadata import ModelMetadata

root = Path(sys.argv[1])
samples = sorted((root / "tests/fixtures/digits").glob("*.png"))
report = {}
for name, directory in [("demo", root / "functions/classify/model"),
                        ("int8-io", root / "tests/fixtures/models/digits-int8-io"),
                        ("logits", root / "tests/fixtures/models/digits-logits")]:
    runner = load_runner(bundled_dir=directory)
    report[name] = {"runtime": runner.runtime.name,
                    "answers": [(p.name, runner.classify(Image.open(p)).top.label) for p in samples]}
try:
    load_runner(bundled_dir=root / "tests/fixtures/models/digits-dynamic")
except ModelIncompatible as error:
    report["dynamic"] = str(error)
# The same dynamic-range model with metadata that does not say so: the load failure itself is recognised.
content, metadata = read_model_dir(root / "tests/fixtures/models/digits-dynamic")
unlabelled = ModelMetadata(metadata.name, metadata.version, metadata.labels, metadata.tflite_sha256)
try:
    ModelRunner(content, unlabelled)
except ModelIncompatible as error:
    report["dynamic_unlabelled"] = str(error)
import importlib.util
report["litert_installed"] = importlib.util.find_spec("ai_edge_litert") is not None
print(json.dumps(report))
"""


@pytest.fixture(scope="module")
def report() -> dict:
    if not PYTHON.exists():
        if os.environ.get("REQUIRE_TFLITE_VENV"):
            pytest.fail(".venv-tflite is missing: `make test` creates it from requirements-tflite.txt")
        pytest.skip(".venv-tflite is missing (run `make test`, which creates it)")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "layers" / "core")}
    done = subprocess.run(
        [str(PYTHON), "-c", SCRIPT, str(ROOT)], capture_output=True, text=True, env=env, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_fallback_venv_really_has_no_litert(report: dict) -> None:
    assert report["litert_installed"] is False


@pytest.mark.parametrize("model", ["demo", "int8-io", "logits"])
def test_tflite_runtime_runs_float_int8_and_logits_models(model: str, report: dict) -> None:
    assert report[model]["runtime"] == "tflite-runtime"
    answers = report[model]["answers"]
    assert len(answers) == 10
    for sample, label in answers:
        assert sample == f"digit-{label}.png"


@pytest.mark.parametrize("key", ["dynamic", "dynamic_unlabelled"])
def test_dynamic_range_models_get_a_clear_error(key: str, report: dict) -> None:
    message = report[key]
    assert "tflite-runtime cannot run this model" in message
    assert "Install ai-edge-litert" in message
    assert "--quantize none, float16 or int8" in message
