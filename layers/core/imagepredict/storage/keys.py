"""The bucket's key layout, in one place: what the API presigns, what the pipeline reads and writes.

    uploads/{user id}/{prediction id}.{ext}   images uploaded through POST /uploads (owned by an account)
    inbox/{anything}                          images dropped in by another system (no account)
    results/{source key}.json                 what became of an inbox/ object (done, rejected or failed), for the
                                              system that dropped it

template.yaml's notification filters and lifecycle rules name the same prefixes (a test keeps them in step).
"""

from __future__ import annotations

UPLOADS_PREFIX = "uploads/"
INBOX_PREFIX = "inbox/"
RESULTS_PREFIX = "results/"


def upload_key(owner_id: str, prediction_id: str, extension: str) -> str:
    return f"{owner_prefix(owner_id)}{prediction_id}.{extension}"


def owner_prefix(owner_id: str) -> str:
    """Where every upload of one account lies (and nothing else: the id is a fixed-length ObjectId)."""
    return f"{UPLOADS_PREFIX}{owner_id}/"


def results_key(source_key: str) -> str:
    return f"{RESULTS_PREFIX}{source_key}.json"


def is_upload(key: str) -> bool:
    """An account's upload: without its prediction record (deleted by its owner) it is an orphan."""
    return key.startswith(UPLOADS_PREFIX)


def filename_of(key: str) -> str:
    """The name a person knows an object by: the key's last non-empty segment ("inbox/scans/a.png" → "a.png";
    a "folder" key such as "inbox/scans/" → "scans"); the key itself when it has no other."""
    segments = [segment for segment in key.split("/") if segment]
    return segments[-1] if segments else key
