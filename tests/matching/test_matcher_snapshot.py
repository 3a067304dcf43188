"""The matcher follows bank changes incrementally and restarts from a snapshot with the same
results as a full build from the database."""

from __future__ import annotations

import json
import random
from pathlib import Path

from jikimi import accounts, matching
from jikimi.core.actors import cli_actor
from jikimi.core.runtime import Runtime
from jikimi.matching import NewEntry, Query


def _hashes(rnd: random.Random, n: int) -> list[str]:
    return [f"{rnd.getrandbits(256):064x}" for _ in range(n)]


def _results(matcher: matching.Matcher, runtime: Runtime, queries: list[str]) -> list:  # type: ignore[type-arg]
    with runtime.sessions() as session:
        matcher.sync(session)
        return [[(h.entry_id, h.distance) for h in matcher.search(
            session, [Query("pdq", q, quality=100)])] for q in queries]


def test_snapshot_then_changes_equals_full_build(runtime: Runtime, tmp_path: Path) -> None:
    rnd = random.Random(5)
    first = _hashes(rnd, 300)
    with runtime.context(cli_actor("test")) as ctx:
        accounts.add_centre(ctx, "센터")  # banks belong to a centre
        matching.create_bank(ctx, "a")
        matching.add_entries(ctx, "a", [NewEntry("pdq", h, 100) for h in first])
    live = matching.Matcher()
    with runtime.sessions() as session:
        assert live.sync(session) == 300
    live.save(tmp_path / "index")
    # changes after the snapshot: additions and removals
    second = _hashes(rnd, 50)
    with runtime.context(cli_actor("test")) as ctx:
        matching.add_entries(ctx, "a", [NewEntry("pdq", h, 100) for h in second])
        for entry in matching.list_entries(ctx, "a", limit=40):
            matching.remove_entry(ctx, entry.id)
    queries = first[:60] + second[:10]
    # near-duplicates too: flip a few bits
    queries += [f"{int(q, 16) ^ (0b1011 << rnd.randrange(200)):064x}" for q in first[40:60]]
    with runtime.sessions() as session:
        restarted = matching.Matcher.load(tmp_path / "index", session)
    full = matching.Matcher()
    expected = _results(full, runtime, queries)
    assert _results(restarted, runtime, queries) == expected
    assert _results(live, runtime, queries) == expected
    assert sum(1 for r in expected if not r) == 40  # the removed ones are gone


def test_damaged_snapshot_falls_back_to_full_build(runtime: Runtime, tmp_path: Path) -> None:
    with runtime.context(cli_actor("test")) as ctx:
        accounts.add_centre(ctx, "센터")  # banks belong to a centre
        matching.create_bank(ctx, "a")
        matching.add_entries(ctx, "a", [NewEntry("pdq", "ab" * 32, 100)])
    snap = tmp_path / "index"
    matcher = matching.Matcher()
    with runtime.sessions() as session:
        matcher.sync(session)
    matcher.save(snap)
    damaged = snap / json.loads((snap / "state.json").read_text())["indexes"]["pdq"]
    data = damaged.read_bytes()
    damaged.write_bytes(data[: len(data) // 2])
    with runtime.sessions() as session:
        reloaded = matching.Matcher.load(snap, session)
    assert _results(reloaded, runtime, ["ab" * 32]) == [[(1, 0)]]
