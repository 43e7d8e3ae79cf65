"""The email queue: one message per result email owed (the prediction's id). Sending is its consumer's job."""

from __future__ import annotations

import json
from typing import Any


class EmailOutbox:
    def __init__(self, sqs: Any, queue_url: str) -> None:
        self._sqs = sqs
        self._queue_url = queue_url

    def put(self, prediction_id: str) -> None:
        self._sqs.send_message(QueueUrl=self._queue_url, MessageBody=json.dumps({"prediction_id": prediction_id}))


class NotAnEmailJob(ValueError):
    """A message on the email queue that names no prediction: it fails to the dead-letter queue, never loops."""


def prediction_id_of(body: str) -> str:
    try:
        job = json.loads(body)
    except (json.JSONDecodeError, TypeError):
        raise NotAnEmailJob("the message body is not JSON") from None
    prediction_id = job.get("prediction_id") if isinstance(job, dict) else None
    if not isinstance(prediction_id, str) or not prediction_id:
        raise NotAnEmailJob("the message names no prediction_id")
    return prediction_id
