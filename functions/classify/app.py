"""SQS batches of S3 ObjectCreated events → classify each object (Powertools BatchProcessor, partial failures)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from imagepredict.classify.consumer import ClassifyConsumer, QueueMessage
from imagepredict.classify.wiring import build_consumer
from imagepredict.model import ModelRunner, container_runner
from imagepredict.observability import logger, metrics, tracer
from imagepredict.settings import get_settings
from imagepredict.storage.mongo import per_mongodb_uri

MODEL_DIR = Path(__file__).resolve().parent / "model"
# Every failed record is reported (never an invocation error), so SQS retries exactly those, even when all fail.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def runner() -> ModelRunner:
    return container_runner(get_settings(), MODEL_DIR)


@per_mongodb_uri  # rebuilt on a new client when the MongoDB URI secret rotates
def consumer() -> ClassifyConsumer:
    return build_consumer(get_settings(), runner)


@tracer.capture_method
def handle_record(record: SQSRecord) -> None:
    """One message: raising fails only this record, so SQS delivers it again (and after the last try, to the DLQ)."""
    receive_count = int(record.attributes.approximate_receive_count or 1)
    consumer().consume_one(QueueMessage(record.message_id, record.body, receive_count))


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_partial_response(event=event, record_handler=handle_record, processor=processor, context=context)
