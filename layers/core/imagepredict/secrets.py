"""Secrets Manager reads, cached for the life of the container."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import boto3


@lru_cache(maxsize=1)
def secrets_client() -> Any:
    return boto3.client("secretsmanager")


@lru_cache(maxsize=8)
def read_secret(secret_id: str) -> str:
    return secrets_client().get_secret_value(SecretId=secret_id)["SecretString"]


def value_or_secret(value: str | None, secret_id: str | None) -> str:
    """A setting given directly (tools, tests) wins; otherwise it is read from Secrets Manager."""
    if value:
        return value
    if not secret_id:
        raise ValueError("neither a value nor a secret id was configured")
    return read_secret(secret_id)
