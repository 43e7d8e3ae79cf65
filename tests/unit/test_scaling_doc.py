"""docs/scaling.md is what bench.scaling computes from docs/benchmarks.json: the page and the numbers stay in step,
and nothing on it claims a GPU measurement that the JSON does not hold."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from bench.scaling import GPU_MEASURED, lambda_compute_cost, per_image_ms, render

ROOT = Path(__file__).resolve().parents[2]
RESULTS = json.loads((ROOT / "docs" / "benchmarks.json").read_text())


def test_the_committed_page_is_what_the_committed_measurements_give() -> None:
    assert (ROOT / "docs" / "scaling.md").read_text() == render(RESULTS), "run `make scaling` after `make bench`"


def test_cost_follows_the_measured_time() -> None:
    ms = per_image_ms(RESULTS)
    assert 0 < ms["shipped"] < ms["standin"]  # the stand-in is the bigger model
    assert lambda_compute_cost(2 * ms["standin"]) > lambda_compute_cost(ms["standin"])


def test_gpu_figures_appear_only_when_a_gpu_was_measured() -> None:
    without = copy.deepcopy(RESULTS)
    without["batch"]["cuda"] = {"measured": False, "note": "not measured on a GPU (no GPU machine in this run)"}
    page = render(without)
    assert "not measured on a GPU" in page
    assert f"| {GPU_MEASURED} ×" not in page
    with_gpu = copy.deepcopy(RESULTS)
    with_gpu["batch"]["cuda"] = {
        "measured": True,
        "device": "NVIDIA T4",
        "models": {name: {"8": {"onnx": {"median": rate}}} for name, rate in (("demo", 9000.0), ("standin", 1500.0))},
    }
    page = render(with_gpu)
    assert "measured on NVIDIA T4" in page
    assert f"| {GPU_MEASURED} ×" in page
