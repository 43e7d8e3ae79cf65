"""Every prediction, across users, newest first, filtered by status, creation dates, top label, model version and
owner. The query is built here from typed values only (a status of the five, dates, plain strings compared for
equality, an ObjectId-shaped owner id): nothing a client sends reaches MongoDB as an operator or a pattern."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, get_args

from bson import ObjectId
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema
from pymongo import DESCENDING
from pymongo.collection import Collection
from pymongo.database import Database

from imagepredict.admin.paging import newest_first
from imagepredict.errors import InvalidRequest
from imagepredict.fieldtypes import problem, unicode_text
from imagepredict.predictions.api import PredictionView, Status
from imagepredict.predictions.cursor import EARLIEST, LATEST
from imagepredict.predictions.store import prediction_from_document

STATUSES: tuple[str, ...] = get_args(Status)
MAX_TEXT = 100
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_USER_ID = re.compile(r"[0-9a-f]{24}")
_EXAMPLE = {
    **PredictionView.model_config["json_schema_extra"]["examples"][0],  # type: ignore[index]
    "owner_id": "6745a1c2e4b0a1b2c3d4e5f6",
    "owner_email": "ada@example.com",
    "attempts": 1,
    "consumer": "lambda",
}


def _status(value: Any) -> Any:
    if value not in STATUSES:
        raise problem(f"Must be one of {', '.join(STATUSES)}")
    return value


def _date(value: Any) -> date:
    """YYYY-MM-DD only (pydantic's own date would also take a number of seconds or a time of day)."""
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise problem("Must be a date as YYYY-MM-DD")
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise problem("Must be a date as YYYY-MM-DD") from None
    if not EARLIEST.date() <= day < LATEST.date():
        raise problem(f"Must be from {EARLIEST.year} to {LATEST.year}")
    return day


def _text(value: str) -> str:
    if not 0 < len(unicode_text(value)) <= MAX_TEXT:
        raise problem(f"Use 1 to {MAX_TEXT} characters")
    return value


def _user_id(value: str) -> str:
    if not _USER_ID.fullmatch(value):
        raise problem("Must be a user id (24 lower-case hexadecimal digits)")
    return value


def _prediction_id(value: str) -> str:
    if not _USER_ID.fullmatch(value):  # the same shape: an ObjectId as the API writes it
        raise problem("Must be a prediction id (24 lower-case hexadecimal digits)")
    return value


StatusFilter = Annotated[Status, BeforeValidator(_status)]
Day = Annotated[date, BeforeValidator(_date), WithJsonSchema({"type": "string", "format": "date"})]
ExactText = Annotated[str, AfterValidator(_text)]
UserId = Annotated[str, AfterValidator(_user_id)]
PredictionId = Annotated[str, AfterValidator(_prediction_id)]


@dataclass(frozen=True)
class PredictionFilters:
    status: str | None = None
    since: date | None = None  # from the start of this day (UTC)
    until: date | None = None  # to the end of this day (UTC)
    label: str | None = None
    model_version: str | None = None
    user_id: str | None = None
    prediction_id: str | None = None  # one prediction, whoever owns it (a user quoting an id, a dead letter's link)

    def __post_init__(self) -> None:
        if self.since and self.until and self.until < self.since:
            raise InvalidRequest(InvalidRequest.summary, fields={"until": "Must be on or after since"})

    def query(self) -> dict[str, Any]:
        query: dict[str, Any] = {}
        created: dict[str, datetime] = {}
        if self.since:
            created["$gte"] = _start_of(self.since)
        if self.until:
            created["$lt"] = _start_of(self.until + timedelta(days=1))
        equal = {
            "status": self.status,
            "created_at": created or None,
            "result.top.label": self.label,
            "result.model.version": self.model_version,
            "owner_id": self.user_id,
            "_id": ObjectId(self.prediction_id) if self.prediction_id else None,
        }
        query.update({field: value for field, value in equal.items() if value is not None})
        return query


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


class AdminPrediction(PredictionView):
    """A prediction with its owner and who classified it."""

    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE]})

    owner_id: str | None = Field(description="null for an image dropped under inbox/ by another system")
    owner_email: str | None
    attempts: int = Field(description="How many times it was taken to be classified")
    consumer: str | None = Field(description="`lambda` or `worker`: who classified it (null until then)")


class AdminPredictionPage(BaseModel):
    """Predictions of every user, newest first."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [_EXAMPLE], "next_cursor": None}]})

    items: list[AdminPrediction]
    next_cursor: str | None = Field(description="Pass it as `cursor` for the next page; null on the last page")


def admin_prediction(document: dict[str, Any]) -> AdminPrediction:
    prediction = prediction_from_document(document)
    view = PredictionView.model_validate(prediction)
    return AdminPrediction(
        **dict(view),
        owner_id=prediction.owner_id,
        owner_email=prediction.owner_email,
        attempts=prediction.attempts,
        consumer=document.get("consumer"),
    )


class PredictionSearch:
    def __init__(self, database: Database) -> None:
        self._predictions: Collection = database["predictions"]

    def ensure_indexes(self) -> None:
        self._predictions.create_index([("created_at", DESCENDING), ("_id", DESCENDING)], name="newest_first")

    def page(self, filters: PredictionFilters, *, limit: int, cursor: str | None) -> AdminPredictionPage:
        documents, next_cursor = newest_first(
            self._predictions, filters.query(), time_field="created_at", limit=limit, cursor=cursor
        )
        return AdminPredictionPage(
            items=[admin_prediction(document) for document in documents], next_cursor=next_cursor
        )
