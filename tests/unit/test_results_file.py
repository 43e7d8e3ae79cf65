"""results/{key}.json: written for every final state of an object without an account, from the stored prediction."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from imagepredict.classify.results import ResultsFiles
from imagepredict.predictions import DONE, FAILED, PENDING, PROCESSING, REJECTED, Prediction
from imagepredict.predictions.result import ImageInfo, ModelRef, PredictionResult, Score

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
RESULT = PredictionResult(
    (Score("7", 0.9), Score("1", 0.1)), ModelRef("digits", "1", "a" * 64), 1.5, ImageInfo("PNG", 8, 8)
)
INBOX = Prediction("0123456789abcdef01234567", None, None, "a.png", "bucket", "inbox/a.png", PENDING, T0)


class FakeS3:
    def __init__(self) -> None:
        self.objects: dict[str, dict[str, Any]] = {}

    def put_object(self, **request: Any) -> None:
        self.objects[request["Key"]] = request


def published(prediction: Prediction) -> dict[str, Any] | None:
    s3 = FakeS3()
    key = ResultsFiles(s3).publish(prediction)
    if key is None:
        assert s3.objects == {}
        return None
    request = s3.objects[key]
    assert (key, request["Bucket"], request["ContentType"]) == (
        f"results/{prediction.key}.json",
        "bucket",
        "application/json",
    )
    return json.loads(request["Body"])


def test_a_done_prediction_gives_its_result() -> None:
    document = published(replace(INBOX, status=DONE, completed_at=T0, result=RESULT))
    assert document == {
        "prediction_id": INBOX.id,
        "source": {"bucket": "bucket", "key": "inbox/a.png"},
        "status": "done",
        "completed_at": "2026-11-25T12:00:00.000Z",
        "error": None,
        **RESULT.to_document(),
    }


@pytest.mark.parametrize("status", [REJECTED, FAILED])
def test_a_rejected_or_failed_prediction_gives_its_reason(status: str) -> None:
    error = {"code": "not_an_image", "message": "The file is empty"}
    document = published(replace(INBOX, status=status, completed_at=T0, error=error))
    assert (document["status"], document["error"]) == (status, error)
    assert "top" not in document


@pytest.mark.parametrize("status", [PENDING, PROCESSING])
def test_nothing_is_written_before_the_end(status: str) -> None:
    assert published(replace(INBOX, status=status)) is None


def test_an_accounts_upload_has_the_api_not_a_file() -> None:
    assert published(replace(INBOX, owner_id="user-1", key="uploads/user-1/x.png", status=DONE, result=RESULT)) is None


def test_a_key_with_no_room_for_the_results_prefix_is_skipped_not_retried_forever() -> None:
    long_key = "inbox/" + "x" * 1010  # within S3's 1,024 bytes; results/ + it + .json is not
    assert published(replace(INBOX, key=long_key, status=REJECTED, error={"code": "c", "message": "m"})) is None
