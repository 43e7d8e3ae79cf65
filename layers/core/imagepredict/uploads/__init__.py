"""Upload slots: a pending prediction and a presigned POST that lets the client send the image straight to S3."""

from imagepredict.uploads.service import (
    ALLOWED_TYPES,
    InvalidFilename,
    UnsupportedType,
    UploadRequest,
    UploadService,
    parse_upload_request,
)

__all__ = [
    "ALLOWED_TYPES",
    "InvalidFilename",
    "UnsupportedType",
    "UploadRequest",
    "UploadService",
    "parse_upload_request",
]
