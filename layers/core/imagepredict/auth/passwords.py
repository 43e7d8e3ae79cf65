"""bcrypt password hashing, with a dummy check so unknown emails cost the same time as wrong passwords."""

from __future__ import annotations

import bcrypt

_BCRYPT_MAX_BYTES = 72
_HASH_DIGITS = 31  # a bcrypt hash is "$2b$" + cost + "$" + 22 salt characters + 31 hash characters


class PasswordHasher:
    def __init__(self, rounds: int) -> None:
        self._rounds = rounds
        # checkpw reads only the cost and salt of the stored hash, so a fresh salt makes a dummy that costs exactly
        # what a real check costs, without spending a hash at cold start or on the first unknown email.
        self._dummy_hash = bcrypt.gensalt(rounds) + b"." * _HASH_DIGITS

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
        """Check the password against a hash nobody has, taking as long as a real check."""
        bcrypt.checkpw(password.encode("utf-8")[:_BCRYPT_MAX_BYTES], self._dummy_hash)
