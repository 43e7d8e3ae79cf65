"""GET /predictions over HTTP on the local stack: a tampered or invented cursor is a 400 `invalid_cursor`, never a
500, and a genuine one still pages."""

from __future__ import annotations

import base64
import json

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imagepredict.predictions.cursor import InvalidCursor, decode_position
from tests.conftest import RunningStack
from tests.integration.api_client import Client

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def client(stack: RunningStack) -> Client:
    user = Client(stack)
    for index in range(3):
        assert user.start_upload(f"file-{index}.png", "image/png").status_code == 201
    return user


@pytest.fixture(scope="module")
def genuine(client: Client) -> str:
    page = list_page(client, {"limit": "1"})
    assert page.status_code == 200
    return page.json()["next_cursor"]


def list_page(client: Client, params: dict[str, str]) -> requests.Response:
    return requests.get(client.stack.url("/predictions"), params=params, headers=client.headers, timeout=30)


def assert_invalid_cursor(client: Client, cursor: str) -> None:
    response = list_page(client, {"limit": "1", "cursor": cursor})
    assert response.status_code == 400, (cursor, response.status_code, response.text)
    assert response.json()["error"] == {"code": "invalid_cursor", "message": "The cursor is not one this API returned"}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def test_a_genuine_cursor_pages(client: Client, genuine: str) -> None:
    page = list_page(client, {"limit": "5", "cursor": genuine})
    assert page.status_code == 200
    assert len(page.json()["items"]) == 2


@pytest.mark.parametrize(
    "cursor",
    [
        b64url(b"[" * 5_000),  # deeply nested JSON: once a RecursionError, a 500
        b64url(b'{"t":"0001-01-01T00:00:00+14:00","i":"0123456789abcdef01234567"}'),  # once an OverflowError, a 500
        b64url(b'{"t":"9999-12-31T23:59:59-14:00","i":"0123456789abcdef01234567"}'),
        b64url(json.dumps({"t": {"$gt": ""}, "i": {"$ne": None}}).encode()),
    ],
    ids=["nested", "year-1", "year-9999", "operators"],
)
def test_the_cursors_that_once_gave_500_are_invalid(client: Client, cursor: str) -> None:
    assert_invalid_cursor(client, cursor)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    index=st.integers(min_value=0),
    replacement=st.characters(codec="utf-8", exclude_characters="\x00"),
    cut=st.booleans(),
)
def test_tampered_cursors_are_invalid(client: Client, genuine: str, index: int, replacement: str, cut: bool) -> None:
    index %= len(genuine)
    tampered = genuine[:index] if cut else genuine[:index] + replacement + genuine[index + 1 :]
    if tampered in ("", genuine):
        return  # no cursor at all, or the same one: not tampering
    try:
        decode_position(tampered)
    except InvalidCursor:
        assert_invalid_cursor(client, tampered)
    else:  # a change that still spells a valid position (another id, another time): just another page
        assert list_page(client, {"limit": "1", "cursor": tampered}).status_code == 200
