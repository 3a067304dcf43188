"""A refused access stays in the audit log although the refusal's error rolls its unit of
work back: staff of another centre reading a case (API and service), and an investigator
without the role for evidence."""

from __future__ import annotations

from sqlalchemy import select
from tests.conftest import World, auth

from jikimi import accounts, cases
from jikimi.core.actors import cli_actor
from jikimi.core.audit import AuditEntry, audit_key, verify_chain
from jikimi.core.runtime import Runtime
from jikimi.errors import Forbidden


def _denials(runtime: Runtime, action: str, code: str) -> list[AuditEntry]:
    with runtime.sessions() as session:
        return list(session.scalars(select(AuditEntry).where(
            AuditEntry.action == action, AuditEntry.record_id == code)))


def test_refused_reads_are_audited(client, runtime: Runtime, world: World) -> None:  # type: ignore[no-untyped-def]
    with runtime.context(cli_actor("test")) as ctx:
        centre = accounts.resolve_centre(ctx.session, world.centre_a)
        code = cases.open_case(ctx, centre, cases.IntakeChannel.WEB).case.code
    assert _denials(runtime, "case.access_denied", code) == []
    r = client.get(f"/api/v1/cases/{code}", headers=auth(world.staff["counsellor_b"]))
    assert r.status_code == 403
    denied = _denials(runtime, "case.access_denied", code)
    assert len(denied) == 1 and denied[0].actor.startswith("staff:")
    # the same through the service, in a unit of work that ends in the error
    with runtime.context(cli_actor("test")) as ctx:
        other = accounts.actor_for(accounts.get_user(ctx, world.staff["analyst_b"].id))
    try:
        with runtime.context(other) as ctx:
            cases.get_case(ctx, code)
    except Forbidden:
        pass
    else:
        raise AssertionError("another centre's analyst read the case")
    assert len(_denials(runtime, "case.access_denied", code)) == 2
    # evidence: a role that may not list it
    r = client.get(f"/api/v1/cases/{code}/evidence", headers=auth(world.staff["analyst_a"]))
    assert r.status_code == 403
    assert len(_denials(runtime, "evidence.access_denied", code)) == 1
    with runtime.sessions() as session:
        report = verify_chain(session, audit_key(runtime.keys.signing_secret))
    assert report.ok, report
