"""The measured accessibility of test_accessibility.py on the account and admin pages: focus on the heading, every
focus ring and input border at 3:1 or more, and only status messages as live regions."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.a11y import contrast
from tests.browser.conftest import WEB_ADMINS, open_page
from tests.browser.helpers import ADMIN_ROUTES, become_admin, register
from tests.browser.test_accessibility import MIN_CONTRAST
from tests.conftest import RunningStack

pytestmark = pytest.mark.slow

ACCOUNT_ROUTES = ["/#/forgot-password", "/#/reset-password?token=" + "x" * 43, "/#/verify-email", "/#/account"]


def tab_through(page: Page, limit: int = 80) -> list[dict]:
    """test_accessibility's walk, except that Tab may stay on one control for a while: a date input's day, month
    and year are stops of their own."""
    stops: list[dict] = []
    seen: set[str] = set()
    previous = None
    outside = 0
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.locator(":focus")
        if focused.count() == 0:
            if page.evaluate("document.activeElement?.type === 'date'"):  # in its month, day or year: not :focus
                continue
            outside += 1
            if outside > 1:
                break
            continue
        key = focused.evaluate("e => e.outerHTML.slice(0, 160)")
        if key == previous:
            continue
        if key in seen:
            break
        seen.add(key)
        previous = key
        style = focused.evaluate("e => { const s = getComputedStyle(e); return [s.outlineStyle, s.outlineWidth]; }")
        stops.append({"element": key, "style": style, **contrast(focused, "outline-color")})
    return stops


def assert_measured(page: Page, route: str) -> None:
    page.reload()  # a new document: "networkidle" then waits for the page's own requests too
    page.wait_for_load_state("networkidle")
    expect(page.locator("h1")).to_be_focused()
    stops = tab_through(page)
    assert len(stops) > 3, (route, stops)
    for stop in stops:
        assert stop["style"][0] != "none", (route, stop)
        assert float(stop["style"][1].rstrip("px")) >= 2, (route, stop)
        assert stop["ratio"] >= MIN_CONTRAST, (route, stop)
    for outlined in page.locator("input:not([type=file], [type=checkbox]), select, textarea").all():
        for side in ("top", "right", "bottom", "left"):
            measured = contrast(outlined, f"border-{side}-color")
            assert measured["ratio"] >= MIN_CONTRAST, (route, side, measured)
    main = page.locator("main")
    assert main.get_attribute("aria-live") is None, route
    regions = page.evaluate(
        """() => [...document.querySelectorAll('[aria-live], [role=status], [role=alert], [role=log]')]
             .map(e => ({role: e.getAttribute('role'), live: e.getAttribute('aria-live'),
                         children: e.querySelectorAll('*').length}))"""
    )
    for region in regions:
        assert region["role"] in ("status", "alert"), (route, region)
        assert region["live"] is None, (route, region)
        assert region["children"] <= 3, (route, region)


@pytest.mark.parametrize("route", ACCOUNT_ROUTES)
def test_the_account_pages_measure_up(page: Page, route: str) -> None:
    register(page)
    page.goto(route)
    assert_measured(page, route)


@pytest.fixture(scope="module")
def admin_page(browser: Browser, web_admin_stack: RunningStack) -> Iterator[Page]:
    problems: list[str] = []
    page = open_page(browser, web_admin_stack, problems)
    become_admin(page, web_admin_stack, WEB_ADMINS[2], "Ally Admin")
    yield page
    page.context.close()
    assert problems == [], f"console errors: {problems}"


@pytest.mark.parametrize("route", ADMIN_ROUTES)
def test_the_admin_pages_measure_up(admin_page: Page, route: str) -> None:
    admin_page.goto(f"/{route}")
    assert_measured(admin_page, route)
