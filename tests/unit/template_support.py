"""The template as the SAM translator turns it into CloudFormation, for the tests that assert on what it creates."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"


class NoManagedPolicies:
    """The translator asks IAM for managed policy ARNs; the template uses none, so nothing is looked up."""

    def load(self) -> dict[str, str]:
        return {}


def transform_template(document: dict[str, Any] | None = None) -> dict[str, Any]:
    """template.yaml (or `document`, a parsed copy of it) after the SAM transform, code locations stubbed."""
    source = copy.deepcopy(document) if document is not None else yaml_parse(TEMPLATE.read_text())
    for resource in source["Resources"].values():
        properties = resource.get("Properties", {})
        for key in ("CodeUri", "ContentUri"):
            if key in properties:
                properties[key] = f"s3://bucket/{properties[key]}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        return transform(source, {}, NoManagedPolicies())
