"""Upload → classify → store → email, end to end over the local stack, as a client would."""

from __future__ import annotations

import base64
import io
import json
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import requests
from PIL import Image

from imagepredict.email.text import percent as format_percent
from tests.conftest import RunningStack, aws_client
from tests.integration.api_client import (
    SAMPLES,
    UNUSABLE,
    Client,
    result_mail_to,
    uploaded_object,
    uploads_bucket,
)
from tests.readable import assert_readable_error

BUCKET = uploads_bucket()

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def client(stack: RunningStack) -> Client:
    return Client(stack)


@pytest.fixture(scope="module")
def sqs(stack: RunningStack) -> Any:
    return aws_client(stack, "sqs")


def test_an_uploaded_digit_comes_back_as_its_digit_in_the_app_and_by_email(stack: RunningStack) -> None:
    user = Client(stack)
    started = user.start_upload("my seven.png", "image/png")
    assert started.status_code == 201
    slot = started.json()
    assert slot["expires_in"] == 300
    assert slot["max_bytes"] == 10 * 1024 * 1024
    assert slot["upload"]["fields"]["key"].startswith("uploads/")
    assert slot["upload"]["fields"]["key"].endswith(f"/{slot['prediction_id']}.png")
    policy = json.loads(base64.b64decode(slot["upload"]["fields"]["policy"]))
    conditions = policy["conditions"]
    assert ["content-length-range", 1, 10 * 1024 * 1024] in conditions
    assert {"Content-Type": "image/png"} in conditions
    assert {"x-amz-server-side-encryption": "AES256"} in conditions
    assert {"key": slot["upload"]["fields"]["key"]} in conditions
    assert user.get(slot["prediction_id"]).json()["status"] == "pending"

    sent = requests.post(
        slot["upload"]["url"],
        data=slot["upload"]["fields"],
        files={"file": ("my seven.png", (SAMPLES / "digit-7.png").read_bytes(), "image/png")},
    )
    assert sent.status_code in (200, 204)
    prediction = user.wait(slot["prediction_id"])

    assert prediction["status"] == "done", prediction
    assert prediction["filename"] == "my seven.png"
    result = prediction["result"]
    assert result["top"]["label"] == "7"
    assert result["top"]["probability"] > 0.5
    assert result["probabilities"][0]["label"] == "7"
    assert len(result["probabilities"]) == 10
    probabilities = [p["probability"] for p in result["probabilities"]]
    assert probabilities == sorted(probabilities, reverse=True)
    assert result["model"]["name"] == "digits-demo"
    assert len(result["model"]["sha256"]) == 64
    assert result["inference_ms"] > 0
    assert prediction["completed_at"] >= prediction["created_at"]
    assert prediction["error"] is None
    assert requests.get(prediction["image_url"]).content == (SAMPLES / "digit-7.png").read_bytes()

    deadline = time.monotonic() + 10
    while prediction["email"]["status"] != "sent" and time.monotonic() < deadline:
        time.sleep(0.2)
        prediction = user.get(slot["prediction_id"]).json()
    assert prediction["email"]["status"] == "sent"
    (message,) = result_mail_to(stack, user.email)
    percent = format_percent(result["top"]["probability"])  # "> 99.9%" for 0.9998: never a rounded "100.0%"
    assert message["subject"] == f"Prediction for my seven.png: 7 ({percent})"
    assert f"7: {percent}" in message["text"]
    assert "not a medical diagnosis" in message["text"]
    assert f"/#/predictions/{slot['prediction_id']}" in message["html"]
    assert "<script" not in message["html"]
    assert message["html"].count("%</td>") == 10


def test_a_jpeg_and_a_file_whose_name_lies_are_classified_by_their_bytes(client: Client) -> None:
    jpeg = client.upload((SAMPLES / "digit-3.jpg").read_bytes(), "three.jpg", "image/jpeg")
    liar = client.upload((SAMPLES / "digit-5.png").read_bytes(), "five.jpg", "image/jpeg")  # PNG bytes
    assert client.wait(jpeg)["result"]["top"]["label"] == "3"
    done = client.wait(liar)
    assert done["result"]["top"]["label"] == "5"
    assert done["result"]["image"]["format"] == "PNG"


@pytest.mark.parametrize(("make", "content_type", "code"), [r[1:] for r in UNUSABLE], ids=[r[0] for r in UNUSABLE])
def test_unusable_files_end_rejected_with_their_reason(
    client: Client, sqs: Any, make: Callable[[], bytes], content_type: str, code: str
) -> None:
    prediction = client.wait(client.upload(make(), "bad", content_type))
    assert prediction["status"] == "rejected"
    assert prediction["error"]["code"] == code
    assert_readable_error(prediction["error"])  # our words, never a Python repr or exception text
    assert prediction["result"] is None
    assert prediction["email"]["status"] == "skipped"


def seven() -> Image.Image:
    with Image.open(SAMPLES / "digit-7.png") as image:
        return image.convert("RGB")


def encoded(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def sixteen_bit_png() -> bytes:
    grey = np.asarray(seven().convert("L"), dtype=np.uint16) * 257
    return encoded(Image.fromarray(grey), "PNG")


def cmyk_jpeg() -> bytes:
    return encoded(seven().convert("CMYK"), "JPEG", quality=95)


def animated_gif() -> bytes:
    frames = [seven(), Image.new("RGB", (224, 224), "white"), Image.new("RGB", (224, 224), "gray")]
    return encoded(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)


def rotated_jpeg() -> bytes:
    """Stored turned 90° anticlockwise, with EXIF orientation 6 saying how to turn it upright."""
    exif = Image.Exif()
    exif[0x0112] = 6
    return encoded(seven().rotate(90, expand=True), "JPEG", quality=95, exif=exif.tobytes())


def rgba_webp() -> bytes:
    return encoded(seven().convert("RGBA"), "WEBP", lossless=True)


@pytest.mark.parametrize(
    ("make", "content_type", "image_format"),
    [
        (sixteen_bit_png, "image/png", "PNG"),
        (cmyk_jpeg, "image/jpeg", "JPEG"),
        (animated_gif, "image/png", "GIF"),
        (rotated_jpeg, "image/jpeg", "JPEG"),
        (rgba_webp, "image/webp", "WEBP"),
    ],
    ids=["16-bit-png", "cmyk-jpeg", "animated-gif-named-png", "exif-rotated-jpeg", "rgba-webp"],
)
def test_awkward_but_valid_images_are_classified_correctly(
    client: Client, make: Any, content_type: str, image_format: str
) -> None:
    prediction = client.wait(client.upload(make(), "seven", content_type))
    assert prediction["status"] == "done", prediction
    assert prediction["result"]["top"]["label"] == "7"
    assert prediction["result"]["image"]["format"] == image_format


def test_other_users_see_nothing_and_malformed_ids_are_404(stack: RunningStack, client: Client) -> None:
    mine = client.upload((SAMPLES / "digit-1.png").read_bytes())
    client.wait(mine)
    other = Client(stack)
    for prediction_id in (mine, "not-an-id", "0" * 24, "%24ne"):
        response = other.get(prediction_id)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    listed = requests.get(stack.url("/predictions"), headers=other.headers).json()
    assert listed == {"items": [], "next_cursor": None}
    assert requests.delete(stack.url(f"/predictions/{mine}"), headers=other.headers).status_code == 404
    assert client.get(mine).status_code == 200
    assert requests.get(stack.url(f"/predictions/{mine}")).status_code == 401


def test_history_is_newest_first_and_paginated(stack: RunningStack) -> None:
    user = Client(stack)
    created = [user.start_upload(f"file-{i}.png", "image/png").json()["prediction_id"] for i in range(5)]
    seen, cursor = [], None
    while True:
        query = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = requests.get(stack.url("/predictions"), params=query, headers=user.headers).json()
        assert len(page["items"]) <= 2
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(created))
    for bad in ({"limit": "0"}, {"limit": "101"}, {"limit": "ten"}, {"cursor": "nonsense"}):
        response = requests.get(stack.url("/predictions"), params=bad, headers=user.headers)
        assert response.status_code == 400
        assert response.json()["error"]["code"] in ("invalid_request", "invalid_cursor")


def test_delete_removes_the_image_and_the_record(stack: RunningStack, client: Client) -> None:
    prediction_id = client.upload((SAMPLES / "digit-2.png").read_bytes())
    image_url = client.wait(prediction_id)["image_url"]
    assert requests.get(image_url).status_code == 200
    response = requests.delete(stack.url(f"/predictions/{prediction_id}"), headers=client.headers)
    assert response.status_code == 204
    assert client.get(prediction_id).status_code == 404
    assert requests.get(image_url).status_code == 404


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"filename": "a.gif", "content_type": "image/gif"}, "unsupported_type"),
        ({"filename": "a.png", "content_type": "text/html"}, "unsupported_type"),
        ({"filename": "a.png"}, "invalid_request"),  # missing, like any missing field
        ({"content_type": "image/png"}, "invalid_request"),
        ({"filename": "", "content_type": "image/png"}, "invalid_filename"),
        ({"filename": "a\u0000b.png", "content_type": "image/png"}, "invalid_filename"),
        ({"filename": "x" * 300, "content_type": "image/png"}, "invalid_filename"),
        ({"filename": {"$gt": ""}, "content_type": "image/png"}, "invalid_request"),  # not a string
        ({"filename": "a\ud800.png", "content_type": "image/png"}, "invalid_request"),  # not text
    ],
)
def test_bad_upload_requests_get_a_400_with_a_stable_code(client: Client, body: dict, code: str) -> None:
    response = requests.post(client.stack.url("/uploads"), json=body, headers=client.headers)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code


def test_a_duplicate_event_gives_one_result_and_one_email(stack: RunningStack, sqs: Any) -> None:
    user = Client(stack)
    prediction_id = user.upload((SAMPLES / "digit-4.png").read_bytes())
    first = user.wait(prediction_id)
    queue = sqs.get_queue_url(QueueName="imagepredict-local-ClassifyQueue")["QueueUrl"]
    owner_key, etag = uploaded_object(stack, BUCKET, prediction_id)
    event = {
        "Records": [
            {
                "eventName": "ObjectCreated:Post",
                "eventTime": "2026-11-25T00:00:00.000Z",
                "s3": {"bucket": {"name": BUCKET}, "object": {"key": owner_key, "eTag": etag, "size": 1}},
            }
        ]
    }
    for _ in range(2):
        sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(event))
    time.sleep(4)
    again = user.get(prediction_id).json()
    assert again["completed_at"] == first["completed_at"]
    assert again["result"] == first["result"]
    assert len(result_mail_to(stack, user.email)) == 1


def test_a_poison_message_ends_in_the_dead_letter_queue(stack: RunningStack, sqs: Any) -> None:
    queue = sqs.get_queue_url(QueueName="imagepredict-local-ClassifyQueue")["QueueUrl"]
    dead = sqs.get_queue_url(QueueName="imagepredict-local-ClassifyDeadLetters")["QueueUrl"]
    sqs.send_message(QueueUrl=queue, MessageBody="this is not an S3 event")
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        messages = sqs.receive_message(QueueUrl=dead, WaitTimeSeconds=1, AttributeNames=["All"]).get("Messages", [])
        if messages:
            break
    assert [m["Body"] for m in messages] == ["this is not an S3 event"]
    assert int(messages[0]["Attributes"]["ApproximateReceiveCount"]) >= 3
    sqs.delete_message(QueueUrl=dead, ReceiptHandle=messages[0]["ReceiptHandle"])


def test_the_local_mail_page_shows_messages_to_a_browser(stack: RunningStack, client: Client) -> None:
    client.wait(client.upload((SAMPLES / "digit-6.png").read_bytes(), "<six>.png"))
    deadline = time.monotonic() + 10
    while not result_mail_to(stack, client.email) and time.monotonic() < deadline:
        time.sleep(0.2)
    page = requests.get(stack.url("/_local/mail"), headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "Local mail" in page.text
    assert "Prediction for &lt;six&gt;.png: 6" in page.text  # escaped, never raw HTML from a file name
    assert "<six>" not in page.text
