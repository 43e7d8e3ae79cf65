"""docs/openapi.json: what the code generates (make openapi), a valid OpenAPI 3.1 document that a client generator
can use (operation ids, resolvable references, a schema for every answer), and true to template.yaml's routes."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from devstack.template import Template
from tools import openapi

METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


@cache
def committed() -> dict[str, Any]:
    return json.loads(openapi.OUTPUT.read_text())


def operations() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in committed()["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def resolve(reference: str) -> Any:
    assert reference.startswith("#/"), reference
    node: Any = committed()
    for part in reference[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def references(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from references(value)
    elif isinstance(node, list):
        for value in node:
            yield from references(value)


def schema_validator(schema: dict[str, Any]) -> Draft202012Validator:
    """A validator for one schema of the document, its $refs resolved against the whole document."""
    return Draft202012Validator({**schema, "components": committed()["components"]})


def test_the_committed_document_is_what_the_code_generates() -> None:
    generated = openapi.render(openapi.build())
    assert openapi.OUTPUT.read_text() == generated, "docs/openapi.json is out of date: run `make openapi`"


def test_it_is_a_valid_openapi_3_1_document() -> None:
    assert committed()["openapi"].startswith("3.1")
    validate(committed())


def test_every_reference_resolves() -> None:
    found = set(references(committed()))
    assert found
    for reference in found:
        resolve(reference)


def test_every_operation_can_become_a_client_method() -> None:
    seen: set[str] = set()
    for path, method, operation in operations():
        where = f"{method.upper()} {path}"
        assert re.fullmatch(r"[a-z][A-Za-z]+", operation["operationId"]), where
        assert operation["operationId"] not in seen, where
        seen.add(operation["operationId"])
        assert operation["summary"], where
        assert operation["tags"], where
        assert {"413", "500"} <= set(operation["responses"]), where
        for status, response in operation["responses"].items():
            response = resolve(response["$ref"]) if "$ref" in response else response
            assert response["description"], (where, status)
            if status != "204":
                assert response["content"]["application/json"]["schema"], (where, status)


def test_errors_are_documented_with_their_codes_and_real_examples() -> None:
    error_body = schema_validator({"$ref": "#/components/schemas/ErrorBody"})
    for path, method, operation in operations():
        for status, response in operation["responses"].items():
            media = response.get("content", {}).get("application/json", {})
            if not status.startswith(("4", "5")) or media.get("schema") != {"$ref": "#/components/schemas/ErrorBody"}:
                continue
            examples = media["examples"]
            assert examples, (method, path, status)
            for code, example in examples.items():
                error_body.validate(example["value"])
                assert example["value"]["error"]["code"] == code
                assert f"`{code}`" in response["description"]


def test_guarded_operations_declare_the_bearer_scheme_and_their_401() -> None:
    assert committed()["components"]["securitySchemes"]["bearerAuth"] == {
        "bearerFormat": "JWT",
        "description": "An access token from /auth/register, /auth/login or /auth/refresh; it lives 15 minutes",
        "scheme": "bearer",
        "type": "http",
    }
    guarded = {(method, path) for path, method, operation in operations() if operation.get("security")}
    admin = {(method, path) for path, method, _ in operations() if path.startswith("/admin/")}
    assert len(admin) == 9
    assert guarded - admin == {
        ("post", "/auth/logout"),
        ("get", "/auth/me"),
        ("delete", "/auth/me"),
        ("post", "/auth/verify-email/resend"),
        ("post", "/auth/password"),
        ("post", "/uploads"),
        ("get", "/predictions"),
        ("get", "/predictions/{prediction_id}"),
        ("delete", "/predictions/{prediction_id}"),
    }
    assert admin <= guarded
    for path, method, operation in operations():
        if (method, path) in guarded:
            assert operation["security"] == [{"bearerAuth": []}]
            assert "WWW-Authenticate" in operation["responses"]["401"]["headers"]
        if (method, path) in admin:
            assert operation["tags"] == ["admin"]
            assert set(operation["responses"]["403"]["content"]["application/json"]["examples"]) == {"forbidden"}


def test_operations_with_a_body_document_it_and_its_415_and_400() -> None:
    for path, method, operation in operations():
        if "requestBody" in operation:
            assert operation["requestBody"]["required"] is True
            assert "$ref" in operation["requestBody"]["content"]["application/json"]["schema"]
            assert {"400", "415"} <= set(operation["responses"]), (method, path)
        else:
            assert "415" not in operation["responses"], (method, path)


def test_the_gateways_own_answers_are_described() -> None:
    responses = committed()["components"]["responses"]
    assert responses["RouteNotFound"]["content"]["application/json"]["example"] == {"message": "Not Found"}
    assert responses["RequestTooLarge"]["content"]["application/json"]["example"] == {
        "message": "Request Entity Too Large"
    }
    for path, method, operation in operations():
        assert operation["responses"]["413"] == {"$ref": "#/components/responses/RequestTooLarge"}, (method, path)


def test_every_schema_example_is_valid_against_its_schema() -> None:
    checked = 0
    for name, schema in committed()["components"]["schemas"].items():
        for example in schema.get("examples", []):
            schema_validator({"$ref": f"#/components/schemas/{name}"}).validate(example)
            checked += 1
    assert checked >= 10


def test_the_document_covers_exactly_the_templates_routes() -> None:
    def shape(path: str) -> str:
        return re.sub(r"\{[^}]+\}", "{}", path)

    template = Template(openapi.ROOT / "template.yaml")
    routes = {(route.method.lower(), shape(route.path)) for route in template.http_routes()}
    assert routes == {(method, shape(path)) for path, method, _ in operations()}


@pytest.mark.parametrize("argv", [["--check"]])
def test_check_mode_passes_on_the_committed_file(argv: list[str]) -> None:
    assert openapi.main(argv) == 0
