"""The keys access tokens are signed and verified with: fixed (tools, tests), or a Secrets Manager secret that rotates.

After a rotation, tokens signed with the previous key stay valid for one access-token lifetime (plus the time a
container may still hold the old key, the secrets' max age), so nobody is signed out by a rotation; after that,
the previous key is refused, so a leaked key stops working.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from imagepredict.secrets import PREVIOUS, SecretCache
from imagepredict.settings import SettingsError

MIN_KEY_BYTES = 32  # HS256 needs a key at least as long as its 256-bit output


class SigningKeys(Protocol):
    def signing_key(self) -> str: ...

    def verification_keys(self) -> list[str]:
        """The keys a token may be signed with, the current one first."""
        ...


def checked_key(key: str) -> str:
    if len(key.encode("utf-8")) < MIN_KEY_BYTES:
        raise ValueError(f"The JWT signing key must be at least {MIN_KEY_BYTES} bytes")
    return key


class StaticKeys:
    def __init__(self, key: str) -> None:
        self._key = checked_key(key)

    def signing_key(self) -> str:
        return self._key

    def verification_keys(self) -> list[str]:
        return [self._key]


class RotatingKeys:
    """The secret's current version signs; its previous version verifies for `grace_seconds` after a rotation."""

    def __init__(
        self,
        secrets: SecretCache,
        secret_id: str,
        *,
        grace_seconds: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._secrets = secrets
        self._secret_id = secret_id
        self._grace_seconds = grace_seconds
        self._clock = clock

    def signing_key(self) -> str:
        return self._valid(self._secrets.current(self._secret_id).value)

    def verification_keys(self) -> list[str]:
        current = self._secrets.current(self._secret_id)
        keys = [self._valid(current.value)]
        if self._clock() < current.created.timestamp() + self._grace_seconds:
            previous = self._secrets.get(self._secret_id, PREVIOUS)
            if previous is not None and len(previous.value.encode("utf-8")) >= MIN_KEY_BYTES:
                keys.append(previous.value)
        return keys

    def _valid(self, key: str) -> str:
        try:
            return checked_key(key)
        except ValueError as error:  # the secret holds an unusable key: a deployment mistake, not a user's
            raise SettingsError(f"{self._secret_id}: {error}") from None
