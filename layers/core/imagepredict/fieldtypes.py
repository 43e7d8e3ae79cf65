"""The API's value types, shared by every request model: text that is real Unicode, emails, names, passwords, limits.

Each is a pydantic Annotated type. Its validator raises a PydanticCustomError whose message is what the client sees
under `fields`, and whose type is the API code it maps to (`invalid_request` unless the field says otherwise; see
api/problems.py). Strings are checked here, after pydantic has refused anything that is not a string.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, PlainSerializer, WithJsonSchema
from pydantic_core import PydanticCustomError

from imagepredict.clock import isoformat

REQUIRED = "This field is required"
NOT_TEXT = "Must be valid Unicode text"  # a lone UTF-16 surrogate ("\ud800" in JSON): no UTF-8 text can hold one
CONTROLS = "Must not contain control characters"
EMAIL_MAX_LENGTH = 254
NAME_MAX_LENGTH = 100
PASSWORD_MIN_CHARACTERS = 10
PASSWORD_MAX_BYTES = 72  # bcrypt ignores everything past 72 bytes; refuse rather than truncate silently
DEFAULT_LIMIT, MAX_LIMIT = 20, 100

_SURROGATE = re.compile("[\ud800-\udfff]")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_DIGITS = re.compile("[0-9]{1,9}")  # ASCII only: str.isdigit() and int() also take "²" and "٣"
# Format characters (Cf) are refused in names, but for the joiners: Persian and Indic scripts and emoji need them.
_JOINERS = frozenset("\u200c\u200d")
_CONTROL_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})  # C0/C1 controls, bidi overrides, line separators


def problem(message: str, code: str = "invalid_request") -> PydanticCustomError:
    """A field's problem as the client will read it (`code` picks the error code when it is the only problem)."""
    return PydanticCustomError(code, message)


def unicode_text(value: str) -> str:
    if _SURROGATE.search(value):
        raise problem(NOT_TEXT)
    return value


def has_controls(value: str, allowed: frozenset[str] = frozenset()) -> bool:
    return any(unicodedata.category(c) in _CONTROL_CATEGORIES and c not in allowed for c in value)


def _trimmed(value: str) -> str:
    """Trimmed and in Unicode's composed form (NFC), so one spelling of "é" is stored and compared; never empty."""
    value = unicodedata.normalize("NFC", unicode_text(value).strip())
    if not value:
        raise problem(REQUIRED)
    return value


def _email(value: str) -> str:
    value = _trimmed(value).lower()
    if len(value) > EMAIL_MAX_LENGTH or not _EMAIL.fullmatch(value) or has_controls(value):
        raise problem("Enter a valid email address")
    return value


def _name(value: str) -> str:
    value = _trimmed(value)
    if len(value) > NAME_MAX_LENGTH:
        raise problem(f"Use at most {NAME_MAX_LENGTH} characters")
    if has_controls(value, _JOINERS):
        raise problem(CONTROLS)
    return value


def _password(value: str) -> str:
    """Never trimmed nor normalised: the password is hashed exactly as typed."""
    if len(unicode_text(value)) < PASSWORD_MIN_CHARACTERS:
        raise problem(f"Use at least {PASSWORD_MIN_CHARACTERS} characters")
    if len(value.encode("utf-8")) > PASSWORD_MAX_BYTES:
        raise problem(
            f"Use at most {PASSWORD_MAX_BYTES} bytes in UTF-8 (bcrypt's limit); "
            "accented letters and emoji take 2–4 bytes each"
        )
    return value


def _secret(value: str) -> str:
    if not unicode_text(value):
        raise problem(REQUIRED)
    return value


def _limit(value: Any) -> Any:
    """A page size as the query gives it: ASCII digits only (an empty `limit=` is not a number either)."""
    if not isinstance(value, str) or not _DIGITS.fullmatch(value) or not 1 <= int(value) <= MAX_LIMIT:
        raise problem(f"Must be a whole number from 1 to {MAX_LIMIT}")
    return int(value)


Text = Annotated[str, AfterValidator(unicode_text)]
Email = Annotated[
    str,
    AfterValidator(_email),
    Field(
        description="Trimmed, NFC-normalised and lower-cased; at most 254 characters",
        json_schema_extra={"format": "email", "maxLength": EMAIL_MAX_LENGTH},
    ),
]
Name = Annotated[
    str,
    AfterValidator(_name),
    Field(
        description="Trimmed and NFC-normalised; 1-100 characters, no control or format characters",
        json_schema_extra={"minLength": 1, "maxLength": NAME_MAX_LENGTH},
    ),
]
NewPassword = Annotated[
    str,
    AfterValidator(_password),
    Field(
        description="At least 10 characters and at most 72 bytes in UTF-8 (bcrypt's limit); kept exactly as typed",
        json_schema_extra={"format": "password", "minLength": PASSWORD_MIN_CHARACTERS},
    ),
]
Secret = Annotated[str, AfterValidator(_secret), Field(json_schema_extra={"minLength": 1})]
Limit = Annotated[int, BeforeValidator(_limit)]  # 1..MAX_LIMIT: routes say so in their documentation
Timestamp = Annotated[
    datetime,
    PlainSerializer(isoformat, return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time", "examples": ["2026-11-25T12:00:00.000Z"]}),
]
