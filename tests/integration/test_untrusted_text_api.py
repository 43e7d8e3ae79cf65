"""Untrusted text at the API, over HTTP on the local stack, whatever code parses it: any filename, Authorization
header or refresh token gets a valid result or its documented 4xx, never a 500.

Written against the HTTP contract rather than the parsing functions, which are moving into the API's models."""

from __future__ import annotations

import json
import unicodedata

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import RunningStack
from tests.integration.api_client import Client

pytestmark = pytest.mark.slow

OVER_HTTP = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
# What a header can carry: visible Latin-1 text and spaces (requests refuses line breaks and other controls).
HEADER_TEXT = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"), max_size=80
).map(str.lstrip)  # requests sends no header value that starts with a space
FILENAMES = st.one_of(
    st.text(max_size=40),  # any text, surrogates and controls included
    st.text(st.characters(codec="utf-8"), min_size=250, max_size=260),  # around the length limit
    st.lists(st.sampled_from(["..", ".", "", "a", "b.png", " ", "\\", "é", "e\u0301"]), max_size=5).map("/".join),
)


@pytest.fixture(scope="module")
def client(stack: RunningStack) -> Client:
    return Client(stack)


def assert_documented_4xx(response: requests.Response, status: int, codes: set[str]) -> None:
    assert response.status_code == status, (response.status_code, response.text)
    assert response.json()["error"]["code"] in codes, response.text


def expected_name(filename: str) -> str:
    """The base name the API keeps (folders dropped, NFC), as README and the upload slot's docs say."""
    return unicodedata.normalize("NFC", filename.strip()).replace("\\", "/").rsplit("/", 1)[-1]


@OVER_HTTP
@given(FILENAMES)
def test_any_filename_is_kept_as_a_clean_base_name_or_refused(client: Client, filename: str) -> None:
    body = json.dumps({"filename": filename, "content_type": "image/png"})  # \ud800 goes as its JSON escape
    response = requests.post(
        client.stack.url("/uploads"),
        data=body,
        headers={**client.headers, "Content-Type": "application/json"},
        timeout=30,
    )
    if response.status_code != 201:
        assert_documented_4xx(response, 400, {"invalid_filename", "invalid_request"})
        return
    kept = client.get(response.json()["prediction_id"]).json()["filename"]
    assert kept == expected_name(filename)
    assert kept not in ("", ".", "..")
    assert "/" not in kept
    assert len(kept) <= 255
    assert not any(unicodedata.category(character) in ("Cc", "Cf", "Cs") for character in kept)


@OVER_HTTP
@given(st.one_of(HEADER_TEXT, HEADER_TEXT.map(lambda text: f"Bearer {text}")))
def test_any_authorization_header_is_refused_with_invalid_token(stack: RunningStack, header: str) -> None:
    response = requests.get(stack.url("/auth/me"), headers={"Authorization": header}, timeout=30)
    assert_documented_4xx(response, 401, {"invalid_token"})
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@OVER_HTTP
@given(scheme=st.sampled_from(["Bearer", "bearer", "BEARER"]), gap=st.sampled_from([" ", "  "]))
def test_a_valid_token_is_accepted_however_the_scheme_is_cased(client: Client, scheme: str, gap: str) -> None:
    token = client.headers["Authorization"].split(" ", 1)[1]
    response = requests.get(client.stack.url("/auth/me"), headers={"Authorization": f"{scheme}{gap}{token}"})
    assert response.status_code == 200, response.text


@OVER_HTTP
@given(st.one_of(st.text(max_size=60), st.text("ABCxyz019-_", min_size=43, max_size=43)))
def test_any_refresh_token_is_refused_with_invalid_token_or_invalid_request(stack: RunningStack, token: str) -> None:
    response = requests.post(
        stack.url("/auth/refresh"),
        data=json.dumps({"refresh_token": token}),
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    if response.status_code == 400:  # not text, or empty: the body's own validation
        assert_documented_4xx(response, 400, {"invalid_request"})
    else:
        assert_documented_4xx(response, 401, {"invalid_token"})
