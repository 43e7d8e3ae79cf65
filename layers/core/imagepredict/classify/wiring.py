"""The classify consumer built from settings: the one place the Lambda function and the batch worker assemble it."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor

from imagepredict.aws import s3_client
from imagepredict.classify.consumer import ClassifyConsumer
from imagepredict.classify.models import Limits
from imagepredict.classify.service import ClassifyService
from imagepredict.model import Classifier
from imagepredict.notifications.wiring import build_notifier
from imagepredict.predictions import build_prediction_store
from imagepredict.settings import Settings


def build_consumer(
    settings: Settings,
    classifier: Callable[[], Classifier],
    *,
    executor: Executor | None = None,
    consumer: str = "lambda",
) -> ClassifyConsumer:
    """`consumer` names who classifies (lambda: the classify function; worker: the batch worker) in each record."""
    store = build_prediction_store(settings)
    service = ClassifyService(
        store=store,
        s3=s3_client(),
        classifier=classifier,
        notifier=build_notifier(settings, store),
        limits=Limits(max_bytes=settings.max_upload_bytes, max_pixels=settings.max_image_pixels),
        executor=executor,
        consumer=consumer,
    )
    return ClassifyConsumer(service, max_receive_count=settings.max_receive_count)
