"""The gateway's payload limits over HTTP, as API Gateway applies them: the HTTP API's 10 MB for the body, then
Lambda's 6 MB for the whole invocation (the event as JSON, a binary body base64-encoded in it)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from werkzeug.serving import make_server

from devstack.functions import DeployedFunction, FunctionPool
from devstack.gateway import MAX_INVOCATION_BYTES, MAX_PAYLOAD_BYTES, Cors, Gateway
from devstack.stack import free_port
from devstack.template import Template
from tests.conftest import RunningStack, unique_email

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "functions"
TOO_LARGE = {"message": "Request Entity Too Large"}
MB = 1024 * 1024


class EchoApi:
    """A real server on a socket in front of the fixture functions; `reached()` lists what the echo function got."""

    def __init__(self, url: str, log: Path) -> None:
        self.url = url
        self.log = log

    def post(self, body: bytes | Iterator[bytes], content_type: str) -> requests.Response:
        return requests.post(f"{self.url}/echo", data=body, headers={"Content-Type": content_type}, timeout=60)

    def reached(self) -> list[int]:
        return [int(line) for line in self.log.read_text().split()] if self.log.exists() else []


@pytest.fixture(scope="module")
def echo_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EchoApi]:
    log = tmp_path_factory.mktemp("echo") / "invocations"
    template = Template(FIXTURES / "template.yaml")
    spec = next(spec for spec in template.functions() if spec.logical_id == "Echo")
    pool = FunctionPool({"Echo": DeployedFunction(spec, [], {"INVOCATION_LOG": str(log)})}, concurrency=1)
    routes = [route for route in template.http_routes() if route.function == "Echo"]
    server = make_server("127.0.0.1", free_port(), Gateway(routes, pool, Cors(None)), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield EchoApi(f"http://127.0.0.1:{server.server_port}", log)
    server.shutdown()
    server.server_close()
    pool.stop()


@pytest.fixture(autouse=True)
def _empty_log(request: pytest.FixtureRequest) -> None:
    if "echo_api" in request.fixturenames:
        request.getfixturevalue("echo_api").log.unlink(missing_ok=True)


def test_a_7_mb_body_is_refused_and_never_reaches_the_function(echo_api: EchoApi) -> None:
    response = echo_api.post(b"x" * 7 * MB, "text/plain")
    assert response.status_code == 413
    assert response.json() == TOO_LARGE
    assert response.headers["apigw-requestid"]
    assert echo_api.reached() == []


def test_a_text_body_just_under_6_mb_reaches_the_function(echo_api: EchoApi) -> None:
    size = MAX_INVOCATION_BYTES - 4096  # the event's other fields take well under 4 kB
    response = echo_api.post(b"x" * size, "text/plain")
    assert (response.status_code, response.json()) == (200, {"bytes": size})
    assert echo_api.reached() == [size]


def test_a_binary_body_counts_base64_encoded(echo_api: EchoApi) -> None:
    """4.8 MB of image is 6.4 MB of base64 in the event: refused, though the body itself is under 6 MB."""
    assert echo_api.post(b"\x89PNG" + b"\x00" * int(4.8 * MB), "image/png").status_code == 413
    assert echo_api.reached() == []
    fits = 4 * MB
    response = echo_api.post(b"\x00" * fits, "image/png")
    assert (response.status_code, response.json()) == (200, {"bytes": fits})
    assert echo_api.reached() == [fits]


def test_over_the_http_apis_10_mb_with_or_without_a_content_length(echo_api: EchoApi) -> None:
    declared = echo_api.post(b"x" * (MAX_PAYLOAD_BYTES + 1), "text/plain")
    assert (declared.status_code, declared.json()) == (413, TOO_LARGE)

    def chunks() -> Iterator[bytes]:  # Transfer-Encoding: chunked, no Content-Length to check up front
        for _ in range(11):
            yield b"x" * MB

    chunked = echo_api.post(chunks(), "text/plain")
    assert (chunked.status_code, chunked.json()) == (413, TOO_LARGE)
    assert echo_api.reached() == []


def test_the_stacks_api_refuses_7_mb_and_its_function_answers_5_mb(stack: RunningStack) -> None:
    """The upload limit (10 MB) is S3's, through presigned POSTs; the API itself takes what Lambda takes."""
    padding = "x" * 7 * MB
    payload = {"email": unique_email(), "name": padding, "password": "correct horse battery"}
    refused = requests.post(stack.url("/auth/register"), json=payload, timeout=60)
    assert (refused.status_code, refused.json()) == (413, TOO_LARGE)

    payload["name"] = "x" * 5 * MB
    answered = requests.post(stack.url("/auth/register"), json=payload, timeout=60)
    assert answered.status_code == 400  # the function's own answer: a name over 100 characters
    assert answered.json()["error"]["code"] == "invalid_request"
