"""Untrusted files: each is decoded into an upright RGB image or rejected with a stable reason, never a crash."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from imagepredict.imaging import DecodedImage, ImageRejected, decode_image, sniff_format

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "digits"
MAX_PIXELS = 25_000_000


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def png_bomb(width: int, height: int) -> bytes:
    """A few hundred bytes whose header promises width x height pixels (a decompression bomb)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (width + 1) * 16, 9)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", rows) + png_chunk(b"IEND", b"")


def rejected(data: bytes) -> str:
    with pytest.raises(ImageRejected) as caught:
        decode_image(data, max_pixels=MAX_PIXELS)
    assert caught.value.message
    return caught.value.code


def test_a_real_sample_decodes_to_rgb() -> None:
    decoded = decode_image((SAMPLES / "digit-7.png").read_bytes(), max_pixels=MAX_PIXELS)
    assert (decoded.format, decoded.image.mode, decoded.image.size, decoded.frames) == ("PNG", "RGB", (224, 224), 1)


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "not_an_image"),
        (b"hello, this is a text file\n" * 20, "not_an_image"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "unsupported_format"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "unsupported_format"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00garbage header" * 8, "corrupt_image"),
    ],
    ids=["empty", "text", "pdf", "heic", "bogus-png-header"],
)
def test_files_that_are_not_usable_images_are_rejected_with_their_reason(data: bytes, code: str) -> None:
    assert rejected(data) == code


def test_a_truncated_jpeg_is_corrupt() -> None:
    data = (SAMPLES / "digit-7.jpg").read_bytes()
    assert rejected(data[: len(data) // 2]) == "corrupt_image"


def test_a_decompression_bomb_is_rejected_before_any_pixel_is_decoded() -> None:
    bomb = png_bomb(60_000, 60_000)
    assert len(bomb) < 2_000
    assert rejected(bomb) == "too_many_pixels"


def test_a_real_image_over_the_pixel_limit_is_rejected() -> None:
    huge = encode(Image.new("L", (6_000, 5_000), 0), "PNG")
    assert rejected(huge) == "too_many_pixels"
    assert decode_image(huge, max_pixels=30_000_000).image.size == (6_000, 5_000)


def test_16_bit_greys_are_rescaled_not_clipped_to_white() -> None:
    ramp = np.array([[0, 32_768, 65_535]], dtype=np.uint16)
    decoded = decode_image(encode(Image.fromarray(ramp), "PNG"), max_pixels=MAX_PIXELS)
    assert np.asarray(decoded.image)[0, :, 0].tolist() == [0, 127, 255]


def test_cmyk_jpeg_becomes_rgb() -> None:
    decoded = decode_image(encode(Image.new("CMYK", (16, 16), (0, 255, 255, 0)), "JPEG"), max_pixels=MAX_PIXELS)
    assert decoded.image.mode == "RGB"
    red, green, blue = np.asarray(decoded.image)[8, 8]
    assert red > 200
    assert green < 60
    assert blue < 60


@pytest.mark.parametrize("mode", ["RGBA", "LA", "P", "L", "1"])
def test_every_mode_becomes_rgb(mode: str) -> None:
    decoded = decode_image(encode(Image.new(mode, (10, 10)), "PNG"), max_pixels=MAX_PIXELS)
    assert decoded.image.mode == "RGB"


def test_an_animated_gif_gives_its_first_frame() -> None:
    frames = [Image.new("RGB", (12, 12), colour) for colour in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    decoded = decode_image(data, max_pixels=MAX_PIXELS)
    assert decoded.frames == 3
    assert tuple(np.asarray(decoded.image)[6, 6]) == (255, 0, 0)


def test_exif_orientation_is_applied() -> None:
    image = Image.new("RGB", (40, 20), (0, 0, 0))
    image.paste((255, 255, 255), (0, 0, 10, 20))  # a white band on the left
    exif = Image.Exif()
    exif[0x0112] = 6  # stored rotated: display turned 90° clockwise
    decoded = decode_image(encode(image, "JPEG", exif=exif.tobytes(), quality=95), max_pixels=MAX_PIXELS)
    assert decoded.image.size == (20, 40)
    assert np.asarray(decoded.image)[2, 10].mean() > 200  # the band is now on top
    assert np.asarray(decoded.image)[38, 10].mean() < 50


def test_the_format_comes_from_the_bytes() -> None:
    png = (SAMPLES / "digit-3.png").read_bytes()
    assert sniff_format(png[:32]) == "PNG"
    assert sniff_format((SAMPLES / "digit-3.jpg").read_bytes()[:32]) == "JPEG"
    assert sniff_format(encode(Image.new("RGB", (4, 4)), "WEBP")[:32]) == "WEBP"
    assert sniff_format(encode(Image.new("RGB", (4, 4)), "BMP")[:32]) == "BMP"
    assert sniff_format(encode(Image.new("RGB", (4, 4)), "TIFF")[:32]) == "TIFF"
    assert sniff_format(b"RIFF\x00\x00\x00\x00WAVEfmt ") is None


def test_a_large_jpeg_is_decoded_at_a_reduced_scale_that_still_covers_the_model_input() -> None:
    photo = encode(Image.new("RGB", (4_000, 3_000), (200, 30, 30)), "JPEG", quality=90)
    full = decode_image(photo, max_pixels=MAX_PIXELS)
    reduced = decode_image(photo, max_pixels=MAX_PIXELS, target=(224, 224))
    assert full.image.size == (4_000, 3_000)
    assert reduced.image.size == (500, 375)  # 1/8 DCT scale: the smallest that is still >= 224 on both sides
    assert (reduced.width, reduced.height) == (4_000, 3_000)  # the result still reports the original size


def test_the_reported_size_is_the_upright_one() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6
    decoded = decode_image(encode(Image.new("RGB", (40, 20)), "JPEG", exif=exif.tobytes()), max_pixels=MAX_PIXELS)
    assert (decoded.width, decoded.height) == (20, 40)


KNOWN_CODES = {"not_an_image", "unsupported_format", "corrupt_image", "too_many_pixels"}


def decoded_or_rejection(data: bytes) -> DecodedImage | ImageRejected:
    try:
        return decode_image(data, max_pixels=MAX_PIXELS)
    except ImageRejected as rejection:
        return rejection


def assert_plain_rejection_or_rgb(data: bytes) -> None:
    """Any bytes: an upright RGB picture, or a known code with a message a person can read (no Python internals)."""
    outcome = decoded_or_rejection(data)
    if isinstance(outcome, ImageRejected):
        assert outcome.code in KNOWN_CODES
        assert outcome.message
        assert not any(marker in outcome.message for marker in ("<", "0x", "object at", "Traceback", "Error"))
    else:
        assert outcome.image.mode == "RGB"
        assert sorted(outcome.image.size) == sorted((outcome.width, outcome.height))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4096))
def test_arbitrary_bytes_decode_or_are_rejected_plainly(data: bytes) -> None:
    assert_plain_rejection_or_rgb(data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    sample=st.sampled_from(sorted(SAMPLES.glob("digit-*"))),
    cut=st.floats(min_value=0.0, max_value=1.0),
    flips=st.lists(st.tuples(st.floats(min_value=0.0, max_value=1.0), st.integers(0, 255)), max_size=8),
)
def test_damaged_real_images_decode_or_are_rejected_plainly(sample: Path, cut: float, flips: list) -> None:
    """Truncated and bit-flipped PNGs and JPEGs: the damage real uploads carry."""
    data = bytearray(sample.read_bytes()[: max(1, int(len(sample.read_bytes()) * cut))])
    for position, value in flips:
        data[min(len(data) - 1, int(position * len(data)))] = value
    assert_plain_rejection_or_rgb(bytes(data))
