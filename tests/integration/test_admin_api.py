"""The admin API over HTTP on the local stack: 401 and 403 on every admin operation the OpenAPI document names, an
admin finding users and predictions, disabling (the user's next request is 401) and enabling (login works again),
each action in the audit log with the gateway's request id, the stats, and any query text answered 200 or 400."""

from __future__ import annotations

import json
import re
import time
import unicodedata
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pymongo.database import Database

from tests.conftest import RunningStack
from tests.integration.admin_client import Session, admin_session
from tests.integration.api_client import SAMPLES
from tools.openapi import OUTPUT

MESSAGE_ID = "5fea7756-0ea4-451a-a703-a558b933e274"
USER_ID = "6745a1c2e4b0a1b2c3d4e5f6"


def admin_operations() -> list[tuple[str, str]]:
    document = json.loads(OUTPUT.read_text())
    found = [
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if path.startswith("/admin/")
    ]
    assert len(found) == 9
    return found


def concrete(path: str) -> str:
    return path.replace("{user_id}", USER_ID).replace("{message_id}", MESSAGE_ID)


@pytest.fixture(scope="module")
def admin(admin_stack: RunningStack, stack_db: Database) -> Session:
    return admin_session(admin_stack, stack_db)


@pytest.fixture(scope="module")
def user(admin_stack: RunningStack) -> Session:
    return Session(admin_stack)


@pytest.mark.parametrize(("method", "path"), admin_operations())
def test_every_admin_operation_is_401_anonymous_and_403_for_a_user_whatever_it_sends(
    admin_stack: RunningStack, user: Session, method: str, path: str
) -> None:
    url = admin_stack.url(concrete(path))
    anonymous = requests.request(method, url, json={"message_ids": ["x"]}, timeout=30)
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "invalid_token"
    for body in (None, {}, {"message_ids": "not a list"}, [1, 2]):
        refused = user.call(method, concrete(path) + "?limit=nope&days=-1&status=%24ne", json=body)
        assert refused.status_code == 403, (method, path, refused.text)
        assert refused.json() == {"error": {"code": "forbidden", "message": "This needs an administrator's account"}}


def upload_and_wait(session: Session, sample: str = "digit-7.png") -> dict[str, Any]:
    slot = session.call("POST", "/uploads", json={"filename": sample, "content_type": "image/png"}).json()
    sent = requests.post(
        slot["upload"]["url"],
        data=slot["upload"]["fields"],
        files={"file": (sample, (SAMPLES / sample).read_bytes(), "image/png")},
        timeout=30,
    )
    assert sent.status_code in (200, 201, 204), sent.text
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        prediction = session.get(f"/predictions/{slot['prediction_id']}").json()
        if prediction["status"] not in ("pending", "processing"):
            return prediction
        time.sleep(0.3)
    raise AssertionError(f"{slot['prediction_id']} never finished")


def test_an_admin_finds_a_user_disables_them_at_once_and_enables_them(
    admin_stack: RunningStack, admin: Session
) -> None:
    target = Session(admin_stack)
    prediction = upload_and_wait(target)
    assert prediction["status"] == "done"

    found = admin.get("/admin/users", email=target.email.upper())  # compared as stored: lower case
    assert found.status_code == 200, found.text
    (listed,) = found.json()["items"]
    assert (listed["id"], listed["email"], listed["predictions"], listed["disabled"]) == (
        target.user_id,
        target.email,
        1,
        False,
    )
    everyone = admin.get("/admin/predictions", user_id=target.user_id).json()["items"]
    assert [(item["id"], item["owner_email"], item["consumer"]) for item in everyone] == [
        (prediction["id"], target.email, "lambda")
    ]
    assert "image_url" not in everyone[0]  # an admin sees results and file names, never the images
    by_id = admin.get("/admin/predictions", prediction_id=prediction["id"]).json()["items"]
    assert [item["id"] for item in by_id] == [prediction["id"]]
    assert admin.get("/admin/predictions", prediction_id="0" * 24).json()["items"] == []
    assert admin.get("/admin/predictions", prediction_id=prediction["id"].upper()).status_code == 400
    assert "Signature" not in json.dumps(everyone)  # no presigned link of any kind

    disabled = admin.call("POST", f"/admin/users/{target.user_id}/disable")
    assert disabled.status_code == 200, disabled.text
    assert disabled.json()["user"]["disabled"] is True
    assert target.get("/auth/me").status_code == 401  # the very next request
    assert target.get("/predictions").status_code == 401
    refresh = requests.post(admin_stack.url("/auth/refresh"), json={"refresh_token": target.refresh_token}, timeout=30)
    assert refresh.status_code == 401
    login = target.login()
    assert (login.status_code, login.json()["error"]["code"]) == (403, "account_disabled")

    enabled = admin.call("POST", f"/admin/users/{target.user_id}/enable")
    assert (enabled.status_code, enabled.json()["user"]["disabled"]) == (200, False)
    assert target.login().status_code == 200
    assert target.get("/auth/me").json()["user"]["id"] == target.user_id

    audit = admin.get("/admin/audit", limit=10).json()["items"]
    mine = [entry for entry in audit if entry["target"] == f"user:{target.user_id}"]
    assert [(e["action"], e["outcome"], e["actor_email"]) for e in mine] == [
        ("user.enable", "succeeded", admin.email),
        ("user.disable", "succeeded", admin.email),
    ]
    assert [e["request_id"] for e in mine] == [enabled.headers["Apigw-Requestid"], disabled.headers["Apigw-Requestid"]]


def test_an_admin_cannot_disable_themself_and_unknown_users_are_404(admin: Session) -> None:
    myself = admin.call("POST", f"/admin/users/{admin.user_id}/disable")
    assert (myself.status_code, myself.json()["error"]["code"]) == (400, "cannot_disable_self")
    assert admin.get("/auth/me").status_code == 200
    for user_id in (USER_ID, "nope", "%24where"):
        for action in ("disable", "enable"):
            answer = admin.call("POST", f"/admin/users/{user_id}/{action}")
            assert (answer.status_code, answer.json()["error"]["code"]) == (404, "not_found"), user_id


def test_a_search_for_regex_characters_matches_them_literally(admin_stack: RunningStack, admin: Session) -> None:
    tag = f"{time.monotonic_ns()}"
    dotted, plain = Session(admin_stack, f".*{tag}@example.com"), Session(admin_stack, f"x{tag}@example.com")
    for prefix, expected in ((".*", [dotted.email]), (f".*{tag}", [dotted.email]), ("^x", []), (".", None)):
        items = admin.get("/admin/users", email=prefix, limit=100).json()["items"]
        emails = [item["email"] for item in items]
        assert all(email.startswith(prefix) for email in emails), (prefix, emails)
        if expected is not None:
            assert [email for email in emails if tag in email] == expected
    assert plain.email not in [item["email"] for item in admin.get("/admin/users", email=".").json()["items"]]


def test_stats_count_todays_predictions_and_name_the_lambdas_model(admin: Session, user: Session) -> None:
    upload_and_wait(user, "digit-3.png")
    stats = admin.get("/admin/stats", days=1)
    assert stats.status_code == 200, stats.text
    body = stats.json()
    assert body["days"] == 1
    assert body["per_day"][0]["done"] >= 1
    assert body["classification_ms"]["count"] >= 1
    assert body["classification_ms"]["p50"] > 0
    assert body["emails"]
    assert "3" in [label["label"] for label in body["top_labels"]]
    metadata = json.loads((SAMPLES.parents[2] / "functions" / "classify" / "model" / "model.json").read_text())
    (lambda_model,) = [model for model in body["models"] if model["consumer"] == "lambda"]
    assert (lambda_model["name"], lambda_model["version"]) == (metadata["name"], metadata["version"])
    assert re.fullmatch("[0-9a-f]{64}", lambda_model["sha256"])
    for days in ("0", "91", "x", "", "٣", "1.5"):
        answer = admin.get("/admin/stats", days=days)
        assert (answer.status_code, answer.json()["error"]["fields"]) == (
            400,
            {"days": "Must be a whole number from 1 to 90"},
        )


QUERIES = {
    "/admin/users": ("email", "limit", "cursor"),
    "/admin/predictions": (
        "status",
        "since",
        "until",
        "label",
        "model_version",
        "user_id",
        "prediction_id",
        "limit",
        "cursor",
    ),
    "/admin/audit": ("limit", "cursor"),
    "/admin/stats": ("days",),
}
SPECIAL = ["", ".*", "^", "$", "$ne", "{}", "[]", "\\", "%", "\x00", "2026-02-30", "2026-11-25", "done", "A" * 300]
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)  # a URL carries UTF-8: no lone surrogates


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    path=st.sampled_from(sorted(QUERIES)),
    values=st.dictionaries(
        st.sampled_from(sorted({name for names in QUERIES.values() for name in names})),
        st.one_of(st.sampled_from(SPECIAL), TEXT),
        max_size=4,
    ),
)
def test_any_query_text_is_200_or_a_400_with_a_code(admin: Session, path: str, values: dict[str, str]) -> None:
    answer = admin.get(path, **values)
    assert answer.status_code in (200, 400), (path, values, answer.text)
    if answer.status_code == 400:
        assert answer.json()["error"]["code"] in ("invalid_request", "invalid_cursor")
    elif path == "/admin/users" and values.get("email"):  # literal: every address found starts with the prefix
        prefix = unicodedata.normalize("NFC", values["email"]).lower()
        emails = [item["email"] for item in answer.json()["items"]]
        assert all(email.startswith(prefix) for email in emails), (prefix, emails)


def test_predictions_filters_are_checked(admin: Session) -> None:
    bad = {
        "status": "$ne",
        "since": "2026-13-01",
        "until": "yesterday",
        "user_id": "{$gt: ''}",
        "label": "x" * 101,
        "limit": "0",
    }
    answer = admin.get("/admin/predictions", **bad)
    assert answer.status_code == 400
    assert set(answer.json()["error"]["fields"]) == set(bad)
    reversed_range = admin.get("/admin/predictions", since="2026-11-25", until="2026-11-24")
    assert reversed_range.json()["error"]["fields"] == {"until": "Must be on or after since"}
    assert admin.get("/admin/predictions", label="$gt").json()["items"] == []
