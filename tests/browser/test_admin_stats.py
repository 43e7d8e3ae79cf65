"""The admin stats page's charts (inline SVG with text alternatives) and the prediction filters, on web_admin_stack,
at desktop and phone width; and the charts' axis steps."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.a11y import assert_accessible
from tests.browser.conftest import WEB_ADMINS
from tests.browser.helpers import ADMIN_ROUTES, SAMPLES, admin_link, become_admin, log_in, shoot, upload
from tests.conftest import RunningStack

pytestmark = pytest.mark.slow


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
