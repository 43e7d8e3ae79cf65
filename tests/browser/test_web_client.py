"""The web client in a real browser (Debian's Chromium, driven by Playwright) against the real local stack."""

from __future__ import annotations

import re

import pytest
from bson import ObjectId
from playwright.sync_api import Browser, Page, expect

from tests.browser.a11y import assert_accessible
from tests.browser.helpers import PASSWORD, SAMPLES, register, shoot, upload
from tests.conftest import RunningStack, aws_client

pytestmark = pytest.mark.slow


def test_register_upload_see_the_digit_history_delete_log_out(page: Page, stack_db) -> None:
    email = register(page)
    stack_db.users.update_one({"email": email}, {"$set": {"email_verified": True}})  # result emails need it
    shoot(page, "upload")
    assert_accessible(page, "upload")
    upload(page, SAMPLES / "digit-7.png")
    expect(page).to_have_url(re.compile(r"#/predictions/[0-9a-f]{24}$"))
    top = page.get_by_test_id("top")
    expect(top).to_contain_text("7", timeout=30_000)
    expect(top).to_contain_text(re.compile(r"\d{1,3}\.\d%"))
    bars = page.get_by_role("list", name="Probability of every class").get_by_role("listitem")
    expect(bars).to_have_count(10)
    expect(bars.first).to_contain_text("7")
    expect(page.get_by_text("not a medical diagnosis").first).to_be_visible()
    expect(page.get_by_text("Email: sent")).to_be_visible(timeout=15_000)
    shoot(page, "result")
    assert_accessible(page, "a result (done)")

    page.get_by_role("link", name="History").first.click()
    rows = page.get_by_role("list", name="Your predictions").get_by_role("listitem")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("digit-7.png")
    expect(rows.first).to_contain_text("7 ·")
    expect(page.get_by_role("button", name="Load more")).to_be_hidden()  # one page only
    shoot(page, "history")
    assert_accessible(page, "history")
    page.once("dialog", lambda dialog: dialog.accept())
    rows.first.get_by_role("button", name="Delete digit-7.png").click()
    expect(rows).to_have_count(0)
    expect(page.get_by_role("status")).to_have_text("Deleted digit-7.png.")
    expect(page.get_by_role("heading", name="History")).to_be_focused()  # not lost with the deleted row
    expect(page.get_by_text("No predictions yet.")).to_be_visible()
    page.reload()
    expect(page.get_by_text("No predictions yet.")).to_be_visible()  # gone on the server too, not just the page

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"#/login$"))
    for protected in ("/#/upload", "/#/predictions", "/#/predictions/0123456789abcdef01234567"):
        page.goto(protected)
        expect(page).to_have_url(re.compile(r"#/login\?next="))
        expect(page.get_by_role("heading", name="Log in")).to_be_visible()


def test_a_failed_login_shows_the_servers_message(page: Page) -> None:
    page.goto("/#/login")
    shoot(page, "login")
    assert_accessible(page, "login")
    page.get_by_label("Email").fill("nobody@example.com")
    page.get_by_label("Password").fill("wrong password!")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_have_text("The email or password is incorrect")
    expect(page).to_have_url(re.compile(r"#/login$"))
    assert_accessible(page, "login with an error")


def test_registration_shows_field_errors_inline(page: Page) -> None:
    page.goto("/#/register")
    page.get_by_label("Name").fill("Ada")
    page.get_by_label("Email").fill("not-an-email")
    page.get_by_label("Password (at least 10 characters)").fill("short")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("#password-error")).to_be_visible()
    expect(page.locator("#password")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#password")).to_have_css("border-top-color", "rgb(180, 35, 24)")  # --danger, not grey
    expect(page.locator("#email-error")).to_be_visible()
    shoot(page, "register-errors")
    assert_accessible(page, "register with field errors")


def test_a_non_image_is_refused_before_upload(page: Page) -> None:
    register(page)
    picker = page.get_by_label("Image file")
    picker.set_input_files({"name": "notes.txt", "mimeType": "text/plain", "buffer": b"hello"})
    expect(page.get_by_role("alert")).to_contain_text("Choose a JPEG, PNG, WebP, BMP or TIFF image")
    expect(page.get_by_role("button", name="Upload and classify")).to_be_disabled()  # oversized: test_upload_limit


def test_a_file_the_server_rejects_shows_the_reason_in_words(page: Page) -> None:
    register(page)
    disguised = {"name": "scan.png", "mimeType": "image/png", "buffer": b"this is text pretending to be a PNG"}
    page.get_by_label("Image file").set_input_files(disguised)
    page.get_by_role("button", name="Upload and classify").click()
    expect(page.get_by_role("alert")).to_have_text("This file is not an image.", timeout=30_000)
    shoot(page, "rejected")
    assert_accessible(page, "a result (rejected)")


def test_an_emailed_link_leads_through_login_to_the_prediction(page: Page) -> None:
    email = register(page)
    upload(page, SAMPLES / "digit-3.png")
    expect(page.get_by_test_id("top")).to_contain_text("3", timeout=30_000)
    link = page.url
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"#/login$"))
    page.goto(link)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(link)
    expect(page.get_by_test_id("top")).to_contain_text("3")


def test_the_drop_zone_works_from_the_keyboard_and_the_phone_layout_fits(browser: Browser, stack: RunningStack) -> None:
    context = browser.new_context(base_url=stack.api_url, viewport={"width": 375, "height": 740}, is_mobile=True)
    phone = context.new_page()
    register(phone)
    drop = phone.get_by_role("button", name="Drop an image here, or choose a file")
    drop.focus()
    expect(drop).to_be_focused()
    with phone.expect_file_chooser() as chooser:
        drop.press("Enter")
    chooser.value.set_files(str(SAMPLES / "digit-2.png"))
    expect(phone.get_by_role("button", name="Upload and classify")).to_be_enabled()
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shoot(phone, "phone-upload")
    assert_accessible(phone, "upload on a phone")
    phone.get_by_role("button", name="Upload and classify").click()
    expect(phone.get_by_test_id("top")).to_contain_text("2", timeout=30_000)
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shoot(phone, "phone-result")
    assert_accessible(phone, "a result on a phone")
    context.close()


def test_every_control_has_a_label(page: Page) -> None:
    register(page)
    for view in ("/#/upload", "/#/predictions"):
        page.goto(view)
        page.wait_for_load_state("networkidle")
        unlabelled = page.evaluate(
            """() => [...document.querySelectorAll('input, button, select, textarea')]
                 .filter(el => !el.closest('[hidden]'))
                 .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                               && !el.textContent.trim())
                 .map(el => el.outerHTML)"""
        )
        assert unlabelled == [], view


def test_an_expired_access_token_is_refreshed_without_the_user_noticing(
    browser: Browser, short_token_stack: RunningStack
) -> None:
    context = browser.new_context(base_url=short_token_stack.api_url)  # access tokens live one second there
    page = context.new_page()
    register(page)
    page.wait_for_timeout(2_500)
    with page.expect_response(lambda response: response.url.endswith("/auth/refresh")) as refreshed:
        page.get_by_role("link", name="History").first.click()
    assert refreshed.value.status == 200
    expect(page.get_by_text("No predictions yet.")).to_be_visible()
    expect(page.locator("#user-name")).to_have_text("Grace Hopper")
    page.reload()  # the refresh token in this tab's sessionStorage keeps the session across a reload
    expect(page).to_have_url(re.compile(r"#/predictions$"))
    expect(page.get_by_role("heading", name="History")).to_be_visible()
    context.close()


def test_a_deleted_image_shows_a_placeholder_not_a_broken_image(page: Page, stack: RunningStack, stack_db) -> None:
    """The bucket's lifecycle rule deletes uploads after some days while their predictions stay."""
    register(page)
    upload(page, SAMPLES / "digit-7.png")
    expect(page.get_by_test_id("top")).to_contain_text("7", timeout=30_000)
    expect(page.get_by_role("img", name="The uploaded image digit-7.png")).to_be_visible()
    assert page.get_by_test_id("image-gone").count() == 0

    prediction_id = page.url.rsplit("/", 1)[1]
    source = stack_db.predictions.find_one({"_id": ObjectId(prediction_id)})["source"]
    aws_client(stack, "s3").delete_object(Bucket=source["bucket"], Key=source["key"])  # what expiry does
    page.reload()
    expect(page.get_by_test_id("top")).to_contain_text("7")  # the prediction itself is still there
    placeholder = page.get_by_test_id("image-gone")
    expect(placeholder).to_be_visible()
    expect(placeholder).to_contain_text("Image no longer available")
    expect(placeholder).to_contain_text("Uploaded images are deleted")
    broken = page.evaluate(
        "() => [...document.images].filter(i => i.complete && i.naturalWidth === 0 && i.offsetParent !== null).length"
    )
    assert broken == 0
    assert page.get_by_role("img").count() == 0
    shoot(page, "image-gone")
    assert_accessible(page, "a result whose image is gone")
