"""The admin API's parts, built once per container from its settings: the one place they are put together."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

from imagepredict.admin.audit import AuditLog
from imagepredict.admin.dead_letters import DeadLetters, QueueUrls
from imagepredict.admin.predictions import PredictionSearch
from imagepredict.admin.stats import StatsQueries
from imagepredict.admin.users import AdminUsers
from imagepredict.auth.sessions import RefreshTokenStore
from imagepredict.aws import sqs_client
from imagepredict.predictions import build_prediction_store
from imagepredict.settings import Settings, SettingsError, text_setting
from imagepredict.storage.mongo import get_database


def queue_urls(env: Mapping[str, str]) -> QueueUrls:
    """CLASSIFY_QUEUE_URL and CLASSIFY_DLQ_URL (template.yaml sets both); only the dead-letter routes need them."""
    classify, dead_letters = text_setting(env, "CLASSIFY_QUEUE_URL"), text_setting(env, "CLASSIFY_DLQ_URL")
    if not (classify and dead_letters):
        raise SettingsError("Set CLASSIFY_QUEUE_URL and CLASSIFY_DLQ_URL")
    return QueueUrls(classify=classify, dead_letters=dead_letters)


@dataclass
class Admin:
    settings: Settings
    users: AdminUsers
    predictions: PredictionSearch
    stats: StatsQueries
    audit: AuditLog

    @cached_property
    def dead_letters(self) -> DeadLetters:
        store = build_prediction_store(self.settings)
        return DeadLetters(sqs_client(), queue_urls(os.environ), store, self.audit)


def build_admin(settings: Settings) -> Admin:
    database = get_database(settings)
    audit = AuditLog(database)
    refresh_tokens = RefreshTokenStore(database, settings.refresh_token_ttl_seconds)
    admin = Admin(
        settings=settings,
        users=AdminUsers(database, refresh_tokens, audit),
        predictions=PredictionSearch(database),
        stats=StatsQueries(database),
        audit=audit,
    )
    for part in (admin.audit, admin.users, admin.predictions):
        part.ensure_indexes()
    return admin
