"""The import's set-based paths on both databases (issue 16): ``core.database.one_of`` (one
array parameter on PostgreSQL, ``IN`` on SQLite) finds exactly its values; an import larger
than the chunks of the duplicate check and of the feed's bookkeeping skips duplicates within
the list and against the bank, and leaves one feed item, one feed change and one StopNCII
record per new hash; an import that fails at its commit, after every bulk write, leaves
nothing behind."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import Integer, String, column, func, insert, select, table, text
from tests.conftest import World
from tests.partners.conftest import random_pdq, sharing_case

from jikimi import matching, partners
from jikimi.core.actors import cli_actor
from jikimi.core.audit import AuditEntry
from jikimi.core.database import one_of
from jikimi.core.runtime import Runtime
from jikimi.matching import BankChange, BankEntry, NewEntry
from jikimi.partners import feed
from jikimi.partners.models import FeedChange, FeedItem, HashRecord

NEW = 4500
"""More than the duplicate check's and the feed's chunks of 2,000 values."""

AWKWARD = ['a', 'b"c', "d\\e", "{x}", "NULL", "", " sp ", "k,l", "한글", "q'r", 'e\\"nd\\']


def test_one_of_finds_exactly_its_values(runtime: Runtime) -> None:
    texts = [*AWKWARD, "zz", "null", "a ", "b", "\\"]
    probe = table("one_of_probe", column("v", String(64)), column("n", Integer))
    with runtime.sessions() as session:
        session.execute(text("CREATE TEMPORARY TABLE one_of_probe (v VARCHAR(64), n INTEGER)"))
        session.execute(insert(probe), [{"v": v, "n": n} for n, v in enumerate(texts)])
        found = session.scalars(select(probe.c.v).where(one_of(session, probe.c.v, AWKWARD)))
        assert sorted(found) == sorted(AWKWARD)
        assert session.scalars(select(probe.c.n).where(
            one_of(session, probe.c.n, [0, 3, len(texts) - 1, 10**9])).order_by(probe.c.n)
        ).all() == [0, 3, len(texts) - 1]
        assert not session.scalars(select(probe.c.v).where(one_of(session, probe.c.v, []))
                                   ).all()
        session.rollback()


def _count(runtime: Runtime, model: type) -> int:
    with runtime.sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def _import_list(shared_pdqs: list[str], seed: int) -> tuple[list[str], list[NewEntry]]:
    rng = random.Random(seed)
    new = [random_pdq(rng) for _ in range(NEW)]
    # repeats within the list (one of them upper-case), and the bank's own hashes, spread
    # over the chunks of the duplicate check
    entries = [NewEntry("pdq", h, 80) for h in new]
    for at, repeat in ((100, new[4000]), (2500, new[10].upper()), (4400, new[2100])):
        entries.insert(at, NewEntry("pdq", repeat, 80))
    for at, present in ((5, shared_pdqs[0]), (3000, shared_pdqs[1])):
        entries.insert(at, NewEntry("pdq", present, 80))
    return new, entries


def test_a_large_import_skips_duplicates_and_writes_the_feed_once_per_hash(
        runtime: Runtime, world: World) -> None:
    shared = sharing_case(runtime, world, images=2, seed=301)
    new, entries = _import_list(shared.pdqs, 302)
    items, changes, records = (_count(runtime, m) for m in (FeedItem, FeedChange, HashRecord))
    with runtime.context(cli_actor("test")) as ctx:
        added = matching.add_entries(ctx, shared.bank, entries)
    assert added.added == NEW
    with runtime.sessions() as session:
        stored = session.scalars(select(BankEntry.value).where(
            BankEntry.signal_type == "pdq")).all()
        assert sorted(v for v in stored if v in set(new)) == sorted(new)  # each once
        assert partners.feed_is_current(session)
        logged = session.scalar(select(func.count()).select_from(BankChange).where(
            BankChange.entry_id.in_(select(BankEntry.id).where(BankEntry.value.in_(new))))
        )
        assert logged == NEW
        shared_values = session.scalars(select(FeedItem.value_key).where(
            FeedItem.active.is_(True), FeedItem.signal_type == "pdq")).all()
        assert sorted(v for v in shared_values if v in set(new)) == sorted(new)
        versions = session.execute(select(HashRecord.value, HashRecord.status,
                                          HashRecord.version).where(
            HashRecord.signal_type == "ImagePDQ")).all()
        fresh = [r for r in versions if r.value in set(new)]
        assert len(fresh) == NEW and {r.status for r in fresh} == {"Active"}
        assert len({r.version for r in versions}) == len(versions)  # each re-versioned once
    assert _count(runtime, FeedItem) == items + NEW
    assert _count(runtime, FeedChange) == changes + NEW
    assert _count(runtime, HashRecord) == records + NEW
    # the same list again: nothing new anywhere
    with runtime.context(cli_actor("test")) as ctx:
        assert matching.add_entries(ctx, shared.bank, entries).added == 0
    assert _count(runtime, FeedItem) == items + NEW
    assert _count(runtime, FeedChange) == changes + NEW


def test_an_import_failing_at_its_commit_leaves_nothing(
        runtime: Runtime, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    shared = sharing_case(runtime, world, images=2, seed=303)
    _, entries = _import_list(shared.pdqs, 304)
    counted = (BankEntry, BankChange, FeedItem, FeedChange, HashRecord, AuditEntry)
    before = [_count(runtime, model) for model in counted]
    finish = feed._Refresh.finish
    reached: list[int] = []

    def finish_then_fail(self: feed._Refresh) -> None:
        finish(self)  # every bulk write of the import and of its feed bookkeeping is done
        reached.append(len(self.session.execute(select(FeedItem.id)).all()))
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(feed._Refresh, "finish", finish_then_fail)
    with pytest.raises(RuntimeError, match="the disk is full"), \
            runtime.context(cli_actor("test")) as ctx:
        matching.add_entries(ctx, shared.bank, entries)
    assert reached and reached[0] >= NEW  # the failure came after the feed's writes
    assert [_count(runtime, model) for model in counted] == before
    with runtime.sessions() as session:
        assert partners.feed_is_current(session)
    monkeypatch.setattr(feed._Refresh, "finish", finish)
    with runtime.context(cli_actor("test")) as ctx:  # the same list afterwards: all of it
        assert matching.add_entries(ctx, shared.bank, entries).added == NEW
    assert _count(runtime, FeedItem) == before[2] + NEW
