"""Auth and the upload pipeline, measured through the local stack over HTTP (as clients see them)."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import bcrypt
import requests
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
    from bson import ObjectId

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
