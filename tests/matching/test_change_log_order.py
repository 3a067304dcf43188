"""The bank change log is read by sequence (the matcher, the partner feed), so on PostgreSQL a
writer must not commit a higher sequence number while a lower one is still open: a second
writer waits for the first one's commit and draws a higher number."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select
from tests.conftest import World

from jikimi import matching
from jikimi.core.actors import cli_actor
from jikimi.core.runtime import Runtime
from jikimi.matching.models import BankChange
from jikimi.matching.service import NewEntry


def _entry(n: int) -> NewEntry:
    return NewEntry("sha256", f"{n:064x}", None, "original", f"c{n}", "")


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_second_writer_waits_for_the_first_commit(runtime: Runtime, world: World) -> None:
    operator = cli_actor("test")
    with runtime.context(operator) as ctx:
        matching.create_bank(ctx, "ordered")
    first_open = threading.Event()
    release_first = threading.Event()
    second_seq: list[int] = []
    second_done_at: list[float] = []

    def first() -> None:
        with runtime.context(operator) as ctx:
            audit = ctx.audit

            def audit_later(*args, **kwargs):  # type: ignore[no-untyped-def]
                # The first writer has drawn its sequence number and not yet audited: the
                # window in which a second writer could otherwise commit a higher number.
                first_open.set()
                release_first.wait(10)
                time.sleep(0.3)
                return audit(*args, **kwargs)

            ctx.audit = audit_later  # type: ignore[method-assign]
            matching.add_entries(ctx, "ordered", [_entry(1)])

    def second() -> None:
        first_open.wait(10)
        with runtime.context(operator) as ctx:
            matching.add_entries(ctx, "ordered", [_entry(2)])
            second_seq.append(ctx.session.scalar(select(func.max(BankChange.seq))) or 0)
        second_done_at.append(time.monotonic())

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    first_open.wait(10)
    time.sleep(0.5)
    assert not second_done_at, "the second writer committed while the first was open"
    released_at = time.monotonic()
    release_first.set()
    for t in threads:
        t.join(20)
    assert second_done_at and second_done_at[0] >= released_at + 0.25
    with runtime.sessions() as session:
        rows = session.execute(select(BankChange.seq, BankChange.entry_id)
                               .order_by(BankChange.seq)).all()
    assert [r.seq for r in rows] == sorted(r.seq for r in rows)
    assert second_seq[0] == rows[-1].seq
