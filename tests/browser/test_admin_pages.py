"""The admin pages in a real browser on web_admin_stack (its ADMIN_EMAILS name WEB_ADMINS; its own queues): the
journey of the issue (an address promoted by configuration and verified through the mailed link -> users -> one
disabled -> that user refused -> a dead letter redriven -> all of it in the audit log), and a user who never sees
an admin page (and whose token the API refuses). Every page is scanned with axe-core. Stats and filters:
test_admin_stats.py."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import requests
from bson import ObjectId
from playwright.sync_api import Page, Route, expect

from tests.browser.a11y import assert_accessible
from tests.browser.conftest import WEB_ADMIN_STACK_NAME, WEB_ADMINS
from tests.browser.helpers import ADMIN_ROUTES, SAMPLES, admin_link, become_admin, log_in, register, shoot
from tests.conftest import RunningStack, aws_client
from tests.polling import wait_for

pytestmark = pytest.mark.slow
NOT_JSON = "Unusable message: the message body is not JSON"


def queue_url(sqs: Any, logical_id: str) -> str:
    return sqs.get_queue_url(QueueName=f"{WEB_ADMIN_STACK_NAME}-{logical_id}")["QueueUrl"]


def s3_event(bucket: str, key: str) -> str:
    record = {"eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": bucket}, "object": {"key": key}}}
    return json.dumps({"Records": [record]})


def refreshed_rows(page: Page, count: int, what: str) -> None:
    """Press the dead-letter page's Refresh until it lists `count` messages."""

    def listed() -> bool:
        page.get_by_role("button", name="Refresh").click()
        page.wait_for_load_state("networkidle")
        return page.locator("tr[data-message]").count() == count

    wait_for(listed, what)


def test_the_admin_journey(pages: Callable[..., Page], web_admin_stack: RunningStack, stack_db) -> None:
    sqs = aws_client(web_admin_stack, "sqs")
    marker = uuid.uuid4().hex
    # A transient failure (its bucket does not exist yet: three failed tries, then the dead-letter queue) and a
    # poison message, which never classifies; both land while the browser does the rest.
    bucket, key = f"late-{marker}", "inbox/late-7.png"
    sqs.send_message(QueueUrl=queue_url(sqs, "ClassifyQueue"), MessageBody=s3_event(bucket, key))
    sqs.send_message(QueueUrl=queue_url(sqs, "ClassifyDeadLetters"), MessageBody=f"not an S3 event {marker}")

    admin, victim = pages(), pages()
    victim_email = register(victim, "Victor Victim")
    become_admin(admin, web_admin_stack, WEB_ADMINS[0])

    admin_link(admin, "Users")
    expect(admin.get_by_role("heading", level=1, name="Users")).to_be_focused()
    admin.get_by_label("Email starts with").fill(victim_email[:14])
    admin.get_by_role("button", name="Search").click()
    row = admin.locator("tr", has_text=victim_email)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Active")
    expect(row).to_contain_text("Not verified")
    expect(row.get_by_role("link", name=f"0 predictions of {victim_email}")).to_be_visible()
    assert_accessible(admin, "admin users")
    asked: list[str] = []
    admin.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    row.get_by_role("button", name=f"Disable {victim_email}").click()
    expect(row).to_contain_text("Disabled")
    expect(row.get_by_role("button", name=f"Enable {victim_email}")).to_be_focused()
    expect(admin.get_by_role("status").filter(has_text="Disabled ")).to_have_text(f"Disabled {victim_email}.")
    assert len(asked) == 1
    assert asked[0].startswith(f"Disable {victim_email}?")
    shoot(admin, "admin-users")
    assert_accessible(admin, "admin users, one disabled")
    admin.get_by_label("Email starts with").fill(WEB_ADMINS[0])
    admin.get_by_role("button", name="Search").click()
    expect(admin.locator("tr", has_text=WEB_ADMINS[0])).to_contain_text("This is you")  # no button to disable oneself
    expect(admin.locator("tr", has_text=WEB_ADMINS[0])).to_contain_text("Admin")

    victim.get_by_role("navigation", name="Main").get_by_role("link", name="History").click()
    expect(victim).to_have_url(re.compile(r"#/login\?next="))  # the next request: the session is over
    expect(victim.get_by_test_id("flash")).to_have_text("Your session has ended. Please log in again.")
    log_in(victim, victim_email)
    expect(victim.get_by_role("alert")).to_have_text("This account is disabled; contact the service's administrator")
    shoot(victim, "disabled-login")

    admin_link(admin, "Dead letters")
    expect(admin.get_by_role("heading", level=1, name="Dead letters")).to_be_focused()
    refreshed_rows(admin, 2, "both dead letters listed")
    poison = admin.locator("tr[data-message]", has_text=NOT_JSON)
    transient = admin.locator("tr[data-message]").filter(has=admin.get_by_role("link", name=re.compile("^Prediction ")))
    expect(poison).to_have_count(1)
    expect(transient).to_have_count(1)
    expect(admin.get_by_test_id("dead-letter-count")).to_have_text(re.compile(r"^About 2 messages"))
    expect(admin.get_by_test_id("move-task")).to_have_text("No redrive of the whole queue yet.")
    shoot(admin, "admin-dead-letters")
    assert_accessible(admin, "admin dead letters")

    transient.get_by_role("link", name=re.compile("^Prediction ")).click()
    expect(admin).to_have_url(re.compile(r"#/admin/predictions\?prediction_id=([0-9a-f]{24})&highlight=\1$"))
    prediction_id = re.search(r"highlight=([0-9a-f]{24})", admin.url).group(1)
    marked = admin.locator("tr.highlight")
    expect(marked).to_contain_text("late-7.png")
    expect(marked).to_contain_text("none (inbox)")
    expect(marked).to_have_attribute("aria-current", "true")
    shoot(admin, "admin-prediction-highlighted")
    assert_accessible(admin, "admin predictions, one highlighted")
    admin.go_back()

    s3 = aws_client(web_admin_stack, "s3")  # what made it fail is fixed: a redrive classifies it
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key=key, Body=(SAMPLES / "digit-7.png").read_bytes())
    refreshed_rows(admin, 2, "the page again")
    transient.get_by_role("checkbox").check()
    redrive_selected = admin.get_by_role("button", name="Redrive selected (1)")
    admin.once("dialog", lambda dialog: dialog.accept())
    redrive_selected.click()
    expect(admin.get_by_role("status").filter(has_text="Sent")).to_have_text(
        "Sent 1 message back to the classify queue."
    )
    expect(admin.locator("tr[data-message]")).to_have_count(1)

    def classified() -> dict | None:
        found = stack_db.predictions.find_one({"_id": ObjectId(prediction_id)})
        return found if found["status"] == "done" else None

    assert wait_for(classified, "the redriven prediction classified")["result"]["top"]["label"] == "7"
    admin.once("dialog", lambda dialog: dialog.accept())
    admin.get_by_role("button", name="Redrive all").click()
    expect(admin.get_by_role("status").filter(has_text="Redrive started")).to_be_visible()
    expect(admin.get_by_test_id("move-task")).to_contain_text("completed", timeout=30_000)
    refreshed_rows(admin, 1, "the poison message back in the dead-letter queue")  # it fails again: back it comes
    expect(poison).to_have_count(1)
    admin.once("dialog", lambda dialog: dialog.accept())
    poison.get_by_role("button", name=re.compile("^Discard message ")).click()
    expect(admin.get_by_role("status").filter(has_text="Discarded")).to_have_text(re.compile(r"^Discarded message "))
    expect(admin.get_by_text("The dead-letter queue is empty.")).to_be_visible()

    admin_link(admin, "All predictions")
    admin.goto(f"/#/admin/predictions?prediction_id={prediction_id}&highlight={prediction_id}")
    expect(admin.locator("tr.highlight")).to_contain_text("done")

    admin_link(admin, "Audit log")
    expect(admin.get_by_role("heading", level=1, name="Audit log")).to_be_focused()
    entries = admin.locator("tbody tr")
    expect(entries.first).to_contain_text("Discarded a dead letter")  # newest first
    disabled = admin.locator("tr[data-action='user.disable']", has_text=victim_email)
    expect(disabled).to_have_count(1)
    expect(disabled).to_contain_text(WEB_ADMINS[0])
    expect(disabled).to_contain_text("succeeded")
    redrives = admin.locator("tr[data-action='dead_letters.redrive']")
    expect(redrives.filter(has_text="the whole queue")).to_have_count(1)
    expect(redrives.filter(has_text="selected messages")).to_have_count(1)
    shoot(admin, "admin-audit")
    assert_accessible(admin, "admin audit log")

    admin_link(admin, "Users")  # and back: enabled, the person can log in again
    admin.get_by_label("Email starts with").fill(victim_email)
    admin.get_by_role("button", name="Search").click()
    admin.once("dialog", lambda dialog: dialog.accept())
    admin.get_by_role("button", name=f"Enable {victim_email}").click()
    expect(admin.locator("tr", has_text=victim_email)).to_contain_text("Active")
    log_in(victim, victim_email)
    expect(victim).to_have_url(re.compile(r"#/upload$"))


def test_a_user_never_sees_an_admin_page_and_the_api_refuses_their_token(
    pages: Callable[..., Page], web_admin_stack: RunningStack
) -> None:
    page = pages()
    register(page, "Una User")
    expect(page.get_by_role("navigation", name="Administration")).to_be_hidden()
    main = page.get_by_role("navigation", name="Main")
    expect(main.get_by_role("link")).to_have_text(["Upload", "History", "Account"])
    for route in ADMIN_ROUTES:
        page.goto(f"/{route}")
        expect(page.get_by_role("heading", level=1, name="Not allowed")).to_be_focused()
        expect(page.locator("table")).to_have_count(0)
    shoot(page, "admin-not-allowed")
    assert_accessible(page, "not allowed")

    with page.expect_request(lambda request: "authorization" in request.headers) as sent:
        page.goto("/#/predictions")
    headers = {"Authorization": sent.value.headers["authorization"]}
    message_id = str(uuid.uuid4())
    for method, path, body in [
        ("GET", "/admin/users", None),
        ("GET", "/admin/predictions?status=done", None),
        ("GET", "/admin/stats", None),
        ("GET", "/admin/dead-letters", None),
        ("GET", "/admin/audit", None),
        ("POST", "/admin/dead-letters/redrive", {}),
        ("DELETE", f"/admin/dead-letters/{message_id}", None),
        ("POST", "/admin/users/0123456789abcdef01234567/disable", None),
    ]:
        answer = requests.request(method, web_admin_stack.url(path), json=body, headers=headers, timeout=30)
        assert (answer.status_code, answer.json()["error"]["code"]) == (403, "forbidden"), (method, path)


def test_a_page_fooled_into_showing_admin_pages_still_gets_nothing(pages: Callable[..., Page]) -> None:
    """The header is a courtesy: the API decides. A client told (falsely) that its user is an admin shows the admin
    pages, and each says what the API answers: 403."""
    page = pages()
    register(page, "Mallory")

    def claim_admin(route: Route) -> None:
        response = route.fetch()
        session = response.json()
        session["user"]["role"] = "admin"
        route.fulfill(response=response, json=session)

    page.route("**/auth/refresh", claim_admin)
    page.reload()  # the session comes back through the refresh, role and all
    expect(page.get_by_role("navigation", name="Administration")).to_be_visible()
    for route in ADMIN_ROUTES:
        page.goto(f"/{route}")
        expect(page.get_by_role("alert")).to_have_text("This needs an administrator's account")
        expect(page.locator("tr[data-user], tr[data-message], tr[data-action], tr[id^=prediction-]")).to_have_count(0)
