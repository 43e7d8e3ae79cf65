"""Auth and the upload pipeline, measured through the local stack over HTTP (as clients see them)."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import bcrypt
import requests
from bson import ObjectId
from pymongo import MongoClient

from devstack.launch import RunningStack
from imagepredict.auth.tokens import AccessTokens

PASSWORD = "correct horse battery"


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def auth(stack: RunningStack, *, users: int, rounds: int) -> dict[str, Any]:
    """Register and login latency, bcrypt's own cost at the same rounds (interleaved), token verification."""
    session = requests.Session()
    register_ms, login_ms, bcrypt_ms = [], [], []
    hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds))
    emails = []
    for _ in range(users):
        email = f"bench-{uuid.uuid4().hex[:10]}@example.com"
        started = time.perf_counter()
        response = session.post(
            stack.url("/auth/register"), json={"email": email, "name": "Bench", "password": PASSWORD}
        )
        register_ms.append(_ms(started))
        response.raise_for_status()
        emails.append(email)
    session.post(stack.url("/auth/login"), json={"email": emails[0], "password": PASSWORD}).raise_for_status()  # warm
    for email in emails:
        started = time.perf_counter()
        session.post(stack.url("/auth/login"), json={"email": email, "password": PASSWORD}).raise_for_status()
        login_ms.append(_ms(started))
        started = time.perf_counter()
        bcrypt.checkpw(PASSWORD.encode(), hashed)
        bcrypt_ms.append(_ms(started))
    tokens = AccessTokens("k" * 64, issuer="bench", audience="bench", ttl_seconds=900)
    token = tokens.issue("user", "user@example.com")
    started = time.perf_counter()
    verifications = 2000
    for _ in range(verifications):
        tokens.verify(token)
    verify_us = _ms(started) * 1000 / verifications
    return {
        "register_ms": register_ms,
        "login_ms": login_ms,
        "bcrypt_ms": bcrypt_ms,
        "verify_us": verify_us,
        "rounds": rounds,
    }


def _client(stack: RunningStack) -> dict[str, str]:
    email = f"pipeline-{uuid.uuid4().hex[:10]}@example.com"
    response = requests.post(stack.url("/auth/register"), json={"email": email, "name": "Bench", "password": PASSWORD})
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _one_image(stack: RunningStack, headers: dict[str, str], data: bytes, timeout: float = 120) -> dict[str, Any]:
    started = time.perf_counter()
    slot = requests.post(
        stack.url("/uploads"), json={"filename": "photo.jpg", "content_type": "image/jpeg"}, headers=headers
    )
    slot.raise_for_status()
    body = slot.json()
    sent = requests.post(
        body["upload"]["url"], data=body["upload"]["fields"], files={"file": ("photo.jpg", data, "image/jpeg")}
    )
    sent.raise_for_status()
    uploaded = time.perf_counter()
    deadline = started + timeout
    while time.perf_counter() < deadline:
        prediction = requests.get(stack.url(f"/predictions/{body['prediction_id']}"), headers=headers).json()
        if prediction["status"] not in ("pending", "processing"):
            return {
                "id": body["prediction_id"],
                "status": prediction["status"],
                "upload_ms": (uploaded - started) * 1000,
                "to_done_ms": _ms(uploaded),
                "total_ms": _ms(started),
                "finished_at": time.perf_counter(),
            }
        time.sleep(0.05)
    raise TimeoutError("a prediction did not finish")


def pipeline(stack: RunningStack, jpeg: Path, *, images: int, clients: int) -> dict[str, Any]:
    """N uploads by C concurrent clients; throughput, latency from upload to done, and where the time went."""
    data = jpeg.read_bytes()
    headers = [_client(stack) for _ in range(clients)]
    _one_image(stack, headers[0], data)  # warm the functions
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(lambda i: _one_image(stack, headers[i % clients], data), range(images)))
    elapsed = max(r["finished_at"] for r in results) - started
    database = MongoClient(stack.mongodb_uri, tz_aware=True)["imagepredict"]
    stages: dict[str, list[float]] = {}
    for document in database["predictions"].find({"_id": {"$in": [ObjectId(r["id"]) for r in results]}}):
        for name, value in (document.get("timings") or {}).items():
            stages.setdefault(name, []).append(value)
    return {
        "images": images,
        "clients": clients,
        "statuses": sorted({r["status"] for r in results}),
        "throughput": images / elapsed,
        "to_done_ms": [r["to_done_ms"] for r in results],
        "upload_ms": [r["upload_ms"] for r in results],
        "stages_ms": stages,
    }


FINISHED = ("done", "rejected", "failed")
TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png"}


@dataclass(frozen=True)
class Upload:
    filename: str
    content_type: str
    data: bytes

    @classmethod
    def of(cls, path: Path) -> Upload:
        return cls(path.name, TYPES[path.suffix.lower()], path.read_bytes())


def _send(stack: RunningStack, headers: dict[str, str], upload: Upload) -> str:
    """POST /uploads, then the presigned POST to S3; the prediction's id."""
    slot = requests.post(
        stack.url("/uploads"), json={"filename": upload.filename, "content_type": upload.content_type}, headers=headers
    )
    slot.raise_for_status()
    body = slot.json()
    sent = requests.post(
        body["upload"]["url"],
        data=body["upload"]["fields"],
        files={"file": (upload.filename, upload.data, upload.content_type)},
    )
    sent.raise_for_status()
    return str(body["prediction_id"])


def _wait_finished(predictions: Any, ids: list[ObjectId], timeout: float) -> None:
    """Until every prediction is finished, asking MongoDB (not the API: polling it would compete for the CPU)."""
    deadline = time.monotonic() + timeout
    query = {"_id": {"$in": ids}, "status": {"$in": list(FINISHED)}}
    while predictions.count_documents(query) < len(ids):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{len(ids) - predictions.count_documents(query)} predictions did not finish")
        time.sleep(0.1)


def batch_pipeline(stack: RunningStack, uploads: list[Upload], *, clients: int, timeout: float = 300) -> dict[str, Any]:
    """All uploads by C concurrent clients after one warm-up image; images/s from the first upload to the last
    completion, and each prediction's recorded stage timings (ms per image)."""
    headers = [_client(stack) for _ in range(clients)]
    predictions = MongoClient(stack.mongodb_uri, tz_aware=True)["imagepredict"]["predictions"]
    _wait_finished(predictions, [ObjectId(_send(stack, headers[0], uploads[0]))], timeout)  # model loaded, warm
    started_at, started = datetime.now(UTC), time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        ids = list(pool.map(lambda i: ObjectId(_send(stack, headers[i % clients], uploads[i])), range(len(uploads))))
    uploaded_s = time.perf_counter() - started
    _wait_finished(predictions, ids, timeout)
    documents = list(predictions.find({"_id": {"$in": ids}}))
    last = max(document["completed_at"] for document in documents)
    elapsed_s = (last - started_at).total_seconds()
    stages: dict[str, list[float]] = {}
    for document in documents:
        for name, value in (document.get("timings") or {}).items():
            if name.endswith("_ms"):
                stages.setdefault(name, []).append(float(value))
    return {
        "images": len(uploads),
        "statuses": sorted({document["status"] for document in documents}),
        "throughput": len(uploads) / elapsed_s,
        "elapsed_s": elapsed_s,
        "uploads_s": uploaded_s,
        "stages_ms": stages,
        "batch_sizes": [int((document.get("timings") or {}).get("batch_size", 1)) for document in documents],
        "claimed_to_done_ms": _gaps(documents, "started_at", "completed_at"),
        "store_email_ms": _gaps(documents, "completed_at", "sent_at"),
    }


def _gaps(documents: list[dict[str, Any]], start: str, end: str) -> list[float]:
    """Milliseconds between two recorded moments of each prediction (the email's `sent_at` is under `email`)."""
    found = []
    for document in documents:
        moments = {**document, "sent_at": (document.get("email") or {}).get("sent_at")}
        if moments.get(start) and moments.get(end):
            found.append((moments[end] - moments[start]).total_seconds() * 1000)
    return found
