"""What the auth routes answer: an account as others may see it, and a session (the account and its tokens)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from imagepredict.auth.roles import Role
from imagepredict.auth.service import Session
from imagepredict.auth.users import User
from imagepredict.fieldtypes import Timestamp

USER_EXAMPLE = {
    "id": "6745a1c2e4b0a1b2c3d4e5f6",
    "email": "ada@example.com",
    "name": "Ada Lovelace",
    "created_at": "2026-11-25T12:00:00.000Z",
    "role": "user",
    "email_verified": True,
}


class PublicUser(BaseModel):
    """An account, without its password hash."""

    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [USER_EXAMPLE]})

    id: str
    email: str
    name: str
    created_at: Timestamp
    role: Role = Field(description="`admin` for the addresses the deployment names (AdminEmails), once verified")
    email_verified: bool = Field(description="Whether the owner confirmed the address; result emails need it")

    @classmethod
    def of(cls, user: User) -> PublicUser:
        return cls.model_validate(user)


class SessionBody(BaseModel):
    """A signed-in session: the account, a short-lived access token and the refresh token that renews it."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "user": USER_EXAMPLE,
                    "access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI2NzQ1YTFjMiJ9.c2lnbmF0dXJl",
                    "refresh_token": "q0Zt6mJ2d0XxB8pQ1c3u9r5yLk4vN7sAeWfGhIjKlMo",
                    "token_type": "Bearer",
                    "expires_in": 900,
                }
            ]
        },
    )

    user: PublicUser
    access_token: str = Field(description="A JWT: send it as `Authorization: Bearer <access_token>`")
    refresh_token: str = Field(description="Opaque; trade it once at POST /auth/refresh for a new pair")
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 - a scheme, not a secret
    expires_in: int = Field(description="Seconds until the access token expires")

    @classmethod
    def of(cls, session: Session) -> SessionBody:
        return cls.model_validate(session)


class Me(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"user": USER_EXAMPLE}]})

    user: PublicUser


class Accepted(BaseModel):
    """A request taken: what it leads to happens by email."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"message": "If an account uses this address, we have emailed it a link"}]}
    )

    message: str = Field(description="For people: show it")
