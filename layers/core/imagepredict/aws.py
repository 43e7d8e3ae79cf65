"""boto3 clients, one per service per container (AWS_ENDPOINT_URL points them at the local stack)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import boto3
from botocore.config import Config

S3_CONFIG = Config(signature_version="s3v4", retries={"mode": "standard"})


@lru_cache(maxsize=1)
def s3_client() -> Any:
    return boto3.client("s3", config=S3_CONFIG)


@lru_cache(maxsize=1)
def ses_client() -> Any:
    return boto3.client("ses", config=Config(retries={"mode": "standard"}))


@lru_cache(maxsize=1)
def sqs_client() -> Any:
    return boto3.client("sqs", config=Config(retries={"mode": "standard"}))
