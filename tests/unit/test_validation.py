from __future__ import annotations

import pytest

from imagepredict.auth.validation import parse_credentials, parse_refresh_token, parse_registration
from imagepredict.errors import InvalidRequest


def fields_of(call, data) -> dict[str, str]:
    with pytest.raises(InvalidRequest) as caught:
        call(data)
    assert caught.value.status == 400
    assert caught.value.code == "invalid_request"
    return caught.value.fields or {}


def test_registration_is_normalised() -> None:
    registration = parse_registration({"email": "  Ada@Example.COM ", "name": "  Ada  ", "password": "0123456789"})
    assert registration.email == "ada@example.com"
    assert registration.name == "Ada"
    assert registration.password == "0123456789"  # passwords are never altered


def test_password_whitespace_is_kept_and_counted() -> None:
    assert parse_registration({"email": "a@b.co", "name": "A", "password": " 12345678 "}).password == " 12345678 "


def test_all_problems_are_reported_at_once() -> None:
    fields = fields_of(parse_registration, {"email": "nope", "name": "", "password": "short"})
    assert set(fields) == {"email", "name", "password"}


@pytest.mark.parametrize("value", [{"$ne": None}, ["a"], 1, 1.5, True])
def test_non_strings_never_pass(value) -> None:
    for field in ("email", "name", "password"):
        data = {"email": "a@b.co", "name": "A", "password": "0123456789", field: value}
        assert fields_of(parse_registration, data) == {field: "Must be a string"}
    assert fields_of(parse_credentials, {"email": value, "password": "x"}) == {"email": "Must be a string"}
    assert fields_of(parse_refresh_token, {"refresh_token": value}) == {"refresh_token": "Must be a string"}


@pytest.mark.parametrize(
    ("password", "ok"),
    [("a" * 9, False), ("a" * 10, True), ("a" * 72, True), ("a" * 73, False), ("é" * 36, True), ("é" * 37, False)],
)
def test_password_length_in_characters_and_bytes(password: str, ok: bool) -> None:
    data = {"email": "a@b.co", "name": "A", "password": password}
    if ok:
        assert parse_registration(data).password == password
    else:
        assert "password" in fields_of(parse_registration, data)


@pytest.mark.parametrize("name", ["x" * 101, "bad\x00name", "tab\tname"])
def test_bad_names(name: str) -> None:
    assert "name" in fields_of(parse_registration, {"email": "a@b.co", "name": name, "password": "0123456789"})


def test_name_of_100_characters_is_fine() -> None:
    assert parse_registration({"email": "a@b.co", "name": "n" * 100, "password": "0123456789"}).name == "n" * 100


@pytest.mark.parametrize("email", ["plain", "a@b", "a b@c.de", "@c.de", "a@@c.de", "x" * 250 + "@c.de"])
def test_bad_emails(email: str) -> None:
    assert "email" in fields_of(parse_registration, {"email": email, "name": "A", "password": "0123456789"})


def test_login_takes_any_non_empty_password() -> None:
    credentials = parse_credentials({"email": " A@B.CO", "password": "x"})
    assert (credentials.email, credentials.password) == ("a@b.co", "x")
    assert fields_of(parse_credentials, {"email": "", "password": ""}) == {
        "email": "This field is required",
        "password": "This field is required",
    }
