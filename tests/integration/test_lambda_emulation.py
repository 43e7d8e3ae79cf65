"""The local Lambda emulation: isolated modules and environments, errors, timeouts, context, warm reuse."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.test import Client

from devstack.functions import DeployedFunction, FunctionPool
from devstack.gateway import Cors, Gateway
from devstack.intrinsics import Resolver
from devstack.template import Template

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "functions"


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    template = Template(FIXTURES / "template.yaml")
    resolver = Resolver({}, {}, {})
    functions = {
        spec.logical_id: DeployedFunction(
            spec,
            [template.layer_dir(layer["Ref"]) for layer in spec.layers],
            {name: str(value) for name, value in resolver.resolve(spec.environment).items()},
        )
        for spec in template.functions()
    }
    pool = FunctionPool(functions, concurrency=1)
    yield Client(Gateway(template.http_routes(), pool, Cors(None)))
    pool.stop()


def test_functions_with_the_same_module_names_are_isolated(client: Client) -> None:
    alpha = client.get("/alpha").json
    beta = client.get("/beta/7").json
    assert (alpha["module"], beta["module"]) == ("alpha helper", "beta helper")
    assert alpha["layer"] == "from the layer"
    assert (alpha["color"], beta["color"]) == ("blue", "green")  # globals, overridden per function
    assert (alpha["only_beta"], beta["only_beta"]) == (None, "yes")


def test_context_object(client: Client) -> None:
    body = client.get("/alpha").json
    assert body["function_name"] == "Alpha"
    assert body["memory"] == 256
    assert 0 < body["remaining_ms"] <= 2000
    assert len(body["request_id"]) == 36


def test_warm_worker_is_reused(client: Client) -> None:
    assert client.get("/alpha").json["pid"] == client.get("/alpha").json["pid"]


def test_handler_exception_is_a_bare_500_without_internals(client: Client) -> None:
    response = client.get("/alpha?do=fail")
    assert response.status_code == 500
    assert response.json == {"message": "Internal Server Error"}
    assert client.get("/alpha").status_code == 200  # the container survives a handler error


def test_malformed_response_is_a_500(client: Client) -> None:
    assert client.get("/alpha?do=bad").status_code == 500


def test_timeout_kills_the_worker_and_the_next_call_gets_a_fresh_one(client: Client) -> None:
    before = client.get("/alpha").json["pid"]
    response = client.get("/alpha?do=sleep")
    assert response.status_code == 500
    after = client.get("/alpha").json["pid"]
    assert after != before


def test_init_failure_is_a_500_and_is_retried_on_the_next_call(client: Client) -> None:
    assert client.get("/broken").status_code == 500
    assert client.get("/broken").status_code == 500


def test_unknown_path_is_api_gateways_404(client: Client) -> None:
    response = client.get("/nowhere")
    assert response.status_code == 404
    assert response.json == {"message": "Not Found"}
