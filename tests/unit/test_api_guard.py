"""Who is calling, and what the API functions answer besides validation: the same 401 on every guarded route,
guarded routes and Caller handlers in step, an answer that breaks its own model as a bare 500, and pydantic kept
out of the pipeline's functions."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import typing
from typing import Any

import pytest

import imagepredict.api.caller as caller_module
from imagepredict.auth.tokens import AccessTokens
from imagepredict.errors import Forbidden
from tests.unit.api_harness import (
    API_FUNCTIONS,
    ROOT,
    SECRET,
    EveryAccount,
    access_token,
    event,
    invoke,
    load_function,
)

TOKENS = AccessTokens(SECRET, issuer="imagepredict", audience="imagepredict-api", ttl_seconds=900)


@pytest.fixture(autouse=True)
def our_signing_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(caller_module, "access_tokens", lambda: TOKENS)


GUARDED = [
    ("auth", "POST", "/auth/logout", None),
    ("auth", "GET", "/auth/me", None),
    ("auth", "DELETE", "/auth/me", json.dumps({})),
    ("auth", "POST", "/auth/verify-email/resend", None),
    ("auth", "POST", "/auth/password", json.dumps({"current_password": 1})),
    ("uploads", "POST", "/uploads", json.dumps({"filename": 1})),  # authentication comes before validation
    ("predictions", "GET", "/predictions", None),
    ("predictions", "GET", "/predictions/6745a1c2e4b0a1b2c3d4e5f7", None),
    ("predictions", "DELETE", "/predictions/6745a1c2e4b0a1b2c3d4e5f7", None),
]
USER_ID, MESSAGE_ID = "6745a1c2e4b0a1b2c3d4e5f7", "5fea7756-0ea4-451a-a703-a558b933e274"
ADMIN = [
    ("admin", "GET", "/admin/users", None),
    ("admin", "POST", f"/admin/users/{USER_ID}/disable", None),
    ("admin", "POST", f"/admin/users/{USER_ID}/enable", None),
    ("admin", "GET", "/admin/predictions", None),
    ("admin", "GET", "/admin/stats", None),
    ("admin", "GET", "/admin/dead-letters", None),
    ("admin", "POST", "/admin/dead-letters/redrive", json.dumps({"message_ids": "not a list"})),
    ("admin", "DELETE", f"/admin/dead-letters/{MESSAGE_ID}", None),
    ("admin", "GET", "/admin/audit", None),
]
GUARDED += ADMIN


@pytest.mark.parametrize(
    "authorization", [None, "", "Bearer", "Basic dXNlcjpwYXNz", "Bearer a b", "Bearer not.a.jwt", "forged", "expired"]
)
def test_every_guarded_route_answers_the_same_401(authorization: str | None) -> None:
    tokens = {"forged": f"Bearer {access_token('f' * 40)}", "expired": f"Bearer {access_token(exp=1)}"}
    headers = {} if authorization is None else {"Authorization": tokens.get(authorization, authorization)}
    answers = set()
    for function, method, path, body in GUARDED:
        status, response_headers, answer = invoke(function, event(method, path, body, headers))
        assert status == 401, (path, answer)
        assert response_headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
        answers.add(json.dumps(answer))
    assert len(answers) == 1


def test_routes_that_ask_who_is_calling_declare_the_bearer_scheme() -> None:
    for name in API_FUNCTIONS:
        app = load_function(name).app
        for route in app._static_routes + app._dynamic_routes:
            takes_caller = "caller" in route.func.__code__.co_varnames[: route.func.__code__.co_argcount]
            assert takes_caller == caller_module.is_guarded(route.security), f"{route.method} {route.path}"


def test_every_admin_route_of_every_function_takes_an_admin_caller() -> None:
    admin_routes = set()
    for name in API_FUNCTIONS:
        app = load_function(name).app
        for route in app._static_routes + app._dynamic_routes:
            if route.path.startswith("/admin"):
                hints = typing.get_type_hints(route.func, include_extras=True)
                assert hints.get("caller") == caller_module.AdminCaller, f"{route.method} {route.path}"
                admin_routes.add((route.method, route.path))
    named = {
        (method, path.replace(USER_ID, "<user_id>").replace(MESSAGE_ID, "<message_id>")) for _, method, path, _ in ADMIN
    }
    assert named == admin_routes  # the lists above cover every admin route


@pytest.mark.parametrize(("function", "method", "path", "body"), ADMIN)
def test_a_user_is_refused_every_admin_route_before_anything_is_read(
    function: str, method: str, path: str, body: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(caller_module, "accounts", lambda: EveryAccount("user"))
    headers = {"Authorization": f"Bearer {access_token()}", "Content-Type": "application/json"}
    status, _, answer = invoke(function, event(method, path, body, headers))
    assert (status, answer) == (403, {"error": {"code": "forbidden", "message": Forbidden().message}})


def test_an_admin_claim_is_not_enough_without_the_stored_role(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(caller_module, "accounts", lambda: EveryAccount("user"))
    made = event("GET", "/admin/users", headers={"Authorization": f"Bearer {access_token(role='admin')}"})
    assert invoke("admin", made)[0] == 403


@pytest.mark.parametrize("target", ["functions/classify/app.py", "functions/email/app.py", "batchworker"])
def test_the_pipeline_never_imports_pydantic(target: str) -> None:
    """pydantic costs the API functions about 0.2 s of cold start; the classify path does not pay it."""
    load = (
        f"import importlib.util as u; s = u.spec_from_file_location('app', {target!r}); "
        "s.loader.exec_module(u.module_from_spec(s))"
        if target.endswith(".py")
        else f"import {target}.worker, {target}.__main__"
    )
    script = f"import sys; {load}; print(sorted(m for m in sys.modules if m.split('.')[0] == 'pydantic'))"
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'layers' / 'core'}:{ROOT}", "POWERTOOLS_TRACE_DISABLED": "true"}
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_an_answer_that_breaks_its_own_model_is_a_500_that_shows_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    class Broken:
        def page(self, owner: str, *, limit: int, cursor: str | None) -> Any:
            return {"items": "not a list", "secret": "internal detail"}

    monkeypatch.setattr(load_function("predictions"), "queries", Broken)
    monkeypatch.setattr(caller_module, "accounts", lambda: EveryAccount())
    made = event("GET", "/predictions", headers={"Authorization": f"Bearer {access_token()}"})
    status, _, body = invoke("predictions", made)
    assert (status, body) == (500, {"error": {"code": "internal_error", "message": "Something went wrong on our side"}})
