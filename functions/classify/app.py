"""SQS batches of S3 ObjectCreated events → classify each object (Powertools BatchProcessor, partial failures)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from imagepredict.aws import s3_client, ses_client
from imagepredict.classify import ClassifyService, Limits
from imagepredict.classify.events import PoisonMessage, objects_in
from imagepredict.email import Mailer
from imagepredict.model import ModelRunner, container_runner
from imagepredict.observability import logger, metrics, tracer
from imagepredict.predictions import build_prediction_store
from imagepredict.settings import get_settings

MODEL_DIR = Path(__file__).resolve().parent / "model"
# Every failed record is reported (never an invocation error), so SQS retries exactly those, even when all fail.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def runner() -> ModelRunner:
    return container_runner(get_settings(), MODEL_DIR)


@lru_cache(maxsize=1)
def classify_service() -> ClassifyService:
    settings = get_settings()
    store = build_prediction_store(settings)
    return ClassifyService(
        store=store,
        s3=s3_client(),
        runner=runner,
        mailer=Mailer(ses_client()),
        limits=Limits(max_bytes=settings.max_upload_bytes, max_pixels=settings.max_image_pixels),
        sender=settings.sender_email,
        notify_email=settings.notify_email,
        app_url=settings.app_url,
    )


@tracer.capture_method
def handle_record(record: SQSRecord) -> None:
    """One message: raising fails only this record, so SQS delivers it again (and after the last try, to the DLQ)."""
    metrics.add_metric(name="ClassifyMessageReceived", unit=MetricUnit.Count, value=1)
    service = classify_service()
    last_try = int(record.attributes.approximate_receive_count or 1) >= get_settings().max_receive_count
    try:
        items = objects_in(record.body)
    except PoisonMessage as error:
        logger.error("Unusable message", extra={"message_id": record.message_id, "reason": str(error)})
        raise
    for item in items:
        try:
            outcome = service.handle(item)
        except Exception:
            logger.exception("Classification failed", extra={"key": item.key, "last_try": last_try})
            metrics.add_metric(name="ClassifyFailed", unit=MetricUnit.Count, value=1)
            if last_try:
                mark_failed_quietly(service, item)
            raise
        metrics.add_metric(name=f"Classify{outcome.status.capitalize()}", unit=MetricUnit.Count, value=1)
        logger.info(
            "Classified",
            extra={
                "key": item.key,
                "outcome": outcome.status,
                "detail": outcome.detail,
                "prediction_id": outcome.prediction_id,
            },
        )


FAILED_MESSAGE = "The image could not be classified after several attempts; it has been set aside for investigation"


def mark_failed_quietly(service: ClassifyService, item: Any) -> None:
    """The user sees a plain reason; the details (which may name internals) stay in the logs."""
    try:
        service.mark_failed(item, "classification_failed", FAILED_MESSAGE)
    except Exception:  # the store itself may be what is down; the message still goes to the DLQ
        logger.exception("Could not mark the prediction failed", extra={"key": item.key})


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_partial_response(event=event, record_handler=handle_record, processor=processor, context=context)
