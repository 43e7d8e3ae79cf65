"""One MongoClient per container, connected by a URI from the environment or from Secrets Manager."""

from __future__ import annotations

from functools import lru_cache

from pymongo import MongoClient
from pymongo.database import Database

from imagepredict.secrets import value_or_secret
from imagepredict.settings import Settings


@lru_cache(maxsize=4)
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


def get_database(settings: Settings) -> Database:
    uri = value_or_secret(settings.mongodb_uri, settings.mongodb_secret_arn)
    return get_client(uri, settings.mongodb_timeout_ms, settings.mongodb_max_pool_size)[settings.mongodb_database]
