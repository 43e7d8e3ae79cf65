"""The result email's content: percentages, every class, escaping, the caveat, safe headers."""

from __future__ import annotations

import email
import email.policy
import math

from hypothesis import given
from hypothesis import strategies as st

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
    assert percent(0.0005) == "0.1%"
    assert percent(0.9994) == "99.9%"
    assert percent(1.0) == "100.0%"
    assert percent(0.0) == "0.0%"


def test_rounding_never_claims_certainty_or_impossibility() -> None:
    assert percent(0.9995) == "> 99.9%"
    assert percent(0.999792754650116) == "> 99.9%"  # the demo model on digit-7.png
    assert percent(math.nextafter(1.0, 0.0)) == "> 99.9%"
    assert percent(0.0004) == "< 0.1%"
    assert percent(5e-324) == "< 0.1%"


def test_what_is_no_probability_is_clamped_or_not_shown() -> None:
    assert percent(1.0000001) == "100.0%"  # float error past 1.0
    assert percent(-1e-9) == "0.0%"
    assert percent(math.nan) == "n/a"


@given(st.floats(min_value=0.0, max_value=1.0))
def test_any_probability_is_a_percentage_that_does_not_overstate(probability: float) -> None:
    shown = percent(probability)
    assert shown.endswith("%")
    assert (shown == "100.0%") == (probability == 1.0)
    assert (shown == "0.0%") == (probability == 0.0)
    if shown.startswith(">"):
        assert 0.999 < probability < 1.0
    elif shown.startswith("<"):
        assert 0.0 < probability < 0.001
    else:
        assert abs(float(shown.removesuffix("%")) - probability * 100) <= 0.05 + 1e-9


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
