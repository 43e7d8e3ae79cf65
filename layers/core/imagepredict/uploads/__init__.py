"""Upload slots: a pending prediction and a presigned POST that lets the client send the image straight to S3."""

from imagepredict.uploads.service import ALLOWED_TYPES, UploadRequest, UploadService, UploadSlot

__all__ = ["ALLOWED_TYPES", "UploadRequest", "UploadService", "UploadSlot"]
