"""Untrusted bytes to a usable RGB picture, or a clear reason why not.

The format is detected from the bytes (never the name or the declared type), the pixel count is checked before
any pixel is decoded (decompression bombs), EXIF orientation is applied, animations give their first frame, and
every mode (RGBA, LA, P, L, I;16, CMYK, ...) ends as RGB.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps

from imagepredict.reasons import (
    CORRUPT_IMAGE,
    EMPTY,
    NOT_AN_IMAGE,
    PIXEL_BOMB,
    TOO_MANY_PIXELS,
    UNSUPPORTED_FORMAT,
    Reason,
)

SUPPORTED = {"JPEG", "PNG", "WEBP", "BMP", "TIFF", "GIF"}
# Formats recognised from their first bytes: supported, or known images this service does not take.
SIGNATURES: list[tuple[int, bytes, str]] = [
    (0, b"\xff\xd8\xff", "JPEG"),
    (0, b"\x89PNG\r\n\x1a\n", "PNG"),
    (0, b"GIF87a", "GIF"),
    (0, b"GIF89a", "GIF"),
    (0, b"BM", "BMP"),
    (0, b"II*\x00", "TIFF"),
    (0, b"MM\x00*", "TIFF"),
    (8, b"WEBP", "WEBP"),
    (4, b"ftypheic", "HEIC"),
    (4, b"ftypheix", "HEIC"),
    (4, b"ftypmif1", "HEIF"),
    (4, b"ftypavif", "AVIF"),
    (0, b"\x00\x00\x01\x00", "ICO"),
    (0, b"8BPS", "PSD"),
    (0, b"%PDF", "PDF"),
    (0, b"\x00\x00\x00\x0cjP  ", "JPEG2000"),
]


# How a format is named in the messages people read (the others read as their Pillow names: PNG, TIFF, ...).
DISPLAY_NAMES = {"WEBP": "WebP", "JPEG2000": "JPEG 2000"}


class ImageRejected(Exception):
    """The file cannot be classified: a reason from the table (imagepredict.reasons), stored with the prediction and
    shown to the user. `code` is stable; `message` is built only from the reason's own words and the values given."""

    def __init__(self, reason: Reason, **values: int | str) -> None:
        self.code = reason.code
        self.message = reason.message(**values)
        super().__init__(self.message)


@dataclass(frozen=True)
class DecodedImage:
    image: Image.Image  # RGB, upright
    format: str
    width: int
    height: int
    frames: int


def sniff_format(head: bytes) -> str | None:
    """The image format named by the file's first bytes, or None when they name none."""
    for offset, magic, name in SIGNATURES:
        if head[offset : offset + len(magic)] == magic:
            if name == "WEBP" and head[:4] != b"RIFF":
                continue
            return name
    return None


def decode_image(data: bytes, *, max_pixels: int, target: tuple[int, int] | None = None) -> DecodedImage:
    """Decode untrusted bytes into an upright RGB image, or raise ImageRejected with the reason.

    With `target` (the model's input height and width), a large JPEG is decoded at a reduced DCT scale that is
    still at least that size: the model never sees more pixels than that, and a 12 MP photo decodes ~10x faster.
    """
    detected = supported_format(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # Pillow's notes on damaged files ("Truncated File Read")
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return _decode(data, detected, max_pixels, target)
    except (ImageRejected, MemoryError):  # out of memory is this container's trouble, not the file's: retried
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRejected(PIXEL_BOMB, limit=max_pixels) from None
    except Exception as error:
        # Whatever Pillow raises on these bytes (OSError, SyntaxError, TypeError, struct.error, ...) means they
        # cannot be read, and will not be on a retry. Its words name internals (file objects, chunk names): the
        # user gets our own, and the cause stays attached for the logs.
        raise ImageRejected(CORRUPT_IMAGE, format=display_name(detected)) from error


def supported_format(data: bytes) -> str:
    """The format the bytes name, when it is one this service decodes; ImageRejected otherwise."""
    if not data:
        raise ImageRejected(EMPTY)
    detected = sniff_format(data[:32])
    if detected is None:
        raise ImageRejected(NOT_AN_IMAGE)
    if detected not in SUPPORTED:
        raise ImageRejected(UNSUPPORTED_FORMAT, format=display_name(detected))
    return detected


def display_name(image_format: str) -> str:
    return DISPLAY_NAMES.get(image_format, image_format)


def _decode(data: bytes, detected: str, max_pixels: int, target: tuple[int, int] | None) -> DecodedImage:
    image = Image.open(io.BytesIO(data), formats=[detected])
    width, height = image.size
    if width * height > max_pixels:
        raise ImageRejected(TOO_MANY_PIXELS, width=width, height=height, limit=max_pixels)
    frames = getattr(image, "n_frames", 1)
    image.seek(0)
    if target and detected == "JPEG":
        side = max(target)  # either orientation still covers the target after EXIF rotation
        image.draft(image.mode, (side, side))
    image.load()
    upright, (width, height) = apply_orientation(image, width, height)
    return DecodedImage(to_rgb(upright), detected, width, height, frames)


def apply_orientation(image: Image.Image, width: int, height: int) -> tuple[Image.Image, tuple[int, int]]:
    """The image turned upright as its EXIF says, and its original size as seen upright; no copy when upright."""
    orientation = image.getexif().get(0x0112, 1)
    if orientation in (1, None):
        return image, (width, height)
    upright = ImageOps.exif_transpose(image) or image
    return upright, ((height, width) if orientation in (5, 6, 7, 8) else (width, height))


def to_rgb(image: Image.Image) -> Image.Image:
    """Any Pillow mode as 8-bit RGB; 16-bit and 32-bit greys are rescaled rather than clipped to white."""
    if image.mode.startswith("I") or image.mode == "F":
        pixels = np.asarray(image, dtype=np.float64)
        grey = np.clip(pixels * (255.0 / full_scale(image.mode, pixels)), 0, 255).astype(np.uint8)
        return Image.fromarray(grey, "L").convert("RGB")
    if image.mode == "RGB":
        return image
    if image.mode == "P" and "transparency" in image.info:
        return image.convert("RGBA").convert("RGB")
    return image.convert("RGB")


def full_scale(mode: str, pixels: np.ndarray) -> float:
    """The value that means white: 65535 for 16-bit, else the smallest common range that holds the data."""
    if mode.startswith("I;16"):
        return 65535.0
    peak = float(pixels.max()) if pixels.size else 0.0
    for top in (1.0, 255.0, 65535.0):
        if peak <= top and (top > 1.0 or mode == "F"):
            return top
    return peak
