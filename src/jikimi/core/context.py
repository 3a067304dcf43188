"""What every service function receives: the session, the keys and who is acting."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from jikimi.core.actors import Actor
from jikimi.core.audit import audit_key, defer_entry
from jikimi.core.config import Settings
from jikimi.core.security import Keyring


@dataclass
class ServiceContext:
    """One unit of work: a transaction, the installation's keys and the acting subject."""

    session: Session
    keys: Keyring
    actor: Actor
    settings: Settings
    _audit_key: bytes = field(init=False, repr=False)
    refusals: list[dict[str, Any]] = field(default_factory=list, repr=False)
    """Refusals audited in this unit of work: written again in their own transaction when this
    one rolls back (a refused request usually ends in an error, which rolls back)."""

    def __post_init__(self) -> None:
        self._audit_key = audit_key(self.keys.signing_secret)

    def audit(
        self,
        action: str,
        record_type: str,
        record_id: str | int,
        *,
        centre_id: int | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        """Audit an action of this actor: the entry is appended by the commit of the current
        transaction, with the change it records (``core.audit.defer_entry``)."""
        defer_entry(self.session, self._audit_key, {
            "actor": self.actor, "action": action, "record_type": record_type,
            "record_id": record_id, "centre_id": centre_id, "details": details})

    def audit_refusal(
        self,
        action: str,
        record_type: str,
        record_id: str | int,
        *,
        centre_id: int | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        """Audit a refused access: kept even when the refusal's error rolls the unit back."""
        self.refusals.append({"actor": self.actor, "action": action, "record_type": record_type,
                              "record_id": record_id, "centre_id": centre_id,
                              "details": details})
        self.audit(action, record_type, record_id, centre_id=centre_id, details=details)

    def record_refusals_after_rollback(self, session: Session) -> None:
        """Write this unit's refusals into ``session`` (a new transaction, or the one a
        rolled-back savepoint left open): appended by its commit."""
        for refusal in self.refusals:
            defer_entry(session, self._audit_key, dict(refusal))
