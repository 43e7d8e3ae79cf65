"""The admin's queries and actions against a real SecantusDB: the email prefix search is literal (Hypothesis against
a Python oracle), prediction counts, cursor pages, disabling and enabling, the prediction filters, the stats, and
an audit entry for every action, refusals included."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from bson import ObjectId
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pymongo.database import Database

from imagepredict.admin.audit import Actor, AuditLog
from imagepredict.admin.predictions import PredictionFilters, PredictionSearch
from imagepredict.admin.stats import StatsQueries
from imagepredict.admin.users import AdminUsers, CannotDisableSelf, email_range, successor
from imagepredict.auth.sessions import RefreshTokenStore
from imagepredict.errors import InvalidRequest, NotFound
from imagepredict.predictions.cursor import InvalidCursor

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
ADMIN = Actor("6745a1c2e4b0a1b2c3d4e5f0", "boss@example.com", "request-1")
AWKWARD = ["a.b@x.io", "a*b@x.io", "a+b@x.io", ".*@x.io", "^x@x.io", "$where@x.io", "a\\b@x.io", "[ab]@x.io", "ab@x.io"]
AWKWARD += ["é@x.io", "\U0010ffff@x.io", "\uffff@x.io", "a\U0010ffffb@x.io"]


def add_user(database: Database, email: str, created_at: datetime = NOW, **fields: Any) -> str:
    document = {"email": email, "name": email.split("@")[0] or "x", "password_hash": "-", "created_at": created_at}
    return str(database.users.insert_one({**document, **fields}).inserted_id)


def add_prediction(database: Database, owner: str | None, created_at: datetime = NOW, **fields: Any) -> str:
    document = {
        "owner_id": owner,
        "owner_email": None,
        "filename": "digit.png",
        "source": {"bucket": "b", "key": f"uploads/{owner}/{ObjectId()}.png"},
        "source_id": str(ObjectId()),
        "status": "pending",
        "created_at": created_at,
        "attempts": 0,
        "email": {"status": "pending"},
    }
    return str(database.predictions.insert_one({**document, **fields}).inserted_id)


def done(label: str, version: str = "1", consumer: str | None = "lambda", ms: int = 100, **fields: Any) -> Any:
    result = {
        "top": {"label": label, "probability": 0.9},
        "probabilities": [{"label": label, "probability": 0.9}],
        "model": {"name": "digits", "version": version, "sha256": version * 64},
        "inference_ms": ms / 10,
        "image": {"format": "PNG", "width": 28, "height": 28},
    }
    finished = {
        "started_at": NOW,
        "completed_at": NOW + timedelta(milliseconds=ms),
        "timings": {"inference_ms": ms / 10},
    }
    return {"status": "done", "result": result, "email": {"status": "sent"}, **finished, **fields} | (
        {"consumer": consumer} if consumer else {}
    )


def admin_users(database: Database) -> AdminUsers:
    users = AdminUsers(database, RefreshTokenStore(database, 3600), AuditLog(database, lambda: NOW), lambda: NOW)
    users.ensure_indexes()
    database.users.create_index("email", unique=True)
    return users


def every_page(fetch: Any) -> list[Any]:
    items, cursor = [], None
    while True:
        page = fetch(cursor)
        items += page.items
        if page.next_cursor is None:
            return items
        cursor = page.next_cursor


@pytest.fixture(scope="module")
def awkward_users(mongo_server: Any) -> Any:
    from pymongo import MongoClient

    client = MongoClient(mongo_server.uri, directConnection=True, tz_aware=True)
    database = client["admin_search"]
    database.users.drop()
    for index, email in enumerate(AWKWARD):
        add_user(database, email, NOW - timedelta(minutes=index))
    yield admin_users(database)
    client.drop_database("admin_search")
    client.close()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.sampled_from([e[:n] for e in AWKWARD for n in range(len(e) + 1)]), st.text(max_size=6)))
def test_the_email_search_is_a_literal_prefix(awkward_users: AdminUsers, prefix: str) -> None:
    prefix = prefix.lower()
    found = [user.email for user in awkward_users.page(email_prefix=prefix, limit=100, cursor=None).items]
    assert found == [email for email in AWKWARD if email.startswith(prefix)]  # newest first: the list's order


@given(st.text(min_size=1))
def test_the_successor_bounds_exactly_the_strings_with_the_prefix(prefix: str) -> None:
    upper = successor(prefix)
    for candidate in (prefix, prefix + "\U0010ffff", prefix + "\U0010ffff" * 3):
        assert upper is None or candidate < upper
    if upper is not None:
        assert not upper.startswith(prefix)
        assert upper > prefix


def test_metacharacters_are_only_themselves(database: Database) -> None:
    for email in ("plain@x.io", ".*@x.io", "^@x.io"):
        add_user(database, email)
    users = admin_users(database)
    assert [u.email for u in users.page(email_prefix=".*", limit=10, cursor=None).items] == [".*@x.io"]
    assert [u.email for u in users.page(email_prefix="^", limit=10, cursor=None).items] == ["^@x.io"]
    assert email_range("") == {}


def test_a_page_counts_each_users_predictions_and_pages_follow_each_other(database: Database) -> None:
    users = admin_users(database)
    ids = [add_user(database, f"user{i}@x.io", NOW - timedelta(seconds=i)) for i in range(7)]
    for count, user_id in enumerate(ids[:3], start=1):
        for _ in range(count):
            add_prediction(database, user_id)
    listed = every_page(lambda cursor: users.page(email_prefix="user", limit=2, cursor=cursor))
    assert [user.id for user in listed] == ids
    assert [user.predictions for user in listed] == [1, 2, 3, 0, 0, 0, 0]
    with pytest.raises(InvalidCursor):
        users.page(email_prefix="", limit=2, cursor="not a cursor")


def test_disable_signs_out_and_enable_lets_back_in_each_audited(database: Database) -> None:
    users = admin_users(database)
    target = add_user(database, "mallory@x.io", email_verified=True, disabled_at=None)
    tokens = RefreshTokenStore(database, 3600)
    tokens.issue(target, NOW)
    disabled = users.disable(ADMIN, target).user
    assert (disabled.disabled, disabled.disabled_at, disabled.email_verified) == (True, NOW, True)
    stored = database.users.find_one({"email": "mallory@x.io"})
    assert stored["tokens_valid_after"] == NOW.replace(microsecond=0)
    assert database.refresh_tokens.count_documents({"user_id": target, "revoked_at": None}) == 0
    assert users.disable(ADMIN, target).user.disabled_at == NOW  # again: still the first time
    enabled = users.enable(ADMIN, target).user
    assert (enabled.disabled, enabled.disabled_at) == (False, None)
    assert database.users.find_one({"email": "mallory@x.io"})["tokens_valid_after"] == NOW.replace(microsecond=0)
    entries = AuditLog(database).page(limit=10, cursor=None).items
    assert [(e.action, e.outcome, e.error) for e in entries] == [
        ("user.enable", "succeeded", None),
        ("user.disable", "succeeded", None),
        ("user.disable", "succeeded", None),
    ]
    assert {(e.target, e.actor_id, e.actor_email, e.request_id) for e in entries} == {
        (f"user:{target}", ADMIN.user_id, ADMIN.email, "request-1")
    }
    assert entries[0].details == {"email": "mallory@x.io"}


@pytest.mark.parametrize("user_id", ["6745a1c2e4b0a1b2c3d4e5f6", "nope", "", "$where", "6745a1c2e4b0a1b2c3d4e5f6x"])
def test_unknown_accounts_are_404_and_the_attempt_is_audited(database: Database, user_id: str) -> None:
    users = admin_users(database)
    for act in (users.disable, users.enable):
        with pytest.raises(NotFound):
            act(ADMIN, user_id)
    entries = AuditLog(database).page(limit=10, cursor=None).items
    assert [(e.outcome, e.error) for e in entries] == [("failed", "not_found")] * 2


def test_an_admin_cannot_disable_themself(database: Database) -> None:
    users = admin_users(database)
    me = add_user(database, "boss@example.com")
    with pytest.raises(CannotDisableSelf):
        users.disable(Actor(me, "boss@example.com", "r"), me)
    assert database.users.find_one({"_id": ObjectId(me)}).get("disabled_at") is None
    (entry,) = AuditLog(database).page(limit=10, cursor=None).items
    assert (entry.action, entry.outcome, entry.error) == ("user.disable", "failed", "cannot_disable_self")


def test_the_audit_log_pages_newest_first(database: Database) -> None:
    times = iter(NOW + timedelta(seconds=i) for i in range(100))
    audit = AuditLog(database, lambda: next(times))
    for index in range(5):
        with audit.recorded(ADMIN, "dead_letter.discard", f"dead-letter:{index}", {}):
            pass
    listed = every_page(lambda cursor: audit.page(limit=2, cursor=cursor))
    assert [entry.target for entry in listed] == [f"dead-letter:{i}" for i in reversed(range(5))]


def test_an_action_that_raises_is_audited_as_failed(database: Database) -> None:
    audit = AuditLog(database)

    def redrive() -> None:
        with audit.recorded(ADMIN, "dead_letters.redrive", "dead-letters:all", {}) as found:
            found["task_handle"] = "half-way"
            raise RuntimeError("SQS is gone")

    with pytest.raises(RuntimeError):
        redrive()
    (entry,) = audit.page(limit=5, cursor=None).items
    assert (entry.outcome, entry.error, entry.details) == ("failed", "internal_error", {"task_handle": "half-way"})


def test_the_prediction_filters_combine(database: Database) -> None:
    search = PredictionSearch(database)
    search.ensure_indexes()
    ada, bob = str(ObjectId()), str(ObjectId())
    made = {
        "ada-7": add_prediction(database, ada, NOW - timedelta(days=2), **done("7")),
        "ada-3-v2": add_prediction(database, ada, NOW - timedelta(days=1), **done("3", version="2")),
        "bob-7": add_prediction(database, bob, NOW, **done("7")),
        "bob-rejected": add_prediction(database, bob, NOW - timedelta(hours=1), status="rejected"),
        "inbox": add_prediction(database, None, NOW - timedelta(days=5), status="failed"),
    }

    def found(**filters: Any) -> list[str]:
        names = {identifier: name for name, identifier in made.items()}
        items = every_page(lambda cursor: search.page(PredictionFilters(**filters), limit=2, cursor=cursor))
        return [names[item.id] for item in items]

    assert found() == ["bob-7", "bob-rejected", "ada-3-v2", "ada-7", "inbox"]
    assert found(status="done") == ["bob-7", "ada-3-v2", "ada-7"]
    assert found(label="7") == ["bob-7", "ada-7"]
    assert found(label="7", user_id=ada) == ["ada-7"]
    assert found(model_version="2") == ["ada-3-v2"]
    assert found(since=date(2026, 11, 24)) == ["bob-7", "bob-rejected", "ada-3-v2"]
    assert found(until=date(2026, 11, 23)) == ["ada-7", "inbox"]
    assert found(since=date(2026, 11, 25), until=date(2026, 11, 25)) == ["bob-7", "bob-rejected"]
    assert found(status="failed") == ["inbox"]
    assert found(label="$gt") == []
    with pytest.raises(InvalidRequest):
        PredictionFilters(since=date(2026, 11, 25), until=date(2026, 11, 24))
    page = search.page(PredictionFilters(user_id=bob), limit=5, cursor=None)
    assert {item.owner_id for item in page.items} == {bob}
    assert page.items[0].consumer == "lambda"


def test_stats_count_per_day_and_measure_times_emails_labels_and_models(database: Database) -> None:
    owner = str(ObjectId())
    for ms in (100, 200, 300, 400):
        add_prediction(database, owner, NOW - timedelta(hours=1), **done("7", ms=ms))
    add_prediction(database, owner, NOW - timedelta(days=1), **done("3", version="2", consumer="worker", ms=50))
    add_prediction(database, owner, NOW - timedelta(days=1), **done("3", consumer=None, email={"status": "skipped"}))
    add_prediction(database, owner, NOW - timedelta(days=1), status="rejected", email={"status": "skipped"})
    add_prediction(database, owner, NOW, status="pending")
    add_prediction(database, owner, NOW - timedelta(days=3), **done("1"))  # outside a 3-day window
    stats = StatsQueries(database, lambda: NOW).stats(3)
    assert (stats.since, stats.until) == (datetime(2026, 11, 23, tzinfo=UTC), NOW)
    assert [(row.day.isoformat(), row.done, row.rejected, row.pending, row.total) for row in stats.per_day] == [
        ("2026-11-23", 0, 0, 0, 0),
        ("2026-11-24", 2, 1, 0, 3),
        ("2026-11-25", 4, 0, 1, 5),
    ]
    assert stats.classification_ms.count == 6
    assert stats.classification_ms.p50 is not None
    assert 50 <= stats.classification_ms.p50 <= 400
    assert stats.classification_ms.p95 == 400
    assert stats.inference_ms.p95 == 40
    assert stats.emails == {"sent": 5, "skipped": 1}
    assert [(label.label, label.count) for label in stats.top_labels] == [("7", 4), ("3", 2)]
    assert {(m.consumer, m.version) for m in stats.models} == {("lambda", "1"), ("worker", "2"), ("unknown", "1")}


def test_stats_of_an_empty_window(database: Database) -> None:
    stats = StatsQueries(database, lambda: NOW).stats(1)
    assert [row.total for row in stats.per_day] == [0]
    assert (stats.classification_ms.count, stats.classification_ms.p50, stats.models) == (0, None, [])
