"""bcrypt password hashing, with a dummy check so unknown emails cost the same time as wrong passwords."""

from __future__ import annotations

from functools import cached_property

import bcrypt

_BCRYPT_MAX_BYTES = 72


class PasswordHasher:
    def __init__(self, rounds: int) -> None:
        self._rounds = rounds

    def hash(self, password: str) -> str:
        return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(self._rounds)).decode("ascii")

    def verify(self, password: str, password_hash: str) -> bool:
        candidate = password.encode("utf-8")
        if len(candidate) > _BCRYPT_MAX_BYTES:
            # No stored password can be this long (registration refuses it); spend the same time anyway.
            self.waste_time(password)
            return False
        return bcrypt.checkpw(candidate, password_hash.encode("ascii"))

    def waste_time(self, password: str) -> None:
        """Check the password against a hash of nothing, as long as a real check takes."""
        bcrypt.checkpw(password.encode("utf-8")[:_BCRYPT_MAX_BYTES], self._dummy_hash)

    @cached_property
    def _dummy_hash(self) -> bytes:
        return bcrypt.hashpw(b"no user has this password", bcrypt.gensalt(self._rounds))
