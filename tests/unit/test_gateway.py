"""The gateway's translation between HTTP and API Gateway payload format 2.0, and its routing and CORS."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from werkzeug.test import Client, EnvironBuilder
from werkzeug.wrappers import Request

from devstack.gateway import (
    MAX_INVOCATION_BYTES,
    MAX_PAYLOAD_BYTES,
    Cors,
    Gateway,
    build_event,
    build_response,
    invocation_payload_bytes,
)
from devstack.template import Route, Template

ROOT = Path(__file__).resolve().parents[2]
ROUTES = Template(ROOT / "template.yaml").http_routes()


def request(method: str = "GET", path: str = "/health", **options: Any) -> Request:
    return Request(EnvironBuilder(method=method, path=path, **options).get_environ())


def route(key: str):
    return next(r for r in ROUTES if r.route_key == key)


class LambdaContext:
    function_name = "test"
    memory_limit_in_mb = 128
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:test"
    aws_request_id = "req"


def test_event_has_every_field_of_payload_v2() -> None:
    event = build_event(
        request(
            "POST",
            "/auth/login",
            query_string="a=1&a=2&b=",
            headers={"X-Custom": "One", "Cookie": "s=1; t=2", "User-Agent": "tests"},
            json={"email": "x"},
        ),
        route("POST /auth/login"),
        {},
    )
    assert event["version"] == "2.0"
    assert event["routeKey"] == "POST /auth/login"
    assert event["rawPath"] == "/auth/login"
    assert event["rawQueryString"] == "a=1&a=2&b="
    assert event["queryStringParameters"] == {"a": "1,2", "b": ""}
    assert event["cookies"] == ["s=1", "t=2"]
    assert "cookie" not in event["headers"]
    assert event["headers"]["x-custom"] == "One"
    assert all(name == name.lower() for name in event["headers"])
    context = event["requestContext"]
    assert {"accountId", "apiId", "domainName", "http", "requestId", "routeKey", "stage", "time", "timeEpoch"} <= set(
        context
    )
    assert context["http"] == {
        "method": "POST",
        "path": "/auth/login",
        "protocol": "HTTP/1.1",
        "sourceIp": "127.0.0.1",
        "userAgent": "tests",
    }
    assert context["stage"] == "$default"
    assert event["isBase64Encoded"] is False
    assert json.loads(event["body"]) == {"email": "x"}


def test_binary_bodies_are_base64() -> None:
    payload = b"\x89PNG\r\n\x1a\n\x00\xff"
    event = build_event(
        request("POST", "/auth/login", data=payload, content_type="image/png"), route("POST /auth/login"), {}
    )
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == payload


def test_json_body_that_is_not_utf8_is_base64_too() -> None:
    event = build_event(
        request("POST", "/auth/login", data=b"\xff\xfe", content_type="application/json"), route("POST /auth/login"), {}
    )
    assert event["isBase64Encoded"] is True


def test_powertools_resolves_the_event() -> None:
    app = APIGatewayHttpResolver()

    @app.get("/items/<item_id>")
    def get_item(item_id: str):
        event = app.current_event
        return {"id": item_id, "q": event.get_query_string_value("q"), "ua": event.request_context.http.user_agent}

    items = Route.of("GET", "/items/{item_id}", "F")
    found = items.pattern.match("/items/42")
    assert found
    event = build_event(
        request("GET", "/items/42", query_string="q=x", headers={"User-Agent": "ua"}), items, found.groupdict()
    )
    assert event["pathParameters"] == {"item_id": "42"}
    result = app.resolve(event, LambdaContext())
    assert result["statusCode"] == 200
    assert json.loads(result["body"]) == {"id": "42", "q": "x", "ua": "ua"}


def test_response_mapping() -> None:
    response = build_response(
        {"statusCode": 429, "headers": {"Retry-After": "7", "Content-Type": "application/json"}, "body": '{"a":1}'}
    )
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    assert response.get_data() == b'{"a":1}'
    binary = build_response(
        {"statusCode": 200, "body": base64.b64encode(b"\x00\x01").decode(), "isBase64Encoded": True}
    )
    assert binary.get_data() == b"\x00\x01"
    cookies = build_response({"statusCode": 204, "cookies": ["a=1", "b=2"]})
    assert cookies.headers.getlist("Set-Cookie") == ["a=1", "b=2"]
    bare = build_response({"hello": "world"})  # no statusCode: API Gateway assumes 200 JSON
    assert (bare.status_code, bare.json) == (200, {"hello": "world"})


def test_routes_prefer_literal_paths_and_match_methods() -> None:
    routes = [
        Route.of("ANY", "/{proxy+}", "a"),
        Route.of("GET", "/items/{id}", "b"),
        Route.of("GET", "/items/new", "c"),
    ]
    gateway = Gateway(routes, pool=None, cors=Cors(None))  # type: ignore[arg-type]
    assert gateway.match("GET", "/items/new")[0].path == "/items/new"
    assert gateway.match("GET", "/items/7") == (gateway.routes[1], {"id": "7"})
    assert gateway.match("POST", "/items/7")[0].path == "/{proxy+}"
    assert gateway.match("GET", "/a/b/c")[1] == {"proxy": "a/b/c"}


def test_cors_origin_rules() -> None:
    open_cors = Cors({"AllowOrigins": ["*"], "AllowMethods": ["GET"]})
    assert open_cors.allowed_origin("https://x.example") == "*"
    strict = Cors({"AllowOrigins": ["https://app.example"], "AllowMethods": ["GET"]})
    assert strict.allowed_origin("https://app.example") == "https://app.example"
    assert strict.allowed_origin("https://evil.example") is None
    assert Cors(None).allowed_origin("https://app.example") is None


@pytest.mark.parametrize(
    "path", sorted(p for p in (ROOT / "events").glob("*.json") if "sqs" not in p.name), ids=lambda p: p.name
)
def test_sample_events_have_the_gateways_shape_and_a_route(path: Path) -> None:
    sample = json.loads(path.read_text())
    fresh = build_event(request("GET", "/health"), route("GET /health"), {})
    assert set(fresh) - {"body"} <= set(sample)
    assert set(fresh["requestContext"]) <= set(sample["requestContext"])
    assert set(fresh["requestContext"]["http"]) == set(sample["requestContext"]["http"])
    assert sample["routeKey"] in {r.route_key for r in ROUTES}
    parsed = APIGatewayProxyEventV2(sample)
    assert parsed.request_context.http.method == sample["routeKey"].split()[0]


def test_there_is_a_sample_event_for_every_route() -> None:
    keys = {json.loads(p.read_text()).get("routeKey") for p in (ROOT / "events").glob("*.json")}
    assert {r.route_key for r in ROUTES} <= keys


class RecordingPool:
    """Stands in for the functions: records each event it is asked to invoke."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def invoke(self, function: str, event: dict[str, Any]) -> dict[str, Any]:
        self.events.append(event)
        return {"statusCode": 204}


def test_the_invocation_payload_is_the_events_json_in_utf8() -> None:
    assert invocation_payload_bytes({"body": 'é"'}) == len('{"body":"é\\""}'.encode())  # 2 bytes, and an escape


def test_lambdas_6_mb_limit_counts_the_whole_event_to_the_byte() -> None:
    pool = RecordingPool()
    client = Client(Gateway(ROUTES, pool, Cors(None)))  # type: ignore[arg-type]

    def post(size: int):
        return client.post("/auth/login", data=b"x" * size, content_type="text/plain")

    guess = MAX_INVOCATION_BYTES - 10_000
    probe = request("POST", "/auth/login", data=b"x" * guess, content_type="text/plain")
    exact = guess + MAX_INVOCATION_BYTES - invocation_payload_bytes(build_event(probe, route("POST /auth/login"), {}))
    assert post(exact).status_code == 204
    assert invocation_payload_bytes(pool.events[-1]) == MAX_INVOCATION_BYTES
    refused = post(exact + 1)
    assert (refused.status_code, refused.json) == (413, {"message": "Request Entity Too Large"})
    assert refused.headers["Apigw-Requestid"]
    assert len(pool.events) == 1  # the function never saw it


def test_binary_bodies_count_base64_encoded_and_10_mb_is_refused_before_reading() -> None:
    pool = RecordingPool()
    client = Client(Gateway(ROUTES, pool, Cors(None)))  # type: ignore[arg-type]
    image = b"\x00" * (MAX_INVOCATION_BYTES * 3 // 4)  # under 6 MB as bytes, over it as base64
    assert client.post("/auth/login", data=image, content_type="image/png").status_code == 413
    too_long = client.post("/auth/login", data=b"x" * (MAX_PAYLOAD_BYTES + 1), content_type="text/plain")
    assert (too_long.status_code, too_long.json) == (413, {"message": "Request Entity Too Large"})
    assert pool.events == []
