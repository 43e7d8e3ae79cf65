"""Roles: every account is a `user`; an `admin` is an address the deployment names (ADMIN_EMAILS) that its owner
has verified. Nothing a client sends can set a role: it is derived here, at every sign-in, refresh and
verification, and stored so the guard and the admin pages can read it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Role = Literal["user", "admin"]
USER: Role = "user"
ADMIN: Role = "admin"
ROLES: tuple[Role, ...] = (USER, ADMIN)


@dataclass(frozen=True)
class RolePolicy:
    admin_emails: frozenset[str] = frozenset()

    @classmethod
    def of(cls, emails: Iterable[str]) -> RolePolicy:
        return cls(frozenset(email.strip().lower() for email in emails if email.strip()))

    def role_for(self, email: str, *, email_verified: bool) -> Role:
        # Verified only: otherwise whoever registers a configured address first, before its owner, would be admin.
        return ADMIN if email_verified and email.lower() in self.admin_emails else USER
