"""Audit entries of requests answered on an event loop (``AuditWriter.write_async``, the fast
doors): on PostgreSQL the loop appends them itself, one statement per group against the head
it last wrote. Other writers moving the head in between (a service's transaction, the writer
thread of the same process, another process) still give one unbroken chain; a failed group
answers none of its requests; and a group's commit waits for the WAL flush past it."""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from tests.conftest import run_async

import jikimi.core.audit_writer as audit_writer
from jikimi.core.actors import Actor, ActorKind, cli_actor
from jikimi.core.audit import AuditEntry, AuditHead, audit_key, verify_chain, write_deferred
from jikimi.core.audit_writer import AuditUnavailable, AuditWriter, HeadHint
from jikimi.core.runtime import Runtime

PARTNER = Actor(kind=ActorKind.PARTNER, id=9, label="Platform L")


def _writer(runtime: Runtime) -> AuditWriter:
    return AuditWriter(runtime.sessions, audit_key(runtime.keys.signing_secret))


def _chain_ok(runtime: Runtime) -> None:
    with runtime.sessions() as session:
        report = verify_chain(session, audit_key(runtime.keys.signing_secret))
    assert report.ok, report.problem


def test_loop_groups_chain_after_every_other_writer(runtime: Runtime) -> None:
    """The loop's groups, a service's own audited transactions and the writer thread append
    in turns; every entry is written once, in one chain (the first group also starts the
    chain on an empty log)."""
    writer = _writer(runtime)
    seqs: list[int] = []

    async def scenario() -> None:
        seqs.extend(await asyncio.gather(*(
            writer.write_async(PARTNER, "partner.lookup", "partner", 9, details={"n": n})
            for n in range(5))))
        for turn in range(4):
            # the head moves under the loop: a service's entry, then the writer thread's
            with runtime.context(cli_actor("test")) as ctx:
                ctx.audit("test.between", "test", turn)
                seqs.extend(write_deferred(ctx.session))  # what its commit would append
            seqs.append(await asyncio.to_thread(
                writer.write, cli_actor("test"), "test.thread", "test", turn))
            seqs.extend(await asyncio.gather(*(
                writer.write_async(PARTNER, "partner.lookup", "partner", 9,
                                   details={"turn": turn, "n": n}) for n in range(3))))

    run_async(scenario())
    if runtime.engine.dialect.name == "postgresql":  # the first group locks the head
        appenders = list(writer._appenders.values())
        assert len(appenders) == 1 and appenders[0].locked_appends >= 1
        assert appenders[0].groups >= 5
    writer.close()
    assert sorted(seqs) == list(range(min(seqs), min(seqs) + len(seqs)))
    _chain_ok(runtime)


def test_loop_and_threads_at_once_make_one_chain(runtime: Runtime) -> None:
    """Requests on a loop and in threads of the same process at the same time."""
    writer = _writer(runtime)
    with runtime.context(cli_actor("test")) as ctx:
        ctx.audit("test.start", "test", 0)
    from_threads: list[int] = []

    def threads() -> None:
        for n in range(40):
            from_threads.append(writer.write(cli_actor("test"), "test.thread", "test", n))

    async def on_loop() -> list[int]:
        answered: list[int] = []
        for n in range(20):
            answered.extend(await asyncio.gather(*(
                writer.write_async(PARTNER, "partner.lookup", "partner", 9,
                                   details={"n": n, "i": i}) for i in range(4))))
        return answered

    worker = threading.Thread(target=threads)
    worker.start()
    from_loop = run_async(on_loop())
    worker.join(60)
    writer.close()
    everything = sorted(from_threads + from_loop)
    assert len(everything) == 120 and len(set(everything)) == 120
    _chain_ok(runtime)


def test_a_failed_loop_group_answers_no_request(runtime: Runtime,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A group whose append fails refuses every request in it; the next group works."""
    writer = _writer(runtime)

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("disk full")

    # PostgreSQL: the loop builds its rows itself; SQLite: the writer thread's append
    target = "chain_rows" if runtime.engine.dialect.name == "postgresql" else "append_entries"
    original = getattr(audit_writer, target)

    async def scenario() -> int:
        monkeypatch.setattr(audit_writer, target, broken)
        outcomes = await asyncio.gather(*(
            writer.write_async(PARTNER, "partner.lookup", "partner", 9) for _ in range(3)),
            return_exceptions=True)
        assert all(isinstance(o, AuditUnavailable) for o in outcomes), outcomes
        monkeypatch.setattr(audit_writer, target, original)
        return await writer.write_async(PARTNER, "partner.lookup", "partner", 9)

    assert run_async(scenario()) >= 1
    writer.close()
    _chain_ok(runtime)


def test_a_loop_group_commits_with_the_wal_flushed(runtime: Runtime,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """PostgreSQL: a group's commit returns only once the WAL is flushed past it, so that an
    answered entry survives a crash of the database too. Checked right after each group, on
    the appender's own connection: the WAL is flushed beyond where it was written just
    before the group (an asynchronous commit, or a flush by a transaction that writes no WAL
    such as ``SELECT txid_current()``, fails this unless something else flushed meanwhile)."""
    if runtime.engine.dialect.name != "postgresql":
        pytest.skip("the WAL flush is PostgreSQL's")
    flushed: list[bool] = []
    original_append = audit_writer._LoopAppender._append

    async def append(self: Any, entries: list[dict[str, Any]]) -> list[int]:
        before = None
        if self._conn is not None:
            cursor = await self._conn.execute("SELECT pg_current_wal_insert_lsn()::text")
            before = (await cursor.fetchone())[0]
        seqs = await original_append(self, entries)
        if before is not None:
            cursor = await self._conn.execute(
                "SELECT pg_current_wal_flush_lsn() > %s::pg_lsn", (before,))
            flushed.append(bool((await cursor.fetchone())[0]))
        return seqs

    monkeypatch.setattr(audit_writer._LoopAppender, "_append", append)
    writer = _writer(runtime)

    async def scenario() -> None:
        for n in range(6):
            await writer.write_async(PARTNER, "partner.lookup", "partner", 9, details={"n": n})

    try:
        run_async(scenario())
    finally:
        writer.close()
    assert len(flushed) == 5 and all(flushed), flushed
    _chain_ok(runtime)


def test_loop_group_keeps_every_value_exactly(runtime: Runtime) -> None:
    """A group's values reach the table exactly as they were chained (on PostgreSQL the group
    travels as one JSON array): Korean, quotes, backslashes, newlines and control characters
    in the details and the record id, a missing centre, timestamps to the microsecond; the
    chain verifies and the rows read back equal what was written."""
    writer = _writer(runtime)
    odd = ['센터 "따옴표" \\ 역슬래시', "line\nbreak\ttab", "\u2028\u00e9\U0001F600", "{}", ""]

    async def scenario() -> list[int]:
        return list(await asyncio.gather(*(
            writer.write_async(PARTNER, "partner.lookup", "partner", f"키-{n}-{text}"[:80],
                               centre_id=None if n % 2 else 7,
                               details={"text": text, "n": n, "nested": {"빈": [text]}})
            for n, text in enumerate(odd))))

    seqs = run_async(scenario())
    writer.close()
    _chain_ok(runtime)  # the timestamps are in each entry's hash: read back to the µs
    with runtime.sessions() as session:
        rows = {row.seq: row for row in session.scalars(
            select(AuditEntry).where(AuditEntry.seq.in_(seqs)))}
    for n, (seq, text) in enumerate(zip(seqs, odd, strict=True)):
        row = rows[seq]
        assert row.record_id == f"키-{n}-{text}"[:80]
        assert row.centre_id == (None if n % 2 else 7)
        assert json.loads(row.details) == {"text": text, "n": n, "nested": {"빈": [text]}}


def _hinted_writer(runtime: Runtime, hint: Path) -> AuditWriter:
    return AuditWriter(runtime.sessions, audit_key(runtime.keys.signing_secret),
                       head_hint=hint)


def _head(runtime: Runtime) -> tuple[int, str]:
    with runtime.sessions() as session:
        row = session.execute(select(AuditHead.last_seq, AuditHead.last_hash)).one()
    return int(row[0]), str(row[1])


def test_processes_take_turns_through_the_head_hint(runtime: Runtime, tmp_path: Path) -> None:
    """Two serving processes' loops (two writers, each on its own loop in its own thread,
    sharing the host's hint file) append at the same time: every entry is written once, in
    one unbroken chain, and on PostgreSQL most groups go in one statement after the hinted
    head instead of locking it."""
    hint = tmp_path / "audit-head.hint"
    with runtime.context(cli_actor("test")) as ctx:
        ctx.audit("test.start", "test", 0)
    writers = [_hinted_writer(runtime, hint) for _ in range(2)]
    answered: list[list[int]] = [[], []]

    def serve(number: int) -> None:
        async def requests() -> None:
            for turn in range(40):
                answered[number].extend(await asyncio.gather(*(
                    writers[number].write_async(PARTNER, "partner.lookup", "partner", number,
                                                details={"turn": turn, "n": n})
                    for n in range(3))))
        asyncio.run(requests())

    threads = [threading.Thread(target=serve, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seqs = answered[0] + answered[1]
    assert len(seqs) == 240 and len(set(seqs)) == 240
    assert sorted(seqs) == list(range(min(seqs), min(seqs) + 240))
    if runtime.engine.dialect.name == "postgresql":
        appenders = [a for w in writers for a in w._appenders.values()]
        hinted = sum(a.hinted_appends for a in appenders)
        locked = sum(a.locked_appends for a in appenders)
        assert hinted > locked, (hinted, locked)
        assert HeadHint(hint)._read() == _head(runtime)
    for writer in writers:
        writer.close()
    _chain_ok(runtime)


@pytest.mark.parametrize("wrong", ["stale", "ahead", "garbage", "truncated", "oversized"])
def test_a_wrong_hint_costs_one_locked_group(runtime: Runtime, tmp_path: Path,
                                             wrong: str) -> None:
    """A hint that is not the database's head (left by a stopped process, a group refused,
    a file damaged, cut short or overlong) writes nothing wrong: the group is refused whole
    by the database, goes the locked way, and the hint is set right for the next group."""
    if runtime.engine.dialect.name != "postgresql":
        pytest.skip("the loop appender (and its hint) is PostgreSQL's")
    hint = tmp_path / "audit-head.hint"
    with runtime.context(cli_actor("test")) as ctx:
        ctx.audit("test.start", "test", 0)
    before = _head(runtime)
    if wrong == "garbage":
        hint.write_bytes(b"\xff" * HeadHint.SIZE)
    elif wrong == "truncated":
        hint.write_bytes(b"\x00" * 8 + b"ab")
    elif wrong == "oversized":
        hint.write_bytes(b"7" * (HeadHint.SIZE * 50))
    else:
        seq = before[0] - 1 if wrong == "stale" else before[0] + 5
        HeadHint(hint).set((seq, "0" * 64))
    writer = _hinted_writer(runtime, hint)

    async def two_groups() -> list[int]:
        first = await writer.write_async(PARTNER, "partner.lookup", "partner", 1)
        second = await writer.write_async(PARTNER, "partner.lookup", "partner", 2)
        return [first, second]

    assert run_async(two_groups()) == [before[0] + 1, before[0] + 2]
    appender = next(iter(writer._appenders.values()))
    # garbage and a truncated file read as no hint: chained after the head this appender
    # knows (none yet); an oversized one as a wrong head
    assert appender.locked_appends == 1 and appender.hinted_appends == 1
    assert HeadHint(hint)._read() == _head(runtime)
    writer.close()
    _chain_ok(runtime)
