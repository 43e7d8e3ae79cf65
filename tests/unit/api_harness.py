"""The API functions in this process: each app.py loaded under a name of its own, invoked with API Gateway (payload
2.0) events as the gateway makes them, without MongoDB or AWS (tests replace the services they would reach)."""

from __future__ import annotations

import base64
import importlib.util
import json
import sys
import time
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qsl

import jwt

from imagepredict.auth.users import User

ROOT = Path(__file__).resolve().parents[2]
API_FUNCTIONS = ("auth", "uploads", "predictions", "health", "admin")
SECRET = "k" * 40
USER_ID = "6745a1c2e4b0a1b2c3d4e5f6"


@cache
def load_function(name: str) -> ModuleType:
    """functions/<name>/app.py as the module `function_<name>_app` (each function's module is called app)."""
    spec = importlib.util.spec_from_file_location(f"function_{name}_app", ROOT / "functions" / name / "app.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def access_token(secret: str = SECRET, **claims: Any) -> str:
    now = int(time.time())
    payload = {"sub": USER_ID, "email": "ada@example.com", "role": "user", "iat": now, "exp": now + 600}
    payload["jti"] = "j" * 32
    payload |= {"iss": "imagepredict", "aud": "imagepredict-api", **claims}
    return jwt.encode(payload, secret, algorithm="HS256")


class EveryAccount:
    """A user store in which every id is an account in good standing, with the given role (no MongoDB)."""

    def __init__(self, role: str = "user") -> None:
        self.role = role

    def by_id(self, user_id: str) -> User:
        created = datetime(2026, 1, 1, tzinfo=UTC)
        return User(user_id, "ada@example.com", "Ada", created, password_hash="-", role=self.role)


def event(
    method: str,
    path: str,
    body: str | bytes | None = None,
    headers: dict[str, str] | None = None,
    query: str = "",
) -> dict[str, Any]:
    """An event as the local gateway (and API Gateway) makes it: UTF-8 text bodies as text, others base64."""
    made: dict[str, Any] = {
        "version": "2.0",
        "routeKey": f"{method} {path}",
        "rawPath": path,
        "rawQueryString": query,
        "headers": {name.lower(): value for name, value in (headers or {}).items()},
        "requestContext": {"http": {"method": method, "path": path}, "requestId": "test", "stage": "$default"},
        "isBase64Encoded": False,
    }
    if query:
        made["queryStringParameters"] = dict(parse_qsl(query, keep_blank_values=True))
    if isinstance(body, bytes):
        try:
            made["body"] = body.decode("utf-8")
        except UnicodeDecodeError:
            made["body"], made["isBase64Encoded"] = base64.b64encode(body).decode("ascii"), True
    elif body is not None:
        made["body"] = body
    return made


class Context:
    function_name = "test"
    memory_limit_in_mb = 128
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:test"
    aws_request_id = "test"


def invoke(function: str, made: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
    """Status, headers and the parsed JSON body (None when empty) of one invocation."""
    answer = load_function(function).app.resolve(made, Context())
    body = answer.get("body") or ""
    return answer["statusCode"], answer.get("headers") or {}, json.loads(body) if body else None


def post_json(function: str, path: str, document: Any, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    """POST `document` as JSON; lone surrogates go out as JSON's \\ud800 escapes, as any client would send them."""
    status, _, body = invoke(
        function, event("POST", path, json.dumps(document), {"Content-Type": "application/json", **(headers or {})})
    )
    return status, body
