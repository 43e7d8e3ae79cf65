"""One-time tokens mailed to account owners (password reset, email verification), in `account_tokens`.

A token is 32 random bytes (base64url, 43 characters) that only the email holds: the collection keeps its SHA-256
as _id, with its purpose, the account, the address it was sent to, when it expires (a TTL index removes it after)
and when it was used. Spending is one atomic update, so of two confirmations at once exactly one wins. Issuing a
token of a purpose invalidates the account's earlier unused ones of that purpose: only the newest link works.
Text that is not what we issue is refused before any lookup, like a refresh token.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from pymongo.collection import Collection
from pymongo.database import Database

from imagepredict.auth.tokens import hash_refresh_token, new_refresh_token, parse_refresh_token
from imagepredict.errors import InvalidToken

Purpose = Literal["password_reset", "verify_email"]
PASSWORD_RESET: Purpose = "password_reset"  # noqa: S105 - a purpose, not a secret
VERIFY_EMAIL: Purpose = "verify_email"
LIFETIMES: dict[Purpose, timedelta] = {PASSWORD_RESET: timedelta(minutes=30), VERIFY_EMAIL: timedelta(hours=24)}


@dataclass(frozen=True)
class Spent:
    user_id: str
    email: str  # the address the token was mailed to


class AccountTokenStore:
    def __init__(self, database: Database) -> None:
        self._tokens: Collection = database["account_tokens"]

    def ensure_indexes(self) -> None:
        self._tokens.create_index("expires_at", expireAfterSeconds=0, name="expires_at_ttl")
        self._tokens.create_index([("user_id", 1), ("purpose", 1)], name="user_purpose")

    def issue(self, user_id: str, email: str, purpose: Purpose, now: datetime) -> str:
        """A new token for the account; its earlier unused tokens of the same purpose stop working."""
        self._tokens.delete_many({"user_id": user_id, "purpose": purpose, "used_at": None})
        token = new_refresh_token()
        self._tokens.insert_one(
            {
                "_id": hash_refresh_token(token),
                "purpose": purpose,
                "user_id": user_id,
                "email": email,
                "created_at": now,
                "expires_at": now + LIFETIMES[purpose],
                "used_at": None,
            }
        )
        return token

    def spend(self, token: object, purpose: Purpose, now: datetime) -> Spent | None:
        """Use the token once: what it was issued for, or None when it is malformed, unknown, of another purpose,
        expired or already used (the caller says which error; it never says which of these it was)."""
        try:
            token_hash = hash_refresh_token(parse_refresh_token(token))
        except InvalidToken:
            return None
        spent = self._tokens.find_one_and_update(
            {"_id": token_hash, "purpose": purpose, "used_at": None, "expires_at": {"$gt": now}},
            {"$set": {"used_at": now}},
        )
        return Spent(user_id=spent["user_id"], email=spent["email"]) if spent else None

    def delete_user(self, user_id: str) -> None:
        """Every token of an account that is being deleted."""
        self._tokens.delete_many({"user_id": user_id})
