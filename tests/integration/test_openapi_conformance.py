"""The running API answers what docs/openapi.json says: every answer seen here, success or error, has a status its
operation documents and a body valid against that status's schema (the gateway's own 404 and 413 included)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import requests
from jsonschema import Draft202012Validator

from tests.conftest import RunningStack, unique_email
from tests.integration.api_client import PASSWORD, SAMPLES, Client

DOCUMENT = json.loads((Path(__file__).resolve().parents[2] / "docs" / "openapi.json").read_text())


def operation_of(method: str, path: str) -> dict[str, Any]:
    for template, item in DOCUMENT["paths"].items():
        if re.fullmatch(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)), path) and method.lower() in item:
            return item[method.lower()]
    raise AssertionError(f"{method} {path} is not documented")


def assert_documented(response: requests.Response) -> None:
    request = response.request
    path = requests.utils.urlparse(request.url).path
    responses = operation_of(request.method, path)["responses"]
    status = str(response.status_code)
    assert status in responses, f"{request.method} {path} answered {status}, which it does not document"
    documented = responses[status]
    if "$ref" in documented:
        documented = DOCUMENT["components"]["responses"][documented["$ref"].rsplit("/", 1)[-1]]
    if status == "204":
        assert response.content == b""
        return
    schema = documented["content"]["application/json"]["schema"]
    Draft202012Validator({**schema, "components": DOCUMENT["components"]}).validate(response.json())


def test_every_answer_of_a_users_session_is_documented(stack: RunningStack) -> None:
    url = stack.url
    email = unique_email("documented")
    answers = [
        requests.get(url("/health")),
        requests.post(url("/auth/register"), json={"email": email, "name": "Doc", "password": PASSWORD}),
        requests.post(url("/auth/register"), json={"email": email, "name": "Doc", "password": PASSWORD}),  # 409
        requests.post(url("/auth/register"), json={"email": 1, "name": "", "password": "short"}),
        requests.post(url("/auth/register"), data="email=a", headers={"Content-Type": "text/plain"}),
        requests.post(url("/auth/login"), json={"email": email, "password": "wrong password!"}),
    ]
    session = requests.post(url("/auth/login"), json={"email": email, "password": PASSWORD})
    answers.append(session)
    headers = {"Authorization": f"Bearer {session.json()['access_token']}"}
    refreshed = requests.post(url("/auth/refresh"), json={"refresh_token": session.json()["refresh_token"]})
    answers += [
        refreshed,
        requests.post(url("/auth/refresh"), json={"refresh_token": session.json()["refresh_token"]}),  # reused
        requests.get(url("/auth/me"), headers=headers),
        requests.get(url("/auth/me")),
        requests.post(url("/uploads"), json={"filename": "a.gif", "content_type": "image/gif"}, headers=headers),
        requests.post(url("/uploads"), json={"filename": "a.png"}, headers=headers),
        requests.get(url("/predictions"), params={"limit": "²"}, headers=headers),
        requests.get(url("/predictions"), params={"cursor": "nonsense"}, headers=headers),
        requests.get(url("/predictions/000000000000000000000000"), headers=headers),
        requests.delete(url("/predictions/nope"), headers=headers),
        requests.post(url("/auth/logout"), headers=headers),
    ]
    for response in answers:
        assert_documented(response)


def test_a_finished_prediction_and_its_page_are_documented(stack: RunningStack) -> None:
    client = Client(stack)
    prediction_id = client.upload((SAMPLES / "digit-7.png").read_bytes(), "digit-7.png")
    assert client.wait(prediction_id)["status"] == "done"
    answers = [
        client.start_upload("digit-8.png", "image/png"),
        client.get(prediction_id),
        requests.get(stack.url("/predictions"), params={"limit": "1"}, headers=client.headers),
        requests.get(stack.url("/predictions"), headers=client.headers),
        requests.delete(stack.url(f"/predictions/{prediction_id}"), headers=client.headers),
    ]
    for response in answers:
        assert_documented(response)
    assert answers[1].json()["result"]["top"] == answers[1].json()["result"]["probabilities"][0]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [("POST", "/auth/login", b"x" * (10 * 1024 * 1024 + 1))],
)
def test_the_gateways_413_is_documented(stack: RunningStack, method: str, path: str, body: bytes) -> None:
    response = requests.request(method, stack.url(path), data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert_documented(response)


def test_the_gateways_404_has_the_documented_shape(stack: RunningStack) -> None:
    response = requests.get(stack.url("/no/such/route"))
    assert response.status_code == 404
    schema = DOCUMENT["components"]["responses"]["RouteNotFound"]["content"]["application/json"]
    Draft202012Validator({**schema["schema"], "components": DOCUMENT["components"]}).validate(response.json())
    assert response.json() == schema["example"]
