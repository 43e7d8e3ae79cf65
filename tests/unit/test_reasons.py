"""The table of reasons a person reads: every message it can make is in our words, and it cannot be handed anyone
else's (an exception's text, a path, a repr)."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from imagepredict.reasons import CODES, CORRUPT_IMAGE, REASONS, TOO_LARGE, Reason
from tests.readable import FORMAT_NAMES, assert_readable

README = Path(__file__).resolve().parents[2] / "README.md"


def fields(reason: Reason) -> list[str]:
    return [field for _, field, _, _ in string.Formatter().parse(reason.template) if field]


@st.composite
def filled(draw: st.DrawFn) -> tuple[Reason, dict[str, int | str]]:
    reason = draw(st.sampled_from(REASONS))
    values: dict[str, int | str] = {
        name: draw(st.sampled_from(FORMAT_NAMES)) if name == "format" else draw(st.integers(0, 10**12))
        for name in fields(reason)
    }
    return reason, values


@given(filled())
def test_every_reason_reads_as_ours_whatever_its_numbers(case: tuple[Reason, dict[str, int | str]]) -> None:
    reason, values = case
    assert_readable(reason.code, reason.message(**values))


@given(st.text())
def test_a_reason_takes_no_free_text(text: str) -> None:
    """Any text is refused, unless it is a short word of ASCII letters, digits and spaces (a format name)."""
    short_word = 0 < len(text) <= 16 and text.isascii() and text[0].isalnum() and text.replace(" ", "").isalnum()
    if short_word:
        assert CORRUPT_IMAGE.message(format=text) == f"The {text} file is damaged or truncated and cannot be read"
    else:
        with pytest.raises(ValueError, match="short word"):
            CORRUPT_IMAGE.message(format=text)


@pytest.mark.parametrize(
    "text",
    [
        "cannot identify image file <_io.BytesIO object at 0x7f82cfd9d530>",
        "'IFDRational' object cannot be interpreted as an integer",
        "/tmp/model/model.tflite",
        "Traceback (most recent call last)",
    ],
)
def test_what_pillow_and_python_say_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="short word"):
        CORRUPT_IMAGE.message(format=text)


def test_only_numbers_and_words_fill_a_reason() -> None:
    with pytest.raises(TypeError):
        TOO_LARGE.message(size=1.5, limit=2)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        TOO_LARGE.message(size=True, limit=2)


def test_the_readme_documents_every_code() -> None:
    text = README.read_text()
    assert [code for code in CODES if f"`{code}`" not in text] == []
