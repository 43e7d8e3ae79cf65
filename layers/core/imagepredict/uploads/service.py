"""POST /uploads: validate what the client says it will send, record a pending prediction, presign the POST.

S3 enforces the presigned policy (exact key, exact Content-Type, size range, encryption, expiry); the classify
function still checks size and the real format itself, since the bytes are the only thing to trust.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from bson import ObjectId
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from imagepredict.auth.users import User
from imagepredict.clock import utc_now
from imagepredict.errors import InvalidFilename, UnsupportedType
from imagepredict.fieldtypes import problem, unicode_text
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


def image_type(value: str) -> str:
    value = unicode_text(value).strip().lower()
    if value not in ALLOWED_TYPES:
        raise problem(f"Use one of {', '.join(ALLOWED_TYPES)}", UnsupportedType.code)
    return value


def clean_filename(value: str) -> str:
    """The file's base name as the user will see it again; directories and control characters are refused."""
    name = unicodedata.normalize("NFC", unicode_text(value).strip()).replace("\\", "/").rsplit("/", 1)[-1]
    if not name or name in (".", ".."):
        raise problem("Must name a file", InvalidFilename.code)
    if len(name) > MAX_FILENAME_LENGTH:
        raise problem(f"Use at most {MAX_FILENAME_LENGTH} characters", InvalidFilename.code)
    if any(unicodedata.category(character) in ("Cc", "Cf", "Cs") for character in name):
        raise problem("Must not contain control characters", InvalidFilename.code)
    return name


class UploadRequest(BaseModel):
    """What the client will send to S3. A missing or non-string field is `invalid_request`; a content_type outside
    the image types is `unsupported_type`, a filename that cannot be used `invalid_filename`."""

    model_config = ConfigDict(
        frozen=True, json_schema_extra={"examples": [{"filename": "digit-7.png", "content_type": "image/png"}]}
    )

    filename: Annotated[
        str,
        AfterValidator(clean_filename),
        Field(
            description="Kept as the file's base name (folders dropped, NFC); 1-255 characters, no control characters",
            json_schema_extra={"minLength": 1, "maxLength": MAX_FILENAME_LENGTH},
        ),
    ]
    content_type: Annotated[
        str,
        AfterValidator(image_type),
        Field(
            description="The image's media type (case and surrounding spaces ignored); S3 will insist on it",
            json_schema_extra={"enum": list(ALLOWED_TYPES)},
        ),
    ]


class PresignedPost(BaseModel):
    url: str = Field(description="POST the image here as multipart/form-data")
    fields: dict[str, str] = Field(description="Every one of these form fields first, then the file as `file`")


class UploadSlot(BaseModel):
    """Where and how to send the image; the prediction exists (`pending`) from now on."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "prediction_id": "6745a1c2e4b0a1b2c3d4e5f7",
                    "upload": {
                        "url": "https://imagepredict-uploads-0f8fad5b.s3.amazonaws.com/",
                        "fields": {
                            "Content-Type": "image/png",
                            "x-amz-server-side-encryption": "AES256",
                            "key": "uploads/6745a1c2e4b0a1b2c3d4e5f6/6745a1c2e4b0a1b2c3d4e5f7.png",
                            "policy": "eyJleHBpcmF0aW9uIjogIjIwMjYtMTEtMjVUMTI6MDU6MDBaIn0=",
                        },
                    },
                    "expires_in": 300,
                    "max_bytes": 10485760,
                }
            ]
        }
    )

    prediction_id: str
    upload: PresignedPost
    expires_in: int = Field(description="Seconds the presigned POST stays valid")
    max_bytes: int = Field(description="The largest image S3 will take")


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

    def start(self, owner: User, request: UploadRequest) -> UploadSlot:
        prediction_id = ObjectId()
        key = upload_key(owner.id, str(prediction_id), ALLOWED_TYPES[request.content_type])
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
            owner_id=owner.id,
            owner_email=owner.email,
            filename=request.filename,
            content_type=request.content_type,
            bucket=self._bucket,
            key=key,
            now=self._clock(),
        )
        return UploadSlot(
            prediction_id=str(prediction_id),
            upload=PresignedPost(url=post["url"], fields=post["fields"]),
            expires_in=self._expires_in,
            max_bytes=self._max_bytes,
        )
