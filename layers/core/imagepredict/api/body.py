"""A request body, read as the API promises: JSON text (I-JSON, RFC 7493) holding one object, or a clear 4xx.

- Content-Type: `application/json` or any `application/*+json`, in any case, with no charset or UTF-8's; anything
  else with a body is 415 `unsupported_media_type` (a form, multipart, text/plain: also what a cross-site form can
  send without a CORS preflight). A body without a Content-Type is read as JSON: some HTTP libraries send none.
- The bytes must be UTF-8 and the text one JSON object (no NaN or Infinity, no numbers past Python's 4300 digits,
  nesting within the parser's depth); anything else is 400 `invalid_request`.
- No string anywhere in it, names included, may hold a lone UTF-16 surrogate (JSON's "\\ud800" escapes, which no
  UTF-8 text can carry): 400 with the path of each such string under `fields`. Every field of every model is then
  checked again by its own type (fieldtypes.py); fields a model does not name are ignored.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from imagepredict.errors import InvalidRequest, UnsupportedMediaType
from imagepredict.fieldtypes import NOT_TEXT

NOT_AN_OBJECT = "The request body must be a JSON object"


def is_json(content_type: str | None) -> bool:
    """Is this Content-Type JSON in UTF-8? (None or empty: no Content-Type at all.)"""
    media_type, *parameters = (part.strip().lower() for part in (content_type or "").split(";"))
    if not media_type:
        return True
    kind, _, subtype = media_type.partition("/")
    if kind != "application" or not (subtype == "json" or subtype.endswith("+json")):
        return False
    charsets = {value.strip('"') for name, _, value in (p.partition("=") for p in parameters) if name == "charset"}
    return charsets <= {"utf-8", "utf8"}


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def lone_surrogates(document: Any) -> list[str]:
    """The path of every string (or object member name) holding a lone surrogate; iterative, for any depth."""
    found: list[str] = []
    pending: list[tuple[str, Any]] = [("", document)]
    while pending:
        path, value = pending.pop()
        if isinstance(value, str):
            if not value.isascii() and _not_utf8(value):
                found.append(path or "body")
        elif isinstance(value, dict):
            for key, item in value.items():
                readable = key.encode("utf-8", "backslashreplace").decode("utf-8")
                child = f"{path}.{readable}" if path else readable
                if _not_utf8(key):
                    found.append(child)
                pending.append((child, item))
        elif isinstance(value, list):
            pending.extend((f"{path}.{index}" if path else str(index), item) for index, item in enumerate(value))
    return sorted(found)


def _not_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def read_json_object(event: Mapping[str, Any]) -> dict[str, Any]:
    """The body of an API Gateway (payload 2.0) event as a JSON object, or the 4xx that says what is wrong."""
    raw = event.get("body") or ""
    headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
    if raw and not is_json(headers.get("content-type")):
        raise UnsupportedMediaType()
    if not raw:
        raise InvalidRequest(NOT_AN_OBJECT)
    try:
        text = base64.b64decode(raw, validate=True).decode("utf-8") if event.get("isBase64Encoded") else raw
    except (binascii.Error, UnicodeDecodeError):
        raise InvalidRequest("The request body must be UTF-8 JSON") from None
    try:
        document = json.loads(text, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):  # JSONDecodeError, NaN/Infinity, ints past the 4300-digit limit
        raise InvalidRequest("The request body is not valid JSON") from None
    if not isinstance(document, dict):
        raise InvalidRequest(NOT_AN_OBJECT)
    if broken := lone_surrogates(document):
        raise InvalidRequest(InvalidRequest.summary, fields=dict.fromkeys(broken, NOT_TEXT))
    return document
