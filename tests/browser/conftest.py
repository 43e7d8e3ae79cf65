"""The browser (Debian's Chromium, driven by Playwright) and pages on the real local stack that fail on console
errors."""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from devstack.launch import start_stack
from tests.conftest import RunningStack

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# The flags this machine needs: no sandbox as root, and no background connections to a network that is closed.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
EXPECTED_HTTP_ERROR = re.compile(r"Failed to load resource: the server responded with a status of 4\d\d")
SMALL_LIMIT = 1_572_864  # 1.5 MB: what the small-limit stack's upload slots allow
# The administrators of web_admin_stack: addresses no other test registers (each becomes admin once verified).
WEB_ADMINS = tuple(f"web-admin-{uuid.uuid4().hex[:10]}-{index}@example.com" for index in range(4))
WEB_ADMIN_STACK_NAME = "imagepredict-web-admin"


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail("Chromium is missing: `make test` installs Debian's chromium package")
        pytest.skip("Chromium is not installed (`make test` installs it)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield launched
        launched.close()


def open_page(browser: Browser, stack: RunningStack, problems: list[str], **options: object) -> Page:
    """A new context's page that records console errors (4xx answers excepted) and uncaught exceptions."""
    context = browser.new_context(base_url=stack.api_url, **({"viewport": {"width": 1100, "height": 900}} | options))
    opened = context.new_page()

    def record(message: object) -> None:
        # Chromium logs every 4xx answer (a wrong password's 401) as a network line; those are expected API answers.
        if message.type == "error" and not EXPECTED_HTTP_ERROR.match(message.text):  # type: ignore[attr-defined]
            problems.append(message.text)  # type: ignore[attr-defined]

    opened.on("console", record)
    opened.on("pageerror", lambda error: problems.append(str(error)))
    return opened


@pytest.fixture
def page(browser: Browser, stack: RunningStack) -> Iterator[Page]:
    problems: list[str] = []
    opened = open_page(browser, stack, problems)
    yield opened
    opened.context.close()
    assert problems == [], f"console errors: {problems}"


@pytest.fixture(scope="session")
def small_limit_stack(stack: RunningStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """A second gateway on the same Mongo and AWS whose upload slots allow 1.5 MB (MAX_UPLOAD_BYTES)."""
    running = start_stack(
        tmp_path_factory.mktemp("small-limit"),
        {
            "MONGODB_URI": stack.mongodb_uri,
            "LOCAL_AWS_ENDPOINT": stack.aws_endpoint,
            "LOCAL_STACK_NAME": "imagepredict-small",  # its own resources on the shared moto, as a second stack
            "MAX_UPLOAD_BYTES": str(SMALL_LIMIT),
        },
    )
    yield running
    running.stop()


@pytest.fixture(scope="session")
def web_admin_stack(stack: RunningStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """A gateway on the same Mongo and AWS whose ADMIN_EMAILS are WEB_ADMINS, with its own queues and bucket: the
    browser's "Redrive all" moves only this stack's dead letters, never another test's."""
    running = start_stack(
        tmp_path_factory.mktemp("web-admin"),
        {
            "MONGODB_URI": stack.mongodb_uri,
            "LOCAL_AWS_ENDPOINT": stack.aws_endpoint,
            "LOCAL_STACK_NAME": WEB_ADMIN_STACK_NAME,
            "ADMIN_EMAILS": ",".join(WEB_ADMINS),
        },
    )
    yield running
    running.stop()


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
