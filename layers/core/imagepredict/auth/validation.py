"""What clients send to the auth routes, as typed models: strings only (no Mongo operators), real text, sane sizes.

The field types (fieldtypes.py) trim, normalise and check; their messages are what clients see under `fields`.
Fields a model does not name are ignored.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from imagepredict.fieldtypes import Email, Name, NewPassword, Secret


class Registration(BaseModel):
    model_config = ConfigDict(
        frozen=True,
        json_schema_extra={
            "examples": [{"email": "ada@example.com", "name": "Ada Lovelace", "password": "correct horse battery"}]
        },
    )

    email: Email
    name: Name
    password: NewPassword


class Credentials(BaseModel):
    """Any non-empty password: whether it is right is the only thing a login says about it."""

    model_config = ConfigDict(
        frozen=True, json_schema_extra={"examples": [{"email": "ada@example.com", "password": "correct horse battery"}]}
    )

    email: Email
    password: Secret


class PasswordConfirmation(BaseModel):
    """The caller's current password, asked again before something that cannot be undone."""

    model_config = ConfigDict(frozen=True, json_schema_extra={"examples": [{"password": "my current password"}]})

    password: Secret


class RefreshRequest(BaseModel):
    model_config = ConfigDict(
        frozen=True, json_schema_extra={"examples": [{"refresh_token": "q0Zt6mJ2d0XxB8pQ1c3u9r5yLk4vN7sAeWfGhIjKlMo"}]}
    )

    refresh_token: Secret


_EXAMPLE = "q0Zt6mJ2d0XxB8pQ1c3u9r5yLk4vN7sAeWfGhIjKlMo"
_FROM_THE_LINK = "The `token` query parameter of the emailed link, as it is (43 characters)"


class PasswordResetRequest(BaseModel):
    model_config = ConfigDict(frozen=True, json_schema_extra={"examples": [{"email": "ada@example.com"}]})

    email: Email


class PasswordResetConfirmation(BaseModel):
    model_config = ConfigDict(
        frozen=True, json_schema_extra={"examples": [{"token": _EXAMPLE, "password": "a new long passphrase"}]}
    )

    token: Secret = Field(description=_FROM_THE_LINK)
    password: NewPassword


class EmailVerification(BaseModel):
    model_config = ConfigDict(frozen=True, json_schema_extra={"examples": [{"token": _EXAMPLE}]})

    token: Secret = Field(description=_FROM_THE_LINK)


class PasswordChange(BaseModel):
    model_config = ConfigDict(
        frozen=True,
        json_schema_extra={
            "examples": [{"current_password": "my current password", "new_password": "a new long passphrase"}]
        },
    )

    current_password: Secret
    new_password: NewPassword
