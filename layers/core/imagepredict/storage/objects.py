"""Deleting every object under a prefix: listed page by page, removed in DeleteObjects batches (1,000 keys at most,
which is also the most one page lists), each key's error checked."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

MAX_BATCH = 1000


class ObjectsNotDeleted(RuntimeError):
    """S3 refused to delete some keys (a 500 for the client: the deletion can be asked for again)."""


def keys_under(s3: Any, bucket: str, prefix: str) -> Iterator[list[str]]:
    """The keys under `prefix`, one page (at most 1,000) at a time."""
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys = [item["Key"] for item in page.get("Contents", [])]
        if keys:
            yield keys


def delete_batch(s3: Any, bucket: str, keys: list[str]) -> None:
    assert 0 < len(keys) <= MAX_BATCH
    answer = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": key} for key in keys], "Quiet": True})
    errors = answer.get("Errors") or []
    if errors:
        codes = sorted({error.get("Code", "?") for error in errors})
        raise ObjectsNotDeleted(f"{len(errors)} of {len(keys)} objects were not deleted: {', '.join(codes)}")


def delete_prefix(s3: Any, bucket: str, prefix: str) -> int:
    """Delete every object under `prefix`; how many there were."""
    deleted = 0
    for page in keys_under(s3, bucket, prefix):
        for start in range(0, len(page), MAX_BATCH):
            delete_batch(s3, bucket, page[start : start + MAX_BATCH])
        deleted += len(page)
    return deleted
