"""Secrets Manager reads, each kept at most `max_age` seconds, so a rotated secret reaches every container in time.

Powertools' `parameters.get_secret(max_age=...)` caches by name only and returns only the value; rotation needs
the previous version (`AWSPREVIOUS`) beside the current one, and the time the current one was written, so this
small cache keys by (secret, version stage) and keeps the version's creation date.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

import boto3

CURRENT = "AWSCURRENT"
PREVIOUS = "AWSPREVIOUS"


@lru_cache(maxsize=1)
def secrets_client() -> Any:
    return boto3.client("secretsmanager")


@dataclass(frozen=True)
class SecretVersion:
    value: str
    created: datetime  # when this version was written: for AWSCURRENT, the last rotation


class SecretCache:
    """get_secret_value per (secret, version stage), fetched again once older than `max_age` seconds."""

    def __init__(
        self,
        client: Callable[[], Any] = secrets_client,
        *,
        max_age: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._max_age = max_age
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, str], tuple[float, SecretVersion | None]] = {}

    def get(self, secret_id: str, stage: str = CURRENT) -> SecretVersion | None:
        """The version at `stage`, or None when the secret has no such version (AWSPREVIOUS before a rotation)."""
        key = (secret_id, stage)
        with self._lock:
            entry = self._entries.get(key)
        if entry is not None and self._clock() - entry[0] < self._max_age:
            return entry[1]
        version = self._fetch(secret_id, stage)
        with self._lock:
            self._entries[key] = (self._clock(), version)
        return version

    def current(self, secret_id: str) -> SecretVersion:
        version = self.get(secret_id, CURRENT)
        if version is None:  # Secrets Manager always has a current version; this is a misconfigured secret
            raise LookupError(f"secret {secret_id} has no {CURRENT} version")
        return version

    def _fetch(self, secret_id: str, stage: str) -> SecretVersion | None:
        client = self._client()
        try:
            response = client.get_secret_value(SecretId=secret_id, VersionStage=stage)
        except client.exceptions.ResourceNotFoundException:
            if stage == CURRENT:
                raise
            return None
        return SecretVersion(value=response["SecretString"], created=response["CreatedDate"])


_caches: dict[float, SecretCache] = {}


def secret_cache(max_age: float) -> SecretCache:
    """The container's cache for secrets kept `max_age` seconds (one per age; in practice one)."""
    cache = _caches.get(max_age)
    if cache is None:
        cache = _caches.setdefault(max_age, SecretCache(max_age=max_age))
    return cache


def value_or_secret(value: str | None, secret_id: str | None, *, max_age: float) -> str:
    """A setting given directly (tools, tests) wins; otherwise the secret's current value, at most max_age old."""
    if value:
        return value
    if not secret_id:
        raise ValueError("neither a value nor a secret id was configured")
    return secret_cache(max_age).current(secret_id).value
