"""The email queue → result and account emails, at the pace the SES account allows (Powertools BatchProcessor,
partial failures).

Each message is a job (imagepredict/notifications/jobs.py): a result email, or a password reset, verification or
password-changed email. Throttling and network trouble fail the record, so SQS delivers it again later; a refusal
is final (recorded on the prediction, or logged for an account email) and the record succeeds; a message that is no
job fails until the dead-letter queue.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from imagepredict.aws import ses_client
from imagepredict.notifications.job_wiring import build_email_jobs
from imagepredict.notifications.jobs import EmailJobRunner, parse_job
from imagepredict.notifications.pacing import SendPacer, account_send_rate
from imagepredict.observability import logger, metrics, tracer
from imagepredict.settings import get_settings
from imagepredict.storage.mongo import per_mongodb_uri

processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


@per_mongodb_uri  # rebuilt on a new client when the MongoDB URI secret rotates
def email_jobs() -> EmailJobRunner:
    return build_email_jobs(get_settings())


@lru_cache(maxsize=1)
def pacer() -> SendPacer:
    settings = get_settings()
    rate = settings.email_max_send_rate or account_send_rate(ses_client())
    return SendPacer(rate / settings.email_senders)


def send_email(record: SQSRecord) -> None:
    metrics.add_metric(name="EmailJobReceived", unit=MetricUnit.Count, value=1)
    job = parse_job(record.body)
    pacer().wait()
    email_jobs().run(job)  # each sender counts its outcome (ResultEmailSent, PasswordResetEmailSent, ...) itself


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_partial_response(event=event, record_handler=send_email, processor=processor, context=context)
