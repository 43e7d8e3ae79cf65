"""The upload size limit is the service's: the upload slot's max_bytes (MAX_UPLOAD_BYTES), never a number the
client was written with. Before the first slot the client does not know it; afterwards it checks against it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.a11y import assert_accessible
from tests.browser.conftest import SMALL_LIMIT, open_page
from tests.browser.helpers import SAMPLES, register, shoot
from tests.conftest import RunningStack

pytestmark = pytest.mark.slow


def assert_the_upload_limit_is_the_slots(page: Page, limit: int, words: str) -> None:
    """On the upload page of a new account in a new browser: an image one byte over `limit`."""
    posts: list[str] = []  # besides refreshing the session
    page.on(
        "request",
        lambda request: request.method == "POST" and "/auth/" not in request.url and posts.append(request.url),
    )
    help_text = page.locator("#drop-help")
    expect(help_text).to_have_text("JPEG, PNG, WebP, BMP or TIFF, up to the service's size limit.")
    picker = page.get_by_label("Image file")
    big = {"name": "huge.png", "mimeType": "image/png", "buffer": b"\0" * (limit + 1)}
    picker.set_input_files(big)
    button = page.get_by_role("button", name="Upload and classify")
    expect(button).to_be_enabled()  # not known yet: the slot will say
    with page.expect_response(lambda response: response.request.method == "DELETE") as deleted:
        button.click()
        expect(page.get_by_role("alert")).to_have_text(f"This file is larger than the {words} limit.")
    assert deleted.value.status == 204  # the slot's pending prediction, which no image will reach, is gone again
    assert [re.sub(r"^https?://[^/]+", "", url) for url in posts] == ["/uploads"]  # nothing went to S3
    expect(button).to_be_disabled()
    expect(help_text).to_have_text(f"JPEG, PNG, WebP, BMP or TIFF, up to {words}.")
    shoot(page, "upload-too-large")
    assert_accessible(page, "upload with a file over the limit")

    posts.clear()
    page.reload()  # the limit is remembered: the next one is refused before asking for a slot
    expect(help_text).to_have_text(f"JPEG, PNG, WebP, BMP or TIFF, up to {words}.")
    page.get_by_label("Image file").set_input_files(big)
    expect(page.get_by_role("alert")).to_have_text(f"This file is larger than the {words} limit.")
    expect(button).to_be_disabled()
    page.get_by_role("link", name="History").first.click()
    expect(page.get_by_text("No predictions yet.")).to_be_visible()
    assert posts == []


def test_an_oversized_file_is_refused_with_the_slots_limit(page: Page) -> None:
    register(page)
    assert_the_upload_limit_is_the_slots(page, 10 * 1024 * 1024, "10 MB")


def test_the_limit_comes_from_the_upload_slot_not_the_client(browser: Browser, small_limit_stack: RunningStack) -> None:
    problems: list[str] = []
    page = open_page(browser, small_limit_stack, problems)
    register(page)
    assert_the_upload_limit_is_the_slots(page, SMALL_LIMIT, "1.5 MB")
    page.goto("/#/upload")  # an image under the limit still goes through
    page.get_by_label("Image file").set_input_files(str(SAMPLES / "digit-7.png"))
    page.get_by_role("button", name="Upload and classify").click()
    expect(page).to_have_url(re.compile(r"#/predictions/[0-9a-f]{24}$"))
    page.context.close()
    assert problems == [], f"console errors: {problems}"
