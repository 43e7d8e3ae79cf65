"""GET /admin/stats: the last N days (UTC) of predictions, in one aggregation ($facet) over the window.

- per day and status, by creation day (days without a prediction are zeros);
- classification time: from the claim (`started_at`, set when a consumer takes the image) to the stored result
  (`completed_at`), of the predictions that are done, p50 and p95 (MongoDB's $percentile, approximate; 7.0 or later);
  inference alone (timings.inference_ms) beside it;
- email outcomes of the done predictions, by email.status;
- the ten most frequent top labels;
- per consumer (`lambda`, the classify function; `worker`, the batch worker; `unknown` for records from before the
  consumer was stamped), the model of its latest classification in the window: what each consumer runs now.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pymongo.collection import Collection
from pymongo.database import Database

from imagepredict.admin.predictions import STATUSES
from imagepredict.clock import utc_now
from imagepredict.fieldtypes import Timestamp, problem

DEFAULT_DAYS, MAX_DAYS = 30, 90
TOP_LABELS = 10
_DIGITS = re.compile("[0-9]{1,2}")
_EXAMPLE = {
    "days": 2,
    "since": "2026-11-24T00:00:00.000Z",
    "until": "2026-11-25T12:00:00.000Z",
    "per_day": [
        {"day": "2026-11-24", "pending": 0, "processing": 0, "done": 40, "rejected": 2, "failed": 0, "total": 42},
        {"day": "2026-11-25", "pending": 1, "processing": 0, "done": 17, "rejected": 0, "failed": 1, "total": 19},
    ],
    "classification_ms": {"count": 57, "p50": 210.0, "p95": 480.0},
    "inference_ms": {"count": 57, "p50": 0.2, "p95": 0.4},
    "emails": {"sent": 55, "skipped": 2},
    "top_labels": [{"label": "7", "count": 12}, {"label": "3", "count": 9}],
    "models": [
        {
            "consumer": "lambda",
            "name": "digits-cnn",
            "version": "1",
            "sha256": "9f2c5e0a" + "0" * 56,
            "last_classified_at": "2026-11-25T11:59:58.000Z",
        }
    ],
}


def _days(value: Any) -> Any:
    """Like `limit`: ASCII digits only, 1 to 90."""
    if not isinstance(value, str) or not _DIGITS.fullmatch(value) or not 1 <= int(value) <= MAX_DAYS:
        raise problem(f"Must be a whole number from 1 to {MAX_DAYS}")
    return int(value)


Days = Annotated[int, BeforeValidator(_days)]


class DayCounts(BaseModel):
    day: date
    pending: int
    processing: int
    done: int
    rejected: int
    failed: int
    total: int


class Percentiles(BaseModel):
    count: int = Field(description="How many predictions the percentiles are of")
    p50: float | None
    p95: float | None


class LabelCount(BaseModel):
    label: str
    count: int


class ConsumerModel(BaseModel):
    consumer: str = Field(description="`lambda` (the classify function), `worker` (the batch worker) or `unknown`")
    name: str
    version: str
    sha256: str
    last_classified_at: Timestamp


class Stats(BaseModel):
    """The window is `since` (the start of the first day, UTC) to `until` (now)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE]})

    days: int
    since: Timestamp
    until: Timestamp
    per_day: list[DayCounts]
    classification_ms: Percentiles = Field(description="From a consumer's claim to the stored result (done only)")
    inference_ms: Percentiles = Field(description="The model's own time (done only)")
    emails: dict[str, int] = Field(description="Done predictions by email status: sent, skipped, refused, ...")
    top_labels: list[LabelCount]
    models: list[ConsumerModel]


def _percentiles(field: Any) -> list[dict[str, Any]]:
    return [
        {"$match": {"status": "done"}},
        {"$project": {"value": field}},
        {"$match": {"value": {"$type": "number"}}},
        {
            "$group": {
                "_id": None,
                "count": {"$sum": 1},
                "p": {"$percentile": {"input": "$value", "p": [0.5, 0.95], "method": "approximate"}},
            }
        },
    ]


FACETS: dict[str, list[dict[str, Any]]] = {
    "per_day": [
        {
            "$group": {
                "_id": {"day": {"$dateToString": {"format": "%Y-%m-%d", "date": "$created_at"}}, "status": "$status"},
                "count": {"$sum": 1},
            }
        }
    ],
    "classification_ms": _percentiles({"$subtract": ["$completed_at", "$started_at"]}),
    "inference_ms": _percentiles("$timings.inference_ms"),
    "emails": [{"$match": {"status": "done"}}, {"$group": {"_id": "$email.status", "count": {"$sum": 1}}}],
    "top_labels": [
        {"$match": {"status": "done"}},
        {"$group": {"_id": "$result.top.label", "count": {"$sum": 1}}},
        {"$sort": {"count": -1, "_id": 1}},
        {"$limit": TOP_LABELS},
    ],
    "models": [
        {"$match": {"status": "done", "result.model": {"$type": "object"}}},
        {"$sort": {"completed_at": -1}},
        {
            "$group": {
                "_id": {"$ifNull": ["$consumer", "unknown"]},
                "model": {"$first": "$result.model"},
                "at": {"$first": "$completed_at"},
            }
        },
        {"$sort": {"_id": 1}},
    ],
}


class StatsQueries:
    def __init__(self, database: Database, clock: Callable[[], datetime] = utc_now) -> None:
        self._predictions: Collection = database["predictions"]
        self._clock = clock

    def stats(self, days: int) -> Stats:
        now = self._clock()
        first_day = now.astimezone(UTC).date() - timedelta(days=days - 1)
        since = datetime.combine(first_day, time(), tzinfo=UTC)
        (facets,) = self._predictions.aggregate([{"$match": {"created_at": {"$gte": since}}}, {"$facet": FACETS}])
        return Stats(
            days=days,
            since=since,
            until=now,
            per_day=_per_day(facets["per_day"], first_day, days),
            classification_ms=_percentiles_of(facets["classification_ms"]),
            inference_ms=_percentiles_of(facets["inference_ms"]),
            emails={str(group["_id"]): group["count"] for group in facets["emails"] if group["_id"] is not None},
            top_labels=[LabelCount(label=str(g["_id"]), count=g["count"]) for g in facets["top_labels"]],
            models=[_consumer_model(group) for group in facets["models"]],
        )


def _per_day(groups: list[dict[str, Any]], first_day: date, days: int) -> list[DayCounts]:
    counts: dict[str, dict[str, int]] = {}
    for group in groups:
        if group["_id"]["status"] in STATUSES:
            counts.setdefault(group["_id"]["day"], {})[group["_id"]["status"]] = group["count"]
    rows = []
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        found = counts.get(day.isoformat(), {})
        by_status = {status: found.get(status, 0) for status in STATUSES}
        rows.append(DayCounts(day=day, **by_status, total=sum(by_status.values())))
    return rows


def _percentiles_of(groups: list[dict[str, Any]]) -> Percentiles:
    if not groups:
        return Percentiles(count=0, p50=None, p95=None)
    (group,) = groups
    p50, p95 = group["p"]
    return Percentiles(count=group["count"], p50=round(p50, 3), p95=round(p95, 3))


def _consumer_model(group: dict[str, Any]) -> ConsumerModel:
    model = group["model"]
    return ConsumerModel(
        consumer=str(group["_id"]),
        name=str(model.get("name")),
        version=str(model.get("version")),
        sha256=str(model.get("sha256")),
        last_classified_at=group["at"],
    )
