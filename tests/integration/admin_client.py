"""Administrators and users of the admin stack (tests/conftest.py's admin_stack) over HTTP."""

from __future__ import annotations

import itertools
from typing import Any

import requests
from pymongo.database import Database

from tests.conftest import ADMIN_ADDRESSES, RunningStack, unique_email
from tests.integration.api_client import PASSWORD

_addresses = itertools.cycle(ADMIN_ADDRESSES[:-2])  # the last two: test_admin_escalation.py


class Session:
    """A registered account, signed in."""

    def __init__(self, stack: RunningStack, email: str | None = None, name: str = "Someone") -> None:
        self.stack = stack
        self.email = email or unique_email("person")
        registered = requests.post(
            stack.url("/auth/register"), json={"email": self.email, "name": name, "password": PASSWORD}, timeout=30
        )
        assert registered.status_code == 201, registered.text
        self.user_id = registered.json()["user"]["id"]
        self._take(registered)

    def _take(self, answer: requests.Response) -> None:
        session = answer.json()
        self.access_token, self.refresh_token = session["access_token"], session["refresh_token"]
        self.user = session["user"]

    def login(self) -> requests.Response:
        answer = requests.post(
            self.stack.url("/auth/login"), json={"email": self.email, "password": PASSWORD}, timeout=30
        )
        if answer.status_code == 200:
            self._take(answer)
        return answer

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}

    def call(self, method: str, path: str, **options: Any) -> requests.Response:
        return requests.request(method, self.stack.url(path), headers=self.headers, timeout=60, **options)

    def get(self, path: str, **params: Any) -> requests.Response:
        return self.call("GET", path, params=params)


def admin_session(stack: RunningStack, database: Database) -> Session:
    """An administrator: one of ADMIN_ADDRESSES, its address marked verified in MongoDB (what the verification link
    does), then signed in again: the role is derived at sign-in."""
    session = Session(stack, next(_addresses), "Admin")
    assert session.user["role"] == "user"  # not before the address is verified
    database.users.update_one({"email": session.email}, {"$set": {"email_verified": True}})
    assert session.login().status_code == 200
    assert session.user["role"] == "admin", session.user
    return session
