"""Who is calling, and what the API functions answer besides validation: the same 401 on every guarded route,
guarded routes and Caller handlers in step, an answer that breaks its own model as a bare 500, and pydantic kept
out of the pipeline's functions."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

import imagepredict.api.caller as caller_module
from imagepredict.auth import AccessTokens
from tests.unit.api_harness import ROOT, SECRET, EveryAccount, access_token, event, invoke, load_function

TOKENS = AccessTokens(SECRET, issuer="imagepredict", audience="imagepredict-api", ttl_seconds=900)


@pytest.fixture(autouse=True)
def our_signing_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(caller_module, "access_tokens", lambda: TOKENS)


GUARDED = [
    ("auth", "POST", "/auth/logout", None),
    ("auth", "GET", "/auth/me", None),
    ("auth", "DELETE", "/auth/me", json.dumps({})),
    ("uploads", "POST", "/uploads", json.dumps({"filename": 1})),  # authentication comes before validation
    ("predictions", "GET", "/predictions", None),
    ("predictions", "GET", "/predictions/6745a1c2e4b0a1b2c3d4e5f7", None),
    ("predictions", "DELETE", "/predictions/6745a1c2e4b0a1b2c3d4e5f7", None),
]


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
    for name in ("auth", "uploads", "predictions", "health"):
        app = load_function(name).app
        for route in app._static_routes + app._dynamic_routes:
            takes_caller = "caller" in route.func.__code__.co_varnames[: route.func.__code__.co_argcount]
            assert takes_caller == caller_module.is_guarded(route.security), f"{route.method} {route.path}"


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
