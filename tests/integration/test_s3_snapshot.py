"""The local buckets' snapshots on disk (devstack.s3snapshot) against moto's S3 over HTTP."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import pytest

from devstack.s3snapshot import INDEX, OBJECTS, BucketSnapshot, Snapshots
from tests.conftest import RunningStack, aws_client


@pytest.fixture
def s3(stack: RunningStack):
    return aws_client(stack, "s3")


def new_bucket(s3) -> str:
    name = f"snapshot-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=name)
    return name


def saved_files(directory: Path) -> set[str]:
    return {path.name for path in (directory / OBJECTS).iterdir()}


def test_new_changed_and_deleted_objects_are_followed_and_restored_with_their_headers(s3, tmp_path: Path) -> None:
    bucket = new_bucket(s3)
    keys = {"uploads/u1/a b+c.png": b"\x89PNG first", "inbox/ünïcode/ß.jpg": b"\xff\xd8 jpeg", "gone.txt": b"bye"}
    for key, body in keys.items():
        s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="image/png", Metadata={"owner": "ada"})
    snapshot = BucketSnapshot(s3, bucket, tmp_path)
    assert snapshot.save_changes() == 3
    assert snapshot.save_changes() == 0  # nothing new: nothing downloaded again
    assert len(saved_files(tmp_path)) == 3

    s3.put_object(Bucket=bucket, Key="uploads/u1/a b+c.png", Body=b"\x89PNG second", ContentType="image/webp")
    s3.delete_object(Bucket=bucket, Key="gone.txt")
    assert snapshot.save_changes() == 2
    assert len(saved_files(tmp_path)) == 2  # the old version's and the deleted object's files are gone
    assert set(json.loads((tmp_path / INDEX).read_text())) == {"uploads/u1/a b+c.png", "inbox/ünïcode/ß.jpg"}

    fresh = new_bucket(s3)  # as after a restart: an empty bucket of the same name
    assert BucketSnapshot(s3, fresh, tmp_path).restore() == 2
    changed = s3.get_object(Bucket=fresh, Key="uploads/u1/a b+c.png")
    assert (changed["Body"].read(), changed["ContentType"]) == (b"\x89PNG second", "image/webp")
    kept = s3.get_object(Bucket=fresh, Key="inbox/ünïcode/ß.jpg")
    assert (kept["Body"].read(), kept["ContentType"]) == (b"\xff\xd8 jpeg", "image/png")
    assert kept["Metadata"] == {"owner": "ada"}
    assert kept["ETag"] == s3.head_object(Bucket=bucket, Key="inbox/ünïcode/ß.jpg")["ETag"]  # the same version
    assert BucketSnapshot(s3, fresh, tmp_path).save_changes() == 0  # restored objects are not copied again


def test_objects_are_saved_while_running_not_only_on_a_clean_stop(s3, tmp_path: Path) -> None:
    """A crash (kill -9, a closed laptop) skips the last save: the thread has copied what is older than a pass."""
    bucket = new_bucket(s3)
    snapshots = Snapshots(s3, [bucket], tmp_path, interval_seconds=0.2)
    snapshots.start()
    try:
        s3.put_object(Bucket=bucket, Key="uploads/u/p.png", Body=b"image", ContentType="image/png")
        deadline = time.monotonic() + 10
        while not (tmp_path / bucket / INDEX).exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "uploads/u/p.png" in json.loads((tmp_path / bucket / INDEX).read_text())
    finally:
        snapshots.stop()


def test_a_damaged_index_or_a_missing_file_costs_only_those_objects(s3, tmp_path: Path) -> None:
    bucket = new_bucket(s3)
    s3.put_object(Bucket=bucket, Key="a.png", Body=b"a")
    s3.put_object(Bucket=bucket, Key="b.png", Body=b"b")
    BucketSnapshot(s3, bucket, tmp_path).save_changes()
    index = json.loads((tmp_path / INDEX).read_text())
    (tmp_path / OBJECTS / index["a.png"]["file"]).unlink()
    fresh = new_bucket(s3)
    assert BucketSnapshot(s3, fresh, tmp_path).restore() == 1
    assert [item["Key"] for item in s3.list_objects_v2(Bucket=fresh)["Contents"]] == ["b.png"]

    (tmp_path / INDEX).write_text("{not json")
    assert BucketSnapshot(s3, new_bucket(s3), tmp_path).restore() == 0  # a fresh start, not a crash
