"""The audit writer's group commit: entries of many requests appended in one transaction,
each still chained to the one before it, so an entry edited, deleted, moved or inserted inside
a group is named by `jikimi audit verify` like anywhere else."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text
from tests.conftest import run_async
from tests.foundation.test_audit_chain import run_cli

from jikimi.core.actors import Actor, ActorKind, cli_actor
from jikimi.core.audit import audit_key, write_deferred
from jikimi.core.audit_writer import AuditUnavailable, AuditWriter
from jikimi.core.runtime import Runtime

REQUESTS = 24


def grouped_burst(runtime: Runtime, on_loop: bool = False) -> tuple[AuditWriter, list[int]]:
    """REQUESTS entries written while another transaction holds the audit head, so that they
    queue and go out in (at most two) groups; returns their sequence numbers. ``on_loop``:
    the requests wait on an event loop (``write_async``, as the fast doors do; on PostgreSQL
    the loop appends them itself) instead of in threads."""
    writer = AuditWriter(runtime.sessions, audit_key(runtime.keys.signing_secret))
    partner = Actor(kind=ActorKind.PARTNER, id=7, label="Platform G")

    async def on_a_loop() -> list[int]:
        return list(await asyncio.gather(*(
            writer.write_async(partner, "partner.lookup", "partner", 7, details={"n": n})
            for n in range(REQUESTS))))

    with runtime.context(cli_actor("test")) as ctx:  # the chain's head row exists
        ctx.audit("test.start", "test", 0)
    with runtime.context(cli_actor("test")) as ctx:  # holds the chain's head until it ends
        ctx.audit("test.before", "test", 1)
        write_deferred(ctx.session)  # appended now (a commit would), so the head is held
        pool = ThreadPoolExecutor(REQUESTS)
        if on_loop:
            burst = pool.submit(asyncio.run, on_a_loop())
            futures = [burst]
        else:
            futures = [pool.submit(writer.write, partner, "partner.lookup", "partner", 7,
                                   details={"n": n}) for n in range(REQUESTS)]
        time.sleep(0.5)
        assert not any(f.done() for f in futures)  # nobody is answered before the commit
    if on_loop:
        seqs = sorted(burst.result(timeout=30))
    else:
        seqs = sorted(f.result(timeout=30) for f in futures)
    pool.shutdown()
    return writer, seqs


@pytest.mark.parametrize("on_loop", [False, True], ids=["threads", "loop"])
def test_group_commit_is_one_chain(runtime: Runtime, cli_env: dict[str, str],
                                   on_loop: bool) -> None:
    writer, seqs = grouped_burst(runtime, on_loop)
    assert seqs == list(range(seqs[0], seqs[0] + REQUESTS))
    assert writer.groups <= 3  # 24 requests, a handful of commits
    writer.close()
    result = run_cli(cli_env, "audit", "verify")
    assert result.returncode == 0, result.stderr
    with pytest.raises(AuditUnavailable):
        writer.write(cli_actor("test"), "after.close", "test", 1)
    with pytest.raises(AuditUnavailable):
        run_async(writer.write_async(cli_actor("test"), "after.close", "test", 1))


@pytest.mark.parametrize(("tamper", "on_loop"), [
    ("edit", False), ("delete", False), ("reorder", False), ("insert", False),
    ("edit", True), ("insert", True)])
def test_tampering_inside_a_group_is_named(runtime: Runtime, cli_env: dict[str, str],
                                           tamper: str, on_loop: bool) -> None:
    writer, seqs = grouped_burst(runtime, on_loop)
    writer.close()
    middle = seqs[REQUESTS // 2]
    with runtime.engine.begin() as conn:
        if tamper == "edit":
            conn.execute(text("UPDATE audit_entries SET details = '{\"n\": 999}' "
                              "WHERE seq = :s"), {"s": middle})
        elif tamper == "delete":
            conn.execute(text("DELETE FROM audit_entries WHERE seq = :s"), {"s": middle})
        elif tamper == "reorder":  # swap the contents of two neighbours in the group
            rows = {r.seq: r for r in conn.execute(text(
                "SELECT seq, details, prev_hash, entry_hash FROM audit_entries "
                "WHERE seq IN (:a, :b)"), {"a": middle, "b": middle + 1})}
            for this, other in ((middle, middle + 1), (middle + 1, middle)):
                conn.execute(text("UPDATE audit_entries SET details = :d, prev_hash = :p, "
                                  "entry_hash = :h WHERE seq = :s"),
                             {"d": rows[other].details, "p": rows[other].prev_hash,
                              "h": rows[other].entry_hash, "s": this})
        else:  # insert: shift the rest up by one and put a forged entry in the gap
            conn.execute(text("UPDATE audit_entries SET seq = seq + 1000000 WHERE seq > :s"),
                         {"s": middle})
            conn.execute(text("UPDATE audit_entries SET seq = seq - 999999 WHERE seq > :s"),
                         {"s": middle + 1000000 - 1})
            conn.execute(text(
                "INSERT INTO audit_entries (seq, at, actor, action, record_type, record_id, "
                "centre_id, details, prev_hash, entry_hash) SELECT :n, at, actor, action, "
                "record_type, record_id, centre_id, '{}', entry_hash, entry_hash "
                "FROM audit_entries WHERE seq = :s"), {"n": middle + 1, "s": middle})
    result = run_cli(cli_env, "audit", "verify", "--format", "json")
    assert result.returncode == 1
    import json

    report = json.loads(result.stdout)
    expected = {"edit": middle, "delete": middle, "reorder": middle, "insert": middle + 1}
    assert report["first_bad_entry"] == expected[tamper], report


def test_a_failed_group_answers_no_request(runtime: Runtime) -> None:
    """If the group's transaction fails, every request in it is refused (nothing is
    answered without its entry)."""
    writer = AuditWriter(runtime.sessions, b"k" * 32)
    failing = threading.Event()

    def broken(*_args: object, **_kwargs: object) -> None:
        failing.set()
        raise RuntimeError("disk full")

    import jikimi.core.audit_writer as module

    original = module.append_entries
    module.append_entries = broken  # type: ignore[assignment]
    try:
        with pytest.raises(AuditUnavailable):
            writer.write(cli_actor("test"), "x", "test", 1)
    finally:
        module.append_entries = original
    assert failing.is_set()
    with runtime.context(cli_actor("test")) as ctx:
        ctx.audit("test.start", "test", 0)
    assert writer.write(cli_actor("test"), "y", "test", 1) >= 1
    writer.close()
