"""The README's deploy checklist asks for exactly the values a deploy cannot do without: the template's parameters
that have no default. A parameter made required (or given a default) without the checklist following fails here."""

from __future__ import annotations

import re
from pathlib import Path

from samtranslator.yaml_helper import yaml_parse

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
PARAMETERS = yaml_parse((ROOT / "template.yaml").read_text())["Parameters"]


def checklist_required() -> list[str]:
    block = re.search(r"<!-- deploy-required:.*?-->(.*?)<!-- /deploy-required -->", README, re.S)
    assert block, "the README's deploy checklist lost its required-values list"
    return re.findall(r"^\s*- `(\w+)`", block.group(1), re.M)


def test_the_checklist_names_every_required_parameter_and_nothing_else() -> None:
    required = sorted(name for name, spec in PARAMETERS.items() if "Default" not in spec)
    assert sorted(checklist_required()) == required


def test_the_checklist_creates_the_secret_it_then_names() -> None:
    assert "aws secretsmanager create-secret --name imagepredict/mongodb-uri" in README
    assert "`MongoDbUriSecret` — the name from step 1 (`imagepredict/mongodb-uri`)" in README


def test_every_parameter_is_documented() -> None:
    deploying = README[README.index("## Deploying") : README.index("## Troubleshooting")]
    missing = [name for name in PARAMETERS if f"`{name}`" not in deploying]
    assert missing == []
