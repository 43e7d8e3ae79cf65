"""Settings read from environment variables once per container, validated into one typed object."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

MODEL_RUNTIMES = ("auto", "litert", "tflite-runtime")
S3_URI = re.compile(r"^s3://[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9](/.*)?$")


class SettingsError(ValueError):
    """The environment does not describe a usable configuration (a deployment mistake, not a user error)."""


@dataclass(frozen=True)
class Settings:
    mongodb_uri: str | None
    mongodb_secret_arn: str | None
    mongodb_database: str
    mongodb_timeout_ms: int
    jwt_secret_arn: str | None
    jwt_secret: str | None
    jwt_issuer: str
    jwt_audience: str
    access_token_ttl_seconds: int
    refresh_token_ttl_seconds: int
    bcrypt_rounds: int
    login_max_failures: int
    login_failure_window_seconds: int
    model_s3_uri: str | None = None  # s3://bucket/prefix/ holding model.tflite + model.json; else the bundled model
    model_threads: int = 0  # 0: one per CPU the container has, up to 4
    model_runtime: str = "auto"  # auto (LiteRT, else tflite-runtime), litert, tflite-runtime
    uploads_bucket: str | None = None
    max_upload_bytes: int = 10 * 1024 * 1024
    upload_url_ttl_seconds: int = 300
    image_url_ttl_seconds: int = 300
    max_image_pixels: int = 40_000_000
    sender_email: str | None = None
    notify_email: str | None = None  # where results of uploads without an account (inbox/) are emailed
    app_url: str = "http://127.0.0.1:3000"
    max_receive_count: int = 3  # the queue's redrive maxReceiveCount: the last delivery marks a prediction failed
    email_queue_url: str | None = None  # result emails are queued here for the email function; unset: sent at once
    email_senders: int = 2  # the email function's maximum concurrency: each container sends at 1/n of SES's rate
    email_max_send_rate: int = 0  # emails/s for the whole account; 0: read SES's MaxSendRate
    mongodb_max_pool_size: int = 2  # connections per MongoDB server per process: a Lambda container needs two
    secrets_max_age_seconds: int = 300  # a rotated secret (MongoDB URI, signing key) is re-read within this time
    admin_emails: tuple[str, ...] = ()  # verified accounts with these addresses are admins (auth/roles.py)

    def require_bucket(self) -> str:
        if not self.uploads_bucket:
            raise SettingsError("Set UPLOADS_BUCKET")
        return self.uploads_bucket


def text_setting(env: Mapping[str, str], name: str, default: str | None = None) -> str | None:
    value = env.get(name, "").strip()
    return value or default


# template.yaml's AdminEmails has this AllowedPattern (a test keeps them equal); ASCII, as CloudFormation's regex is.
EMAIL_LIST_PATTERN = r"^$|^ *[^\s@,]+@[^\s@,]+ *(, *[^\s@,]+@[^\s@,]+ *)*$"
EMAIL_LIST = re.compile(EMAIL_LIST_PATTERN, re.ASCII)


def email_list_setting(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    """A comma-separated list of email addresses, lower-cased (as registration stores them)."""
    raw = env.get(name, "")
    if not EMAIL_LIST.fullmatch(raw):
        raise SettingsError(f"{name} must be email addresses separated by commas")
    return tuple(dict.fromkeys(part.strip().lower() for part in raw.split(",") if part.strip()))


@dataclass(frozen=True)
class Range:
    default: int
    minimum: int
    maximum: int


# Every whole-number setting: its default and the range accepted. template.yaml's parameters that feed these carry
# the same MinValue/MaxValue (tests/unit/test_settings_template.py derives one from the other).
INTEGERS: dict[str, Range] = {
    "MONGODB_TIMEOUT_MS": Range(5_000, 100, 60_000),
    "ACCESS_TOKEN_TTL_SECONDS": Range(900, 1, 86_400),
    "REFRESH_TOKEN_TTL_SECONDS": Range(30 * 86_400, 60, 365 * 86_400),
    "BCRYPT_ROUNDS": Range(12, 4, 16),  # 17 and up take seconds a hash: past the auth function's timeout
    "LOGIN_MAX_FAILURES": Range(5, 1, 1_000),
    "LOGIN_FAILURE_WINDOW_SECONDS": Range(900, 1, 86_400),
    "MODEL_THREADS": Range(0, 0, 64),
    "MAX_UPLOAD_BYTES": Range(10 * 1024 * 1024, 1024, 100 * 1024 * 1024),
    "UPLOAD_URL_TTL_SECONDS": Range(300, 10, 3_600),
    "IMAGE_URL_TTL_SECONDS": Range(300, 10, 3_600),
    "MAX_IMAGE_PIXELS": Range(40_000_000, 10_000, 200_000_000),
    "MAX_RECEIVE_COUNT": Range(3, 1, 1_000),
    "EMAIL_SENDERS": Range(2, 1, 1_000),
    "EMAIL_MAX_SEND_RATE": Range(0, 0, 100_000),
    "MONGODB_MAX_POOL_SIZE": Range(2, 1, 500),
    "SECRETS_MAX_AGE_SECONDS": Range(300, 1, 3_600),
}


def integer_setting(env: Mapping[str, str], name: str, spec: Range | None = None) -> int:
    spec = spec or INTEGERS[name]
    default, minimum, maximum = spec.default, spec.minimum, spec.maximum
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not (raw.isascii() and raw.lstrip("-").isdigit()):  # int() would take "٣" or "1_000"
        raise SettingsError(f"{name} must be a whole number, got {raw!r}")
    value = int(raw)
    if not minimum <= value <= maximum:
        raise SettingsError(f"{name} must be between {minimum} and {maximum}, got {value}")
    return value


def load_settings(env: Mapping[str, str], *, require_jwt: bool = True) -> Settings:
    """Build and validate Settings from a mapping of environment variables (the batch worker signs no tokens)."""
    settings = Settings(
        mongodb_uri=text_setting(env, "MONGODB_URI"),
        mongodb_secret_arn=text_setting(env, "MONGODB_SECRET_ARN"),
        mongodb_database=text_setting(env, "MONGODB_DATABASE", "imagepredict") or "imagepredict",
        mongodb_timeout_ms=integer_setting(env, "MONGODB_TIMEOUT_MS"),
        jwt_secret_arn=text_setting(env, "JWT_SECRET_ARN"),
        jwt_secret=text_setting(env, "JWT_SECRET"),
        jwt_issuer=text_setting(env, "JWT_ISSUER", "imagepredict") or "imagepredict",
        jwt_audience=text_setting(env, "JWT_AUDIENCE", "imagepredict-api") or "imagepredict-api",
        access_token_ttl_seconds=integer_setting(env, "ACCESS_TOKEN_TTL_SECONDS"),
        refresh_token_ttl_seconds=integer_setting(env, "REFRESH_TOKEN_TTL_SECONDS"),
        bcrypt_rounds=integer_setting(env, "BCRYPT_ROUNDS"),
        login_max_failures=integer_setting(env, "LOGIN_MAX_FAILURES"),
        login_failure_window_seconds=integer_setting(env, "LOGIN_FAILURE_WINDOW_SECONDS"),
        model_s3_uri=text_setting(env, "MODEL_S3_URI"),
        model_threads=integer_setting(env, "MODEL_THREADS"),
        model_runtime=text_setting(env, "MODEL_RUNTIME", "auto") or "auto",
        uploads_bucket=text_setting(env, "UPLOADS_BUCKET"),
        max_upload_bytes=integer_setting(env, "MAX_UPLOAD_BYTES"),
        upload_url_ttl_seconds=integer_setting(env, "UPLOAD_URL_TTL_SECONDS"),
        image_url_ttl_seconds=integer_setting(env, "IMAGE_URL_TTL_SECONDS"),
        max_image_pixels=integer_setting(env, "MAX_IMAGE_PIXELS"),
        sender_email=text_setting(env, "SENDER_EMAIL"),
        notify_email=text_setting(env, "NOTIFY_EMAIL"),
        app_url=(text_setting(env, "APP_URL", "http://127.0.0.1:3000") or "").rstrip("/"),
        max_receive_count=integer_setting(env, "MAX_RECEIVE_COUNT"),
        email_queue_url=text_setting(env, "EMAIL_QUEUE_URL"),
        email_senders=integer_setting(env, "EMAIL_SENDERS"),
        email_max_send_rate=integer_setting(env, "EMAIL_MAX_SEND_RATE"),
        mongodb_max_pool_size=integer_setting(env, "MONGODB_MAX_POOL_SIZE"),
        secrets_max_age_seconds=integer_setting(env, "SECRETS_MAX_AGE_SECONDS"),
        admin_emails=email_list_setting(env, "ADMIN_EMAILS"),
    )
    if settings.model_s3_uri and not S3_URI.match(settings.model_s3_uri):
        raise SettingsError(f"MODEL_S3_URI must look like s3://bucket/prefix/, got {settings.model_s3_uri!r}")
    if settings.model_runtime not in MODEL_RUNTIMES:
        raise SettingsError(f"MODEL_RUNTIME must be one of {', '.join(MODEL_RUNTIMES)}, got {settings.model_runtime!r}")
    if not (settings.mongodb_uri or settings.mongodb_secret_arn):
        raise SettingsError("Set MONGODB_URI or MONGODB_SECRET_ARN")
    if require_jwt and not (settings.jwt_secret or settings.jwt_secret_arn):
        raise SettingsError("Set JWT_SECRET_ARN (or JWT_SECRET for tools and tests)")
    return settings


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The container's settings, read from os.environ on first use."""
    return load_settings(os.environ)
