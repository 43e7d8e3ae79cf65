"""GET /health: 200 when MongoDB and the AWS endpoint answer, 503 with the failing check otherwise."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from imagepredict.api import create_resolver, json_response
from imagepredict.health import check_health
from imagepredict.observability import logger, tracer
from imagepredict.settings import SettingsError, get_settings

app = create_resolver()


@app.get("/health")
def health():
    try:
        settings = get_settings()
    except SettingsError as error:  # loudly: the log names the setting; the answer says only that one is wrong
        logger.error("The function's settings are invalid", extra={"problem": str(error)})
        return json_response(503, {"status": "misconfigured", "checks": {"settings": {"status": "error"}}})
    report = check_health(settings)
    return json_response(200 if report["status"] == "ok" else 503, report)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
