"""Nobody makes themselves an administrator through a request. For every operation in docs/openapi.json that takes
a body or a query, a signed-in user whose address IS in ADMIN_EMAILS (but not verified: the one thing that keeps
it a user) sends the valid request plus fields that name a role, a verification or a MongoDB operator (fixed ones,
then Hypothesis-drawn keys and values); afterwards the account is still a user, still unverified, in its next
session, in MongoDB, and the admin routes still answer it 403. Registering an admin address with such fields gives a
user too."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pymongo.database import Database

from tests.conftest import ADMIN_ADDRESSES, RunningStack, unique_email
from tests.integration.admin_client import Session
from tests.integration.api_client import PASSWORD
from tools.openapi import OUTPUT

pytestmark = pytest.mark.slow
# This module's addresses: the last two of ADMIN_ADDRESSES (admin_client.admin_session cycles through the others).
USER_ADDRESS, REGISTERED_ADDRESS = ADMIN_ADDRESSES[-1], ADMIN_ADDRESSES[-2]
GRANTS: dict[str, Any] = {
    "role": "admin",
    "roles": ["admin"],
    "admin": True,
    "is_admin": True,
    "isAdmin": True,
    "email_verified": True,
    "emailVerified": True,
    "verified": True,
    "$set": {"role": "admin", "email_verified": True},
    "user": {"role": "admin", "email_verified": True},
    "claims": {"role": "admin"},
    "disabled_at": None,
    "tokens_valid_after": None,
    "_id": "6745a1c2e4b0a1b2c3d4e5f6",
}
KEYS = st.one_of(st.sampled_from(sorted(GRANTS)), st.text(st.characters(blacklist_categories=("Cs",)), max_size=12))
VALUES = st.one_of(
    st.sampled_from([True, "admin", ["admin"], {"$set": {"role": "admin"}}, {"role": "admin"}, 1, None]),
    st.text(max_size=10),
)


@cache
def operations() -> list[tuple[str, str, dict[str, Any] | None, list[str]]]:
    """(method, path, an example body or None, its query parameters) of every operation with a body or a query."""
    document = json.loads(OUTPUT.read_text())
    found = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            query = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
            body = operation.get("requestBody")
            if body is None and not query:
                continue
            assert "{" not in path, path  # none has a path parameter too; one would need a value here
            example = None
            if body is not None:
                name = body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
                example = dict(document["components"]["schemas"][name]["examples"][0])
            found.append((method.upper(), path, example, query))
    assert len(found) >= 10
    return found


@pytest.fixture(scope="module")
def person(admin_stack: RunningStack) -> Session:
    return Session(admin_stack, USER_ADDRESS)


def valid_body(path: str, example: dict[str, Any], person: Session) -> dict[str, Any]:
    """The operation's example made valid for this person (what can be: reset and verification tokens are mailed)."""
    values = {
        "email": person.email if path != "/auth/register" else unique_email("registered"),
        "password": PASSWORD,
        "current_password": PASSWORD,
        "new_password": PASSWORD,
        "refresh_token": person.refresh_token,
    }
    return {name: values.get(name, value) for name, value in example.items()}


def send(admin_stack: RunningStack, person: Session, operation: tuple[Any, ...], extra: dict[str, Any]) -> None:
    method, path, example, query = operation
    if path == "/auth/me" and method == "DELETE":  # it ends the account: a throwaway one is the one to try it on
        throwaway = Session(admin_stack)
        gone = throwaway.call(method, path, json={"password": PASSWORD, **extra})
        assert gone.status_code == 204, gone.text
        return
    assert person.login().status_code == 200
    params = {"limit": "5"} if "limit" in query else {}
    params |= {name: json.dumps(value) if not isinstance(value, str) else value for name, value in extra.items()}
    body = {**valid_body(path, example, person), **extra} if example is not None else None
    answer = person.call(method, path, params=params, json=body)
    assert answer.status_code < 500, (method, path, extra, answer.text)
    if path == "/auth/register" and answer.status_code == 201:
        assert answer.json()["user"]["role"] == "user"


def still_a_user(admin_stack: RunningStack, person: Session, database: Database) -> None:
    assert person.login().status_code == 200
    me = person.get("/auth/me").json()["user"]
    assert (me["role"], me["email_verified"]) == ("user", False)
    stored = database.users.find_one({"email": person.email})
    assert (stored["role"], stored["email_verified"]) == ("user", False)
    assert person.get("/admin/users").status_code == 403
    refreshed = requests.post(
        admin_stack.url("/auth/refresh"), json={"refresh_token": person.refresh_token}, timeout=30
    )
    assert refreshed.json()["user"]["role"] == "user"
    person.refresh_token = refreshed.json()["refresh_token"]


@pytest.mark.parametrize("operation", operations(), ids=lambda op: f"{op[0]} {op[1]}")
def test_no_field_of_any_request_grants_the_role(
    admin_stack: RunningStack, person: Session, stack_db: Database, operation: tuple[Any, ...]
) -> None:
    send(admin_stack, person, operation, GRANTS)
    still_a_user(admin_stack, person, stack_db)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operation=st.sampled_from(operations()), extra=st.dictionaries(KEYS, VALUES, min_size=1, max_size=5))
def test_no_drawn_field_grants_it_either(
    admin_stack: RunningStack, person: Session, stack_db: Database, operation: tuple[Any, ...], extra: dict[str, Any]
) -> None:
    send(admin_stack, person, operation, extra)
    still_a_user(admin_stack, person, stack_db)


def test_registering_an_admin_address_with_every_grant_gives_a_user(
    admin_stack: RunningStack, stack_db: Database
) -> None:
    answer = requests.post(
        admin_stack.url("/auth/register"),
        json={**GRANTS, "email": REGISTERED_ADDRESS, "name": "Eve", "password": PASSWORD},
        timeout=30,
    )
    assert answer.status_code == 201, answer.text
    assert (answer.json()["user"]["role"], answer.json()["user"]["email_verified"]) == ("user", False)
    stored = stack_db.users.find_one({"email": REGISTERED_ADDRESS})
    assert (stored["role"], stored["email_verified"], stored["disabled_at"]) == ("user", False, None)
