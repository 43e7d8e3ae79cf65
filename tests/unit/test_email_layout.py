"""Every email through one layout: a text and an HTML part with the same facts, untrusted text shown as text and
never as markup or headers, links only http(s)."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Callable
from email.message import EmailMessage
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imagepredict.email import (
    compose_password_changed_email,
    compose_password_reset_email,
    compose_result_email,
    compose_verification_email,
)
from imagepredict.email.layout import Action, EmailContent, Note, paragraph, render
from imagepredict.email.text import printable, visible
from imagepredict.predictions import ImageInfo, ModelRef, PredictionResult, Score

SENDER, RECIPIENT = "noreply@example.com", "ada@example.com"
HEADERS = {"From", "To", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type"}
TAGS = {"html", "head", "meta", "title", "body", "div", "table", "tr", "td", "h1", "p", "strong", "br", "span", "a"}
ATTRIBUTES = {"lang", "charset", "name", "content", "style", "role", "cellspacing", "cellpadding", "border", "width"}
ATTRIBUTES |= {"align", "href"}
APP = "https://app.example"


def result(*labels: str, top: float = 0.93) -> PredictionResult:
    labels = labels or ("cat", "dog")
    rest = (1 - top) / max(1, len(labels) - 1)
    scores = (Score(labels[0], top), *(Score(label, rest) for label in labels[1:]))
    return PredictionResult(scores, ModelRef("pets", "3", "0" * 64), 1.0, ImageInfo("PNG", 8, 8))


def result_email(text: str = "kitty.png") -> EmailMessage:
    return compose_result_email(
        sender=SENDER, recipient=RECIPIENT, filename=text, result=result(text, "dog"), link=f"{APP}/#/predictions/a"
    )


def verification(text: str = "Ada") -> EmailMessage:
    return compose_verification_email(
        sender=SENDER, recipient=RECIPIENT, name=text, link=f"{APP}/#/verify-email?token=t", expires_in_hours=24
    )


def reset(text: str = "Ada") -> EmailMessage:
    return compose_password_reset_email(
        sender=SENDER, recipient=RECIPIENT, name=text, link=f"{APP}/#/reset-password?token=t", expires_in_minutes=30
    )


def changed(text: str = "Ada") -> EmailMessage:
    return compose_password_changed_email(sender=SENDER, recipient=RECIPIENT, name=text, app_url=f"{APP}/")


EMAILS: dict[str, tuple[Callable[[str], EmailMessage], str, str]] = {  # (compose, heading, link)
    "result": (result_email, "Your prediction is ready", f"{APP}/#/predictions/a"),
    "verification": (verification, "Confirm your email address", f"{APP}/#/verify-email?token=t"),
    "reset": (reset, "Reset your password", f"{APP}/#/reset-password?token=t"),
    "changed": (changed, "Your password was changed", f"{APP}/#/forgot-password"),
}


class Markup(HTMLParser):
    """What an HTML part is made of: its tags and attributes, its text, its links."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: set[str] = set()
        self.hrefs: list[str] = []
        self.text: list[str] = []
        self.headings: list[str] = []
        self._in_h1 = False
        self.feed(source)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes |= {name for name, _ in attrs}
        self.hrefs += [value or "" for name, value in attrs if name == "href"]
        self._in_h1 = tag == "h1"

    def handle_endtag(self, tag: str) -> None:
        self._in_h1 = False

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._in_h1:
            self.headings.append(data)


def parts(message: EmailMessage) -> tuple[str, str]:
    """The text and the HTML, as a client reads them from the bytes we send."""
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    assert set(parsed.keys()) == HEADERS
    assert len(parsed.keys()) == len(HEADERS)
    assert parsed.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in parsed.iter_parts()] == ["text/plain", "text/html"]
    return parsed.get_body(("plain",)).get_content(), parsed.get_body(("html",)).get_content()


@pytest.mark.parametrize("kind", EMAILS)
def test_every_email_has_the_same_heading_link_and_footer_in_text_and_html(kind: str) -> None:
    compose, heading, link = EMAILS[kind]
    text, html = parts(compose("Ada"))
    markup = Markup(html)
    assert markup.headings == [heading]
    assert f"{heading}\n{'=' * len(heading)}" in text
    assert markup.hrefs == [link]  # one link: the button
    assert f"\n{link}\n" in text
    assert text.startswith("imagepredict\n")
    assert "imagepredict" in markup.text
    assert "Sent by imagepredict" in text
    assert "Sent by imagepredict" in html
    assert set(markup.tags) <= TAGS
    assert markup.attributes <= ATTRIBUTES


@pytest.mark.parametrize(
    ("message", "facts"),
    [
        (verification(), ["Hello Ada,", "24 hours", "If you did not create an imagepredict account, ignore this"]),
        (reset(), ["Hello Ada,", "works once, for 30 minutes", "your password is unchanged"]),
        (changed(), ["Hello Ada,", "Account", RECIPIENT, "If it was not you", "reset your password"]),
        (result_email(), ["kitty.png", "93.0%", "Every class", "pets version 3", "not a medical diagnosis"]),
    ],
)
def test_text_and_html_say_the_same_things(message: EmailMessage, facts: list[str]) -> None:
    text, html = parts(message)
    shown = "".join(Markup(html).text)
    for fact in facts:
        assert fact in text
        assert fact in shown


def test_subjects() -> None:
    assert verification()["Subject"] == "Confirm your email address for imagepredict"
    assert reset()["Subject"] == "Reset your imagepredict password"
    assert changed()["Subject"] == "Your imagepredict password was changed"


def test_a_subject_reads_back_as_written_even_where_it_is_folded() -> None:
    name = "Größe  « Ûber  é 𥃏 «  Ûber scan.png"  # CPython's 78-column folding dropped a space of this one
    parsed = email.message_from_bytes(result_email(name).as_bytes(), policy=email.policy.default)
    assert parsed["Subject"] == f"Prediction for {name}: {name} (93.0%)"


def test_an_encoded_word_in_a_name_is_not_decoded_by_the_reader() -> None:
    name = "=?utf-8?q?x=0D=0ABcc:_eve@example.com?=.png"
    parsed = email.message_from_bytes(result_email(name).as_bytes(), policy=email.policy.default)
    assert parsed["Subject"].startswith("Prediction for = ?utf-8?q?x=0D=0ABcc:_eve@example.com?=.png: ")
    assert printable(name) == "= ?utf-8?q?x=0D=0ABcc:_eve@example.com?=.png"


def test_an_empty_name_is_greeted_without_one() -> None:
    assert "\nHello,\n" in parts(reset(" \u200b "))[0]


def test_a_link_lifetime_must_be_positive() -> None:
    with pytest.raises(ValueError, match="lifetime"):
        compose_password_reset_email(
            sender=SENDER, recipient=RECIPIENT, name="Ada", link=f"{APP}/", expires_in_minutes=0
        )
    assert (
        "works for 1 hour."
        in parts(
            compose_verification_email(sender=SENDER, recipient=RECIPIENT, name="A", link=f"{APP}/", expires_in_hours=1)
        )[0]
    )


def test_a_near_certain_class_is_not_shown_as_certain() -> None:
    text, html = parts(
        compose_result_email(sender=SENDER, recipient=RECIPIENT, filename="7.png", result=result(top=0.9998), link=None)
    )
    assert "7.png" in text
    assert "cat: > 99.9%" in text
    assert "&gt; 99.9%</td>" in html
    assert "100.0%" not in text + html
    assert Markup(html).hrefs == []


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "/#/reset-password?token=t",
        "//evil.example/",
        "https://",
        "mailto:ada@example.com",
        "ftp://example.com/",
        "https://example.com/a b",
        "https://example.com/\r\nBcc: x@example.com",
        " https://example.com/",
        "https://example.com/\ud800",
        "http://[::1/",
        "",
    ],
)
def test_only_absolute_http_links_are_accepted(url: str) -> None:
    with pytest.raises(ValueError, match=r"URL|link"):
        Action("Go", url)
    with pytest.raises(ValueError, match=r"URL|link"):
        compose_verification_email(sender=SENDER, recipient=RECIPIENT, name="A", link=url, expires_in_hours=1)
    if url:  # no link at all is a result email without a button
        with pytest.raises(ValueError, match=r"URL|link"):
            compose_result_email(sender=SENDER, recipient=RECIPIENT, filename="a.png", result=result(), link=url)


@given(st.text())
def test_any_accepted_link_is_an_absolute_http_url_kept_exactly(tail: str) -> None:
    for url in (tail, f"https://example.com/{tail}", f"http://{tail}"):
        try:
            Action("Go", url)
        except ValueError:
            continue
        assert url.lower().startswith(("http://", "https://"))
        assert not any(character.isspace() or not character.isprintable() for character in url)
        html = render(EmailContent("s", "h", (), Action("Go", url)), SENDER, RECIPIENT).get_body(("html",))
        assert Markup(html.get_content()).hrefs == [url]  # quotes in the URL cannot end the attribute


TRICKS = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "'", "&amp;", "\r\n", "\n.\n", "\r"]
TRICKS += ["Bcc: eve@example.com", "\r\nBcc: eve@example.com", "\x00", "\u202e", "\u2028", "\ud800", "=?utf-8?q?x?="]
UNTRUSTED = st.lists(
    st.one_of(
        st.text(st.characters(exclude_categories=()), max_size=20),
        st.characters(categories=["Cs"]),  # lone surrogates: a Python str can hold them
        st.sampled_from(TRICKS),
    ),
    max_size=6,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(kind=st.sampled_from(sorted(EMAILS)), untrusted=UNTRUSTED)
def test_untrusted_text_is_shown_as_text_and_never_as_markup_lines_or_headers(kind: str, untrusted: str) -> None:
    compose = EMAILS[kind][0]
    message = compose(untrusted)
    text, html = parts(message)  # as_bytes() never raises; exactly our headers come back
    baseline_text, baseline_html = parts(compose("Ada"))
    markup, baseline = Markup(html), Markup(baseline_html)
    assert markup.tags == baseline.tags  # the same structure whatever the text
    assert markup.attributes == baseline.attributes
    assert markup.hrefs == baseline.hrefs
    assert "<script" not in html.lower()
    shown = visible(untrusted).strip()
    assert shown in "".join(markup.text)  # the text reads back exactly, as text
    assert len(text.splitlines()) == len(baseline_text.splitlines())  # no line of ours started by the text
    assert shown in text
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    subject = parsed["Subject"]
    assert "\n" not in subject
    assert "\r" not in subject
    # What we wrote, read back (but for whitespace where a very long subject is folded: see layout.POLICY).
    assert "".join(subject.split()) == "".join(message["Subject"].split())
    if kind == "result":
        assert "".join(printable(untrusted).split()) in "".join(subject.split())


def test_render_takes_any_blocks_in_order_in_both_parts() -> None:
    content = EmailContent(
        subject="Subject",
        heading="Heading",
        blocks=(paragraph("first"), Note("second")),
        after_action=(Note("third"),),
        action=Action("Go", "https://example.com/go"),
        footnote="Why you got this",
        preheader="Preview",
    )
    text, html = parts(render(content, SENDER, RECIPIENT))
    assert text.index("first") < text.index("second") < text.index("https://example.com/go") < text.index("third")
    assert html.index("first") < html.index("second") < html.index('href="https://example.com/go"')
    assert html.index("Go</a>") < html.index("third") < html.index("Why you got this")
    assert "Preview" in html
    assert "Preview" not in text
    assert text.index("-- \nWhy you got this") > text.index("third")
