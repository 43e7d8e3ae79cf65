"""What the browser tests do again and again: sign up, upload, take a screenshot."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from playwright.sync_api import Page, expect

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "tests" / "fixtures" / "digits"
ARTIFACTS = ROOT / "tests" / "browser" / "artifacts"
PASSWORD = "correct horse battery"


def shoot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def register(page: Page, name: str = "Grace Hopper") -> str:
    email = f"grace-{uuid.uuid4().hex[:8]}@example.com"
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
