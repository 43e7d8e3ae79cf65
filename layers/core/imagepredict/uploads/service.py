"""POST /uploads: validate what the client says it will send, record a pending prediction, presign the POST.

S3 enforces the presigned policy (exact key, exact Content-Type, size range, encryption, expiry); the classify
function still checks size and the real format itself, since the bytes are the only thing to trust.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bson import ObjectId

from imagepredict.auth.tokens import AccessClaims
from imagepredict.clock import utc_now
from imagepredict.errors import InvalidRequest
from imagepredict.predictions import PredictionStore
from imagepredict.storage.keys import upload_key

ALLOWED_TYPES = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "image/bmp": "bmp",
    "image/tiff": "tiff",
}
MAX_FILENAME_LENGTH = 255


class UnsupportedType(InvalidRequest):
    code = "unsupported_type"


class InvalidFilename(InvalidRequest):
    code = "invalid_filename"


@dataclass(frozen=True)
class UploadRequest:
    filename: str
    content_type: str


def parse_upload_request(body: dict[str, Any]) -> UploadRequest:
    content_type = body.get("content_type")
    if not isinstance(content_type, str) or content_type.strip().lower() not in ALLOWED_TYPES:
        raise UnsupportedType(
            f"content_type must be one of {', '.join(ALLOWED_TYPES)}",
            fields={"content_type": "Unsupported image type"},
        )
    return UploadRequest(clean_filename(body.get("filename")), content_type.strip().lower())


def clean_filename(value: object) -> str:
    """The file's base name as the user will see it again; directories and control characters are refused."""
    if not isinstance(value, str):
        raise InvalidFilename("filename must be a string", fields={"filename": "Required"})
    name = unicodedata.normalize("NFC", value.strip()).replace("\\", "/").rsplit("/", 1)[-1]
    if not name or name in (".", ".."):
        raise InvalidFilename("filename must name a file", fields={"filename": "Required"})
    if len(name) > MAX_FILENAME_LENGTH:
        raise InvalidFilename(
            f"filename must be at most {MAX_FILENAME_LENGTH} characters", fields={"filename": "Too long"}
        )
    if any(unicodedata.category(character) in ("Cc", "Cf", "Cs") for character in name):
        raise InvalidFilename("filename must not contain control characters", fields={"filename": "Invalid"})
    return name


class UploadService:
    def __init__(
        self,
        store: PredictionStore,
        s3: Any,
        *,
        bucket: str,
        max_bytes: int,
        expires_in: int,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._store = store
        self._s3 = s3
        self._bucket = bucket
        self._max_bytes = max_bytes
        self._expires_in = expires_in
        self._clock = clock

    def start(self, claims: AccessClaims, request: UploadRequest) -> dict[str, Any]:
        prediction_id = ObjectId()
        key = upload_key(claims.user_id, str(prediction_id), ALLOWED_TYPES[request.content_type])
        post = self._s3.generate_presigned_post(
            Bucket=self._bucket,
            Key=key,
            Fields={"Content-Type": request.content_type, "x-amz-server-side-encryption": "AES256"},
            Conditions=[
                {"Content-Type": request.content_type},
                ["content-length-range", 1, self._max_bytes],
                {"x-amz-server-side-encryption": "AES256"},
            ],
            ExpiresIn=self._expires_in,
        )
        self._store.create_pending(
            prediction_id=prediction_id,
            owner_id=claims.user_id,
            owner_email=claims.email,
            filename=request.filename,
            content_type=request.content_type,
            bucket=self._bucket,
            key=key,
            now=self._clock(),
        )
        return {
            "prediction_id": str(prediction_id),
            "upload": {"url": post["url"], "fields": post["fields"]},
            "expires_in": self._expires_in,
            "max_bytes": self._max_bytes,
        }
