"""GET /health: 200 when MongoDB and the AWS endpoint answer, 503 with the failing check otherwise."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from imagepredict.api import create_resolver
from imagepredict.api.docs import answers
from imagepredict.health import MISCONFIGURED, HealthReport, check_health
from imagepredict.observability import logger, tracer
from imagepredict.settings import SettingsError, get_settings

app = create_resolver()


@app.get(
    "/health",
    operation_id="getHealth",
    tags=["health"],
    summary="Is the service up",
    description="Checks MongoDB and the AWS endpoint on every call; no token needed.",
    responses=answers(200, "Everything answers", HealthReport)
    | {
        503: {
            "description": "A dependency failed (`degraded`) or a setting is wrong (`misconfigured`)",
            "content": {"application/json": {"model": HealthReport}},
        }
    },
)
def health() -> Response[HealthReport]:
    try:
        settings = get_settings()
    except SettingsError as error:  # loudly: the log names the setting; the answer says only that one is wrong
        logger.error("The function's settings are invalid", extra={"problem": str(error)})
        report = MISCONFIGURED
    else:
        report = check_health(settings)
    return Response(status_code=200 if report.healthy else 503, content_type="application/json", body=report)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
