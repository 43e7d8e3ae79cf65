"""A signed-in user of the public API over HTTP, and the files the pipeline must reject, shared by the tests of the
Lambda path and of the batch worker (both must give the same answers)."""

from __future__ import annotations

import io
import re
import struct
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
from PIL import Image

from devstack.intrinsics import Resolver
from devstack.provision import pseudo_parameters
from devstack.template import Template
from tests.conftest import RunningStack, aws_client, unique_email

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "digits"
TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"


def uploads_bucket(stack_name: str = "imagepredict-local") -> str:
    """The local stack's uploads bucket: named as template.yaml names it, from the (local) stack id."""
    name = Template(TEMPLATE).resources["UploadsBucket"]["Properties"]["BucketName"]
    return str(Resolver(pseudo_parameters(stack_name), {}, {}).resolve(name))


PASSWORD = "correct horse battery"


class Client:
    """A signed-in user of the public API; with `verified` (the default) it followed the verification link mailed
    at registration, so its results are emailed too."""

    def __init__(self, stack: RunningStack, *, verified: bool = True) -> None:
        self.stack = stack
        self.email = unique_email("uploader")
        response = requests.post(
            stack.url("/auth/register"), json={"email": self.email, "name": "Uploader", "password": PASSWORD}
        )
        assert response.status_code == 201, response.text
        self.session = response.json()
        self.headers = {"Authorization": f"Bearer {self.session['access_token']}"}
        if verified:
            self.verify()

    def verify(self) -> None:
        token = mailed_token(self.stack, self.email, "verify-email")
        response = requests.post(self.stack.url("/auth/verify-email"), json={"token": token})
        assert response.status_code == 200, response.text
        assert response.json()["user"]["email_verified"] is True

    def start_upload(self, filename: str, content_type: str) -> requests.Response:
        return requests.post(
            self.stack.url("/uploads"),
            json={"filename": filename, "content_type": content_type},
            headers=self.headers,
        )

    def upload(self, data: bytes, filename: str = "digit.png", content_type: str = "image/png") -> str:
        started = self.start_upload(filename, content_type)
        assert started.status_code == 201, started.text
        slot = started.json()
        sent = requests.post(
            slot["upload"]["url"],
            data=slot["upload"]["fields"],
            files={"file": (filename, data, content_type)},
            timeout=30,
        )
        assert sent.status_code in (200, 201, 204), sent.text
        return slot["prediction_id"]

    def get(self, prediction_id: str) -> requests.Response:
        return requests.get(self.stack.url(f"/predictions/{prediction_id}"), headers=self.headers)

    def wait(self, prediction_id: str, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            prediction = self.get(prediction_id).json()
            if prediction["status"] not in ("pending", "processing"):
                return prediction
            time.sleep(0.3)
        raise AssertionError(f"{prediction_id} still {prediction['status']} after {timeout}s\n{self.stack.log_text()}")


def mail_to(stack: RunningStack, address: str) -> list[dict[str, Any]]:
    """Every message the local SES sent to the address, newest first."""
    response = requests.get(stack.url("/_local/mail"), headers={"Accept": "application/json"})
    assert response.status_code == 200
    return [message for message in response.json() if message["to"] == address]


def result_mail_to(stack: RunningStack, address: str) -> list[dict[str, Any]]:
    """The result emails among them (each links its prediction); not the account's own emails."""
    return [message for message in mail_to(stack, address) if "/#/predictions/" in message["text"]]


def mailed_tokens(stack: RunningStack, address: str, page: str) -> list[str]:
    """The tokens of the links to `page` (verify-email, reset-password) mailed to the address, newest first."""
    link = re.compile(rf"/#/{re.escape(page)}\?token=([A-Za-z0-9_-]{{43}})(?![A-Za-z0-9_-])")
    return [match for message in mail_to(stack, address) for match in link.findall(message["text"])]


def mailed_token(stack: RunningStack, address: str, page: str, *, timeout: float = 30, after: int = 0) -> str:
    """The newest such token once more than `after` of them have arrived (the email function sends them)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        tokens = mailed_tokens(stack, address, page)
        if len(tokens) > after:
            return tokens[0]
        time.sleep(0.2)
    raise AssertionError(f"no {page} link mailed to {address} within {timeout}s\n{stack.log_text()[-3000:]}")


def png_bomb() -> bytes:
    header = struct.pack(">IIBBBBB", 50_000, 50_000, 8, 0, 0, 0, 0)

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    rows = zlib.compress(b"\x00" * 50_001 * 4)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


def truncated_jpeg() -> bytes:
    data = (SAMPLES / "digit-7.jpg").read_bytes()
    return data[: len(data) // 2]


def huge_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (8_000, 6_000)).save(buffer, "PNG")
    return buffer.getvalue()


def tiff_with_a_mistyped_tag() -> bytes:
    """A TIFF whose StripOffsets tag claims to be a fraction: Pillow raises TypeError (not OSError) on it."""
    buffer = io.BytesIO()
    Image.new("L", (224, 224), 200).save(buffer, "TIFF")
    data = bytearray(buffer.getvalue())
    entry = data.index(struct.pack("<HH", 273, 4))  # StripOffsets, LONG
    data[entry + 2 : entry + 4] = struct.pack("<H", 10)  # SRATIONAL
    return bytes(data)


def unidentifiable_tiff() -> bytes:
    """A TIFF header and an IFD without dimensions: Pillow's error names the BytesIO object (`<_io.BytesIO ...>`)."""
    return b"II*\x00" + struct.pack("<IH", 8, 1) + struct.pack("<HHII", 259, 3, 1, 1) + struct.pack("<I", 0)


# (id, bytes, declared type, the rejection code): what both consumers must answer for files that are no images.
UNUSABLE: list[tuple[str, Callable[[], bytes], str, str]] = [
    ("text", lambda: b"just some text, not a picture\n" * 10, "image/png", "not_an_image"),
    ("truncated-jpeg", truncated_jpeg, "image/jpeg", "corrupt_image"),
    ("bogus-png", lambda: b"\x89PNG\r\n\x1a\n" + b"\x00bogus" * 20, "image/png", "corrupt_image"),
    ("huge", huge_png, "image/png", "too_many_pixels"),
    ("pdf", lambda: b"%PDF-1.4\n" + b"0" * 100, "image/tiff", "unsupported_format"),
    ("bomb", png_bomb, "image/png", "too_many_pixels"),
    ("empty", lambda: b"", "image/png", "not_an_image"),
    ("mistyped-tiff", tiff_with_a_mistyped_tag, "image/tiff", "corrupt_image"),
    ("unidentifiable-tiff", unidentifiable_tiff, "image/tiff", "corrupt_image"),
]


def uploaded_object(stack: RunningStack, bucket: str, prediction_id: str) -> tuple[str, str]:
    """(key, ETag) of the image uploaded for a prediction, as its S3 event names them."""
    s3 = aws_client(stack, "s3")
    contents = s3.list_objects_v2(Bucket=bucket, Prefix="uploads/")["Contents"]
    key = next(item["Key"] for item in contents if item["Key"].endswith(f"/{prediction_id}.png"))
    return key, s3.head_object(Bucket=bucket, Key=key)["ETag"].strip('"')
