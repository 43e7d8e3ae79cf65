"""The batch worker's settings: defaults that work, and a clear error naming the variable for anything else."""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from batchworker.settings import BUNDLED_MODEL_DIR, load_worker_settings
from imagepredict.settings import SettingsError

BASE = {"MONGODB_URI": "mongodb://localhost", "QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/1/q"}


def test_defaults_need_only_the_database_and_the_queue() -> None:
    loaded = load_worker_settings(BASE)  # no JWT secret: the worker signs no tokens
    assert (loaded.batch_size, loaded.batch_wait_ms, loaded.poll_wait_seconds) == (32, 500, 20)
    assert (loaded.backend, loaded.onnx_providers, loaded.litert_batch_mode) == ("onnx", "auto", "auto")
    assert loaded.model_dir == BUNDLED_MODEL_DIR
    assert loaded.failed_visibility_seconds is None  # the queue's own visibility timeout, as Lambda leaves it
    assert loaded.workers == 2 * len(os.sched_getaffinity(0))
    assert loaded.health_port == 8080
    assert loaded.core.mongodb_max_pool_size == loaded.workers + 2  # a connection per storing thread
    assert load_worker_settings({**BASE, "MONGODB_MAX_POOL_SIZE": "7"}).core.mongodb_max_pool_size == 7
    assert load_worker_settings({**BASE, "WORKER_CONCURRENCY": "3"}).core.mongodb_max_pool_size == 5


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"QUEUE_URL": ""}, "Set QUEUE_URL"),
        ({"MONGODB_URI": ""}, "MONGODB_URI"),
        ({"BATCH_SIZE": "0"}, "BATCH_SIZE must be between 1 and 256"),
        ({"BATCH_SIZE": "lots"}, "BATCH_SIZE must be a whole number"),
        ({"BATCH_WAIT_MS": "٣"}, "BATCH_WAIT_MS must be a whole number"),
        ({"POLL_WAIT_SECONDS": "21"}, "POLL_WAIT_SECONDS must be between 0 and 20"),
        ({"MODEL_BACKEND": "tensorflow"}, "MODEL_BACKEND must be one of onnx, litert"),
        ({"ONNX_PROVIDERS": "tpu"}, "ONNX_PROVIDERS must be one of auto, cuda, cpu"),
        ({"LITERT_BATCH_MODE": "fast"}, "LITERT_BATCH_MODE must be one of auto, resize, loop"),
        ({"MODEL_DIR": "/nonexistent"}, "MODEL_DIR /nonexistent holds no model.json"),
        ({"MODEL_S3_URI": "http://bucket/x"}, "MODEL_S3_URI must look like"),
    ],
)
def test_a_bad_setting_is_named_with_what_is_expected(changes: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load_worker_settings({**BASE, **changes})


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=12))
def test_any_text_for_a_number_is_a_number_in_range_or_a_clear_error(raw: str) -> None:
    try:
        batch_size: int | str = load_worker_settings({**BASE, "BATCH_SIZE": raw}).batch_size
    except SettingsError as error:
        batch_size = str(error)
    assert batch_size.startswith("BATCH_SIZE must be") if isinstance(batch_size, str) else 1 <= batch_size <= 256, (
        batch_size
    )
