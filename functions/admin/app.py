"""The admin API: users, every prediction, stats, the classify dead-letter queue and the audit log.

Every route takes an AdminCaller: 401 without a valid token, 403 `forbidden` for a user. Every mutation is audited
(imagepredict/admin/audit.py), with API Gateway's request id.
"""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from imagepredict.admin.audit import Actor, AuditPage
from imagepredict.admin.dead_letter_models import (
    DeadLetterPage,
    RedriveInProgress,
    RedriveRequest,
    RedriveResult,
    dead_letter_not_found,
)
from imagepredict.admin.predictions import (
    AdminPredictionPage,
    Day,
    ExactText,
    PredictionFilters,
    PredictionId,
    StatusFilter,
    UserId,
)
from imagepredict.admin.stats import DEFAULT_DAYS, MAX_DAYS, Days, Stats
from imagepredict.admin.users import CannotDisableSelf, EmailPrefix, UserBody, UserPage, user_not_found
from imagepredict.admin.wiring import Admin, build_admin
from imagepredict.api import create_resolver
from imagepredict.api.caller import BEARER, AdminCaller, CallerAccount
from imagepredict.api.docs import answers
from imagepredict.errors import InvalidRequest
from imagepredict.fieldtypes import DEFAULT_LIMIT, MAX_LIMIT, Limit
from imagepredict.observability import logger, metrics, tracer
from imagepredict.predictions import InvalidCursor
from imagepredict.settings import get_settings
from imagepredict.storage.mongo import per_mongodb_uri

app = create_resolver()
TAGS = ["admin"]
BAD_LIMIT = InvalidRequest(InvalidRequest.summary, fields={"limit": f"Must be a whole number from 1 to {MAX_LIMIT}"})
PAGE_ERRORS = [BAD_LIMIT, InvalidCursor()]
BAD_FILTER = InvalidRequest(InvalidRequest.summary, fields={"status": "Must be one of pending, processing, done, ..."})
BAD_IDS = InvalidRequest(
    InvalidRequest.summary, fields={"message_ids.0": "Must be an SQS message id (a lower-case UUID)"}
)
BAD_DAYS = InvalidRequest(InvalidRequest.summary, fields={"days": f"Must be a whole number from 1 to {MAX_DAYS}"})
PageSize = Annotated[
    Limit, Query(description="Page size (ASCII digits)", json_schema_extra={"minimum": 1, "maximum": MAX_LIMIT})
]
Cursor = Annotated[str | None, Query(description="The `next_cursor` of the previous page")]
UserIdPath = Annotated[
    str, Path(description="The user's id (24 hexadecimal digits)", examples=["6745a1c2e4b0a1b2c3d4e5f6"])
]


@per_mongodb_uri  # rebuilt on a new client when the MongoDB URI secret rotates
def admin() -> Admin:
    return build_admin(get_settings())


def actor(caller: CallerAccount) -> Actor:
    return Actor.of(caller, app.current_event.request_context.request_id)


@app.get(
    "/admin/users",
    operation_id="adminListUsers",
    tags=TAGS,
    security=BEARER,
    summary="Find accounts by email prefix, newest first",
    description="`email` is a prefix of the address, compared as stored (lower case), taken literally.",
    responses=answers(200, "A page of accounts with their prediction counts", UserPage, errors=PAGE_ERRORS, admin=True),
)
def list_users(
    caller: AdminCaller,
    email: Annotated[EmailPrefix, Query(description="The start of the address; empty or absent: every account")] = "",
    limit: PageSize = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> UserPage:
    return admin().users.page(email_prefix=email, limit=limit, cursor=cursor)


@app.post(
    "/admin/users/<user_id>/disable",
    operation_id="adminDisableUser",
    tags=TAGS,
    security=BEARER,
    summary="Disable an account",
    description="Its tokens stop working at its next request and its refresh tokens are revoked; signing in is "
    "refused (403 `account_disabled`) until it is enabled. Audited.",
    responses=answers(
        200, "The account, disabled", UserBody, errors=[CannotDisableSelf(), user_not_found()], admin=True
    ),
)
def disable_user(user_id: UserIdPath, caller: AdminCaller) -> UserBody:
    disabled = admin().users.disable(actor(caller), user_id)
    logger.info("User disabled", extra={"user_id": user_id, "by": caller.user_id})
    return disabled


@app.post(
    "/admin/users/<user_id>/enable",
    operation_id="adminEnableUser",
    tags=TAGS,
    security=BEARER,
    summary="Enable a disabled account",
    description="The person signs in again (tokens from before the disable stay refused). Audited.",
    responses=answers(200, "The account, enabled", UserBody, errors=[user_not_found()], admin=True),
)
def enable_user(user_id: UserIdPath, caller: AdminCaller) -> UserBody:
    enabled = admin().users.enable(actor(caller), user_id)
    logger.info("User enabled", extra={"user_id": user_id, "by": caller.user_id})
    return enabled


@app.get(
    "/admin/predictions",
    operation_id="adminListPredictions",
    tags=TAGS,
    security=BEARER,
    summary="Every user's predictions, newest first, filtered",
    description="Filters combine (all must hold). `since` and `until` are days (UTC), both included.",
    responses=answers(
        200, "A page of predictions", AdminPredictionPage, errors=[BAD_FILTER, InvalidCursor()], admin=True
    ),
)
def list_predictions(
    caller: AdminCaller,
    status: Annotated[StatusFilter | None, Query(description="pending, processing, done, rejected or failed")] = None,
    since: Annotated[Day | None, Query(description="Created on or after this day (YYYY-MM-DD, UTC)")] = None,
    until: Annotated[Day | None, Query(description="Created on or before this day (YYYY-MM-DD, UTC)")] = None,
    label: Annotated[ExactText | None, Query(description="The top label, exactly")] = None,
    model_version: Annotated[ExactText | None, Query(description="The model's version, exactly")] = None,
    user_id: Annotated[UserId | None, Query(description="The owner's id")] = None,
    prediction_id: Annotated[PredictionId | None, Query(description="One prediction, by its id")] = None,
    limit: PageSize = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> AdminPredictionPage:
    filters = PredictionFilters(status, since, until, label, model_version, user_id, prediction_id)
    return admin().predictions.page(filters, limit=limit, cursor=cursor)


@app.get(
    "/admin/stats",
    operation_id="adminGetStats",
    tags=TAGS,
    security=BEARER,
    summary="Predictions per day, classification times, emails, labels and models",
    responses=answers(200, "The last `days` days", Stats, errors=[BAD_DAYS], admin=True),
)
def get_stats(
    caller: AdminCaller,
    days: Annotated[
        Days,
        Query(description="Days back, today included (UTC)", json_schema_extra={"minimum": 1, "maximum": MAX_DAYS}),
    ] = DEFAULT_DAYS,
) -> Stats:
    return admin().stats.stats(days)


@app.get(
    "/admin/dead-letters",
    operation_id="adminListDeadLetters",
    tags=TAGS,
    security=BEARER,
    summary="Look at the classify dead-letter queue (nothing is deleted)",
    responses=answers(200, "The messages, with their predictions and why they are there", DeadLetterPage, admin=True),
)
def list_dead_letters(caller: AdminCaller) -> DeadLetterPage:
    return admin().dead_letters.page()


@app.post(
    "/admin/dead-letters/redrive",
    operation_id="adminRedriveDeadLetters",
    status_code=202,
    tags=TAGS,
    security=BEARER,
    summary="Send dead letters back to the classify queue",
    description='`{}` moves the whole queue (SQS StartMessageMoveTask, asynchronous); `{"message_ids": [...]}` '
    "moves those now. Either way they are classified again. Audited.",
    responses=answers(202, "Accepted", RedriveResult, errors=[BAD_IDS, RedriveInProgress()], body=True, admin=True),
)
def redrive(request: Annotated[RedriveRequest, Body()], caller: AdminCaller) -> RedriveResult:
    result = admin().dead_letters.redrive(actor(caller), request.message_ids)
    logger.info("Dead letters redriven", extra={"mode": result.mode, "moved": len(result.moved), "by": caller.user_id})
    return result


@app.delete(
    "/admin/dead-letters/<message_id>",
    operation_id="adminDiscardDeadLetter",
    status_code=204,
    tags=TAGS,
    security=BEARER,
    summary="Discard one dead letter, for good",
    description="Audited.",
    responses=answers(204, "Deleted", errors=[dead_letter_not_found()], admin=True),
)
def discard_dead_letter(
    message_id: Annotated[str, Path(description="The message's id", examples=["5fea7756-0ea4-451a-a703-a558b933e274"])],
    caller: AdminCaller,
) -> None:
    admin().dead_letters.discard(actor(caller), message_id)
    logger.info("Dead letter discarded", extra={"message_id": message_id, "by": caller.user_id})


@app.get(
    "/admin/audit",
    operation_id="adminListAudit",
    tags=TAGS,
    security=BEARER,
    summary="What administrators did, newest first",
    responses=answers(200, "A page of the audit log", AuditPage, errors=PAGE_ERRORS, admin=True),
)
def list_audit(caller: AdminCaller, limit: PageSize = DEFAULT_LIMIT, cursor: Cursor = None) -> AuditPage:
    return admin().audit.page(limit=limit, cursor=cursor)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
