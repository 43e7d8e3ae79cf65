"""What the browser tests do again and again: sign up, upload, take a screenshot."""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.conftest import RunningStack
from tests.integration.api_client import mail_to

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "tests" / "fixtures" / "digits"
ARTIFACTS = ROOT / "tests" / "browser" / "artifacts"
PASSWORD = "correct horse battery"
ADMIN_ROUTES = ["#/admin/users", "#/admin/predictions", "#/admin/stats", "#/admin/dead-letters", "#/admin/audit"]


def shoot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def register(page: Page, name: str = "Grace Hopper", email: str | None = None) -> str:
    email = email or f"grace-{uuid.uuid4().hex[:8]}@example.com"
    page.goto("/#/register")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password (at least 10 characters)").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page).to_have_url(re.compile(r"#/upload$"))
    expect(page.locator("#user-name")).to_have_text(name)
    return email


def upload(page: Page, path: Path) -> None:
    page.goto("/#/upload")
    page.get_by_label("Image file").set_input_files(str(path))
    expect(page.get_by_role("img", name=f"Preview of {path.name}")).to_be_visible()
    page.get_by_role("button", name="Upload and classify").click()


def log_in(page: Page, email: str, password: str = PASSWORD) -> None:
    page.goto("/#/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def mailed_link(stack: RunningStack, address: str, route: str, *, after: int = 0, timeout: float = 30) -> str:
    """The newest link to `route` (verify-email, reset-password) in the mail the local SES sent to the address, as
    the email has it, once more than `after` such links have arrived."""
    link = re.compile(rf"https?://[^\s\"'<>]+/#/{re.escape(route)}\?token=[A-Za-z0-9_-]{{43}}(?![A-Za-z0-9_-])")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        links = [found for message in mail_to(stack, address) for found in link.findall(message["text"])]
        if len(links) > after:
            return links[0]
        time.sleep(0.2)
    raise AssertionError(f"no {route} link mailed to {address} within {timeout}s")


def become_admin(page: Page, stack: RunningStack, address: str, name: str = "Ada Admin") -> None:
    """Register an ADMIN_EMAILS address and follow the verification link mailed to it, in the browser."""
    register(page, name, email=address)
    expect(page.get_by_role("navigation", name="Administration")).to_be_hidden()  # not before it is verified
    page.goto(mailed_link(stack, address, "verify-email"))
    expect(page.get_by_role("status")).to_have_text(re.compile(rf"^{re.escape(address)} is verified"))
    expect(page.get_by_role("navigation", name="Administration")).to_be_visible()


def admin_link(page: Page, label: str) -> None:
    page.get_by_role("navigation", name="Administration").get_by_role("link", name=label).click()
