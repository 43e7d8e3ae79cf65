"""One MongoClient per container, connected by a URI from the environment or from Secrets Manager."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from functools import lru_cache
from typing import Generic, TypeVar

from pymongo import MongoClient
from pymongo.database import Database

from imagepredict.secrets import value_or_secret
from imagepredict.settings import Settings, get_settings

T = TypeVar("T")


@lru_cache(maxsize=2)  # the current URI's client, and the one before a rotation while it is replaced
def get_client(uri: str, timeout_ms: int, max_pool_size: int = 2) -> MongoClient:
    # Fail fast when the database is unreachable: the API answers 503 well before Lambda's timeout.
    # The pool is sized on purpose (docs/scaling.md): a Lambda container serves one event at a time, so two
    # connections per server cover it; Atlas counts every container's, and its tiers cap the total.
    return MongoClient(
        uri,
        tz_aware=True,
        appname="imagepredict",
        serverSelectionTimeoutMS=timeout_ms,
        connectTimeoutMS=timeout_ms,
        retryWrites=True,
        maxPoolSize=max_pool_size,
    )


def mongodb_uri(settings: Settings) -> str:
    """MONGODB_URI as given, else the secret's current value (re-read at most every SECRETS_MAX_AGE_SECONDS)."""
    return value_or_secret(settings.mongodb_uri, settings.mongodb_secret_arn, max_age=settings.secrets_max_age_seconds)


def get_database(settings: Settings) -> Database:
    client = get_client(mongodb_uri(settings), settings.mongodb_timeout_ms, settings.mongodb_max_pool_size)
    return client[settings.mongodb_database]


class PerMongoDbUri(Generic[T]):
    """What `build` returns, kept like lru_cache(maxsize=1) until the MongoDB URI changes (its secret rotated):
    the next call then builds it again on a client with the new URI, so a warm container follows a rotation."""

    def __init__(self, build: Callable[[], T]) -> None:
        self._build = build
        self._lock = threading.Lock()
        self._cached: tuple[str, T] | None = None
        functools.update_wrapper(self, build)

    def __call__(self) -> T:
        uri = mongodb_uri(get_settings())
        with self._lock:
            if self._cached is not None and self._cached[0] == uri:
                return self._cached[1]
        value = self._build()
        with self._lock:
            self._cached = (uri, value)
        return value

    def cache_clear(self) -> None:
        with self._lock:
            self._cached = None


def per_mongodb_uri(build: Callable[[], T]) -> PerMongoDbUri[T]:
    """Decorator: see PerMongoDbUri."""
    return PerMongoDbUri(build)
