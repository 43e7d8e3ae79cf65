"""POST /uploads: a pending prediction and a presigned POST the client sends the image to, straight to S3."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from imagepredict.api import create_resolver
from imagepredict.api.caller import BEARER, Caller
from imagepredict.api.docs import answers
from imagepredict.aws import s3_client
from imagepredict.errors import InvalidFilename, InvalidRequest, UnsupportedType
from imagepredict.observability import logger, metrics, tracer
from imagepredict.predictions import build_prediction_store
from imagepredict.settings import get_settings
from imagepredict.storage.mongo import per_mongodb_uri
from imagepredict.uploads import ALLOWED_TYPES, UploadRequest, UploadService, UploadSlot

app = create_resolver()
BAD_TYPE = UnsupportedType(UnsupportedType.summary, fields={"content_type": f"Use one of {', '.join(ALLOWED_TYPES)}"})
MISSING = InvalidRequest(InvalidRequest.summary, fields={"content_type": "This field is required"})
BAD_NAME = InvalidFilename(InvalidFilename.summary, fields={"filename": "Must not contain control characters"})


@per_mongodb_uri  # rebuilt on a new client when the MongoDB URI secret rotates
def upload_service() -> UploadService:
    settings = get_settings()
    store = build_prediction_store(settings)
    return UploadService(
        store,
        s3_client(),
        bucket=settings.require_bucket(),
        max_bytes=settings.max_upload_bytes,
        expires_in=settings.upload_url_ttl_seconds,
    )


@app.post(
    "/uploads",
    operation_id="createUpload",
    status_code=201,
    tags=["predictions"],
    security=BEARER,
    summary="Ask for an upload slot",
    description="Creates a `pending` prediction and a presigned POST: send the image straight to S3 with every "
    "field of `upload.fields` first and the file last (as `file`). The image is then classified and the result "
    "emailed; read it at GET /predictions/{prediction_id}.",
    responses=answers(201, "An upload slot", UploadSlot, errors=[MISSING, BAD_TYPE, BAD_NAME], body=True, guarded=True),
)
def create_upload(request: Annotated[UploadRequest, Body()], caller: Caller) -> UploadSlot:
    slot = upload_service().start(caller.user, request)
    metrics.add_metric(name="UploadStarted", unit=MetricUnit.Count, value=1)
    logger.info("Upload started", extra={"user_id": caller.user_id, "prediction_id": slot.prediction_id})
    return slot


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
