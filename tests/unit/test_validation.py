"""The request models and their field types, as the API applies them: pydantic validates, api/problems.py words."""

from __future__ import annotations

from typing import TypeVar

import pytest
from pydantic import BaseModel, ValidationError

from imagepredict.api.problems import invalid_request
from imagepredict.auth.validation import Credentials, RefreshRequest, Registration
from imagepredict.errors import InvalidRequest
from imagepredict.uploads import UploadRequest

M = TypeVar("M", bound=BaseModel)
VALID = {"email": "a@b.co", "name": "A", "password": "0123456789"}


def parse(model: type[M], data: dict) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise invalid_request(error.errors()) from None


def problem_of(model: type[BaseModel], data: dict) -> InvalidRequest:
    with pytest.raises(InvalidRequest) as caught:
        parse(model, data)
    assert caught.value.status == 400
    return caught.value


def fields_of(model: type[BaseModel], data: dict) -> dict[str, str]:
    problem = problem_of(model, data)
    assert problem.code == "invalid_request"
    return problem.fields or {}


def test_registration_is_normalised() -> None:
    registration = parse(Registration, {"email": "  Ada@Example.COM ", "name": "  Ada  ", "password": "0123456789"})
    assert registration.email == "ada@example.com"
    assert registration.name == "Ada"
    assert registration.password == "0123456789"  # passwords are never altered


def test_names_and_emails_are_composed_nfc() -> None:
    registration = parse(Registration, {**VALID, "email": "Jose\u0301@b.co", "name": "Jose\u0301"})
    assert (registration.email, registration.name) == ("jos\u00e9@b.co", "Jos\u00e9")


def test_password_whitespace_is_kept_and_counted() -> None:
    assert parse(Registration, {**VALID, "password": " 12345678 "}).password == " 12345678 "


def test_all_problems_are_reported_at_once() -> None:
    assert set(fields_of(Registration, {"email": "nope", "name": "", "password": "short"})) == {
        "email",
        "name",
        "password",
    }


@pytest.mark.parametrize("value", [{"$ne": None}, ["a"], 1, 1.5, True])
def test_non_strings_never_pass(value) -> None:
    for field in ("email", "name", "password"):
        assert fields_of(Registration, {**VALID, field: value}) == {field: "Must be a string"}
    assert fields_of(Credentials, {"email": value, "password": "x"}) == {"email": "Must be a string"}
    assert fields_of(RefreshRequest, {"refresh_token": value}) == {"refresh_token": "Must be a string"}


@pytest.mark.parametrize("data", [{}, {"email": None, "name": None, "password": None}])
def test_missing_and_null_fields_are_required(data: dict) -> None:
    assert fields_of(Registration, data) == dict.fromkeys(("email", "name", "password"), "This field is required")


@pytest.mark.parametrize(
    ("password", "ok"),
    [("a" * 9, False), ("a" * 10, True), ("a" * 72, True), ("a" * 73, False), ("é" * 36, True), ("é" * 37, False)],
)
def test_password_length_in_characters_and_bytes(password: str, ok: bool) -> None:
    data = {**VALID, "password": password}
    if ok:
        assert parse(Registration, data).password == password
    else:
        assert "password" in fields_of(Registration, data)


@pytest.mark.parametrize(
    "name",
    ["x" * 101, "bad\x00name", "tab\tname", "bell\x07", "c1\x85control", "bidi\u202eoverride", "line\u2028break"],
)
def test_bad_names(name: str) -> None:
    assert "name" in fields_of(Registration, {**VALID, "name": name})


@pytest.mark.parametrize("name", ["n" * 100, "می\u200cخواهم", "\U0001f468\u200d\U0001f469", "Zoë O'Brien-Ñúñez"])
def test_good_names(name: str) -> None:
    assert parse(Registration, {**VALID, "name": name}).name == name


@pytest.mark.parametrize(
    "email",
    ["plain", "a@b", "a b@c.de", "@c.de", "a@@c.de", "x" * 250 + "@c.de", "a\x00@c.de", "a\x9f@c.de", "a\u200b@c.de"],
)
def test_bad_emails(email: str) -> None:
    assert "email" in fields_of(Registration, {**VALID, "email": email})


@pytest.mark.parametrize("field", ["email", "name", "password"])
def test_lone_surrogates_are_not_text(field: str) -> None:
    assert fields_of(Registration, {**VALID, field: VALID[field] + "\ud800"}) == {field: "Must be valid Unicode text"}


def test_login_takes_any_non_empty_password() -> None:
    credentials = parse(Credentials, {"email": " A@B.CO", "password": "x"})
    assert (credentials.email, credentials.password) == ("a@b.co", "x")
    assert fields_of(Credentials, {"email": "", "password": ""}) == {
        "email": "This field is required",
        "password": "This field is required",
    }


@pytest.mark.parametrize(
    ("data", "code", "fields"),
    [
        ({"filename": "a.png"}, "invalid_request", {"content_type": "This field is required"}),
        ({"filename": 1, "content_type": "image/png"}, "invalid_request", {"filename": "Must be a string"}),
        ({"filename": "a.gif", "content_type": "image/gif"}, "unsupported_type", None),
        ({"filename": "..", "content_type": "image/png"}, "invalid_filename", {"filename": "Must name a file"}),
        ({"filename": "a\u200e.png", "content_type": "image/png"}, "invalid_filename", None),
        ({"filename": "", "content_type": "image/gif"}, "invalid_request", None),  # two kinds: the generic code
    ],
)
def test_upload_requests(data: dict, code: str, fields: dict | None) -> None:
    problem = problem_of(UploadRequest, data)
    assert problem.code == code
    assert problem.fields == fields or fields is None


def test_upload_requests_are_normalised() -> None:
    request = parse(UploadRequest, {"filename": " C:\\photos\\Cafe\u0301.png ", "content_type": " Image/PNG "})
    assert (request.filename, request.content_type) == ("Caf\u00e9.png", "image/png")
