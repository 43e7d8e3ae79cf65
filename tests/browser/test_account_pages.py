"""The account pages in a real browser, through the real local mail: forgot password -> the emailed link -> a new
password; the verification link (signed in and out); resending it; changing the password; deleting the account
with a typed confirmation. Every page is scanned with axe-core."""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from tests.browser.a11y import assert_accessible
from tests.browser.helpers import PASSWORD, log_in, mailed_link, register, shoot
from tests.conftest import RunningStack, unique_email

pytestmark = pytest.mark.slow

NEW_PASSWORD = "a brand new passphrase"
INCORRECT = "The email or password is incorrect"


def log_out(page: Page) -> None:
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"#/login$"))


def test_forgot_password_then_the_emailed_link_then_log_in_with_the_new_password(
    page: Page, stack: RunningStack
) -> None:
    email = register(page)
    log_out(page)
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page).to_have_url(re.compile(r"#/forgot-password$"))
    expect(page.get_by_role("heading", level=1, name="Forgot your password?")).to_be_focused()
    assert_accessible(page, "forgot password")
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Email me a link").click()
    sent = page.get_by_role("status").filter(has_text="we have emailed it a link")
    expect(sent).to_have_text(re.compile(rf"^If an account uses {re.escape(email)}, we have emailed it a link"))
    shoot(page, "forgot-password")
    assert_accessible(page, "forgot password, sent")

    page.goto(mailed_link(stack, email, "reset-password"))
    expect(page.get_by_role("heading", level=1, name="Choose a new password")).to_be_focused()
    assert_accessible(page, "reset password")
    field = page.get_by_label("New password")
    field.fill(NEW_PASSWORD)
    toggle = page.get_by_role("button", name="Show password")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    toggle.click()
    expect(field).to_have_attribute("type", "text")
    expect(toggle).to_have_attribute("aria-pressed", "true")
    shoot(page, "reset-password")
    page.get_by_role("button", name="Set the new password").click()

    expect(page).to_have_url(re.compile(r"#/login$"))
    expect(page.get_by_test_id("flash")).to_have_text("Your password has been changed. Log in with the new one.")
    assert_accessible(page, "log in after a reset")
    log_in(page, email, PASSWORD)  # the old one no longer works
    expect(page.get_by_role("alert")).to_have_text(INCORRECT)
    log_in(page, email, NEW_PASSWORD)
    expect(page).to_have_url(re.compile(r"#/upload$"))


def test_an_unknown_address_gets_the_same_answer_and_no_mail(page: Page, stack: RunningStack) -> None:
    nobody = unique_email("nobody")
    page.goto("/#/forgot-password")
    page.get_by_label("Email").fill(nobody)
    page.get_by_role("button", name="Email me a link").click()
    expect(page.get_by_role("status").filter(has_text="we have emailed")).to_have_text(
        re.compile(rf"^If an account uses {re.escape(nobody)}, we have emailed it a link")
    )
    page.get_by_label("Email").fill("not an address")
    page.get_by_role("button", name="Email me a link").click()
    expect(page.locator("#email-error")).to_be_visible()
    assert_accessible(page, "forgot password with a field error")


def test_a_bad_or_spent_reset_link_says_so_and_offers_a_new_one(page: Page, stack: RunningStack) -> None:
    page.goto("/#/reset-password?token=" + "x" * 43)
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set the new password").click()
    expect(page.get_by_role("alert")).to_have_text("This password reset link is invalid, expired or already used")
    page.get_by_role("link", name="Ask for a new link").click()
    expect(page).to_have_url(re.compile(r"#/forgot-password$"))
    page.go_back()
    expect(page.get_by_role("link", name="Ask for a new link")).to_be_hidden()  # a fresh page: no error yet

    page.goto("/#/reset-password")
    expect(page.get_by_role("alert")).to_contain_text("This link has no reset token")
    expect(page.get_by_role("link", name="Ask for a new link")).to_be_visible()
    shoot(page, "reset-password-no-token")
    assert_accessible(page, "reset password without a token")

    email = unique_email("spent")
    registered = requests.post(
        stack.url("/auth/register"), json={"email": email, "name": "Spent", "password": PASSWORD}
    )
    assert registered.status_code == 201
    requests.post(stack.url("/auth/password-reset"), json={"email": email})
    link = mailed_link(stack, email, "reset-password")
    page.goto(link)
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set the new password").click()
    expect(page).to_have_url(re.compile(r"#/login$"))
    page.goto(link)  # once only
    page.get_by_label("New password").fill("yet another passphrase")
    page.get_by_role("button", name="Set the new password").click()
    expect(page.get_by_role("alert")).to_have_text("This password reset link is invalid, expired or already used")
    expect(page.get_by_role("link", name="Ask for a new link")).to_be_visible()
    shoot(page, "reset-password-spent")
    assert_accessible(page, "reset password, link spent")


def test_register_then_the_verification_link_then_the_account_shows_verified(page: Page, stack: RunningStack) -> None:
    email = register(page)
    notice = page.get_by_test_id("unverified")
    expect(notice).to_contain_text("Your email address is not verified yet")
    expect(notice).to_contain_text(email)
    shoot(page, "upload-unverified")
    assert_accessible(page, "upload, unverified")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Account").click()
    expect(page.get_by_role("heading", level=1, name="Your account")).to_be_focused()
    expect(page.get_by_test_id("account-email")).to_have_text(email)
    expect(page.get_by_test_id("account-name")).to_have_text("Grace Hopper")
    expect(page.get_by_test_id("account-verification")).to_have_text("Not verified")
    expect(page.get_by_role("button", name="Resend the verification email")).to_be_visible()
    shoot(page, "account-unverified")
    assert_accessible(page, "account, unverified")

    page.goto(mailed_link(stack, email, "verify-email"))
    expect(page.get_by_role("heading", level=1, name="Verify your email address")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text(
        f"{email} is verified. The results of your images will be emailed to it."
    )
    shoot(page, "verify-email")
    assert_accessible(page, "verify email, signed in")
    page.get_by_role("link", name="Your account").click()
    expect(page.get_by_test_id("account-verification")).to_have_text("Verified")
    expect(page.get_by_role("button", name="Resend the verification email")).to_have_count(0)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Upload").click()
    expect(page.get_by_role("heading", level=1, name="Classify an image")).to_be_visible()
    expect(page.get_by_test_id("unverified")).to_have_count(0)
    expect(page.get_by_role("navigation", name="Administration")).to_be_hidden()  # not an admin address


def test_the_verification_link_works_signed_out_and_only_once(page: Page, stack: RunningStack) -> None:
    email = unique_email("link")
    registered = requests.post(stack.url("/auth/register"), json={"email": email, "name": "Link", "password": PASSWORD})
    assert registered.status_code == 201
    link = mailed_link(stack, email, "verify-email")
    page.goto(link)
    expect(page.get_by_role("status")).to_have_text(re.compile(rf"^{re.escape(email)} is verified"))
    expect(page.get_by_role("link", name="Log in").last).to_be_visible()
    assert_accessible(page, "verify email, signed out")
    page.goto("/#/")
    page.goto(link)
    expect(page.get_by_role("status")).to_have_text(re.compile("is verified"))  # the same page remembers it
    page.reload()  # a new page load asks the server again: the token is spent
    expect(page.get_by_role("alert")).to_have_text("This verification link is invalid, expired or already used")
    expect(page.get_by_text("Links work once, for 24 hours")).to_be_visible()
    shoot(page, "verify-email-spent")
    assert_accessible(page, "verify email, link spent")
    page.goto("/#/verify-email")
    expect(page.get_by_role("alert")).to_have_text(re.compile("This link has no verification token"))


def test_resend_the_verification_email_from_the_account_page(page: Page, stack: RunningStack) -> None:
    email = register(page)
    mailed_link(stack, email, "verify-email")  # the one sent at registration
    page.goto("/#/account")
    page.get_by_role("button", name="Resend the verification email").click()
    expect(page.get_by_role("status").filter(has_text="emailed")).to_have_text(
        f"We have emailed a new verification link to {email}. The link works for 24 hours."
    )
    newest = mailed_link(stack, email, "verify-email", after=1)
    page.goto(newest)
    expect(page.get_by_role("status")).to_have_text(re.compile(rf"^{re.escape(email)} is verified"))


def test_change_the_password(page: Page, stack: RunningStack) -> None:
    email = register(page)
    page.goto("/#/account")
    page.get_by_label("Current password").fill("not my password")
    page.get_by_label("New password").fill(NEW_PASSWORD)
    change = page.get_by_role("button", name="Change password")
    change.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert").filter(has_text="incorrect")).to_have_text("The password is incorrect")
    expect(change).to_be_focused()  # held while the request ran (aria-disabled), not disabled: focus stays
    expect(page.locator("#user-name")).to_have_text("Grace Hopper")  # a wrong password is no reason to sign out
    page.get_by_label("New password").fill("short")
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page.locator("#new_password-error")).to_have_text("Use at least 10 characters")
    assert_accessible(page, "account, change password with errors")

    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("status").filter(has_text="changed")).to_have_text(
        "Your password has been changed. Other devices have been signed out."
    )
    expect(page.get_by_label("Current password")).to_have_value("")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="History").click()  # this session goes on
    expect(page.get_by_text("No predictions yet.")).to_be_visible()
    log_out(page)
    log_in(page, email, PASSWORD)
    expect(page.get_by_role("alert")).to_have_text(INCORRECT)
    log_in(page, email, NEW_PASSWORD)
    expect(page).to_have_url(re.compile(r"#/upload$"))


def test_delete_the_account_with_a_typed_confirmation(page: Page, stack: RunningStack, stack_db) -> None:
    email = register(page)
    page.goto("/#/account")
    shoot(page, "account")
    confirm = page.get_by_label(re.compile(r"^Type your email address"))
    password = page.get_by_label("Your password")
    delete = page.get_by_role("button", name="Delete my account")
    confirm.fill("yes please")
    password.fill(PASSWORD)
    delete.click()
    expect(page.locator("#confirm-error")).to_have_text("This is neither your email address nor the word delete")
    expect(confirm).to_have_attribute("aria-invalid", "true")
    confirm.fill("delete")
    password.fill("wrong password!")
    delete.click()
    expect(page.get_by_role("alert").filter(has_text="incorrect")).to_have_text("The password is incorrect")
    assert stack_db.users.count_documents({"email": email}) == 1
    shoot(page, "account-delete-errors")
    assert_accessible(page, "account, delete with errors")

    confirm.fill(email.upper())
    password.fill(PASSWORD)
    delete.click()
    expect(page).to_have_url(re.compile(r"#/$"))
    expect(page.get_by_test_id("flash")).to_have_text(
        "Your account has been deleted, with every prediction and image of it."
    )
    expect(page.get_by_role("banner").get_by_role("link", name="Log in")).to_be_visible()
    assert stack_db.users.count_documents({"email": email}) == 0
    assert_accessible(page, "landing after deletion")
    log_in(page, email, PASSWORD)
    expect(page.get_by_role("alert")).to_have_text(INCORRECT)


def test_the_account_pages_fit_a_phone(browser: Browser, stack: RunningStack) -> None:
    context = browser.new_context(base_url=stack.api_url, viewport={"width": 375, "height": 740}, is_mobile=True)
    phone = context.new_page()
    register(phone)
    for route, name in (("/#/account", "account"), ("/#/forgot-password", "forgot-password")):
        phone.goto(route)
        phone.wait_for_load_state("networkidle")
        assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), route
        shoot(phone, f"phone-{name}")
        assert_accessible(phone, f"{route} on a phone")
    context.close()
