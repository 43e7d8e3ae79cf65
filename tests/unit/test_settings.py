from __future__ import annotations

import pytest

from imagepredict.settings import SettingsError, load_settings

BASE = {"MONGODB_URI": "mongodb://localhost", "JWT_SECRET": "k" * 40}


def test_defaults() -> None:
    settings = load_settings(BASE)
    assert settings.access_token_ttl_seconds == 900
    assert settings.refresh_token_ttl_seconds == 30 * 86_400
    assert settings.bcrypt_rounds == 12
    assert settings.login_max_failures == 5
    assert settings.login_failure_window_seconds == 900
    assert settings.mongodb_database == "imagepredict"
    assert (settings.model_s3_uri, settings.model_threads, settings.model_runtime) == (None, 0, "auto")
    assert settings.mongodb_max_pool_size == 2  # one Lambda container, one event at a time
    assert (settings.email_queue_url, settings.email_senders) == (None, 2)


def test_model_settings() -> None:
    settings = load_settings(
        {**BASE, "MODEL_S3_URI": "s3://my-models/digits/v2/", "MODEL_THREADS": "2", "MODEL_RUNTIME": "tflite-runtime"}
    )
    assert (settings.model_s3_uri, settings.model_threads, settings.model_runtime) == (
        "s3://my-models/digits/v2/",
        2,
        "tflite-runtime",
    )


def test_values_are_read_and_typed() -> None:
    settings = load_settings({**BASE, "BCRYPT_ROUNDS": " 4 ", "ACCESS_TOKEN_TTL_SECONDS": "60"})
    assert (settings.bcrypt_rounds, settings.access_token_ttl_seconds) == (4, 60)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"JWT_SECRET": "k" * 40}, "MONGODB_URI or MONGODB_SECRET_ARN"),
        ({"MONGODB_URI": "mongodb://x"}, "JWT_SECRET_ARN"),
        ({**BASE, "BCRYPT_ROUNDS": "twelve"}, "BCRYPT_ROUNDS must be a whole number"),
        ({**BASE, "BCRYPT_ROUNDS": "3"}, "between 4 and 16"),
        ({**BASE, "ACCESS_TOKEN_TTL_SECONDS": "0"}, "ACCESS_TOKEN_TTL_SECONDS must be between"),
        ({**BASE, "MODEL_S3_URI": "https://bucket.s3.amazonaws.com/model"}, "MODEL_S3_URI must look like s3://"),
        ({**BASE, "MODEL_S3_URI": "s3://"}, "MODEL_S3_URI must look like"),
        ({**BASE, "MODEL_RUNTIME": "tensorflow"}, "MODEL_RUNTIME must be one of"),
        ({**BASE, "MODEL_THREADS": "-1"}, "MODEL_THREADS must be between 0 and 64"),
    ],
)
def test_bad_configuration_is_reported_by_name(env: dict, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings(env)
