"""The bucket's key layout, for any key: uploads are recognised as uploads, results never land where they would be
classified again, and every object gets a name a person can read.

Nothing parses ids out of keys: the pipeline finds an object's prediction by its exact (bucket, key), so a key
cannot claim to belong to another account. These properties keep the layout unambiguous all the same."""

from __future__ import annotations

from bson import ObjectId
from hypothesis import given
from hypothesis import strategies as st

from imagepredict.storage.keys import (
    INBOX_PREFIX,
    RESULTS_PREFIX,
    UPLOADS_PREFIX,
    filename_of,
    is_upload,
    results_key,
    upload_key,
)

IDS = st.binary(min_size=12, max_size=12).map(lambda raw: str(ObjectId(raw)))
KEYS = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=300)


@given(owner=IDS, prediction=IDS, extension=st.sampled_from(["bmp", "jpg", "png", "tiff", "webp"]))
def test_an_upload_key_is_an_upload_and_says_whose_and_which_prediction(
    owner: str, prediction: str, extension: str
) -> None:
    key = upload_key(owner, prediction, extension)
    assert is_upload(key)
    prefix, who, name = key.split("/")  # ids and extensions hold no '/': one way to read it back
    assert (prefix + "/", who, name) == (UPLOADS_PREFIX, owner, f"{prediction}.{extension}")
    assert filename_of(key) == f"{prediction}.{extension}"


@given(KEYS)
def test_a_results_file_never_lands_where_it_would_be_classified(key: str) -> None:
    written = results_key(key)
    assert written.startswith(RESULTS_PREFIX)
    assert not written.startswith((UPLOADS_PREFIX, INBOX_PREFIX))  # the bucket notifies only for these
    assert not is_upload(written)


@given(KEYS, KEYS)
def test_distinct_objects_get_distinct_results_files(first: str, second: str) -> None:
    assert (results_key(first) == results_key(second)) == (first == second)


@given(KEYS)
def test_only_keys_under_uploads_are_uploads(key: str) -> None:
    assert is_upload(key) == key.startswith("uploads/")
    assert not is_upload(INBOX_PREFIX + key)


@given(KEYS)
def test_every_key_gives_a_name(key: str) -> None:
    name = filename_of(key)
    assert name
    if key.strip("/"):
        assert "/" not in name
        assert name in key.split("/")
    assert filename_of(INBOX_PREFIX + key) == name or not key.strip("/")
