"""template.yaml's numeric parameters and the code's settings validation accept exactly the same values: a value the
template lets through is never one every function then rejects (with a 500 on every request)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from samtranslator.yaml_helper import yaml_parse

from batchworker.settings import WORKER_INTEGERS
from imagepredict.settings import INTEGERS, Range

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = yaml_parse((ROOT / "template.yaml").read_text())
SPECS: dict[str, Range] = {**INTEGERS, **WORKER_INTEGERS}


def environment_refs(node: Any) -> dict[str, str]:
    """{environment variable: the parameter it is set from}, from every function, Globals and container definition."""
    found: dict[str, str] = {}
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Variables" and isinstance(value, dict):
                found |= {name: v["Ref"] for name, v in value.items() if isinstance(v, dict) and "Ref" in v}
            elif key == "Environment" and isinstance(value, list):
                found |= {
                    e["Name"]: e["Value"]["Ref"]
                    for e in value
                    if isinstance(e.get("Value"), dict) and "Ref" in e["Value"]
                }
            else:
                found |= environment_refs(value)
    elif isinstance(node, list):
        for item in node:
            found |= environment_refs(item)
    return found


NUMERIC = {
    variable: parameter
    for variable, parameter in environment_refs(DOCUMENT).items()
    if DOCUMENT["Parameters"].get(parameter, {}).get("Type") == "Number"
}


def test_the_numeric_parameters_found_are_the_ones_that_matter() -> None:
    assert {"BCRYPT_ROUNDS", "ACCESS_TOKEN_TTL_SECONDS", "REFRESH_TOKEN_TTL_SECONDS", "MAX_UPLOAD_BYTES"} <= set(
        NUMERIC
    )


@pytest.mark.parametrize(("variable", "parameter"), sorted(NUMERIC.items()))
def test_a_parameter_accepts_exactly_what_its_setting_accepts(variable: str, parameter: str) -> None:
    spec = SPECS.get(variable)
    assert spec is not None, f"{variable} (from {parameter}) has no range in the settings"
    declared = DOCUMENT["Parameters"][parameter]
    assert (declared.get("MinValue"), declared.get("MaxValue")) == (spec.minimum, spec.maximum), parameter
    assert spec.minimum <= int(declared["Default"]) <= spec.maximum, parameter
