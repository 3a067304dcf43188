"""Following the bank change log in bulk (issue 16): a matcher that follows the log, one that
adopts the worker's snapshots (also one written ahead of it) and a full build from the
database answer alike over random sequences of additions and removals; a removal after an
adoption counts at once; an import of 20,000 hashes reaches running `jikimi serve` processes
within seconds."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
from sqlalchemy import select
from tests.conftest import World
from tests.foundation.test_cli import jikimi
from tests.partners.conftest import add_partner, flip_bits, random_pdq, sharing_case
from tests.partners.test_partners_serving import Server

from jikimi import accounts, matching
from jikimi.core.actors import cli_actor
from jikimi.core.runtime import Runtime
from jikimi.matching import BankEntry, NewEntry, Query, backlog, pdq_index
from jikimi.matching.matcher import snapshot_sequence
from jikimi.matching.snapshots import SnapshotKeeper


def _flip(value: str, bits: int, rnd: random.Random) -> str:
    number = int(value, 16)
    for bit in rnd.sample(range(256), bits):
        number ^= 1 << bit
    return f"{number:064x}"


def _candidates(matcher: matching.Matcher, queries: list[str]) -> list[tuple[int, int, int]]:
    """Index hits alone (no database): what the in-memory indexes hold."""
    found = []
    for number, value in enumerate(queries):
        found += [(number, c.entry_id or 0, c.distance)
                  for c in matcher.candidates([Query("pdq", value, quality=100)])]
    return sorted(found)


def _hits(matcher: matching.Matcher, runtime: Runtime, queries: list[str]
          ) -> list[list[tuple[int, int]]]:
    with runtime.sessions() as session:
        return [[(h.entry_id, h.distance) for h in matcher.search(
            session, [Query("pdq", value, quality=100)])] for value in queries]


@pytest.mark.parametrize("seed", [3, 17])
def test_follow_and_adopt_answer_as_a_full_build(runtime: Runtime, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 seed: int) -> None:
    # small tails and pages, so that a few hundred entries go through segments, merges,
    # mapped segments and several pages of the log
    monkeypatch.setattr(pdq_index, "_DEFAULT_TAIL_CAPACITY", 16)
    monkeypatch.setattr(backlog, "PAGE", 37)
    rnd = random.Random(seed)
    with runtime.context(cli_actor("test")) as ctx:
        accounts.add_centre(ctx, "센터")
        matching.create_bank(ctx, "a")
    present: dict[str, int] = {}
    gone: list[str] = []
    snap = tmp_path / "index"
    keeper = SnapshotKeeper(matching.Matcher(), runtime.sessions, snap)
    live = matching.Matcher()
    with runtime.sessions() as session:
        serving = matching.Matcher.load(snap, session, mmap=True)
    adopted_ahead = adopted = 0
    for step in range(36):
        action = rnd.choice(["add", "add", "big", "remove", "remove", "snapshot", "snapshot",
                             "catch up", "catch up"])
        if action in ("add", "big"):
            count = rnd.randint(1, 30) if action == "add" else rnd.randint(60, 160)
            values = [_flip(rnd.choice(list(present)), rnd.randint(1, 12), rnd)
                      if present and rnd.random() < 0.3 else random_pdq(rnd)
                      for _ in range(count)]
            values = [v for v in dict.fromkeys(values) if v not in present]
            with runtime.context(cli_actor("test")) as ctx:
                matching.add_entries(ctx, "a", [NewEntry("pdq", v, 100) for v in values])
            with runtime.sessions() as session:
                present.update({row.value: row.id for row in session.execute(
                    select(BankEntry.value, BankEntry.id).where(BankEntry.value.in_(values)))})
        elif action == "remove" and present:
            for value in rnd.sample(list(present), min(len(present), rnd.randint(1, 25))):
                with runtime.context(cli_actor("test")) as ctx:
                    matching.remove_entry(ctx, present.pop(value))
                gone.append(value)
        elif action == "snapshot":
            keeper.round(force=True)  # the worker: sync, fold the tail, write, map
        elif action == "catch up":  # the serving matcher: adopt the snapshot, else follow
            with runtime.sessions() as session:
                on_disk = snapshot_sequence(snap)
                ahead = on_disk is not None and on_disk > serving.last_seq
                if serving.adopt_snapshot(snap, session):
                    adopted += 1
                    adopted_ahead += ahead
                else:
                    serving.sync(session)
            queries = _queries(rnd, present, gone)
            full = matching.Matcher()
            with runtime.sessions() as session:
                full.sync(session)
            expected = _candidates(full, queries)
            assert _candidates(serving, queries) == expected, (step, action)
            assert _hits(serving, runtime, queries) == _hits(full, runtime, queries)
        with runtime.sessions() as session:
            live.sync(session)
        queries = _queries(rnd, present, gone)
        full = matching.Matcher()
        with runtime.sessions() as session:
            full.sync(session)
        assert _candidates(live, queries) == _candidates(full, queries), (step, action)
        if "pdq" in live.indexes:
            assert len(live.indexes["pdq"]) == len(present)
    assert adopted >= 2 and adopted_ahead >= 1, (adopted, adopted_ahead)
    # the worker writes, the serving matcher adopts; a removal then counts at once, before
    # any follower ran: the index still holds the entry, the database check drops it
    keeper.round(force=True)
    with runtime.sessions() as session:
        serving.adopt_snapshot(snap, session)
    value = next(iter(present))
    removed = present.pop(value)
    with runtime.context(cli_actor("test")) as ctx:
        matching.remove_entry(ctx, removed)
    assert (0, removed, 0) in _candidates(serving, [value])  # not followed yet...
    assert removed not in {entry for entry, _ in _hits(serving, runtime, [value])[0]}
    full = matching.Matcher()
    with runtime.sessions() as session:
        full.sync(session)
    assert _hits(serving, runtime, [value]) == _hits(full, runtime, [value])
    print("adopted", adopted, "of which ahead of the follower", adopted_ahead)


def _queries(rnd: random.Random, present: dict[str, int], gone: list[str]) -> list[str]:
    picked = rnd.sample(list(present), min(len(present), 12)) + gone[-6:]
    return [_flip(v, rnd.randint(0, 14), rnd) if rnd.random() < 0.6 else v for v in picked] \
        + [random_pdq(rnd)]


def test_adopting_a_snapshot_ahead_skips_the_backlog(runtime: Runtime, tmp_path: Path) -> None:
    """A serving matcher behind a newer snapshot adopts it instead of reading the changes it
    holds, then answers as a full build."""
    rnd = random.Random(4)
    with runtime.context(cli_actor("test")) as ctx:
        accounts.add_centre(ctx, "센터")
        matching.create_bank(ctx, "a")
        matching.add_entries(ctx, "a", [NewEntry("pdq", random_pdq(rnd), 100)
                                        for _ in range(50)])
    snap = tmp_path / "index"
    with runtime.sessions() as session:
        serving = matching.Matcher.load(snap, session, mmap=True)
    later = [random_pdq(rnd) for _ in range(300)]
    with runtime.context(cli_actor("test")) as ctx:
        matching.add_entries(ctx, "a", [NewEntry("pdq", v, 100) for v in later])
    keeper = SnapshotKeeper(matching.Matcher(), runtime.sessions, snap)
    assert keeper.round(force=True)
    with runtime.context(cli_actor("test")) as ctx:  # after the snapshot
        matching.add_entries(ctx, "a", [NewEntry("pdq", "5a" * 32, 100)])
    with runtime.sessions() as session:
        assert serving.adopt_snapshot(snap, session)
    assert serving.snapshot_seq == keeper.saved_seq and serving.last_seq > keeper.saved_seq
    full = matching.Matcher()
    with runtime.sessions() as session:
        full.sync(session)
    queries = [*later[:20], "5a" * 32, flip_bits("5a" * 32, 4)]
    assert _candidates(serving, queries) == _candidates(full, queries)
    assert len(serving.indexes["pdq"]) == 351


# --- through the product: `jikimi banks import` and running `jikimi serve` processes ----------
@pytest.fixture
def two_servers(cli_env: dict[str, str], tmp_path: Path) -> Iterator[list[Server]]:
    started: list[Server] = []
    try:
        for number in range(2):
            started.append(Server(cli_env, tmp_path / f"serve{number}.log"))
        yield started
    finally:
        for server in started:
            server.stop()


def _matched(server: Server, key: str, values: list[str]) -> set[int]:
    answer = httpx.post(f"{server.url}/api/v1/partner/lookup", timeout=30,
                        headers={"Authorization": f"Bearer {key}"},
                        json={"fingerprints": [{"signal_type": "pdq", "value": v}
                                               for v in values]})
    assert answer.status_code == 200, answer.text
    return {match["query"] for match in answer.json()["matches"]}


def test_an_import_reaches_running_servers_and_removals_count_at_once(
        two_servers: list[Server], runtime: Runtime, world: World, cli_env: dict[str, str],
        tmp_path: Path) -> None:
    import time

    shared = sharing_case(runtime, world, images=1, seed=161)
    key = add_partner(runtime, "Platform Import", rate_per_minute=100_000).key
    rng = np.random.default_rng(161)
    hashes = [row.tobytes().hex() for row in rng.integers(0, 256, (20_000, 32), np.uint8)]
    listing = tmp_path / "hashes.txt"
    listing.write_text("\n".join(hashes) + "\n")
    rnd = random.Random(161)
    probes = [_flip(hashes[int(k)], 5, rnd) for k in np.linspace(0, len(hashes) - 1, 100)]
    assert not any(_matched(server, key, probes) for server in two_servers)
    jikimi(cli_env, "banks", "import", shared.bank, str(listing))
    returned = time.monotonic()
    seen: dict[int, float] = {}
    while len(seen) < 2 and time.monotonic() - returned < 10:
        for number, server in enumerate(two_servers):
            if number not in seen and len(_matched(server, key, probes)) == len(probes):
                seen[number] = time.monotonic() - returned
        time.sleep(0.05)
    print("all 100 probes answered after (s):", seen)
    # generous bounds for a loaded CI machine (typically well under 2 s): not a timing test
    assert len(seen) == 2, seen
    with runtime.sessions() as session:
        ids = dict(session.execute(select(BankEntry.value, BankEntry.id).where(
            BankEntry.value.in_([hashes[0], hashes[-1]]))).all())
    with runtime.context(cli_actor("test")) as ctx:
        matching.remove_entry(ctx, ids[hashes[0]])
    for server in two_servers:  # the very next lookup, in either process
        assert _matched(server, key, probes) == set(range(1, 100))
    # the worker writes a snapshot; the servers map it; a removal still counts at once
    assert "snapshot written" in jikimi(cli_env, "worker", "--once").stdout
    time.sleep(1.0)  # the followers poll every 0.2 s
    with runtime.context(cli_actor("test")) as ctx:
        matching.remove_entry(ctx, ids[hashes[-1]])
    for server in two_servers:
        assert _matched(server, key, probes) == set(range(1, 99))
