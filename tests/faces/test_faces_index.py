"""FaceIndex: exact Euclidean search (against numpy brute force), add/remove by id without a
rebuild, snapshots, and concurrent use."""

from __future__ import annotations

import pickle
import threading
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jikimi.errors import IntegrityError, InvalidInput
from jikimi.faces import EMBEDDING_DIM, FaceIndex


def vectors(n: int, seed: int = 0) -> np.ndarray:
    """Random vectors shaped like dlib's (norm ~1.5, pairwise distances ~0.3-2)."""
    rng = np.random.default_rng(seed)
    return (rng.normal(0, 0.13, (n, EMBEDDING_DIM))).astype(np.float32)


def brute(ids: np.ndarray, vecs: np.ndarray, q: np.ndarray, t: float) -> list[tuple[int, float]]:
    d = np.linalg.norm(vecs.astype(np.float64) - q.astype(np.float64), axis=1)
    hits = [(int(i), float(x)) for i, x in zip(ids, d, strict=True) if x <= t]
    return sorted(hits, key=lambda h: (h[1], h[0]))


def same_hits(a: list[tuple[int, float]], b: list[tuple[int, float]]) -> bool:
    return [i for i, _ in a] == [i for i, _ in b] and np.allclose(
        [d for _, d in a], [d for _, d in b], atol=1e-5)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(0, 60), seed=st.integers(0, 2**16), t=st.floats(0.0, 2.0),
       removed=st.sets(st.integers(0, 59), max_size=20))
def test_search_equals_brute_force(n: int, seed: int, t: float, removed: set[int]) -> None:
    vecs = vectors(n + 1, seed)
    ids = np.arange(n, dtype=np.int64) * 7 - 100  # negative and large ids are fine
    index = FaceIndex()
    index.add(ids, vecs[:n])
    gone = ids[[r for r in removed if r < n]]
    assert index.remove(gone) == len(gone)
    keep = ~np.isin(ids, gone)
    assert len(index) == int(keep.sum())
    for q in (vecs[n], vecs[0]):
        got = index.search(q, t)
        assert same_hits(got, brute(ids[keep], vecs[:n][keep], q, t))


def test_distance_is_the_true_euclidean_distance_and_threshold_inclusive() -> None:
    a = np.zeros(EMBEDDING_DIM, np.float32)
    b = a.copy()
    b[0], b[1] = 0.3, 0.4  # 0.5 away
    index = FaceIndex()
    index.add([1], b)
    [(entry, d)] = index.search(a, 0.5)
    assert entry == 1 and d == pytest.approx(0.5, abs=1e-6)
    assert index.search(a, 0.4999) == []


def test_add_replaces_and_remove_ignores_unknown() -> None:
    v = vectors(3)
    index = FaceIndex()
    index.add([5, 6], v[:2])
    index.add([5], v[2])  # replaces id 5's embedding
    assert len(index) == 2
    assert [i for i, _ in index.search(v[2], 0.01)] == [5]
    assert index.search(v[0], 0.01) == []
    assert index.remove([99, 5, 5]) == 1
    assert 5 not in index and 6 in index and len(index) == 1
    assert index.remove([]) == 0
    index.add([], np.empty((0, EMBEDDING_DIM), np.float32))


def test_bad_inputs_are_refused() -> None:
    index = FaceIndex()
    with pytest.raises(InvalidInput):
        index.add([1], np.zeros(127, np.float32))
    with pytest.raises(InvalidInput):
        index.add([1, 2], vectors(1))
    with pytest.raises(InvalidInput):
        index.add([1, 1], vectors(2))
    with pytest.raises(InvalidInput):
        index.add([1], np.full(EMBEDDING_DIM, np.nan, np.float32))
    with pytest.raises(InvalidInput):
        index.add(["a"], vectors(1))  # type: ignore[list-item]
    for bad in (-0.1, 2.5, float("nan"), True, "0.5"):
        with pytest.raises(InvalidInput):
            index.search(vectors(1)[0], bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        index.search(vectors(2), 0.5)


def test_snapshot_round_trip(tmp_path: Path) -> None:
    v = vectors(50, seed=1)
    ids = np.arange(1000, 1050, dtype=np.int64)
    index = FaceIndex()
    index.add(ids, v)
    index.remove(ids[::3])
    path = tmp_path / "faces.index"
    index.save(path)
    loaded = FaceIndex.load(path)
    assert len(loaded) == len(index)
    for q in v[:5]:
        assert loaded.search(q, 1.2) == index.search(q, 1.2)
    empty = tmp_path / "empty.index"
    FaceIndex().save(empty)
    assert len(FaceIndex.load(empty)) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.index", "faces.index"]


def test_damaged_snapshots_are_refused(tmp_path: Path) -> None:
    index = FaceIndex()
    index.add([1, 2, 3], vectors(3))
    path = tmp_path / "faces.index"
    index.save(path)
    data = path.read_bytes()
    flipped = bytearray(data)
    flipped[len(data) - 4096 + 10] ^= 0x40  # inside the embeddings (the last array)
    (tmp_path / "flipped").write_bytes(bytes(flipped))
    (tmp_path / "short").write_bytes(data[: len(data) // 2])
    (tmp_path / "junk").write_bytes(b"not an index at all")
    for name in ("flipped", "short", "junk"):
        with pytest.raises(IntegrityError):
            FaceIndex.load(tmp_path / name)
    with pytest.raises(FileNotFoundError):
        FaceIndex.load(tmp_path / "missing")


def test_pickles_for_scan_workers() -> None:
    index = FaceIndex()
    v = vectors(4)
    index.add([1, 2, 3, 4], v)
    copy = pickle.loads(pickle.dumps(index))
    assert copy.search(v[1], 0.5) == index.search(v[1], 0.5)


def test_concurrent_searches_and_writes() -> None:
    """Searches run while other threads add and remove; each sees all or none of a call."""
    v = vectors(200, seed=3)
    index = FaceIndex()
    index.add(range(100), v[:100])
    stop = threading.Event()
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            for round_ in range(30):
                pair = [100 + 2 * (round_ % 50), 101 + 2 * (round_ % 50)]
                index.add(pair, np.stack([v[0], v[0]]))  # both copies of v[0] or neither
                index.remove(pair)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            stop.set()

    def reader() -> None:
        try:
            while not stop.is_set():
                hits = [i for i, _ in index.search(v[0], 0.001)]
                assert hits[0] == 0 and len(hits) in (1, 3), hits
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer)] + [threading.Thread(target=reader)
                                                   for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert len(index) == 100
