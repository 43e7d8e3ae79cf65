"""Deleting every object under a prefix: every page, batches of at most 1,000, a refused key is an error."""

from __future__ import annotations

from typing import Any

import pytest

from imagepredict.storage.objects import ObjectsNotDeleted, delete_prefix


class FakeS3:
    def __init__(self, keys: list[str], refuse: frozenset[str] = frozenset(), page_size: int = 1000) -> None:
        self.keys = set(keys)
        self.refuse = refuse
        self.page_size = page_size
        self.batches: list[int] = []

    def get_paginator(self, operation: str) -> Any:
        assert operation == "list_objects_v2"
        return self

    def paginate(self, *, Bucket: str, Prefix: str) -> Any:
        listed = sorted(key for key in self.keys if key.startswith(Prefix))
        for start in range(0, len(listed), self.page_size):
            yield {"Contents": [{"Key": key} for key in listed[start : start + self.page_size]]}
        if not listed:
            yield {"KeyCount": 0}

    def delete_objects(self, *, Bucket: str, Delete: dict[str, Any]) -> dict[str, Any]:
        keys = [item["Key"] for item in Delete["Objects"]]
        self.batches.append(len(keys))
        self.keys -= set(keys) - self.refuse
        errors = [{"Key": key, "Code": "AccessDenied"} for key in keys if key in self.refuse]
        return {"Errors": errors} if errors else {}


def test_every_page_is_deleted_in_batches_and_nothing_else() -> None:
    mine = [f"uploads/u1/{n:05}.png" for n in range(2500)]
    s3 = FakeS3([*mine, "uploads/u10/a.png", "uploads/u2/b.png"])
    assert delete_prefix(s3, "bucket", "uploads/u1/") == 2500
    assert s3.batches == [1000, 1000, 500]
    assert s3.keys == {"uploads/u10/a.png", "uploads/u2/b.png"}


def test_nothing_under_the_prefix_is_nothing_to_do() -> None:
    s3 = FakeS3(["uploads/u2/b.png"])
    assert delete_prefix(s3, "bucket", "uploads/u1/") == 0
    assert s3.batches == []


def test_a_key_s3_refuses_to_delete_is_an_error() -> None:
    s3 = FakeS3(["uploads/u1/a.png", "uploads/u1/b.png"], refuse={"uploads/u1/b.png"})
    with pytest.raises(ObjectsNotDeleted, match="1 of 2 objects were not deleted: AccessDenied"):
        delete_prefix(s3, "bucket", "uploads/u1/")
