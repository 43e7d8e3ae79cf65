"""The result notifier built from settings: the one place the classify function, the worker and the email function
assemble it (job_wiring.py builds the email jobs on top of it)."""

from __future__ import annotations

from imagepredict.auth.users import UserStore
from imagepredict.aws import ses_client, sqs_client
from imagepredict.email import Mailer
from imagepredict.notifications.notifier import ResultNotifier
from imagepredict.notifications.outbox import EmailOutbox
from imagepredict.predictions import PredictionStore
from imagepredict.settings import Settings
from imagepredict.storage.mongo import get_database


def build_notifier(settings: Settings, store: PredictionStore) -> ResultNotifier:
    outbox = EmailOutbox(sqs_client(), settings.email_queue_url) if settings.email_queue_url else None
    return ResultNotifier(
        store=store,
        mailer=Mailer(ses_client()),
        sender=settings.sender_email,
        notify_email=settings.notify_email,
        app_url=settings.app_url,
        owner_verified=UserStore(get_database(settings)).is_verified,
        outbox=outbox,
    )
