"""A unit of work's audit entries are appended by its commit (``core.audit.defer_entry``): in
the order they were recorded, with the change they record or not at all, and without holding
the chain's head while the transaction does its work (an import's bookkeeping)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session
from tests.conftest import World

from jikimi import matching
from jikimi.core.actors import Actor, ActorKind, cli_actor
from jikimi.core.audit import AuditEntry, AuditHead, audit_key, verify_chain
from jikimi.core.audit_writer import AuditWriter
from jikimi.core.runtime import Runtime
from jikimi.matching.service import NewEntry
from jikimi.partners import feed


def _actions(runtime: Runtime) -> list[str]:
    with runtime.sessions() as session:
        return list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)))


def _chain_ok(runtime: Runtime) -> None:
    with runtime.sessions() as session:
        report = verify_chain(session, audit_key(runtime.keys.signing_secret))
    assert report.ok, report.problem


def test_entries_are_appended_by_the_commit_in_order(runtime: Runtime) -> None:
    with runtime.context(cli_actor("test")) as ctx:
        ctx.audit("test.first", "test", 1)
        ctx.audit("test.second", "test", 2)
        with runtime.sessions() as other:  # nothing is written before the commit
            assert other.scalar(select(func.count()).select_from(AuditEntry)) == 0
        ctx.audit("test.third", "test", 3)
    assert _actions(runtime) == ["test.first", "test.second", "test.third"]
    _chain_ok(runtime)


def test_a_rollback_drops_its_entries(runtime: Runtime) -> None:
    with pytest.raises(RuntimeError), runtime.context(cli_actor("test")) as ctx:
        ctx.audit("test.lost", "test", 1)
        raise RuntimeError("the unit fails")
    with runtime.context(cli_actor("test")) as ctx:
        ctx.audit("test.kept", "test", 2)
    assert _actions(runtime) == ["test.kept"]
    _chain_ok(runtime)


def test_a_savepoint_keeps_or_drops_what_it_audited(runtime: Runtime) -> None:
    with runtime.context(cli_actor("test")) as ctx:
        ctx.audit("test.before", "test", 1)
        with pytest.raises(RuntimeError), ctx.session.begin_nested():
            ctx.audit("test.undone", "test", 2)
            with ctx.session.begin_nested():
                ctx.audit("test.undone_inner", "test", 3)
            raise RuntimeError("the savepoint rolls back")
        with ctx.session.begin_nested():
            ctx.audit("test.released", "test", 4)
            with pytest.raises(RuntimeError), ctx.session.begin_nested():
                ctx.audit("test.undone_too", "test", 5)
                raise RuntimeError("the inner savepoint rolls back")
            ctx.audit("test.released_after", "test", 6)
        ctx.audit("test.after", "test", 7)
    assert _actions(runtime) == ["test.before", "test.released", "test.released_after",
                                 "test.after"]
    _chain_ok(runtime)


def test_a_refusal_survives_its_rollback(runtime: Runtime) -> None:
    with pytest.raises(PermissionError), runtime.context(cli_actor("test")) as ctx:
        ctx.audit("test.done", "test", 1)
        ctx.audit_refusal("test.refused", "test", 2)
        raise PermissionError("refused")
    assert _actions(runtime) == ["test.refused"]
    _chain_ok(runtime)


@pytest.fixture
def late_commit_step() -> Iterator[list[str]]:
    """A commit step registered after the audit's: it audits too."""
    seen: list[str] = []

    def late(session: Session) -> None:
        ctx_key = session.info.get("test.late_key")
        if ctx_key is not None:
            from jikimi.core.audit import defer_entry
            defer_entry(session, ctx_key, {"actor": cli_actor("late"), "action": "test.late",
                                           "record_type": "test", "record_id": 9})
            seen.append("late")

    event.listen(Session, "before_commit", late)
    yield seen
    event.remove(Session, "before_commit", late)


def test_an_entry_recorded_after_the_audit_step_is_still_appended(
        runtime: Runtime, late_commit_step: list[str]) -> None:
    with runtime.context(cli_actor("test")) as ctx:
        ctx.audit("test.first", "test", 1)
        ctx.session.info["test.late_key"] = audit_key(runtime.keys.signing_secret)
    assert late_commit_step == ["late"]
    assert _actions(runtime) == ["test.first", "test.late"]
    _chain_ok(runtime)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_an_import_does_not_hold_the_audit_head_during_its_bookkeeping(
        runtime: Runtime, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """While an import's transaction does the feed's bookkeeping before its commit, a partner
    lookup's audit entry (the audit writer) and a staff unit of work are appended and
    answered; the import then commits its own entry after them, in one valid chain. (On
    PostgreSQL: SQLite has one writer at a time by design.)"""
    operator = cli_actor("test")
    with runtime.context(operator) as ctx:
        matching.create_bank(ctx, "imported")
        ctx.audit("test.start", "test", 0)
    in_bookkeeping = threading.Event()
    release = threading.Event()
    finish = feed._Refresh.finish

    def slow_finish(self: Any) -> None:  # the feed's bookkeeping, its locks taken
        in_bookkeeping.set()
        release.wait(30)
        finish(self)

    monkeypatch.setattr(feed._Refresh, "finish", slow_finish)
    failures: list[BaseException] = []

    def import_() -> None:
        try:
            with runtime.context(operator) as ctx:
                matching.add_entries(ctx, "imported", [
                    NewEntry("sha256", f"{n:064x}", None, "original", f"c{n}", "")
                    for n in range(50)])
        except BaseException as exc:
            failures.append(exc)

    importer = threading.Thread(target=import_)
    importer.start()
    try:
        assert in_bookkeeping.wait(30), "the import never reached its bookkeeping"
        writer = AuditWriter(runtime.sessions, audit_key(runtime.keys.signing_secret))
        partner = Actor(kind=ActorKind.PARTNER, id=7, label="Platform G")
        started = time.monotonic()
        seq = writer.write(partner, "partner.lookup", "partner", 7, details={"n": 1})
        with runtime.context(operator) as ctx:
            ctx.audit("test.staff", "test", 1)
        waited = time.monotonic() - started
        writer.close()
        assert seq > 0
        assert waited < 5, f"audited writes waited {waited:.1f} s for the import"
        with runtime.sessions() as session:  # the import has not committed yet
            assert session.scalar(select(AuditHead.last_seq)) == seq + 1
    finally:
        release.set()
        importer.join(60)
    assert not failures, failures
    assert _actions(runtime)[-3:] == ["partner.lookup", "test.staff", "bank.add_entries"]
    _chain_ok(runtime)
