"""Keep the local buckets' objects on disk, so uploaded images survive a restart of moto (which keeps them in memory).

A background thread copies new and changed objects to `<data dir>/s3/<bucket>/` every few seconds (and once more on a
clean stop), and forgets deleted ones; a crash loses at most the last interval. On the next start the objects are put
back before the bucket's notifications are configured, so restoring them sends no S3 events (nothing is classified
or emailed twice).

Layout: `index.json` maps each key to its ETag, content type, metadata and the file holding its bytes under
`objects/`. Files are written before the index that names them, each through a temporary file and a rename, so a
crash mid-copy leaves the previous snapshot whole.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

log = logging.getLogger("devstack.s3snapshot")

INDEX = "index.json"
OBJECTS = "objects"
# What S3 keeps with an object that a put can set again (LastModified and the ETag follow from the put itself).
_HEADERS = ("ContentType", "CacheControl", "ContentDisposition", "ContentEncoding", "ContentLanguage")


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(handle, "wb") as output:
            output.write(data)
            output.flush()
            os.fsync(output.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


class BucketSnapshot:
    """One bucket's objects in a folder: `save_changes()` brings the folder up to date, `restore()` refills moto."""

    def __init__(self, s3: Any, bucket: str, directory: Path) -> None:
        self.s3 = s3
        self.bucket = bucket
        self.directory = directory
        self.index: dict[str, dict[str, Any]] = self._read_index()

    def _read_index(self) -> dict[str, dict[str, Any]]:
        path = self.directory / INDEX
        if not path.exists():
            return {}
        try:
            index = json.loads(path.read_text())
        except ValueError as error:
            log.error("%s is damaged (%s): the bucket's snapshot is ignored and written anew", path, error)
            return {}
        present = {key: entry for key, entry in index.items() if (self.directory / OBJECTS / entry["file"]).is_file()}
        for key in index.keys() - present.keys():
            log.warning("%s: the saved copy of %s is missing; it is not restored", self.bucket, key)
        return present

    def restore(self) -> int:
        """Put every saved object back (call it before the bucket's notifications exist). Returns how many."""
        for key, entry in self.index.items():
            extra = {name: entry[name] for name in _HEADERS if entry.get(name)}
            self.s3.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=(self.directory / OBJECTS / entry["file"]).read_bytes(),
                Metadata=entry.get("Metadata") or {},
                **extra,
            )
        return len(self.index)

    def save_changes(self) -> int:
        """Copy objects that are new or changed since the last call, forget deleted ones. Returns how many changed."""
        listed: dict[str, str] = {}
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket):
            listed.update({item["Key"]: item["ETag"] for item in page.get("Contents", [])})
        changed = [key for key, etag in listed.items() if self.index.get(key, {}).get("ETag") != etag]
        deleted = self.index.keys() - listed.keys()
        if not changed and not deleted:
            return 0
        index = {key: entry for key, entry in self.index.items() if key in listed}
        for key in changed:
            try:
                found = self.s3.get_object(Bucket=self.bucket, Key=key)
            except self.s3.exceptions.NoSuchKey:  # deleted since the listing
                index.pop(key, None)
                continue
            etag = found["ETag"]
            file = hashlib.sha256(f"{key}\0{etag}".encode()).hexdigest()
            _write_atomically(self.directory / OBJECTS / file, found["Body"].read())
            entry = {"ETag": etag, "file": file, "Metadata": found.get("Metadata") or {}}
            entry.update({name: found[name] for name in _HEADERS if found.get(name)})
            index[key] = entry
        _write_atomically(self.directory / INDEX, json.dumps(index, indent=1, sort_keys=True).encode())
        self.index = index
        kept = {entry["file"] for entry in index.values()}
        for path in (self.directory / OBJECTS).glob("*"):
            if path.name not in kept:
                path.unlink(missing_ok=True)
        return len(changed) + len(deleted)


class Snapshots:
    """The snapshots of the stack's buckets under one folder, and the thread that keeps them current."""

    def __init__(self, s3: Any, buckets: list[str], directory: Path, *, interval_seconds: float) -> None:
        self.directory = directory
        self.buckets = [BucketSnapshot(s3, bucket, directory / bucket) for bucket in buckets]
        self.interval_seconds = interval_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def restore(self) -> None:
        wanted = {snapshot.bucket for snapshot in self.buckets}
        if self.directory.is_dir():
            for folder in sorted(self.directory.iterdir()):
                if folder.is_dir() and folder.name not in wanted:
                    log.warning("%s: no bucket of that name in the template now; its objects stay on disk", folder)
        for snapshot in self.buckets:
            if count := snapshot.restore():
                log.info("restored %d objects into %s from %s", count, snapshot.bucket, snapshot.directory)

    def save_changes(self) -> None:
        for snapshot in self.buckets:
            try:
                snapshot.save_changes()
            except Exception as error:  # moto stopping under us, a full disk: say so, keep the last good snapshot
                log.warning("could not update the snapshot of %s: %s", snapshot.bucket, error)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="s3-snapshot", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval_seconds):
            self.save_changes()

    def stop(self) -> None:
        """Stop the thread and save what changed since its last pass (moto must still be running)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self.save_changes()
