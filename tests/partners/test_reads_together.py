"""Hits read together (``LoopReads.fetch_together``): on PostgreSQL the lookups in flight on a
loop read their hits in one statement while the previous one is in flight. Each request gets
the rows of every value it asked, read by a statement that started after it asked (so a
removal committed before it asked counts); a failed statement fails only the requests it
served; a cancelled request does not stop the others."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from tests.conftest import World, run_async
from tests.partners.conftest import add_partner, flip_bits, sharing_case

from jikimi.core.prepared import MAX_PREPARED_VALUES
from jikimi.partners.hotpath import LoopReads
from jikimi.partners.lookup import HITS_WITH_ITEMS


class Row:
    def __init__(self, id: int) -> None:
        self.id = id


def _reads(runtime: Any, statements: list[list[int]], *, fail_on: int | None = None
           ) -> LoopReads:
    """LoopReads whose statement is replaced by one that records the values it was given,
    takes a moment (so that other requests ask meanwhile) and returns a row per value."""
    from jikimi.partners.hotpath import read_sessions

    reads = LoopReads(read_sessions(runtime))

    async def fetch(read: Any, values: list[int]) -> list[Row]:
        statements.append(list(values))
        await asyncio.sleep(0.02)
        if fail_on is not None and fail_on in values:
            raise RuntimeError("the statement failed")
        return [Row(value) for value in values]

    reads.fetch = fetch  # type: ignore[method-assign]
    return reads


def test_requests_in_flight_share_a_statement(runtime: Any) -> None:
    statements: list[list[int]] = []
    reads = _reads(runtime, statements)

    async def scenario() -> list[list[int]]:
        first = asyncio.create_task(reads.fetch_together(HITS_WITH_ITEMS, [1, 2]))
        await asyncio.sleep(0)  # the first statement is in flight
        rest = [asyncio.create_task(reads.fetch_together(HITS_WITH_ITEMS, [n, 100 + n]))
                for n in range(3, 8)]
        answers = await asyncio.gather(first, *rest)
        return [sorted(row.id for row in rows) for rows in answers]

    answers = run_async(scenario())
    # the first alone, the five that asked meanwhile together in the next, each value once
    assert statements == [[1, 2], [3, 103, 4, 104, 5, 105, 6, 106, 7, 107]]
    assert answers[0] == [1, 2]
    for n, rows in zip(range(3, 8), answers[1:], strict=True):
        assert {n, 100 + n} <= set(rows)  # its own rows are there
    reads.close()


def test_statements_hold_at_most_the_prepared_limit_and_refuse_more(runtime: Any) -> None:
    statements: list[list[int]] = []
    reads = _reads(runtime, statements)
    half = MAX_PREPARED_VALUES // 2 + 1

    async def scenario() -> None:
        first = asyncio.create_task(reads.fetch_together(HITS_WITH_ITEMS, [0]))
        await asyncio.sleep(0)
        more = [asyncio.create_task(reads.fetch_together(
            HITS_WITH_ITEMS, list(range(1000 * k, 1000 * k + half)))) for k in (1, 2, 3)]
        await asyncio.gather(first, *more)
        with pytest.raises(ValueError, match="too many"):
            await reads.fetch_together(HITS_WITH_ITEMS, list(range(MAX_PREPARED_VALUES + 1)))

    run_async(scenario())
    assert all(len(values) <= MAX_PREPARED_VALUES for values in statements)
    assert len(statements) == 4  # two halves do not fit one statement
    reads.close()


def test_a_failed_statement_fails_only_its_requests(runtime: Any) -> None:
    statements: list[list[int]] = []
    reads = _reads(runtime, statements, fail_on=13)

    async def scenario() -> list[Any]:
        first = asyncio.create_task(reads.fetch_together(HITS_WITH_ITEMS, [1]))
        await asyncio.sleep(0)
        failing = asyncio.create_task(reads.fetch_together(HITS_WITH_ITEMS, [13]))
        cancelled = asyncio.create_task(reads.fetch_together(HITS_WITH_ITEMS, [14]))
        await asyncio.sleep(0)
        cancelled.cancel()
        outcomes = await asyncio.gather(first, failing, cancelled, return_exceptions=True)
        later = await reads.fetch_together(HITS_WITH_ITEMS, [21])  # the next one works
        return [*outcomes, later]

    first, failing, cancelled, later = run_async(scenario())
    assert [row.id for row in first] == [1]
    assert isinstance(failing, RuntimeError)
    assert isinstance(cancelled, asyncio.CancelledError)
    assert [row.id for row in later] == [21]
    reads.close()


def test_concurrent_lookups_on_postgresql_read_hits_together(
        client, runtime, world: World, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Through the door: twelve lookups at once, each hitting its own entry, answer exactly
    their own matches, in fewer statements than lookups."""
    if runtime.engine.dialect.name != "postgresql":
        pytest.skip("reads are awaited on the loop only on PostgreSQL")
    shared = sharing_case(runtime, world, images=4, seed=23)
    key = add_partner(runtime, "Platform Together").key
    statements: list[int] = []
    original = LoopReads.fetch

    async def slowed(self: LoopReads, read: Any, values: list[Any]) -> list[Any]:
        statements.append(len(values))
        await asyncio.sleep(0.05)  # the others ask meanwhile
        return await original(self, read, values)

    monkeypatch.setattr(LoopReads, "fetch", slowed)
    queries = [flip_bits(shared.pdqs[n % 4], 3 + n % 5) for n in range(12)]
    answers: dict[int, Any] = {}

    def ask(n: int) -> None:
        answer = client.post("/api/v1/partner/lookup", headers={
            "Authorization": f"Bearer {key}"}, json={"fingerprints": [
                {"signal_type": "pdq", "value": queries[n]}]})
        answers[n] = answer

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert all(answers[n].status_code == 200 for n in range(12))
    tokens = {}
    for n in range(12):
        body = answers[n].json()
        assert body["matched"] and len(body["matches"]) == 1, body
        assert body["matches"][0]["distance"] == 3 + n % 5
        tokens.setdefault(n % 4, set()).add(body["matches"][0]["id"])
    assert all(len(found) == 1 for found in tokens.values())  # the same entry each time
    assert len(set().union(*tokens.values())) == 4
    assert 1 <= len(statements) < 12
