"""The email jobs built from settings: what the email function runs (every kind of job), and where the auth
function puts its account emails. Apart from wiring.py because the batch worker builds only the result notifier,
and its image has no PyJWT (account tokens) to import."""

from __future__ import annotations

from imagepredict.auth.account_tokens import AccountTokenStore
from imagepredict.auth.mail import AccountMail
from imagepredict.auth.users import UserStore
from imagepredict.aws import ses_client, sqs_client
from imagepredict.email import Mailer
from imagepredict.notifications.jobs import EmailJobRunner, InlineJobs, JobQueue, QueuedJobs
from imagepredict.notifications.wiring import build_notifier
from imagepredict.predictions import PredictionStore, build_prediction_store
from imagepredict.settings import Settings
from imagepredict.storage.mongo import get_database


def build_account_mail(settings: Settings) -> AccountMail:
    database = get_database(settings)
    return AccountMail(
        users=UserStore(database),
        tokens=AccountTokenStore(database),
        mailer=Mailer(ses_client()),
        sender=settings.sender_email,
        app_url=settings.app_url,
    )


def build_email_jobs(settings: Settings, store: PredictionStore | None = None) -> EmailJobRunner:
    """What the email function runs: every kind of job."""
    store = store or build_prediction_store(settings)
    return EmailJobRunner(results=build_notifier(settings, store), accounts=build_account_mail(settings))


def build_job_queue(settings: Settings) -> JobQueue:
    """Where the API puts account email jobs: the email queue, or (without EMAIL_QUEUE_URL) run at once."""
    if settings.email_queue_url:
        return QueuedJobs(sqs_client(), settings.email_queue_url)
    return InlineJobs(build_email_jobs(settings).run)
