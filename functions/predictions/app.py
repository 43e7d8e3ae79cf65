"""GET /predictions, GET /predictions/{id}, DELETE /predictions/{id}: the caller's own predictions only."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from imagepredict.api import bearer_token, create_resolver, json_response
from imagepredict.auth import AccessTokens, build_access_tokens
from imagepredict.aws import s3_client
from imagepredict.observability import logger, metrics, tracer
from imagepredict.predictions import build_prediction_store
from imagepredict.predictions.api import PredictionQueries, parse_limit
from imagepredict.settings import get_settings
from imagepredict.storage.mongo import per_mongodb_uri

app = create_resolver()


@lru_cache(maxsize=1)
def access_tokens() -> AccessTokens:
    return build_access_tokens(get_settings())


@per_mongodb_uri  # rebuilt on a new client when the MongoDB URI secret rotates
def queries() -> PredictionQueries:
    settings = get_settings()
    store = build_prediction_store(settings)
    return PredictionQueries(store, s3_client(), image_url_ttl=settings.image_url_ttl_seconds)


def caller() -> str:
    return access_tokens().verify(bearer_token(app.current_event)).user_id


@app.get("/predictions")
def list_predictions():
    owner = caller()
    parameters = app.current_event.query_string_parameters or {}
    page = queries().page(owner, limit=parse_limit(parameters.get("limit")), cursor=parameters.get("cursor"))
    return json_response(200, page)


@app.get("/predictions/<prediction_id>")
def get_prediction(prediction_id: str):
    return json_response(200, queries().detail(caller(), prediction_id))


@app.delete("/predictions/<prediction_id>")
def delete_prediction(prediction_id: str):
    owner = caller()
    queries().delete(owner, prediction_id)
    logger.info("Prediction deleted", extra={"user_id": owner, "prediction_id": prediction_id})
    return json_response(204)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
