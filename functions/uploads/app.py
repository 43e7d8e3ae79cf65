"""POST /uploads: a pending prediction and a presigned POST the client sends the image to, straight to S3."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from imagepredict.api import bearer_token, create_resolver, json_body, json_response
from imagepredict.auth import AccessTokens, build_access_tokens
from imagepredict.aws import s3_client
from imagepredict.observability import logger, metrics, tracer
from imagepredict.predictions import build_prediction_store
from imagepredict.settings import get_settings
from imagepredict.storage.mongo import per_mongodb_uri
from imagepredict.uploads import UploadService, parse_upload_request

app = create_resolver()


@lru_cache(maxsize=1)
def access_tokens() -> AccessTokens:
    return build_access_tokens(get_settings())


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


@app.post("/uploads")
def create_upload():
    claims = access_tokens().verify(bearer_token(app.current_event))
    request = parse_upload_request(json_body(app.current_event))
    body = upload_service().start(claims, request)
    metrics.add_metric(name="UploadStarted", unit=MetricUnit.Count, value=1)
    logger.info("Upload started", extra={"user_id": claims.user_id, "prediction_id": body["prediction_id"]})
    return json_response(201, body)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
