"""Changes on an index mapped from a snapshot stay in the process's own segments (the shared
pages are not rebuilt per process) until the tail is folded and segments merged before the
next snapshot; answers stay those of brute force throughout."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from jikimi.matching.pdq_index import PdqIndex, brute_force_search


def _oracle(hashes: np.ndarray, ids: np.ndarray, queries: np.ndarray
            ) -> list[list[tuple[int, int]]]:
    return [brute_force_search(hashes, ids, q, 31) for q in queries]


def _near(hashes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The hashes with a few random bits flipped each."""
    out = hashes.copy()
    for row in out:
        for bit in rng.choice(256, size=int(rng.integers(0, 20)), replace=False):
            row[bit // 64] ^= np.uint64(1) << np.uint64(bit % 64)
    return out


def test_changes_on_a_mapped_index_stay_private_until_folded(tmp_path: Path) -> None:
    rng = np.random.default_rng(11)
    hashes = rng.integers(0, 2**64, (7000, 4), dtype=np.uint64)
    ids = np.arange(7000, dtype=np.int64)
    base = PdqIndex(tail_capacity=100)
    base.add(ids[:3000], hashes[:3000])
    base.compact()
    base.save(tmp_path / "pdq.index")
    mapped = PdqIndex.load(tmp_path / "pdq.index", mmap=True)
    # 3,000 more: 4 x 3,000 >= 3,000 would merge two in-memory segments; not a mapped one
    mapped.add(ids[3000:6000], hashes[3000:6000])
    mapped.add(ids[6000:6050], hashes[6000:6050])  # the tail
    mapped.remove(np.arange(0, 3000, 7))
    rows = [s["rows"] for s in mapped.stats()["segments"]]
    assert rows == [3000, 3000, 50], rows
    assert [s.mapped for s in mapped._state.all_segments] == [True, False, False]
    alive = np.ones(6050, np.bool_)
    alive[np.arange(0, 3000, 7)] = False
    queries = _near(np.concatenate([hashes[:40], hashes[2990:3010], hashes[6000:6050],
                                    hashes[6500:6510]]), rng)
    expected = _oracle(hashes[:6050][alive], ids[:6050][alive], queries)
    assert mapped.search_many(queries, 31) == expected
    # before a snapshot: the tail becomes a segment and similar sizes merge, mapped included
    mapped.fold_tail()
    rows = [s["rows"] for s in mapped.stats()["segments"]]
    assert rows == [3000 - 429 + 3000, 50, 0], rows  # 429 removed; 50 is not similar
    assert mapped.search_many(queries, 31) == expected
    mapped.save(tmp_path / "next.index")
    again = PdqIndex.load(tmp_path / "next.index", mmap=True)
    assert again.search_many(queries, 31) == expected
    assert [s["rows"] for s in again.stats()["segments"]] == [5571, 50, 0]


def test_fold_tail_of_a_small_index_and_an_empty_one() -> None:
    index = PdqIndex(tail_capacity=1000)
    index.fold_tail()
    assert len(index) == 0
    rng = np.random.default_rng(12)
    hashes = rng.integers(0, 2**64, (300, 4), dtype=np.uint64)
    index.add(np.arange(300), hashes)
    index.remove([5, 6])
    index.fold_tail()
    stats = index.stats()["segments"]
    assert [s["rows"] for s in stats] == [298, 0] and len(index) == 298
    assert index.search(hashes[7], 0) == [(7, 0)] and index.search(hashes[5], 0) == []
