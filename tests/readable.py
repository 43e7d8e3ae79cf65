"""What a reason shown to a person must be: one of the documented reasons (imagepredict.reasons), its template
filled in with numbers and format names only, and nothing of Python's (reprs, addresses, paths, exception names).
Used on every path a reason reaches someone: decoding, the API, the batch worker, inbox/ results files."""

from __future__ import annotations

import re
import string
from functools import cache

from imagepredict.imaging.decode import SIGNATURES, display_name
from imagepredict.reasons import CODES, REASONS, Reason

# Marks of text a program wrote for programmers: reprs (<...>, 0x..., 'quotes'), paths, exception names, tracebacks.
FORBIDDEN = ("<", ">", "0x", "object at", "/", "\\", "Error", "Exception", "Traceback", "'", '"', "{", "}", "\n")
FORMAT_NAMES = sorted({display_name(name) for _, _, name in SIGNATURES}, key=len, reverse=True)
GROUPED_NUMBER = r"\d{1,3}(?:,\d{3})*"


@cache
def pattern(reason: Reason) -> re.Pattern[str]:
    """The reason's template as a regular expression: every message it can give, and nothing else."""
    parts = []
    for literal, field, spec, _ in string.Formatter().parse(reason.template):
        parts.append(re.escape(literal))
        if field == "format":
            parts.append("(?:" + "|".join(map(re.escape, FORMAT_NAMES)) + ")")
        elif field is not None:
            parts.append(GROUPED_NUMBER if spec == "," else r"\d+")
    return re.compile("".join(parts))


def assert_readable(code: object, message: object) -> None:
    assert code in CODES, code
    assert isinstance(message, str)
    assert message, code
    assert any(reason.code == code and pattern(reason).fullmatch(message) for reason in REASONS), (code, message)
    for marker in FORBIDDEN:
        assert marker not in message, (marker, message)


def assert_readable_error(error: object) -> None:
    """A prediction's `error` as the API and the results file show it: exactly {"code", "message"}."""
    assert isinstance(error, dict)
    assert set(error) == {"code", "message"}, error
    assert_readable(error["code"], error["message"])
