"""The result email of a finished prediction: owed once, queued (or sent at once when there is no email queue),
sent once, retried when an earlier send failed or its sender vanished, final when the email service refuses it.

Only to a verified address: an owner who has not confirmed theirs gets no result email (`skipped`, reason
`unverified`), so mail goes only where someone asked for it (the SES sandbox and its bounce rate stay healthy).
That is looked up when the email is sent, not when the image was uploaded: an owner may verify meanwhile."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from urllib.parse import quote

from aws_lambda_powertools.metrics import MetricUnit

from imagepredict.clock import utc_now
from imagepredict.email import Mailer, compose_result_email
from imagepredict.email.failures import classify_send_error
from imagepredict.notifications.outbox import EmailOutbox
from imagepredict.observability import metrics
from imagepredict.predictions import PENDING, Prediction, PredictionStore

EMAIL_STALE_AFTER = timedelta(minutes=5)
UNVERIFIED = "unverified"  # the reason of a result email skipped because its owner's address is not verified


class ResultNotifier:
    def __init__(
        self,
        *,
        store: PredictionStore,
        mailer: Mailer,
        sender: str | None,
        notify_email: str | None,
        app_url: str,
        owner_verified: Callable[[str], bool],
        outbox: EmailOutbox | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        """With an `outbox`, emails owed are queued for the email function; without one they are sent at once."""
        self._store = store
        self._outbox = outbox
        self._mailer = mailer
        self._sender = sender
        self._notify_email = notify_email
        self._app_url = app_url
        self._owner_verified = owner_verified
        self._clock = clock

    def initial_status(self, prediction: Prediction) -> str:
        """What a newly finished prediction's email starts as: pending when someone can be emailed."""
        return PENDING if self._recipient(prediction) and self._sender else "skipped"

    def notify(self, prediction: Prediction) -> None:
        """A newly finished prediction's email, unless none is due."""
        if prediction.email.get("status") == PENDING:
            self.retry(prediction.id)

    def retry(self, prediction_id: str) -> None:
        """The email, if it may still be owed: queued (the sender's claim makes a second job a no-op) or sent."""
        if self._outbox is not None:
            self._outbox.put(prediction_id)
        else:
            self.send_now(prediction_id)

    def send_now(self, prediction_id: str) -> bool:
        """Send the email if it is still owed (never sent, failed, or claimed by a sender that vanished); True when
        this call sent it. A transient failure raises (try again later); a refusal is recorded as final."""
        claimed = self._store.claim_email(prediction_id, self._clock(), EMAIL_STALE_AFTER)
        return claimed is not None and self._send(claimed)

    def _recipient(self, prediction: Prediction) -> str | None:
        return prediction.owner_email if prediction.owner_id else self._notify_email

    def _send(self, prediction: Prediction) -> bool:
        recipient = self._recipient(prediction)
        if not (recipient and self._sender and prediction.result):
            self._store.email_failed(prediction.id, "no recipient or sender configured")
            _count("ResultEmailFailed")
            return False
        if prediction.owner_id and not self._owner_verified(prediction.owner_id):
            self._store.email_skipped(prediction.id, UNVERIFIED)
            _count("ResultEmailSkipped")
            return False
        link = f"{self._app_url}/#/predictions/{quote(prediction.id)}" if prediction.owner_id else None
        message = compose_result_email(
            sender=self._sender, recipient=recipient, filename=prediction.filename, result=prediction.result, link=link
        )
        try:
            message_id = self._mailer.send(message)
        except Exception as error:
            failure = classify_send_error(error)
            if failure.permanent:  # final: recorded, and the message is done (retrying would be refused again)
                self._store.email_refused(prediction.id, failure.code, failure.reason)
                _count("ResultEmailRefused")
                return False
            self._store.email_failed(prediction.id, f"{failure.code}: {error}")
            _count("ResultEmailFailed")
            raise
        self._store.email_sent(prediction.id, self._clock(), message_id)
        _count("ResultEmailSent")
        return True


def _count(outcome: str) -> None:
    """One EMF count per send attempt's outcome (the email.status it records), whoever sends: the dashboard's
    "Result emails" widget."""
    metrics.add_metric(name=outcome, unit=MetricUnit.Count, value=1)
