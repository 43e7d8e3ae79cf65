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


def user_from_document(document: dict[str, Any]) -> User:
    """A `users` document as a User: the one reader of the collection's format (the admin pages use it too)."""
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
        return user_from_document({**document, "_id": result.inserted_id})

    def by_email(self, email: str) -> User | None:
        document = self._users.find_one({"email": email})
        return user_from_document(document) if document else None

    def by_id(self, user_id: str) -> User | None:
        identifier = object_id(user_id)
        document = self._users.find_one({"_id": identifier}) if identifier else None
        return user_from_document(document) if document else None

    def exists(self, user_id: str) -> bool:
        identifier = object_id(user_id)
        return identifier is not None and self._users.find_one({"_id": identifier}, {"_id": 1}) is not None

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
        identifier = object_id(user_id)
        found = self._users.find_one({"_id": identifier}, {"email_verified": 1}) if identifier else None
        return bool(found) and found.get("email_verified") is True

    def _update(self, user_id: str, update: dict[str, Any]) -> User | None:
        identifier = object_id(user_id)
        if identifier is None:
            return None
        document = self._users.find_one_and_update({"_id": identifier}, update, return_document=ReturnDocument.AFTER)
        return user_from_document(document) if document else None

    def delete(self, user_id: str) -> None:
        identifier = object_id(user_id)
        if identifier is not None:
            self._users.delete_one({"_id": identifier})


def object_id(user_id: str) -> ObjectId | None:
    """The ObjectId an account id names, or None for any other text (no lookup is worth making)."""
    if not isinstance(user_id, str) or len(user_id) != 24:  # ObjectId also takes 12 raw bytes: not an id we write
        return None
    try:
        return ObjectId(user_id)
    except (InvalidId, TypeError):
        return None
