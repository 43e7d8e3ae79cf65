"""The landing page at #/: for everyone, what the service does, what becomes of an image, the notice, a way in."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.a11y import assert_accessible
from tests.browser.helpers import register, shoot

pytestmark = pytest.mark.slow


def test_the_landing_page_says_what_it_does_and_what_becomes_of_an_image(page: Page) -> None:
    page.goto("/")  # no hash at all is the landing page
    main = page.get_by_role("main")
    expect(main.get_by_role("heading", level=1)).to_have_text("A quick machine-learning classification of your image")
    expect(main).to_contain_text("machine-learning model")
    expect(main.get_by_role("heading", name="The model here is a handwritten-digits demo")).to_be_visible()
    expect(main).to_contain_text("one handwritten digit, 0 to 9")
    images = main.get_by_role("region", name="What happens to your images")
    facts = (
        "private storage bucket (Amazon S3), encrypted",
        "deletes every uploaded image a fixed number of days",
        "kept",
        "Deleting a prediction deletes its image",
        "Deleting your account deletes every image",
    )
    for words in facts:
        expect(images).to_contain_text(words)
    expect(main.get_by_role("note")).to_contain_text("not a medical diagnosis")
    shoot(page, "landing")
    assert_accessible(page, "the landing page, signed out")

    main.get_by_role("link", name="Create an account").click()
    expect(page).to_have_url(re.compile(r"#/register$"))
    page.go_back()
    main.get_by_role("link", name="Log in").click()
    expect(page).to_have_url(re.compile(r"#/login$"))
    page.get_by_role("link", name="imagepredict").click()  # the brand goes home
    expect(page).to_have_url(re.compile(r"#/$"))
    page.goto("/#/no-such-page")  # an unknown route, signed out: the landing page
    expect(page).to_have_url(re.compile(r"#/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("A quick machine-learning classification of your image")


def test_signed_in_the_landing_page_leads_to_upload_and_history(page: Page) -> None:
    register(page)
    page.get_by_role("link", name="imagepredict").click()
    expect(page).to_have_url(re.compile(r"#/$"))
    main = page.get_by_role("main")
    expect(main.get_by_role("link", name="Create an account")).to_have_count(0)
    expect(page.get_by_role("banner").get_by_role("link", name="Log in")).to_be_hidden()
    expect(page.locator("#user-name")).to_have_text("Grace Hopper")
    shoot(page, "landing-signed-in")
    assert_accessible(page, "the landing page, signed in")
    main.get_by_role("link", name="Classify an image").click()
    expect(page).to_have_url(re.compile(r"#/upload$"))
    page.go_back()
    main.get_by_role("link", name="Your history").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("History")
