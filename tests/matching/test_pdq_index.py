"""PdqIndex equals numpy brute force, after any sequence of adds and removes, at every threshold."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jikimi.errors import IntegrityError, InvalidInput
from jikimi.matching.pdq_index import (
    MAX_THRESHOLD,
    PdqIndex,
    brute_force_search,
    hashes_to_hex,
    parse_hashes,
)


def flip(h: np.ndarray, bits: list[int]) -> np.ndarray:
    """A copy of one (4,) uint64 hash with the given bit positions flipped."""
    u8 = h.astype(np.uint64).view(np.uint8).copy()
    for b in bits:
        u8[b // 8] ^= np.uint8(1 << (b % 8))
    return u8.view(np.uint64)


def oracle(model: dict[int, np.ndarray], q: np.ndarray, threshold: int) -> list[tuple[int, int]]:
    if not model:
        return []
    ids = np.array(list(model), dtype=np.int64)
    hashes = np.stack(list(model.values()))
    return brute_force_search(hashes, ids, q, threshold)


# --- strategies ------------------------------------------------------------------------------
words = st.lists(st.integers(0, 2**64 - 1), min_size=4, max_size=4).map(
    lambda w: np.array(w, dtype=np.uint64)
)
bit_flips = st.lists(st.integers(0, 255), max_size=40, unique=True)


@st.composite
def hash_near(draw: st.DrawFn, centres: list[np.ndarray], max_flips: int) -> np.ndarray:
    """A random hash, a family centre, or a centre a few bits away: clustered data."""
    kind = draw(st.sampled_from(["random", "near", "near", "near"]))
    if kind == "random" or not centres:
        return draw(words)
    centre = draw(st.sampled_from(centres))
    flips = draw(st.lists(st.integers(0, 255), max_size=max_flips, unique=True))
    return flip(centre, flips)


@st.composite
def scenario(draw: st.DrawFn) -> tuple[list[tuple[str, object]], list[np.ndarray]]:
    centres = draw(st.lists(words, min_size=1, max_size=4))
    ops: list[tuple[str, object]] = []
    next_id = 0
    known: list[int] = []
    for _ in range(draw(st.integers(1, 12))):
        op = draw(st.sampled_from(["add", "add", "add", "remove", "readd", "compact"]))
        if op == "add":
            count = draw(st.integers(1, 40))
            hs = [draw(hash_near(centres, 10)) for _ in range(count)]
            if draw(st.booleans()) and hs:  # exact duplicate hashes under other ids
                hs.extend([hs[0]] * draw(st.integers(1, 3)))
            ids = list(range(next_id, next_id + len(hs)))
            next_id += len(hs)
            known.extend(ids)
            ops.append(("add", (ids, hs)))
        elif op == "remove" and known:
            ops.append(("remove", draw(st.lists(st.sampled_from(known), max_size=20))))
        elif op == "readd" and known:  # re-add a (possibly removed) id, maybe with a new hash
            ids = draw(st.lists(st.sampled_from(known), min_size=1, max_size=8, unique=True))
            ops.append(("add", (ids, [draw(hash_near(centres, 10)) for _ in ids])))
        elif op == "compact":
            ops.append(("compact", None))
    queries = [draw(hash_near(centres, 40)) for _ in range(draw(st.integers(1, 6)))]
    return ops, queries


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=scenario(),
    tail=st.integers(1, 24),
    bits=st.sampled_from([None, 8, 10, 16, 21]),
)
def test_index_equals_brute_force(
    data: tuple[list[tuple[str, object]], list[np.ndarray]], tail: int, bits: int | None
) -> None:
    ops, queries = data
    index = PdqIndex(tail_capacity=tail, chunk_bits=bits)
    model: dict[int, np.ndarray] = {}
    for op, arg in ops:
        if op == "add":
            ids, hs = arg  # type: ignore[misc]
            index.add(ids, np.stack(hs))
            model.update(zip(ids, hs, strict=True))
        elif op == "remove":
            removed = index.remove(arg)  # type: ignore[arg-type]
            expected = len({i for i in arg if i in model})  # type: ignore[attr-defined]
            assert removed == expected
            for i in arg:  # type: ignore[attr-defined]
                model.pop(i, None)
        else:
            index.compact()
        assert len(index) == len(model)
    # complements wrap the byte-sum distance trick: make sure they never match
    if model:
        queries.append(~next(iter(model.values())))
    q = np.stack(queries)
    for threshold in range(MAX_THRESHOLD + 1):
        got = index.search_many(q, threshold)
        for qi, query in enumerate(queries):
            assert got[qi] == oracle(model, query, threshold), (threshold, qi)
    for query in queries:  # the single-query path agrees with the batch path
        assert index.search(query, MAX_THRESHOLD) == oracle(model, query, MAX_THRESHOLD)


def test_clustered_families_across_segments() -> None:
    """Families of near-duplicates, several segments and a tail, every threshold."""
    rng = np.random.default_rng(7)
    centres = rng.integers(0, 2**64, (50, 4), dtype=np.uint64)
    members = []
    for c in centres:
        for _ in range(10):
            members.append(flip(c, list(rng.choice(256, rng.integers(0, 9), replace=False))))
    hashes = np.stack(members)
    ids = rng.permutation(len(hashes)).astype(np.int64) * 5 - 100
    index = PdqIndex(tail_capacity=64, chunk_bits=12)
    for s in range(0, len(hashes), 37):
        index.add(ids[s : s + 37], hashes[s : s + 37])
    gone = ids[::7]
    assert index.remove(gone) == len(gone)
    keep = ~np.isin(ids, gone)
    queries = np.stack(
        [flip(c, list(rng.choice(256, rng.integers(0, 36), replace=False))) for c in centres]
    )
    for threshold in (0, 1, 8, 15, 16, 24, 30, 31):
        got = index.search_many(queries, threshold)
        for qi in range(len(queries)):
            want = brute_force_search(hashes[keep], ids[keep], queries[qi], threshold)
            assert got[qi] == want
    assert len(index.stats()["segments"]) >= 2


# --- inputs ----------------------------------------------------------------------------------
def test_accepts_hex_uint8_and_uint64() -> None:
    rng = np.random.default_rng(1)
    u8 = rng.integers(0, 256, (5, 32), dtype=np.uint8)
    hexes = [bytes(r).hex() for r in u8]
    a = parse_hashes(hexes)
    assert np.array_equal(a, parse_hashes(u8))
    assert np.array_equal(a, parse_hashes(u8.view(np.uint64)))
    assert np.array_equal(a, parse_hashes([h.upper() for h in hexes]))
    assert np.array_equal(a[:1], parse_hashes(hexes[0]))
    assert hashes_to_hex(a) == hexes
    index = PdqIndex()
    index.add([1, 2, 3, 4, 5], hexes)
    assert index.search(hexes[2], 0) == [(3, 0)]
    assert index.search(u8[2], 0) == [(3, 0)]


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("zz" * 32, "not hexadecimal"),
        ("ab" * 31, "62 characters"),
        (["ab" * 32, "ab" * 16 + " " + "a" * 31], "not hexadecimal"),
        ([123], "int"),
        (np.full((2, 32), np.nan), "float64"),
        (np.zeros((2, 31), dtype=np.uint8), "shape"),
        (np.zeros((2, 3), dtype=np.uint64), "shape"),
        (np.zeros((2, 2, 32), dtype=np.uint8), "shape"),
        (3.5, "float"),
    ],
)
def test_bad_hashes_raise_invalid_input(bad: object, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        PdqIndex().add(range(2), bad)  # type: ignore[arg-type]


def test_bad_ids_and_thresholds() -> None:
    index = PdqIndex()
    h = "00" * 32
    with pytest.raises(InvalidInput, match="one id per hash"):
        index.add([1, 2], [h])
    with pytest.raises(InvalidInput, match="integers"):
        index.add(np.array([1.5]), [h])
    with pytest.raises(InvalidInput, match="twice"):
        index.add([1, 1], [h, h])
    with pytest.raises(InvalidInput, match="signed 64-bit"):
        index.add(np.array([2**64 - 1], dtype=np.uint64), [h])
    for bad in (-1, 32, 100, True, 3.0):
        with pytest.raises(InvalidInput, match="threshold"):
            index.search(h, bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="one hash"):
        index.search([h, h])
    assert len(index) == 0


def test_upsert_and_contains() -> None:
    index = PdqIndex(tail_capacity=2)
    a, b = "00" * 32, "ff" * 32
    index.add([7], [a])
    index.add([7], [b])  # replaces
    assert len(index) == 1 and 7 in index and 8 not in index
    assert index.search(a, 31) == []
    assert index.search(b, 0) == [(7, 0)]
    assert index.remove([7, 7, 99]) == 1
    assert index.search(b, 0) == [] and len(index) == 0


# --- snapshots -------------------------------------------------------------------------------
def _sample_index() -> tuple[PdqIndex, np.ndarray]:
    rng = np.random.default_rng(3)
    hashes = rng.integers(0, 2**64, (3000, 4), dtype=np.uint64)
    index = PdqIndex(tail_capacity=500)
    index.add(np.arange(2500), hashes[:2500])
    index.add(np.arange(2500, 2800), hashes[2500:2800])  # stays in the tail
    index.remove(np.arange(0, 100))
    return index, hashes


@pytest.mark.parametrize("mmap", [False, True])
def test_save_load_round_trip(tmp_path: Path, mmap: bool) -> None:
    index, hashes = _sample_index()
    path = tmp_path / "pdq.idx"
    index.save(path)
    loaded = PdqIndex.load(path, mmap=mmap)
    assert len(loaded) == len(index) == 2700
    q = np.concatenate([hashes[:200], hashes[2400:2900]])
    assert loaded.search_many(q, 31) == index.search_many(q, 31)
    loaded.add([5000], hashes[2999:3000])  # a loaded (even memory-mapped) index stays mutable
    loaded.remove([150])
    assert loaded.search(hashes[2999], 0) == [(5000, 0)]
    assert loaded.search(hashes[150], 0) == []
    assert not list(tmp_path.glob(".*tmp")), "temporary file left behind"


def test_empty_index_round_trip(tmp_path: Path) -> None:
    PdqIndex().save(tmp_path / "empty.idx")
    assert len(PdqIndex.load(tmp_path / "empty.idx")) == 0


def test_truncated_snapshot_raises(tmp_path: Path) -> None:
    index, _ = _sample_index()
    path = tmp_path / "pdq.idx"
    index.save(path)
    data = path.read_bytes()
    for cut in (0, 5, 30, 200, 5000, len(data) // 2, len(data) - 1):
        path.write_bytes(data[:cut])
        with pytest.raises(IntegrityError):
            PdqIndex.load(path)


def test_corrupt_snapshot_raises(tmp_path: Path) -> None:
    index, _ = _sample_index()
    path = tmp_path / "pdq.idx"
    index.save(path)
    data = bytearray(path.read_bytes())
    rng = np.random.default_rng(0)
    positions = [9, 20, 40, 100, *rng.integers(4096, len(data), 30).tolist()]
    for pos in positions:
        damaged = bytearray(data)
        damaged[pos] ^= 0x10
        path.write_bytes(bytes(damaged))
        try:
            loaded = PdqIndex.load(path)
        except IntegrityError:
            continue
        # a flip in alignment padding is harmless: the index must then still be right
        assert loaded.search_many(index_hashes(index), 31) == index.search_many(
            index_hashes(index), 31
        )
    path.write_bytes(b"not a snapshot at all" * 10)
    with pytest.raises(IntegrityError, match="not a jikimi index snapshot"):
        PdqIndex.load(path)


def index_hashes(index: PdqIndex) -> np.ndarray:
    return np.concatenate([seg.hashes for seg in index._state.all_segments])[:300]


def test_save_replaces_atomically(tmp_path: Path) -> None:
    index, _ = _sample_index()
    path = tmp_path / "pdq.idx"
    PdqIndex().save(path)
    index.save(path)
    assert len(PdqIndex.load(path)) == 2700


# --- threads ---------------------------------------------------------------------------------
def test_searches_run_during_adds_and_removes() -> None:
    """A search sees a whole add or none of it: the entry either matches at 0 or not at all."""
    rng = np.random.default_rng(5)
    hashes = rng.integers(0, 2**64, (4000, 4), dtype=np.uint64)
    index = PdqIndex(tail_capacity=100)
    index.add(np.arange(2000), hashes[:2000])
    errors: list[BaseException] = []
    stop = threading.Event()

    def reader() -> None:
        try:
            while not stop.is_set():
                got = index.search_many(hashes[:50], 0)
                for k, matches in enumerate(got):
                    assert matches in ([], [(k, 0)])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    for s in range(2000, 4000, 250):
        index.add(np.arange(s, s + 250), hashes[s : s + 250])
        index.remove(np.arange(s - 2000, s - 1900))
        index.add(np.arange(s - 2000, s - 1900), hashes[s - 2000 : s - 1900])
    stop.set()
    for t in threads:
        t.join()
    assert not errors, errors[0]
    assert len(index) == 4000
