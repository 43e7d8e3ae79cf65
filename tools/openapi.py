"""`python -m tools.openapi [--check]`: docs/openapi.json (OpenAPI 3.1), generated from the code.

Every function behind the HTTP API (template.yaml's HttpApi routes) is loaded as Lambda would load it, and its
Powertools resolver describes its own routes; the parts are merged, with what API Gateway answers by itself (404 for a
route it does not have, 413 for a request over its limits), the bearer scheme, and the API's own error shape in place
of Powertools' 422. Nothing is contacted: importing a function touches no AWS or MongoDB.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "docs" / "openapi.json"
UNUSED_SCHEMAS = ("HTTPValidationError", "ValidationError", "ResponseValidationError")  # Powertools' 422 (not ours)
DESCRIPTION = """\
The imagepredict HTTP API: accounts and tokens, upload slots, and the predictions made from uploaded images.

- **JSON in, JSON out.** A body is JSON sent as `application/json` (or `application/*+json`, UTF-8); another media \
type is 415 `unsupported_media_type`. Fields a route does not know are ignored.
- **Errors** from the functions are `{"error": {"code", "message", "fields"?}}`: branch on `code`, show `message`, \
and put each `fields` entry beside its field.
- **Bearer tokens**: routes with the `bearerAuth` requirement take `Authorization: Bearer <access_token>` and answer \
401 `invalid_token` (with `WWW-Authenticate`) before anything else when it is missing or invalid.
- **API Gateway's own answers** come before any function and have another shape, `{"message"}`: 404 `Not Found` for \
a route it does not have (a wrong method included; see `components.responses.RouteNotFound`) and 413 \
`Request Entity Too Large` for a request over Lambda's 6 MB invocation payload or the 10 MB body quota \
(`RequestTooLarge`, on every operation).
- **Images** never pass through the API: `POST /uploads` answers a presigned POST that the client sends the file to, \
straight to S3.
"""
TAGS = [
    {"name": "auth", "description": "Accounts, sign-in and tokens"},
    {"name": "predictions", "description": "Upload slots and the predictions made from them"},
    {"name": "health", "description": "Is the service up"},
    {
        "name": "admin",
        "description": "For administrators only (403 `forbidden` for a user): users, every prediction, "
        "stats, the classify dead-letter queue and the audit log",
    },
]
GATEWAY_RESPONSES = {
    "RouteNotFound": ("No such route (API Gateway's answer)", "Not Found"),
    "RequestTooLarge": (
        "Over Lambda's 6 MB invocation payload or the 10 MB body quota (API Gateway's answer; the function never runs)",
        "Request Entity Too Large",
    ),
}


def _version() -> str:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def _importable() -> None:
    """The repository (devstack) and the core layer (imagepredict), as `make run` and Lambda see them."""
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
    for path in (str(ROOT), str(ROOT / "layers" / "core")):
        if path not in sys.path:
            sys.path.insert(0, path)


def api_functions() -> dict[str, Path]:
    """Each function behind an HttpApi route: logical id → its app.py."""
    from devstack.template import Template

    template = Template(ROOT / "template.yaml")
    functions = {route.function for route in template.http_routes()}
    return {name: template.function(name).code_dir / "app.py" for name in sorted(functions)}


def load_app(name: str, source: Path) -> Any:
    spec = importlib.util.spec_from_file_location(f"openapi_{name}", source)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.app


def function_document(app: Any) -> dict[str, Any]:
    from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

    from imagepredict.api.caller import BEARER_SCHEME

    scheme = HTTPBearer(
        bearerFormat="JWT",
        description="An access token from /auth/register, /auth/login or /auth/refresh; it lives 15 minutes",
    )
    return json.loads(app.get_openapi_json_schema(title="imagepredict", security_schemes={BEARER_SCHEME: scheme}))


def _merge_schemas(into: dict[str, Any], schemas: dict[str, Any], source: str) -> None:
    for name, schema in schemas.items():
        if name in into and into[name] != schema:
            raise SystemExit(f"{source} describes the schema {name} unlike another function: rename one of them")
        into[name] = schema


# OpenAPI links: how one answer's values feed the next request (generated clients and schemathesis' stateful runs
# follow them: upload, then read or delete the prediction it created).
LINKS: dict[tuple[str, str, str], dict[str, Any]] = {
    ("/uploads", "post", "201"): {
        "GetPrediction": {
            "operationId": "getPrediction",
            "parameters": {"prediction_id": "$response.body#/prediction_id"},
            "description": "The prediction this upload slot created (pending until the image is classified)",
        },
        "DeletePrediction": {
            "operationId": "deletePrediction",
            "parameters": {"prediction_id": "$response.body#/prediction_id"},
            "description": "Delete the prediction and its image",
        },
    },
}


def add_links(paths: dict[str, Any]) -> None:
    for (path, method, status), links in LINKS.items():
        paths[path][method]["responses"][status]["links"] = links


def gateway_responses() -> dict[str, Any]:
    return {
        name: {
            "description": description,
            "content": {
                "application/json": {
                    "schema": {"$ref": "#/components/schemas/GatewayMessage"},
                    "example": {"message": message},
                }
            },
        }
        for name, (description, message) in GATEWAY_RESPONSES.items()
    }


def build() -> dict[str, Any]:
    _importable()
    from imagepredict.api.docs import GatewayMessage

    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {"GatewayMessage": GatewayMessage.model_json_schema()}
    security_schemes: dict[str, Any] = {}
    for name, source in api_functions().items():
        part = function_document(load_app(name, source))
        for path, operations in part["paths"].items():
            for method, operation in operations.items():
                if method in paths.get(path, {}):
                    raise SystemExit(f"{method.upper()} {path} is described by two functions")
                operation["responses"].pop("422", None)
                operation["responses"].get("204", {}).pop("content", None)  # Powertools describes `-> None` as null
                operation["responses"]["413"] = {"$ref": "#/components/responses/RequestTooLarge"}
                paths.setdefault(path, {})[method] = operation
        components = part.get("components", {})
        _merge_schemas(schemas, components.get("schemas", {}), name)
        security_schemes |= components.get("securitySchemes", {})
    for unused in UNUSED_SCHEMAS:
        schemas.pop(unused, None)
    add_links(paths)
    return {
        "openapi": "3.1.0",
        "info": {"title": "imagepredict API", "version": _version(), "description": DESCRIPTION},
        "servers": [{"url": "/", "description": "The stack's ApiUrl output (http://127.0.0.1:3000 with make run)"}],
        "tags": TAGS,
        "paths": paths,
        "components": {
            "schemas": schemas,
            "responses": gateway_responses(),
            "securitySchemes": security_schemes,
        },
    }


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.openapi", description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if docs/openapi.json is not what the code says")
    args = parser.parse_args(argv)
    text = render(build())
    if args.check:
        if OUTPUT.read_text() != text:
            print(f"{OUTPUT.relative_to(ROOT)} is out of date: run make openapi", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text)
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
