"""Who is acting: a staff member, a victim holding her case code, a partner, or the system."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Role(enum.StrEnum):
    """Staff roles; what each may do is in ``jikimi.cases.access`` and ``jikimi.accounts``."""

    COUNSELLOR = "counsellor"
    ANALYST = "analyst"
    INVESTIGATOR = "investigator"
    ADMIN = "admin"
    CENTRAL_ADMIN = "central_admin"


ROLES_REQUIRING_TOTP = frozenset({Role.ADMIN, Role.CENTRAL_ADMIN})


class ActorKind(enum.StrEnum):
    STAFF = "staff"
    VICTIM = "victim"
    PARTNER = "partner"
    SYSTEM = "system"


@dataclass(frozen=True)
class Actor:
    """The subject of an action, as the audit log records it."""

    kind: ActorKind
    id: int | None = None
    role: Role | None = None
    centre_id: int | None = None
    label: str = ""

    @property
    def ref(self) -> str:
        """A stable reference like ``staff:12`` or ``victim:DSC-2026-000001``."""
        if self.kind is ActorKind.VICTIM:
            return f"victim:{self.label}"
        if self.id is None:
            return f"{self.kind.value}:{self.label or '-'}"
        return f"{self.kind.value}:{self.id}"

    @property
    def is_staff(self) -> bool:
        return self.kind is ActorKind.STAFF

    def has_role(self, *roles: Role) -> bool:
        return self.kind is ActorKind.STAFF and self.role in roles


SYSTEM = Actor(kind=ActorKind.SYSTEM, label="system")


def cli_actor(label: str = "cli") -> Actor:
    """The operator at the server's command line (root of the installation)."""
    return Actor(kind=ActorKind.SYSTEM, label=label)
