"""GET /predictions, GET /predictions/{id}, DELETE /predictions/{id}: the caller's own predictions only."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from imagepredict.api import create_resolver
from imagepredict.api.caller import BEARER, Caller
from imagepredict.api.docs import answers
from imagepredict.aws import s3_client
from imagepredict.errors import InvalidRequest
from imagepredict.fieldtypes import DEFAULT_LIMIT, MAX_LIMIT, Limit
from imagepredict.observability import logger, metrics, tracer
from imagepredict.predictions import InvalidCursor, build_prediction_store
from imagepredict.predictions.api import PredictionDetail, PredictionPage, PredictionQueries, not_found
from imagepredict.settings import get_settings
from imagepredict.storage.mongo import per_mongodb_uri

app = create_resolver()
TAGS = ["predictions"]
PredictionId = Annotated[
    str,
    Path(
        description="The prediction's id (24 hexadecimal digits); another user's or a malformed one is 404",
        examples=["6745a1c2e4b0a1b2c3d4e5f7"],
    ),
]
LIMIT_RANGE = {"minimum": 1, "maximum": MAX_LIMIT}  # checked by fieldtypes.Limit, with its own message
BAD_LIMIT = InvalidRequest(InvalidRequest.summary, fields={"limit": f"Must be a whole number from 1 to {MAX_LIMIT}"})


@per_mongodb_uri  # rebuilt on a new client when the MongoDB URI secret rotates
def queries() -> PredictionQueries:
    settings = get_settings()
    store = build_prediction_store(settings)
    return PredictionQueries(store, s3_client(), image_url_ttl=settings.image_url_ttl_seconds)


@app.get(
    "/predictions",
    operation_id="listPredictions",
    tags=TAGS,
    security=BEARER,
    summary="List my predictions, newest first",
    responses=answers(200, "A page of predictions", PredictionPage, errors=[BAD_LIMIT, InvalidCursor()], guarded=True),
)
def list_predictions(
    caller: Caller,
    limit: Annotated[
        Limit, Query(description="Page size (ASCII digits)", json_schema_extra=LIMIT_RANGE)
    ] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(description="The `next_cursor` of the previous page")] = None,
) -> PredictionPage:
    return queries().page(caller.user_id, limit=limit, cursor=cursor)


@app.get(
    "/predictions/<prediction_id>",
    operation_id="getPrediction",
    tags=TAGS,
    security=BEARER,
    summary="Read one prediction",
    description="Poll it while `status` is pending or processing. `image_url` is a short-lived link to the image.",
    responses=answers(200, "The prediction", PredictionDetail, errors=[not_found()], guarded=True),
)
def get_prediction(prediction_id: PredictionId, caller: Caller) -> PredictionDetail:
    return queries().detail(caller.user_id, prediction_id)


@app.delete(
    "/predictions/<prediction_id>",
    operation_id="deletePrediction",
    status_code=204,
    tags=TAGS,
    security=BEARER,
    summary="Delete a prediction and its image",
    responses=answers(204, "Deleted", errors=[not_found()], guarded=True),
)
def delete_prediction(prediction_id: PredictionId, caller: Caller) -> None:
    queries().delete(caller.user_id, prediction_id)
    logger.info("Prediction deleted", extra={"user_id": caller.user_id, "prediction_id": prediction_id})


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
