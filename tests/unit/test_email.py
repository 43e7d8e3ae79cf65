"""The result email's content: percentages, every class, escaping, the caveat, safe headers."""

from __future__ import annotations

import email
import email.policy

from imagepredict.email import compose_result_email
from imagepredict.email.compose import percent
from imagepredict.predictions import ImageInfo, ModelRef, PredictionResult, Score

RESULT = PredictionResult(
    probabilities=(Score("<b>cat</b>", 0.93), Score("dog & co", 0.05), Score("bird", 0.02)),
    model=ModelRef("pets", "3", "0" * 64),
    inference_ms=1.0,
    image=ImageInfo("PNG", 8, 8),
)


def compose(filename: str = "kitty.png", link: str | None = "https://app.example/#/predictions/abc"):
    return compose_result_email(
        sender="results@example.com", recipient="ada@example.com", filename=filename, result=RESULT, link=link
    )


def test_percentages_are_percentages() -> None:
    assert percent(0.93) == "93.0%"
    assert percent(0.0004) == "0.0%"
    assert percent(1.0) == "100.0%"


def test_subject_and_plain_text_carry_every_class_and_the_caveat() -> None:
    message = compose()
    assert message["Subject"] == "Prediction for kitty.png: <b>cat</b> (93.0%)"
    text = message.get_body(("plain",)).get_content()
    for line in (
        "<b>cat</b>: 93.0%",
        "dog & co: 5.0%",
        "bird: 2.0%",
        "pets version 3",
        "https://app.example/#/predictions/abc",
        "not a medical diagnosis",
    ):
        assert line in text


def test_html_escapes_what_users_and_models_name_and_has_no_scripts_or_remote_images() -> None:
    html = compose(filename='"><script>alert(1)</script>.png').get_body(("html",)).get_content()
    assert "<script" not in html
    assert "&lt;b&gt;cat&lt;/b&gt;" in html
    assert "dog &amp; co" in html
    assert "<img" not in html
    assert html.count("%</td>") == 3
    assert "width:223px" in html  # 93% of the 240px bar


def test_a_line_break_in_a_file_name_cannot_inject_a_header() -> None:
    message = compose(filename="scan\r\nBcc: everyone@example.com.png")
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    assert parsed["Bcc"] is None
    assert parsed["Subject"].strip().startswith("Prediction for scan  Bcc: everyone@example.com.png")


def test_without_a_link_there_is_no_link() -> None:
    assert "<a " not in compose(link=None).get_body(("html",)).get_content()
