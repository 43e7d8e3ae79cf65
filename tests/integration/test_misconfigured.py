"""A deployment mistake in the settings: every route answers 503 `service_misconfigured` (never a 500 on every
request), /health says `misconfigured`, and the log names the setting."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from devstack.launch import start_stack
from tests.conftest import RunningStack

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def misconfigured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    running = start_stack(tmp_path_factory.mktemp("misconfigured"), {"MAX_UPLOAD_BYTES": "5"}, healthy=False)
    yield running
    running.stop()


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/auth/login", {"email": "a@example.com", "password": "correct horse battery"}),
        ("POST", "/auth/register", {"email": "a@example.com", "name": "A", "password": "correct horse battery"}),
        ("GET", "/predictions", None),
        ("POST", "/uploads", {"filename": "a.png", "content_type": "image/png"}),
    ],
)
def test_every_route_says_the_service_is_misconfigured(
    misconfigured: RunningStack, method: str, path: str, body: dict | None
) -> None:
    response = requests.request(method, misconfigured.url(path), json=body, timeout=30)
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "service_misconfigured"
    assert "MAX_UPLOAD_BYTES" not in response.text  # the details are for the logs, not for callers


def test_health_says_misconfigured_and_the_log_names_the_setting(misconfigured: RunningStack) -> None:
    response = requests.get(misconfigured.url("/health"), timeout=30)
    assert response.status_code == 503
    assert response.json()["status"] == "misconfigured"
    assert "MAX_UPLOAD_BYTES must be between 1024 and 104857600, got 5" in misconfigured.log_text()
