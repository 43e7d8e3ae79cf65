"""Accounts in the `users` collection."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId
from pymongo import ReturnDocument
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from imagepredict.auth.roles import ROLES, USER, Role
from imagepredict.errors import EmailTaken


@dataclass(frozen=True)
class User:
    id: str
    email: str
    name: str
    created_at: datetime
    password_hash: str
    role: Role = USER
    email_verified: bool = False
    disabled_at: datetime | None = None
    tokens_valid_after: datetime | None = None  # access tokens issued before it are refused (sign-out everywhere)

    @property
    def disabled(self) -> bool:
        return self.disabled_at is not None

    def accepts_token_issued_at(self, issued_at: int) -> bool:
        """Whether an access token issued at `issued_at` (whole seconds) may still act for this account."""
        return self.tokens_valid_after is None or issued_at >= int(self.tokens_valid_after.timestamp())


def _user(document: dict[str, Any]) -> User:
    role = document.get("role", USER)
    return User(
        id=str(document["_id"]),
        email=document["email"],
        name=document["name"],
        created_at=document["created_at"],
        password_hash=document["password_hash"],
        role=role if role in ROLES else USER,
        email_verified=document.get("email_verified") is True,
        disabled_at=document.get("disabled_at"),
        tokens_valid_after=document.get("tokens_valid_after"),
    )


class UserStore:
    def __init__(self, database: Database) -> None:
        self._users: Collection = database["users"]

    def ensure_indexes(self) -> None:
        self._users.create_index("email", unique=True, name="email_unique")

    def create(self, *, email: str, name: str, password_hash: str, created_at: datetime) -> User:
        document = {
            "email": email,
            "name": name,
            "password_hash": password_hash,
            "created_at": created_at,
            "role": USER,
            "email_verified": False,
            "disabled_at": None,
            "tokens_valid_after": None,
        }
        try:
            result = self._users.insert_one(document)
        except DuplicateKeyError:
            raise EmailTaken(
                "An account with this email already exists", fields={"email": "Already registered"}
            ) from None
        return _user({**document, "_id": result.inserted_id})

    def by_email(self, email: str) -> User | None:
        document = self._users.find_one({"email": email})
        return _user(document) if document else None

    def by_id(self, user_id: str) -> User | None:
        object_id = _object_id(user_id)
        document = self._users.find_one({"_id": object_id}) if object_id else None
        return _user(document) if document else None

    def exists(self, user_id: str) -> bool:
        object_id = _object_id(user_id)
        return object_id is not None and self._users.find_one({"_id": object_id}, {"_id": 1}) is not None

    def set_role(self, user_id: str, role: Role) -> User | None:
        """Store the role RolePolicy derived (the only writer of `role`); the account as it is now."""
        return self._update(user_id, {"$set": {"role": role}})

    def set_password(
        self, user_id: str, password_hash: str, *, tokens_valid_after: datetime, verified: bool = False
    ) -> User | None:
        """A new password; access tokens issued before `tokens_valid_after` are refused from then on. `verified`:
        the change came through a link mailed to the address, so the address is proven too."""
        fields: dict[str, Any] = {"password_hash": password_hash, "tokens_valid_after": tokens_valid_after}
        if verified:
            fields["email_verified"] = True
        return self._update(user_id, {"$set": fields})

    def mark_verified(self, user_id: str) -> User | None:
        return self._update(user_id, {"$set": {"email_verified": True}})

    def is_verified(self, user_id: str) -> bool:
        """Whether the account exists and its owner confirmed the address (one lookup by _id)."""
        object_id = _object_id(user_id)
        found = self._users.find_one({"_id": object_id}, {"email_verified": 1}) if object_id else None
        return bool(found) and found.get("email_verified") is True

    def _update(self, user_id: str, update: dict[str, Any]) -> User | None:
        object_id = _object_id(user_id)
        if object_id is None:
            return None
        document = self._users.find_one_and_update({"_id": object_id}, update, return_document=ReturnDocument.AFTER)
        return _user(document) if document else None

    def delete(self, user_id: str) -> None:
        object_id = _object_id(user_id)
        if object_id is not None:
            self._users.delete_one({"_id": object_id})


def _object_id(user_id: str) -> ObjectId | None:
    try:
        return ObjectId(user_id)
    except (InvalidId, TypeError):
        return None
