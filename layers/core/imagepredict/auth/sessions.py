"""Refresh tokens in the `refresh_tokens` collection: hashed, expiring, rotated on use, revoked by family."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from pymongo import ReturnDocument
from pymongo.collection import Collection
from pymongo.database import Database

from imagepredict.auth.tokens import REFRESH_REFUSED, hash_refresh_token, new_refresh_token, parse_refresh_token
from imagepredict.errors import InvalidToken


@dataclass(frozen=True)
class Rotation:
    user_id: str
    family_id: str


class RefreshTokenStore:
    def __init__(self, database: Database, ttl_seconds: int) -> None:
        self._tokens: Collection = database["refresh_tokens"]
        self._ttl = timedelta(seconds=ttl_seconds)

    def ensure_indexes(self) -> None:
        self._tokens.create_index("expires_at", expireAfterSeconds=0, name="expires_at_ttl")
        self._tokens.create_index("family_id", name="family")
        self._tokens.create_index("user_id", name="user")

    def issue(self, user_id: str, now: datetime, family_id: str | None = None) -> str:
        token = new_refresh_token()
        token_hash = hash_refresh_token(token)
        self._tokens.insert_one(
            {
                "_id": token_hash,
                "user_id": user_id,
                "family_id": family_id or uuid.uuid4().hex,
                "created_at": now,
                "expires_at": now + self._ttl,
                "used_at": None,
                "revoked_at": None,
            }
        )
        if family_id is not None and self._family_revoked(family_id):
            # A reuse (or a logout) revoked the family while this rotation was under way: its revocation ran
            # before this token existed, so revoke it here; the two orders then end the same way.
            self._revoke({"_id": token_hash}, now)
            raise InvalidToken("This session was signed out while it was being refreshed")
        return token

    def _family_revoked(self, family_id: str) -> bool:
        return self._tokens.find_one({"family_id": family_id, "revoked_at": {"$ne": None}}, {"_id": 1}) is not None

    def use(self, token: str, now: datetime) -> Rotation:
        """Mark the token used (once, atomically). Using a spent token again revokes its whole family."""
        token_hash = hash_refresh_token(parse_refresh_token(token))
        spent = self._tokens.find_one_and_update(
            {"_id": token_hash, "used_at": None, "revoked_at": None, "expires_at": {"$gt": now}},
            {"$set": {"used_at": now}},
            return_document=ReturnDocument.AFTER,
        )
        if spent:
            return Rotation(user_id=spent["user_id"], family_id=spent["family_id"])
        known = self._tokens.find_one({"_id": token_hash})
        if known and known["used_at"] is not None:
            self._revoke({"family_id": known["family_id"]}, now)
            raise InvalidToken("This refresh token was already used; every session started from it is now signed out")
        raise InvalidToken(REFRESH_REFUSED)

    def revoke_user(self, user_id: str, now: datetime) -> None:
        self._revoke({"user_id": user_id}, now)

    def delete_user(self, user_id: str) -> None:
        """Every refresh token of an account that is being deleted, spent or not."""
        self._tokens.delete_many({"user_id": user_id})

    def _revoke(self, which: dict[str, str], now: datetime) -> None:
        self._tokens.update_many({**which, "revoked_at": None}, {"$set": {"revoked_at": now}})
