"""The API functions' contract, through their resolvers with generated inputs: whatever a client sends, the answer
is a JSON error with a known code and human messages, or the handler runs with clean values; never a 500.

Services are replaced by fakes that record what reached them, so no MongoDB or AWS is needed.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import event as observe
from hypothesis import strategies as st

import imagepredict.api.caller as caller_module
from imagepredict.auth.tokens import AccessTokens
from imagepredict.errors import EmailTaken, InvalidCredentials, InvalidToken
from tests.unit.api_harness import SECRET, USER_ID, EveryAccount, access_token, event, invoke, load_function, post_json

SPECIAL = ["\ud800", "\udbff", "\udc00", "\udfff", "\x00", "\x07", "\x1b", "\x7f", "\x80", "\x85", "\x9f", "\u200b"]
SPECIAL += ["\u200c", "\u200d", "\u202e", "\u2028", "\ufeff", "\u00a0", "\u0301", "²", "٣", "é", "\U0001f512"]
CHARACTERS = st.characters() | st.sampled_from(SPECIAL)
TEXT = st.text(CHARACTERS, max_size=30)
EMAILS = st.emails() | st.builds(lambda email, text: text + email, st.emails(), TEXT)
VALUES = (
    TEXT
    | EMAILS
    | st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.lists(TEXT, max_size=2)
    | st.dictionaries(TEXT, TEXT, max_size=2)
)
PRINTABLE = st.characters(categories=("L", "M", "N", "P", "S", "Zs"))
NAMES = st.text(PRINTABLE, min_size=1, max_size=110) | st.text(CHARACTERS, min_size=1, max_size=110)
PASSWORDS = st.text(PRINTABLE, min_size=8, max_size=40) | st.text(CHARACTERS, min_size=8, max_size=40)


def sprinkled(texts: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Mostly-valid text with, half the time, one awkward character somewhere (a surrogate, a control, ...)."""
    return st.builds(
        lambda text, odd, at: text[:at] + odd + text[at:],
        texts,
        st.sampled_from(SPECIAL + [""] * 23),
        st.integers(0, 40),
    )


NEAR_VALID = st.fixed_dictionaries(
    {
        "email": sprinkled(st.emails()),
        "name": sprinkled(st.text(PRINTABLE, min_size=1, max_size=100)),
        "password": sprinkled(st.text(PRINTABLE, min_size=10, max_size=36)),
    }
)
REGISTRATIONS = (
    NEAR_VALID
    | st.fixed_dictionaries(
        {"email": EMAILS | EMAILS | VALUES, "name": NAMES | NAMES | VALUES, "password": PASSWORDS | PASSWORDS | VALUES}
    )
    | st.fixed_dictionaries({}, optional={"email": VALUES, "name": VALUES, "password": VALUES})
)
LOGINS = (
    NEAR_VALID.map(lambda d: {k: d[k] for k in ("email", "password")})
    | st.fixed_dictionaries({"email": EMAILS | EMAILS | VALUES, "password": PASSWORDS | PASSWORDS | VALUES})
    | (st.fixed_dictionaries({}, optional={"email": VALUES, "password": VALUES}))
)
KNOWN_MESSAGES = {
    "This field is required",
    "Must be a string",
    "Must be valid Unicode text",
    "Enter a valid email address",
    "Use at most 100 characters",
    "Must not contain control characters",
    "Use at least 10 characters",
    "Use at most 72 bytes in UTF-8 (bcrypt's limit); accented letters and emoji take 2–4 bytes each",
    "Must be a whole number from 1 to 100",
}
HYPOTHESIS = settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)


class FakeAuth:
    """Records what validation let through, then fails the way the real service can."""

    def __init__(self) -> None:
        self.seen: list[Any] = []

    def register(self, registration: Any) -> Any:
        self.seen.append(registration)
        raise EmailTaken("An account with this email already exists")

    def login(self, credentials: Any) -> Any:
        self.seen.append(credentials)
        raise InvalidCredentials("The email or password is incorrect")

    def refresh(self, token: str) -> Any:
        self.seen.append(token)
        raise InvalidToken("The refresh token is invalid, expired or revoked")


class FakeQueries:
    def __init__(self) -> None:
        self.pages: list[tuple[str, int, str | None]] = []

    def page(self, owner: str, *, limit: int, cursor: str | None) -> Any:
        self.pages.append((owner, limit, cursor))
        from imagepredict.predictions.api import PredictionPage

        return PredictionPage(items=[], next_cursor=None)


@pytest.fixture(scope="module")
def fakes() -> Iterator[dict[str, Any]]:
    made = {"auth": FakeAuth(), "queries": FakeQueries()}
    tokens = AccessTokens(SECRET, issuer="imagepredict", audience="imagepredict-api", ttl_seconds=900)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(load_function("auth"), "auth_service", lambda: made["auth"])
        patch.setattr(load_function("predictions"), "queries", lambda: made["queries"])
        patch.setattr(caller_module, "access_tokens", lambda: tokens)
        patch.setattr(caller_module, "accounts", lambda: EveryAccount())
        yield made


def assert_clean_text(value: str, joiners: bool = False) -> None:
    value.encode("utf-8")  # no lone surrogate
    assert value == value.strip() == unicodedata.normalize("NFC", value)
    allowed = {"\u200c", "\u200d"} if joiners else set()
    assert not [c for c in value if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") and c not in allowed]


def assert_client_error(status: int, body: Any, sent: dict[str, Any]) -> None:
    assert status == 400, body
    error = body["error"]
    assert error["code"] == "invalid_request"
    assert error["message"] == "Some fields are missing or invalid"
    assert {field.split(".")[0] for field in error["fields"]} <= set(sent) | {"email", "name", "password"}
    assert set(error["fields"].values()) <= KNOWN_MESSAGES


@HYPOTHESIS
@given(REGISTRATIONS)
def test_register_answers_400_or_gets_clean_values(fakes: dict[str, Any], document: dict[str, Any]) -> None:
    fakes["auth"].seen.clear()
    status, body = post_json("auth", "/auth/register", document)
    observe(f"status {status}")
    if status != 409:
        assert_client_error(status, body, document)
        return
    (registration,) = fakes["auth"].seen
    assert_clean_text(registration.email)
    assert registration.email == registration.email.lower()
    assert len(registration.email) <= 254
    assert_clean_text(registration.name, joiners=True)
    assert 1 <= len(registration.name) <= 100
    assert registration.password == document["password"]
    assert len(registration.password) >= 10
    assert len(registration.password.encode("utf-8")) <= 72


@HYPOTHESIS
@given(LOGINS)
def test_login_answers_400_or_gets_clean_values(fakes: dict[str, Any], document: dict[str, Any]) -> None:
    fakes["auth"].seen.clear()
    status, body = post_json("auth", "/auth/login", document)
    observe(f"status {status}")
    if status != 401:
        assert_client_error(status, body, document)
        return
    (credentials,) = fakes["auth"].seen
    assert_clean_text(credentials.email)
    credentials.password.encode("utf-8")
    assert credentials.password == document["password"]


@HYPOTHESIS
@given(st.fixed_dictionaries({}, optional={"refresh_token": VALUES}), st.dictionaries(TEXT, VALUES, max_size=3))
def test_refresh_answers_400_or_gets_real_text(fakes: dict[str, Any], document: dict, extra: dict) -> None:
    fakes["auth"].seen.clear()
    sent = {**extra, **document}
    status, body = post_json("auth", "/auth/refresh", sent)
    if status == 401:
        (token,) = fakes["auth"].seen
        assert token == sent["refresh_token"]
        assert token.encode("utf-8")
        return
    assert status == 400, body
    assert body["error"]["code"] == "invalid_request"
    assert set(body["error"].get("fields", {}).values()) <= KNOWN_MESSAGES


@HYPOTHESIS
@given(st.text(CHARACTERS, max_size=6) | st.integers(-5, 205).map(str))
def test_limit_is_ascii_digits_from_1_to_100(fakes: dict[str, Any], limit: str) -> None:
    fakes["queries"].pages.clear()
    from urllib.parse import urlencode

    query = urlencode({"limit": limit.encode("utf-8", "surrogatepass")})
    made = event("GET", "/predictions", headers={"Authorization": f"Bearer {access_token()}"}, query=query)
    made["queryStringParameters"] = {"limit": limit}
    status, _, body = invoke("predictions", made)
    ascii_number = limit.isascii() and limit.isdigit() and 1 <= int(limit) <= 100
    if status == 200:
        assert ascii_number
        assert fakes["queries"].pages == [(USER_ID, int(limit), None)]
    else:
        assert not ascii_number
        assert (status, body["error"]["fields"]) == (400, {"limit": "Must be a whole number from 1 to 100"})


def test_without_a_limit_a_page_holds_20(fakes: dict[str, Any]) -> None:
    fakes["queries"].pages.clear()
    status, _, _ = invoke(
        "predictions", event("GET", "/predictions", headers={"Authorization": f"Bearer {access_token()}"})
    )
    assert (status, fakes["queries"].pages) == (200, [(USER_ID, 20, None)])


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=64) | st.text(CHARACTERS, max_size=64).map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_any_bytes_as_a_body_is_a_4xx(body: bytes) -> None:
    for content_type in ("application/json", "text/plain"):
        status, _, answer = invoke("auth", event("POST", "/auth/login", body, {"Content-Type": content_type}))
        assert status in (400, 415), answer
        assert answer["error"]["code"] in ("invalid_request", "unsupported_media_type")


@pytest.mark.parametrize(
    ("content_type", "status"),
    [
        ("application/json", 400),
        ("application/json; charset=utf-8", 400),
        ('Application/JSON; Charset="UTF-8"', 400),
        ("application/problem+json", 400),
        (None, 400),
        ("", 400),
        ("application/json; charset=utf-16", 415),
        ("application/jsonp", 415),
        ("text/json", 415),
        ("text/plain", 415),
        ("application/x-www-form-urlencoded", 415),
        ("multipart/form-data; boundary=----x", 415),
    ],
)
def test_content_types(content_type: str | None, status: int) -> None:
    headers = {} if content_type is None else {"Content-Type": content_type}
    answer = invoke("auth", event("POST", "/auth/register", "{}", headers))
    assert answer[0] == status, answer
    assert answer[2]["error"]["code"] == ("invalid_request" if status == 400 else "unsupported_media_type")


def test_a_lone_surrogate_in_a_member_name_or_an_unknown_field_is_refused_too() -> None:
    body = '{"email": "a@b.co", "password": "0123456789", "x\\ud800": 1, "extra": ["ok", "\\udc00"]}'
    status, _, answer = invoke("auth", event("POST", "/auth/login", body, {"Content-Type": "application/json"}))
    assert status == 400
    assert answer["error"]["fields"] == {
        "x\\ud800": "Must be valid Unicode text",
        "extra.1": "Must be valid Unicode text",
    }
