"""Why a prediction was rejected or failed: a stable code to branch on, and words written for the person who reads
them (in the app, the API, the email-less inbox/ results file).

Every such reason comes from this table, filled in only with numbers and format names: never from an exception's
text, whose words (Pillow's, botocore's, the standard library's) name file objects, memory addresses, chunks and
paths. What actually went wrong is for the logs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A text value may only be a short word: a format name such as PNG or WebP, never a sentence someone else wrote.
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ]{0,15}")


@dataclass(frozen=True)
class Reason:
    code: str
    template: str  # str.format fields: whole numbers ({size:,}) or short words ({format})

    def message(self, **values: int | str) -> str:
        for name, value in values.items():
            if isinstance(value, bool) or not isinstance(value, int | str):
                raise TypeError(f"{name} must be a whole number or a word")
            if isinstance(value, str) and not _WORD.fullmatch(value):
                raise ValueError(f"{name} must be a short word, not free text")
        return self.template.format(**values)


EMPTY = Reason("not_an_image", "The file is empty")
NOT_AN_IMAGE = Reason("not_an_image", "The file is not an image (its content matches no image format)")
UNSUPPORTED_FORMAT = Reason(
    "unsupported_format", "{format} images are not supported: use JPEG, PNG, WebP, BMP, TIFF or GIF"
)
TOO_LARGE = Reason("too_large", "The file is {size:,} bytes; at most {limit:,} bytes are accepted")
TOO_MANY_PIXELS = Reason(
    "too_many_pixels", "The image is {width}×{height} pixels; at most {limit:,} pixels are accepted"
)
PIXEL_BOMB = Reason("too_many_pixels", "The image has more than {limit:,} pixels")
CORRUPT_IMAGE = Reason("corrupt_image", "The {format} file is damaged or truncated and cannot be read")
CLASSIFICATION_FAILED = Reason(
    "classification_failed",
    "The image could not be classified after several attempts; it has been set aside for investigation",
)

REASONS = (
    EMPTY,
    NOT_AN_IMAGE,
    UNSUPPORTED_FORMAT,
    TOO_LARGE,
    TOO_MANY_PIXELS,
    PIXEL_BOMB,
    CORRUPT_IMAGE,
    CLASSIFICATION_FAILED,
)
CODES = tuple(dict.fromkeys(reason.code for reason in REASONS))
