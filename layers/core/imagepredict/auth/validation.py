"""Checks on what clients send to the auth endpoints: strings only (no Mongo operators), sane sizes."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from imagepredict.errors import InvalidRequest

EMAIL_MAX_LENGTH = 254
NAME_MAX_LENGTH = 100
PASSWORD_MIN_CHARACTERS = 10
PASSWORD_MAX_BYTES = 72  # bcrypt ignores everything past 72 bytes; refuse rather than truncate silently
REQUIRED = "This field is required"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Registration:
    email: str
    name: str
    password: str


@dataclass(frozen=True)
class Credentials:
    email: str
    password: str


def normalise_email(email: str) -> str:
    return email.strip().lower()


def _strings(data: Mapping[str, object], names: tuple[str, ...]) -> tuple[dict[str, str], dict[str, str]]:
    """Pick the named fields, each of which must be a string; report the rest per field."""
    values: dict[str, str] = {}
    problems: dict[str, str] = {}
    for name in names:
        value = data.get(name)
        if value is None:
            problems[name] = REQUIRED
        elif not isinstance(value, str):
            problems[name] = "Must be a string"
        else:
            values[name] = value
    return values, problems


def _fail_if(problems: dict[str, str]) -> None:
    if problems:
        raise InvalidRequest("Some fields are missing or invalid", fields=problems)


def _email_problem(email: str) -> str | None:
    if not email:
        return REQUIRED
    if len(email) > EMAIL_MAX_LENGTH or not _EMAIL.match(email):
        return "Enter a valid email address"
    return None


def _password_problem(password: str) -> str | None:
    if len(password) < PASSWORD_MIN_CHARACTERS:
        return f"Use at least {PASSWORD_MIN_CHARACTERS} characters"
    if len(password.encode("utf-8")) > PASSWORD_MAX_BYTES:
        return (
            f"Use at most {PASSWORD_MAX_BYTES} bytes in UTF-8 (bcrypt's limit); "
            "accented letters and emoji take 2–4 bytes each"
        )
    return None


def _name_problem(name: str) -> str | None:
    if not name:
        return REQUIRED
    if len(name) > NAME_MAX_LENGTH:
        return f"Use at most {NAME_MAX_LENGTH} characters"
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        return "Must not contain control characters"
    return None


def parse_registration(data: Mapping[str, object]) -> Registration:
    values, problems = _strings(data, ("email", "name", "password"))
    email = normalise_email(values.get("email", ""))
    name = values.get("name", "").strip()
    checks = {
        "email": _email_problem(email) if "email" in values else None,
        "name": _name_problem(name) if "name" in values else None,
        "password": _password_problem(values["password"]) if "password" in values else None,
    }
    problems.update({field: problem for field, problem in checks.items() if problem})
    _fail_if(problems)
    return Registration(email=email, name=name, password=values["password"])


def parse_credentials(data: Mapping[str, object]) -> Credentials:
    values, problems = _strings(data, ("email", "password"))
    email = normalise_email(values.get("email", ""))
    if "email" in values and not email:
        problems["email"] = REQUIRED
    if "password" in values and not values["password"]:
        problems["password"] = REQUIRED
    _fail_if(problems)
    return Credentials(email=email, password=values["password"])


def parse_refresh_token(data: Mapping[str, object]) -> str:
    values, problems = _strings(data, ("refresh_token",))
    if "refresh_token" in values and not values["refresh_token"]:
        problems["refresh_token"] = REQUIRED
    _fail_if(problems)
    return values["refresh_token"]
