"""Validation errors, as clients read them: one 400 with a stable code and a human message per field.

Powertools reports pydantic's errors (type, loc, msg, input); clients get {"error": {"code", "message", "fields"}}
instead: `fields` maps the field's name to a sentence (never pydantic's wording, the input or a repr), and `code` is
`invalid_request`, or a field's own code (`unsupported_type`, `invalid_filename`) when that is the only kind of
problem in the request.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from imagepredict.errors import InvalidFilename, InvalidRequest, UnsupportedType
from imagepredict.fieldtypes import REQUIRED

CODES: dict[str, type[InvalidRequest]] = {cls.code: cls for cls in (InvalidRequest, UnsupportedType, InvalidFilename)}
# The messages of pydantic's own checks that a request can fail (the rest are raised by fieldtypes.py).
MESSAGES = {
    "missing": REQUIRED,
    "string_type": "Must be a string",
    "model_type": "Must be a JSON object",
    "model_attributes_type": "Must be a JSON object",
    "dict_type": "Must be a JSON object",
    "int_type": "Must be a whole number",
    "int_parsing": "Must be a whole number",
}
_SOURCES = ("body", "query", "path", "header", "cookie")


def field_name(loc: Iterable[Any]) -> str:
    """("body", "email") → "email"; ("query", "limit") → "limit"; nested fields are dotted."""
    parts = list(loc)
    if parts and parts[0] in _SOURCES:
        parts = parts[1:]
    return ".".join(str(part) for part in parts) or "body"


def message_of(error: Mapping[str, Any]) -> str:
    kind = error["type"]
    if kind in CODES:  # raised by fieldtypes.py or a model's own validator: its message is written for clients
        return str(error["msg"])
    if kind == "string_type" and error.get("input") is None:  # JSON null
        return REQUIRED
    return MESSAGES.get(kind, "Invalid value")


def invalid_request(errors: Iterable[Mapping[str, Any]]) -> InvalidRequest:
    fields: dict[str, str] = {}
    codes: set[str] = set()
    for error in errors:
        fields.setdefault(field_name(error["loc"]), message_of(error))
        codes.add(error["type"] if error["type"] in CODES else InvalidRequest.code)
    kind = CODES[codes.pop()] if len(codes) == 1 else InvalidRequest
    return kind(kind.summary, fields=fields)
