"""Health and audit-chain verification endpoints."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from jikimi.accounts import StaffContext
from jikimi.core.actors import Role
from jikimi.core.audit import audit_key, verify_chain
from jikimi.errors import Forbidden

router = APIRouter(prefix="/api/v1")


class Health(BaseModel):
    status: str


class AuditVerification(BaseModel):
    ok: bool
    entries: int
    first_bad_entry: int | None
    reason: str | None


@router.get("/health", response_model=Health, tags=["system"])
def health() -> Health:
    return Health(status="ok")


@router.get("/audit/verify", response_model=AuditVerification, tags=["system"])
def audit_verify(ctx: StaffContext) -> AuditVerification:
    """Walk the whole audit chain (administrators)."""
    if not ctx.actor.has_role(Role.ADMIN, Role.CENTRAL_ADMIN):
        raise Forbidden("only administrators verify the audit log")
    report = verify_chain(ctx.session, audit_key(ctx.keys.signing_secret))
    ctx.audit("audit.verify", "audit", "*", centre_id=ctx.actor.centre_id,
              details={"ok": report.ok})
    return AuditVerification(ok=report.ok, entries=report.entries,
                             first_bad_entry=report.problem.seq if report.problem else None,
                             reason=report.problem.reason if report.problem else None)
