"""How any text is shown in an email: percentages, and what is done with characters that cannot be shown.

Names, file names and labels come from people and models: they may hold control characters, line breaks, bidi
overrides and even lone UTF-16 surrogates (a Python str can; no UTF-8 email can carry one, and as_bytes() would
raise). In a body they are replaced, never passed on: a line break from a file name must not start a line of our
text, and a right-to-left override must not reverse the words after it.
"""

from __future__ import annotations

import math
import unicodedata

# Format characters (Cf) are replaced but for the joiners: Persian and Indic scripts and emoji need them (the API's
# names keep them too: imagepredict/fieldtypes.py).
_JOINERS = frozenset("\u200c\u200d")
_HIDDEN = frozenset({"Cc", "Cf", "Zl", "Zp"})  # C0/C1 controls (CR, LF, tab, NUL), bidi overrides, line separators
SURROGATE_STANDIN = "\ufffd"  # the replacement character, as a decoder shows bytes it cannot read


def visible(text: str) -> str:
    """Body-safe text: a lone surrogate becomes U+FFFD, every control or format character (CR/LF included) a space."""
    return "".join(_shown(character) for character in text)


def _shown(character: str) -> str:
    category = unicodedata.category(character)
    if category == "Cs":
        return SURROGATE_STANDIN
    if category in _HIDDEN and character not in _JOINERS:
        return " "
    return character


def printable(text: str) -> str:
    """Header-safe: object keys may hold control characters, and a line break in a header is an injection.

    Stricter than visible(): anything str.isprintable() refuses (controls, format characters, surrogates, unusual
    spaces) becomes a space. And "=?" is split: the email package writes ASCII text as it is, so a file name
    holding an RFC 2047 encoded word ("=?utf-8?q?=0D=0ABcc:...?=") would be decoded by the reader into anything,
    line breaks included."""
    shown = "".join(character if character.isprintable() else " " for character in text)
    return shown.replace("=?", "= ?")


def percent(probability: float) -> str:
    """0.93 → "93.0%" (the original app printed "0.93%"), to one decimal.

    Rounding never claims certainty or impossibility the model did not give: anything below 1.0 that would round
    to "100.0%" is "> 99.9%", anything above 0.0 that would round to "0.0%" is "< 0.1%". Exactly 1.0 is "100.0%" and
    exactly 0.0 is "0.0%" (a softmax in float32 does reach them: the model said so, and we say what it said).
    Values outside [0, 1] (float error) are clamped; NaN, which is no probability at all, is "n/a".
    """
    if math.isnan(probability):
        return "n/a"
    probability = max(0.0, min(1.0, probability))
    shown = f"{probability * 100:.1f}%"
    if shown == "100.0%" and probability < 1.0:
        return "> 99.9%"
    if shown == "0.0%" and probability > 0.0:
        return "< 0.1%"
    return shown


def fraction(probability: float) -> float:
    """The share of a bar to fill: clamped to [0, 1], NaN empty."""
    return 0.0 if math.isnan(probability) else max(0.0, min(1.0, probability))
