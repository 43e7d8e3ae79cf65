"""Every account, as an administrator sees it: a search by email prefix, prediction counts, disable and enable.

The search is a range on the unique email index (`prefix <= email < the next prefix`), never a pattern: whatever a
prefix holds (`.*`, `^`, `$where`, `\\`) is only the characters it holds. Disabling an account sets `disabled_at` and
`tokens_valid_after`, and revokes its refresh tokens: its next request with any token is 401 (api/caller.py), a login
with the right password 403 `account_disabled`, a refresh 401. Enabling clears `disabled_at` only, so access tokens
from before the disable stay refused and the person signs in again.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pymongo import ReturnDocument
from pymongo.collection import Collection
from pymongo.database import Database

from imagepredict.admin.audit import Actor, AuditLog
from imagepredict.admin.paging import newest_first
from imagepredict.auth.roles import Role
from imagepredict.auth.sessions import RefreshTokenStore
from imagepredict.auth.users import object_id, user_from_document
from imagepredict.auth.views import USER_EXAMPLE
from imagepredict.clock import utc_now
from imagepredict.errors import InvalidRequest, NotFound
from imagepredict.fieldtypes import EMAIL_MAX_LENGTH, Timestamp, problem, unicode_text

_MAX_CODE_POINT = 0x10FFFF
_SURROGATES = range(0xD800, 0xE000)
_USER = {**USER_EXAMPLE, "disabled": False, "disabled_at": None, "predictions": 12}


def _prefix(value: str) -> str:
    """Compared as registration stores addresses: NFC and lower case; the prefix is otherwise taken as it is."""
    value = unicodedata.normalize("NFC", unicode_text(value)).lower()
    if len(value) > EMAIL_MAX_LENGTH:
        raise problem(f"Use at most {EMAIL_MAX_LENGTH} characters")
    return value


EmailPrefix = Annotated[str, AfterValidator(_prefix)]


class CannotDisableSelf(InvalidRequest):
    code = "cannot_disable_self"

    def __init__(self) -> None:
        super().__init__("You cannot disable your own account")


def user_not_found() -> NotFound:
    return NotFound("No such user")


class AdminUser(BaseModel):
    """An account with what an administrator needs to know of it (never its password hash)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_USER]})

    id: str
    email: str
    name: str
    created_at: Timestamp
    role: Role
    email_verified: bool
    disabled: bool
    disabled_at: Timestamp | None
    predictions: int = Field(description="How many predictions the account has")


class UserPage(BaseModel):
    """Accounts, newest first."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [_USER], "next_cursor": None}]})

    items: list[AdminUser]
    next_cursor: str | None = Field(description="Pass it as `cursor` for the next page; null on the last page")


class UserBody(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"user": {**_USER, "disabled": True}}]})

    user: AdminUser


def successor(prefix: str) -> str | None:
    """The least string above every string that starts with `prefix` (None: there is none, every string is)."""
    while prefix:
        last = ord(prefix[-1]) + 1
        if last in _SURROGATES:  # no text holds them: the next code point is the first after them
            last = _SURROGATES.stop
        if last <= _MAX_CODE_POINT:
            return prefix[:-1] + chr(last)
        prefix = prefix[:-1]
    return None


def email_range(prefix: str) -> dict[str, Any]:
    """A query for the addresses that start with `prefix`, as a range of plain strings ({} for every address)."""
    if not prefix:
        return {}
    bounds: dict[str, str] = {"$gte": prefix}
    upper = successor(prefix)
    if upper is not None:
        bounds["$lt"] = upper
    return {"email": bounds}


def _admin_user(document: dict[str, Any], predictions: int) -> AdminUser:
    user = user_from_document(document)
    return AdminUser(
        id=user.id,
        email=user.email,
        name=user.name,
        created_at=user.created_at,
        role=user.role,
        email_verified=user.email_verified,
        disabled=user.disabled,
        disabled_at=user.disabled_at,
        predictions=predictions,
    )


class AdminUsers:
    def __init__(
        self,
        database: Database,
        refresh_tokens: RefreshTokenStore,
        audit: AuditLog,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._users: Collection = database["users"]
        self._predictions: Collection = database["predictions"]
        self._refresh_tokens = refresh_tokens
        self._audit = audit
        self._clock = clock

    def ensure_indexes(self) -> None:
        self._users.create_index([("created_at", -1), ("_id", -1)], name="newest_first")

    def page(self, *, email_prefix: str, limit: int, cursor: str | None) -> UserPage:
        documents, next_cursor = newest_first(
            self._users, email_range(email_prefix), time_field="created_at", limit=limit, cursor=cursor
        )
        counts = self._prediction_counts([str(document["_id"]) for document in documents])
        items = [_admin_user(document, counts.get(str(document["_id"]), 0)) for document in documents]
        return UserPage(items=items, next_cursor=next_cursor)

    def _prediction_counts(self, user_ids: list[str]) -> dict[str, int]:
        """One aggregation for the whole page (the owner index serves it)."""
        if not user_ids:
            return {}
        grouped = self._predictions.aggregate(
            [{"$match": {"owner_id": {"$in": user_ids}}}, {"$group": {"_id": "$owner_id", "count": {"$sum": 1}}}]
        )
        return {group["_id"]: group["count"] for group in grouped}

    def disable(self, actor: Actor, user_id: str) -> UserBody:
        with self._audit.recorded(actor, "user.disable", f"user:{user_id}", {}) as details:
            if user_id == actor.user_id:
                raise CannotDisableSelf()
            now = self._clock()
            # Whole seconds, as access tokens count time (the same rule as a password change, auth/service.py).
            changes = {"disabled_at": now, "tokens_valid_after": now.replace(microsecond=0)}
            document = self._update(user_id, {"disabled_at": None}, changes) or self._find(user_id)
            self._refresh_tokens.revoke_user(user_id, now)  # again for one disabled already: nothing lost
            details["email"] = document["email"]
            return self._body(document)

    def enable(self, actor: Actor, user_id: str) -> UserBody:
        with self._audit.recorded(actor, "user.enable", f"user:{user_id}", {}) as details:
            document = self._update(user_id, {}, {"disabled_at": None}) or self._find(user_id)
            details["email"] = document["email"]
            return self._body(document)

    def _update(self, user_id: str, condition: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any] | None:
        identifier = object_id(user_id)
        if identifier is None:
            return None
        return self._users.find_one_and_update(
            {"_id": identifier, **condition}, {"$set": changes}, return_document=ReturnDocument.AFTER
        )

    def _find(self, user_id: str) -> dict[str, Any]:
        identifier = object_id(user_id)
        document = self._users.find_one({"_id": identifier}) if identifier else None
        if document is None:
            raise user_not_found()
        return document

    def _body(self, document: dict[str, Any]) -> UserBody:
        user_id = str(document["_id"])
        return UserBody(user=_admin_user(document, self._prediction_counts([user_id]).get(user_id, 0)))
