"""The admin pages in a real browser on web_admin_stack (its ADMIN_EMAILS name WEB_ADMINS; its own queues): the
journey of the issue (an address promoted by configuration and verified through the mailed link -> users -> one
disabled -> that user refused -> a dead letter redriven -> all of it in the audit log), the stats charts and the
prediction filters, and a user who never sees an admin page (and whose token the API refuses). Every page is
scanned with axe-core."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest
import requests
from bson import ObjectId
from playwright.sync_api import Browser, Page, Route, expect

from tests.browser.a11y import assert_accessible
from tests.browser.conftest import WEB_ADMIN_STACK_NAME, WEB_ADMINS, open_page
from tests.browser.helpers import ADMIN_ROUTES, SAMPLES, admin_link, become_admin, log_in, register, shoot, upload
from tests.conftest import RunningStack, aws_client

pytestmark = pytest.mark.slow
T = TypeVar("T")
NOT_JSON = "Unusable message: the message body is not JSON"


@pytest.fixture
def pages(browser: Browser, web_admin_stack: RunningStack) -> Iterator[Callable[..., Page]]:
    """New pages on the admin stack (each its own browser context) that fail the test on console errors."""
    problems: list[str] = []
    opened: list[Page] = []

    def new(**options: object) -> Page:
        opened.append(open_page(browser, web_admin_stack, problems, **options))
        return opened[-1]

    yield new
    for page in opened:
        page.context.close()
    assert problems == [], f"console errors: {problems}"


def wait_for(check: Callable[[], T | None], what: str, timeout: float = 60) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError(f"{what} did not happen within {timeout:.0f} s")


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
    expect(admin).to_have_url(re.compile(r"#/admin/predictions\?highlight=[0-9a-f]{24}&status=failed$"))
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
    admin.goto(f"/#/admin/predictions?highlight={prediction_id}")
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


def test_stats_charts_and_prediction_filters(
    pages: Callable[..., Page], web_admin_stack: RunningStack, stack_db
) -> None:
    admin = pages()
    become_admin(admin, web_admin_stack, WEB_ADMINS[1], "Stat Admin")
    for sample, digit in (("digit-7.png", "7"), ("digit-3.png", "3")):
        upload(admin, SAMPLES / sample)
        expect(admin.get_by_test_id("top")).to_contain_text(digit, timeout=30_000)

    admin_link(admin, "Stats")
    expect(admin.get_by_role("heading", level=1, name="Stats")).to_be_focused()
    per_day = admin.get_by_role(
        "img", name=re.compile(r"^Predictions per day over the last 30 days, stacked by status")
    )
    expect(per_day).to_be_visible()
    expect(per_day).to_have_accessible_name(re.compile(r"\d+ in all \(\d+ done, "))
    expect(admin.get_by_role("img", name=re.compile(r"^Classification time, from a consumer's claim"))).to_be_visible()
    expect(admin.get_by_role("img", name=re.compile(r"^Top labels: .*7 \d+"))).to_be_visible()
    expect(admin.get_by_role("img", name=re.compile(r"^Email outcomes: "))).to_be_visible()
    models = admin.get_by_role("table", name="Current model per consumer")
    expect(models.get_by_role("row", name=re.compile("^lambda "))).to_be_visible()
    admin.get_by_text("Predictions per day: the numbers").click()
    expect(admin.get_by_role("table", name="Predictions per day").locator("tbody tr")).to_have_count(30)
    shoot(admin, "admin-stats")
    assert_accessible(admin, "admin stats")
    admin.get_by_label("Period").select_option("7")
    expect(admin.get_by_role("table", name="Predictions per day").locator("tbody tr")).to_have_count(7)

    admin_link(admin, "Users")
    admin.get_by_label("Email starts with").fill(WEB_ADMINS[1])
    admin.get_by_role("button", name="Search").click()
    admin.get_by_role("link", name=f"2 predictions of {WEB_ADMINS[1]}").click()
    expect(admin).to_have_url(re.compile(r"#/admin/predictions\?user_id=[0-9a-f]{24}$"))
    rows = admin.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("digit-3.png")  # newest first
    admin.get_by_label("Top label").fill("7")
    admin.get_by_label("Status").select_option("done")
    admin.get_by_role("button", name="Apply filters").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("digit-7.png")
    expect(rows.first).to_contain_text(WEB_ADMINS[1])
    expect(admin).to_have_url(re.compile(r"status=done&.*label=7&user_id="))
    shoot(admin, "admin-predictions")
    assert_accessible(admin, "admin predictions, filtered")
    admin.get_by_label("Owner's user id").fill("not-an-id")
    admin.get_by_role("button", name="Apply filters").click()
    expect(admin.locator("#filter-user_id-error")).to_have_text(re.compile("user id"))
    expect(admin.get_by_label("Owner's user id")).to_have_attribute("aria-invalid", "true")
    assert_accessible(admin, "admin predictions, a bad filter")

    phone = pages(viewport={"width": 375, "height": 740}, is_mobile=True)
    log_in(phone, WEB_ADMINS[1])
    expect(phone.get_by_role("navigation", name="Administration")).to_be_visible()
    for route in ADMIN_ROUTES:
        phone.goto(f"/{route}")
        phone.wait_for_load_state("networkidle")
        assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), route
        shoot(phone, "phone-" + route.rsplit("/", 1)[1])
        assert_accessible(phone, f"{route} on a phone")


def test_chart_ticks_are_round_numbers(browser: Browser, stack: RunningStack) -> None:
    context = browser.new_context(base_url=stack.api_url)
    page = context.new_page()
    page.goto("/#/")
    shown = page.evaluate(
        "async (values) => { const { ticks } = await import('/js/charts.js'); return values.map((v) => ticks(v)); }",
        [0, 1, 3, 7, 10, 42, 100, 999],
    )
    context.close()
    assert shown == [
        [0, 1],
        [0, 1],
        [0, 1, 2, 3],
        [0, 2, 4, 6, 8],
        [0, 5, 10],
        [0, 20, 40, 60],
        [0, 50, 100],
        [0, 500, 1000],
    ]
