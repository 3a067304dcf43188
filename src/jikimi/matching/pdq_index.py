"""In-memory PDQ index: exact Hamming range search over 256-bit hashes, at any threshold 0..31.

Why not faiss or python-threatexchange's ``PDQIndex``: their multi-index hashing keeps one
``unordered_map<key, vector<id>>`` per hash table (about 9 GB for 10 million hashes), cannot
remove an entry, and HMA rebuilds it from the database on every change. This index is plain
numpy arrays, so it fits a clear memory budget, snapshots to disk as raw arrays and loads back
in seconds.

How: generalised multi-index hashing. The 256 bits (in a fixed pseudo-random order, so that no
structure of PDQ's bit layout piles entries into a few buckets) are cut into ``m`` chunks of
``b`` bits. If two hashes are within ``threshold`` bits, then some chunk ``i`` differs by at
most ``t_i`` bits for any ``t_i`` with ``sum(t_i) >= threshold - m + 1`` (if every chunk
differed by more, the total would exceed the threshold). So a query probes, in each chunk, all
keys within ``t_i`` bits of its own key, and every candidate found is verified against the full
hash: results are exactly those of brute force, never approximate. ``b`` is chosen per segment
so that a bucket holds about one entry (23 bits for 10 million hashes).

Each chunk is a CSR table: ``offsets[chunk * 2**b + key]`` .. ``offsets[... + 1]`` delimit the
rows in ``postings`` whose chunk equals ``key``. Incremental changes follow a log-structured
design: new entries go into a small brute-forced tail; a full tail is frozen into a segment;
segments of similar size are merged; removals clear a bit in a per-segment ``alive`` mask and a
segment with many dead rows is rebuilt. Nothing ever rebuilds the whole index on a small change.

Thread-safety: every mutation (add, remove, compact) is serialised by a lock and builds new
arrays, then publishes a new immutable ``_State`` with one reference assignment. A search reads
``self._state`` once and works on that snapshot, so searches never lock, never block on a
writer, and always see either all or none of a concurrent ``add``/``remove`` call.
"""

from __future__ import annotations

import io
import json
import os
import struct
import tempfile
import threading
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from jikimi.errors import IntegrityError, InvalidInput

__all__ = [
    "HASH_BITS",
    "MAX_THRESHOLD",
    "HashesLike",
    "PdqIndex",
    "brute_force_search",
    "hashes_to_hex",
    "parse_hashes",
    "parse_ids",
]

HASH_BITS = 256
HASH_BYTES = 32
HASH_WORDS = 4
MAX_THRESHOLD = 31
"""Largest supported threshold; Meta's recommended PDQ match threshold is 31."""

U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]
U32 = npt.NDArray[np.uint32]
Bool = npt.NDArray[np.bool_]

HashesLike = str | bytes | Sequence[str] | npt.NDArray[Any]
"""One hash or many: 64-hex strings, 32 raw bytes, uint8 arrays ``(32,)``/``(n, 32)``, or
uint64 arrays ``(4,)``/``(n, 4)`` holding the same 32 bytes (``u8.view(np.uint64)``)."""

_SNAPSHOT_MAGIC = b"JKPDQIX\x00"
_SNAPSHOT_VERSION = 1
_ALIGN = 4096
_DEFAULT_TAIL_CAPACITY = 4_096  # 16,384 in the tail made a search ~2x slower (--tail-only)
_MERGE_RATIO = 4  # merge the newest segment into the previous one once it is >= 1/4 its size
_DEAD_FRACTION_REBUILD = 0.25
_BUILD_BLOCK = 65_536
_TAIL_BLOCK_ELEMENTS = 1 << 20  # queries x tail rows per brute-force block
_SEARCH_BLOCK_PROBES = 1 << 16  # queries x probes per MIH block (bounds temporaries)


# --- input parsing ---------------------------------------------------------------------------
def parse_hashes(hashes: HashesLike) -> U64:
    """Return hashes as a C-contiguous ``(n, 4)`` uint64 array, or raise ``InvalidInput``.

    Accepts what callers have at hand: PDQ hex strings (any case), raw 32-byte strings, uint8
    arrays of 32 bytes per hash and uint64 arrays of 4 words per hash.
    """
    if isinstance(hashes, str | bytes):
        return parse_hashes([hashes]) if isinstance(hashes, str) else _from_bytes([hashes])
    if isinstance(hashes, np.ndarray):
        return _from_array(hashes)
    if not isinstance(hashes, Sequence):
        raise InvalidInput(
            f"PDQ hashes must be hex strings or a uint8/uint64 array, not {type(hashes).__name__}"
        )
    items: list[Any] = list(hashes)
    if not items:
        return np.empty((0, HASH_WORDS), dtype=np.uint64)
    if all(isinstance(h, bytes) for h in items):
        return _from_bytes(items)
    for i, h in enumerate(items):
        if not isinstance(h, str):
            raise InvalidInput(
                f"PDQ hash #{i} is a {type(h).__name__}; expected a 64-character hex string"
            )
        if len(h) != 2 * HASH_BYTES:
            raise InvalidInput(
                f"PDQ hash #{i} has {len(h)} characters; a PDQ hash is 64 hex characters"
            )
    joined = "".join(items)
    try:
        raw = bytes.fromhex(joined)
    except ValueError:
        raw = b""
    if len(raw) != HASH_BYTES * len(items):  # fromhex skips whitespace: find the culprit
        for i, h in enumerate(items):
            try:
                ok = len(bytes.fromhex(h)) == HASH_BYTES and h.isascii() and h.isalnum()
            except ValueError:
                ok = False
            if not ok:
                raise InvalidInput(f"PDQ hash #{i} is not hexadecimal: {h[:70]!r}")
    return np.frombuffer(raw, dtype=np.uint8).view(np.uint64).reshape(-1, HASH_WORDS).copy()


def _from_bytes(items: Sequence[bytes]) -> U64:
    for i, h in enumerate(items):
        if len(h) != HASH_BYTES:
            raise InvalidInput(f"PDQ hash #{i} has {len(h)} bytes; a PDQ hash is 32 bytes")
    raw = b"".join(items)
    return np.frombuffer(raw, dtype=np.uint8).view(np.uint64).reshape(-1, HASH_WORDS).copy()


def _from_array(arr: npt.NDArray[Any]) -> U64:
    if arr.dtype == np.uint8:
        width = HASH_BYTES
    elif arr.dtype == np.uint64:
        width = HASH_WORDS
    else:
        raise InvalidInput(
            f"PDQ hash arrays must be uint8 (32 per hash) or uint64 (4 per hash), not {arr.dtype}"
        )
    if arr.ndim == 1:
        arr = arr.reshape(1, -1)
    if arr.ndim != 2 or arr.shape[1] != width:
        raise InvalidInput(
            f"PDQ hash array has shape {arr.shape}; expected (n, {width}) for dtype {arr.dtype}"
        )
    out = np.ascontiguousarray(arr)
    if width == HASH_BYTES:
        out = out.view(np.uint64)
    return np.array(out, dtype=np.uint64, copy=True)


def parse_ids(ids: Iterable[int] | npt.NDArray[Any], expected: int | None = None) -> I64:
    """Return entry ids as an int64 array, or raise ``InvalidInput``."""
    arr = np.asarray(ids if isinstance(ids, np.ndarray) else list(ids))
    if arr.size == 0:
        arr = arr.astype(np.int64)
    if arr.dtype == np.bool_ or not np.issubdtype(arr.dtype, np.integer):
        raise InvalidInput(f"entry ids must be integers, not {arr.dtype}")
    if arr.ndim != 1:
        raise InvalidInput(f"entry ids must be a flat sequence, not shape {arr.shape}")
    if arr.dtype == np.uint64 and arr.size and int(arr.max()) > np.iinfo(np.int64).max:
        raise InvalidInput("entry ids must fit in a signed 64-bit integer")
    if expected is not None and arr.shape[0] != expected:
        raise InvalidInput(f"got {arr.shape[0]} ids for {expected} hashes; give one id per hash")
    return arr.astype(np.int64, copy=True)


def _check_threshold(threshold: int) -> int:
    if isinstance(threshold, bool) or not isinstance(threshold, int | np.integer):
        raise InvalidInput(f"threshold must be an integer, not {type(threshold).__name__}")
    if not 0 <= int(threshold) <= MAX_THRESHOLD:
        raise InvalidInput(f"threshold must be between 0 and {MAX_THRESHOLD}, got {threshold}")
    return int(threshold)


def hashes_to_hex(hashes: U64) -> list[str]:
    """Return PDQ hex strings for an ``(n, 4)`` uint64 array from ``parse_hashes``."""
    raw = np.ascontiguousarray(hashes, dtype=np.uint64).tobytes()
    return [raw[i : i + HASH_BYTES].hex() for i in range(0, len(raw), HASH_BYTES)]


def _distances(a: U64, q: U64) -> npt.NDArray[np.intp]:
    """Hamming distances between rows of ``a`` and ``q`` (broadcast over leading axes)."""
    counts = np.bitwise_count(a ^ q)  # (..., 4) uint8, each 0..64
    # Sum the four bytes with one multiply (5x faster than .sum(axis=-1) on short rows). The
    # byte sum is mod 256; it wraps only for a full complement (four words of 64), fixed here.
    packed = np.ascontiguousarray(counts).view(np.uint32)[..., 0]
    d = ((packed * np.uint32(0x01010101)) >> np.uint32(24)).astype(np.intp)
    wrapped = (d == 0) & (counts[..., 0] == 64)
    if wrapped.any():
        d[wrapped] = HASH_BITS
    return d


def _within(a: U64, q: U64, threshold: int) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Indices of rows of ``a`` within ``threshold`` of ``q`` (same shape), and distances."""
    counts = np.bitwise_count(a ^ q)
    d = (counts.view(np.uint32)[:, 0] * np.uint32(0x01010101)) >> np.uint32(24)
    hit = np.flatnonzero(d <= threshold)
    dh = d[hit].astype(np.intp)
    wrapped = (dh == 0) & (counts[hit, 0] == 64)  # a complement wraps to 0: not a match
    if wrapped.any():
        hit, dh = hit[~wrapped], dh[~wrapped]
    return hit, dh


def brute_force_search(
    hashes: HashesLike, ids: Iterable[int] | npt.NDArray[Any], query: HashesLike, threshold: int
) -> list[tuple[int, int]]:
    """The oracle: ``(id, distance)`` of every hash within ``threshold``, by a full scan.

    Sorted by distance, then id, like ``PdqIndex.search``.
    """
    h = parse_hashes(hashes)
    i = parse_ids(ids, h.shape[0])
    q = parse_hashes(query)
    if q.shape[0] != 1:
        raise InvalidInput("brute_force_search takes exactly one query hash")
    if not 0 <= threshold <= HASH_BITS:
        raise InvalidInput(f"threshold must be between 0 and {HASH_BITS}")
    d = _distances(h, q[0])
    hit = np.flatnonzero(d <= threshold)
    order = np.lexsort((i[hit], d[hit]))
    return [(int(i[hit[k]]), int(d[hit[k]])) for k in order]


# --- multi-index hashing segments ------------------------------------------------------------
def _chunk_bits_for(n: int) -> int:
    """Bits per chunk so that a bucket holds about one entry (bounded to 10..23 bits)."""
    return int(min(23, max(10, round(np.log2(max(n, 1)) - 0.1))))


@dataclass(frozen=True)
class _Layout:
    """How a segment cuts the (permuted) 256 bits into ``chunks`` keys of ``bits`` bits."""

    bits: int
    chunks: int
    permutation: tuple[int, ...]

    @cached_property
    def weights(self) -> npt.NDArray[np.float32]:
        """``(256, chunks)`` matrix: unpacked bits @ weights = chunk keys (exact in float32)."""
        w = np.zeros((HASH_BITS, self.chunks), dtype=np.float32)
        for c in range(self.chunks):
            for j in range(self.bits):
                w[self.permutation[c * self.bits + j], c] = float(1 << j)
        return w

    def keys(self, hashes: U64) -> U32:
        """Chunk keys ``(n, chunks)`` of the hashes."""
        bits = np.unpackbits(hashes.view(np.uint8).reshape(-1, HASH_BYTES), axis=1)
        return (bits.astype(np.float32) @ self.weights).astype(np.uint32)

    @cached_property
    def _probe_cache(self) -> dict[int, tuple[npt.NDArray[np.intp], U32, I64]]:
        return {}

    def probes(self, threshold: int) -> tuple[npt.NDArray[np.intp], U32, I64]:
        """For a threshold: (chunk of each probe, XOR mask, directory base of the chunk).

        Per-chunk radii ``t_i`` are as equal as possible with ``sum(t_i) = threshold - m + 1``;
        a chunk with radius -1 is not probed at all (small thresholds probe few chunks).
        """
        cached = self._probe_cache.get(threshold)
        if cached is not None:
            return cached
        m, b = self.chunks, self.bits
        total = threshold - m + 1
        base, extra = divmod(total, m)  # floor division: radii base or base + 1
        radii = [base + (1 if c < extra else 0) for c in range(m)]
        if min(radii) < -1:  # small threshold: use exactly threshold + 1 chunks at radius 0
            radii = [0 if c <= threshold else -1 for c in range(m)]
        masks_by_radius: dict[int, list[int]] = {}
        chunk_list: list[int] = []
        mask_list: list[int] = []
        for c, r in enumerate(radii):
            if r < 0:
                continue
            if r not in masks_by_radius:
                ms = [0]
                for k in range(1, r + 1):
                    ms.extend(sum(1 << p for p in combo) for combo in combinations(range(b), k))
                masks_by_radius[r] = ms
            chunk_list.extend([c] * len(masks_by_radius[r]))
            mask_list.extend(masks_by_radius[r])
        chunk_arr = np.array(chunk_list, dtype=np.intp)
        result = (
            chunk_arr,
            np.array(mask_list, dtype=np.uint32),
            (chunk_arr.astype(np.int64) << b),
        )
        self._probe_cache[threshold] = result
        return result


@dataclass(frozen=True, eq=False)
class _Segment:
    """An immutable block of entries with its multi-index hash tables (or none: the tail)."""

    hashes: U64  # (n, 4)
    ids: I64  # (n,), sorted ascending for a MIH segment
    alive: Bool  # (n,)
    layout: _Layout | None = None
    offsets: npt.NDArray[Any] | None = None  # uint32/uint64, (chunks * 2**bits + 1,)
    postings: U32 | None = None  # (chunks * n,)
    live: int = field(default=-1)

    def __post_init__(self) -> None:
        if self.live < 0:
            object.__setattr__(self, "live", int(np.count_nonzero(self.alive)))

    @property
    def size(self) -> int:
        return int(self.ids.shape[0])

    @property
    def mapped(self) -> bool:
        """Whether the segment's rows are mapped from a snapshot file (shared, read-only)."""
        return isinstance(self.hashes, np.memmap)

    def arrays(self) -> dict[str, npt.NDArray[Any]]:
        out: dict[str, npt.NDArray[Any]] = {
            "hashes": self.hashes,
            "ids": self.ids,
            "alive": self.alive,
        }
        if self.offsets is not None and self.postings is not None:
            out["offsets"] = self.offsets
            out["postings"] = self.postings
        return out

    def with_alive(self, alive: Bool) -> _Segment:
        return _Segment(self.hashes, self.ids, alive, self.layout, self.offsets, self.postings)

    def search(self, q: U64, keys: dict[_Layout, U32], threshold: int) -> tuple[I64, I64, I64]:
        """Matches as (query index, id, distance) arrays, unsorted."""
        if self.live == 0:
            return _EMPTY3
        if self.layout is None:
            return self._search_brute(q, threshold)
        return self._search_mih(q, keys[self.layout], threshold)

    def _search_brute(self, q: U64, threshold: int) -> tuple[I64, I64, I64]:
        n = self.size
        step = max(1, _TAIL_BLOCK_ELEMENTS // max(n, 1))
        parts = []
        for s in range(0, q.shape[0], step):
            d = _distances(self.hashes[None, :, :], q[s : s + step, None, :])
            qi, rows = np.nonzero((d <= threshold) & self.alive[None, :])
            parts.append((qi.astype(np.int64) + s, self.ids[rows], d[qi, rows].astype(np.int64)))
        return _concat3(parts)

    def _search_mih(self, q: U64, keys: U32, threshold: int) -> tuple[I64, I64, I64]:
        assert self.layout is not None and self.offsets is not None and self.postings is not None
        pchunk, pmask, pbase = self.layout.probes(threshold)
        nprobe = pchunk.shape[0]
        step = max(1, _SEARCH_BLOCK_PROBES // max(nprobe, 1))
        parts = []
        for s in range(0, q.shape[0], step):
            qb = q[s : s + step]
            directory = ((np.take(keys[s : s + step], pchunk, axis=1) ^ pmask) + pbase).ravel()
            # np.take, not fancy indexing: 5x faster on random gathers from large arrays
            starts = np.take(self.offsets, directory)
            lens = np.take(self.offsets, directory + 1) - starts
            ln = lens.astype(np.int64)
            ends = np.cumsum(ln)
            total = int(ends[-1])
            if total == 0:
                continue
            pos = np.repeat(starts - (ends - ln), ln) + np.arange(total, dtype=np.int64)
            rows = np.take(self.postings, pos)
            cand = np.take(self.hashes, rows, axis=0)
            if qb.shape[0] == 1:
                hit, md = _within(cand, qb[0], threshold)
                mq = np.zeros(hit.shape[0], dtype=np.int64)
            else:
                qi = np.repeat(np.arange(ln.shape[0]) // nprobe, ln)
                hit, md = _within(cand, np.take(qb, qi, axis=0), threshold)
                mq = qi[hit].astype(np.int64)
            mrows = rows[hit]
            ok = self.alive[mrows]
            mrows, mq, md = mrows[ok], mq[ok], md[ok]
            # a hash close in several chunks is found several times: keep one
            _, first = np.unique(mq * self.size + mrows, return_index=True)
            parts.append((mq[first] + s, self.ids[mrows[first]], md[first].astype(np.int64)))
        return _concat3(parts)


_EMPTY3: tuple[I64, I64, I64] = (
    np.empty(0, dtype=np.int64),
    np.empty(0, dtype=np.int64),
    np.empty(0, dtype=np.int64),
)


def _concat3(parts: list[tuple[I64, I64, I64]]) -> tuple[I64, I64, I64]:
    if not parts:
        return _EMPTY3
    if len(parts) == 1:
        return parts[0]
    return (
        np.concatenate([p[0] for p in parts]),
        np.concatenate([p[1] for p in parts]),
        np.concatenate([p[2] for p in parts]),
    )


def _build_segment(
    hashes: U64, ids: I64, permutation: tuple[int, ...], bits: int | None
) -> _Segment:
    """Build a MIH segment from live entries (ids unique). Sorts rows by id for removal."""
    n = ids.shape[0]
    if n > 1 and not bool((ids[1:] >= ids[:-1]).all()):  # database ids usually come sorted
        order = np.argsort(ids, kind="stable")
        ids = np.take(ids, order)
        hashes = np.take(hashes, order, axis=0)
        del order
    b = bits if bits is not None else _chunk_bits_for(n)
    layout = _Layout(b, HASH_BITS // b, permutation)
    m = layout.chunks
    table = 1 << b
    keys = [np.empty(n, dtype=np.uint32) for _ in range(m)]
    for s in range(0, n, _BUILD_BLOCK):
        block = layout.keys(hashes[s : s + _BUILD_BLOCK])
        for c in range(m):
            keys[c][s : s + _BUILD_BLOCK] = block[:, c]
    offset_type = np.uint32 if m * n < 2**32 else np.uint64
    offsets: npt.NDArray[Any] = np.empty(m * table + 1, dtype=offset_type)
    offsets[0] = 0
    postings = np.empty(m * n, dtype=np.uint32)
    row_ids = np.arange(n, dtype=np.uint64)
    for c in range(m):
        kc = keys[c]
        counts = np.bincount(kc, minlength=table)
        np.cumsum(counts, out=offsets[c * table + 1 : (c + 1) * table + 1])
        offsets[c * table + 1 : (c + 1) * table + 1] += offset_type(c * n)
        packed = (kc.astype(np.uint64) << np.uint64(32)) | row_ids
        keys[c] = np.empty(0, dtype=np.uint32)  # free as we go: bounds the build's peak memory
        packed.sort()
        postings[c * n : (c + 1) * n] = packed.astype(np.uint32)  # low 32 bits: the row
        del packed, counts
    return _Segment(hashes, ids, np.ones(n, dtype=np.bool_), layout, offsets, postings, live=n)


def _tail_segment(hashes: U64, ids: I64, alive: Bool | None = None) -> _Segment:
    return _Segment(hashes, ids, np.ones(ids.shape[0], np.bool_) if alive is None else alive)


@dataclass(frozen=True)
class _State:
    """Everything a search reads; never mutated once published."""

    segments: tuple[_Segment, ...]
    tail: _Segment

    @property
    def all_segments(self) -> tuple[_Segment, ...]:
        return (*self.segments, self.tail)

    def __len__(self) -> int:
        return sum(s.live for s in self.all_segments)


def _default_permutation() -> tuple[int, ...]:
    # A fixed, stored-with-every-snapshot shuffle: spreads PDQ's DCT layout over the chunks.
    return tuple(int(x) for x in np.random.Generator(np.random.PCG64(0x9D9)).permutation(256))


_EMPTY_HASHES = np.empty((0, HASH_WORDS), dtype=np.uint64)
_EMPTY_IDS = np.empty(0, dtype=np.int64)


class PdqIndex:
    """Exact PDQ range search (threshold 0..31) with incremental add/remove and snapshots.

    Ids are int64 entry ids from the database; an id is in the index at most once: adding an
    id that is present replaces its hash. See the module docstring for design and threading.
    """

    def __init__(
        self,
        *,
        chunk_bits: int | None = None,
        tail_capacity: int | None = None,
    ) -> None:
        """``chunk_bits`` forces the bits per chunk (10..23; default: chosen by size);
        ``tail_capacity``: entries searched one by one before they become a segment."""
        if chunk_bits is not None and not 8 <= chunk_bits <= 24:
            raise InvalidInput("chunk_bits must be between 8 and 24")
        if tail_capacity is None:
            tail_capacity = _DEFAULT_TAIL_CAPACITY
        if tail_capacity < 1:
            raise InvalidInput("tail_capacity must be positive")
        self._chunk_bits = chunk_bits
        self._tail_capacity = tail_capacity
        self._permutation = _default_permutation()
        self._lock = threading.Lock()
        self._state = _State((), _tail_segment(_EMPTY_HASHES, _EMPTY_IDS))

    # --- queries -----------------------------------------------------------------------------
    def __len__(self) -> int:
        """Number of live entries."""
        return len(self._state)

    def __contains__(self, entry_id: object) -> bool:
        if not isinstance(entry_id, int | np.integer) or isinstance(entry_id, bool):
            return False
        found = self._locate(self._state, np.array([entry_id], dtype=np.int64))
        return any(bool(mask.any()) for _, mask in found)

    def search(self, hash: HashesLike, threshold: int = MAX_THRESHOLD) -> list[tuple[int, int]]:
        """``(id, distance)`` of every entry within ``threshold`` bits, nearest first."""
        q = parse_hashes(hash)
        if q.shape[0] != 1:
            raise InvalidInput(f"search takes one hash, got {q.shape[0]}; use search_many")
        return self.search_many(q, threshold)[0]

    def search_many(
        self, hashes: HashesLike, threshold: int = MAX_THRESHOLD
    ) -> list[list[tuple[int, int]]]:
        """For each query hash, its matches as ``search`` returns them."""
        q = parse_hashes(hashes)
        qi, ids, dist = self.search_arrays(q, threshold)
        out: list[list[tuple[int, int]]] = [[] for _ in range(q.shape[0])]
        for a, b, c in zip(qi.tolist(), ids.tolist(), dist.tolist(), strict=True):
            out[a].append((b, c))
        return out

    def search_arrays(
        self, hashes: HashesLike, threshold: int = MAX_THRESHOLD
    ) -> tuple[I64, I64, I64]:
        """All matches of a batch as three arrays (query index, id, distance).

        Sorted by query, distance, id. The fastest form for scans: no Python objects per match.
        """
        threshold = _check_threshold(threshold)
        q = parse_hashes(hashes)
        state = self._state  # one read: the snapshot this search sees
        if q.shape[0] == 0:
            return _EMPTY3
        layouts = {s.layout for s in state.segments if s.layout is not None and s.live}
        keys = {lay: lay.keys(q) for lay in layouts}
        parts = [seg.search(q, keys, threshold) for seg in state.all_segments]
        qi, ids, dist = _concat3([p for p in parts if p[0].size])
        if qi.size > 1:
            order = np.lexsort((ids, dist, qi))
            qi, ids, dist = qi[order], ids[order], dist[order]
        return qi, ids, dist

    def memory_bytes(self) -> int:
        """Bytes held by the index arrays (hashes, ids, masks, hash tables)."""
        return sum(a.nbytes for seg in self._state.all_segments for a in seg.arrays().values())

    def stats(self) -> dict[str, Any]:
        """Segment sizes and layouts, and bucket occupancy: to check for degenerate data."""
        out: list[dict[str, Any]] = []
        for seg in self._state.all_segments:
            info: dict[str, Any] = {"rows": seg.size, "live": seg.live}
            if seg.layout is not None and seg.offsets is not None:
                counts = np.diff(seg.offsets.astype(np.int64))
                info.update(
                    chunk_bits=seg.layout.bits,
                    chunks=seg.layout.chunks,
                    bucket_mean=float(seg.size / (1 << seg.layout.bits)),
                    bucket_max=int(counts.max()) if counts.size else 0,
                    bucket_p9999=float(np.percentile(counts, 99.99)) if counts.size else 0.0,
                )
            out.append(info)
        return {"entries": len(self), "memory_bytes": self.memory_bytes(), "segments": out}

    # --- changes -----------------------------------------------------------------------------
    def add(self, ids: Iterable[int] | npt.NDArray[Any], hashes: HashesLike) -> None:
        """Add entries (replacing the hash of an id already present). No full rebuild."""
        h = parse_hashes(hashes)
        i = parse_ids(ids, h.shape[0])
        if i.size == 0:
            return
        ordered = np.sort(i)
        if ordered.shape[0] > 1 and bool((ordered[1:] == ordered[:-1]).any()):
            raise InvalidInput("the same entry id appears twice in one add; give each id once")
        with self._lock:
            state = self._without(self._state, i)
            tail = state.tail
            segments = list(state.segments)
            if tail.live + i.shape[0] <= self._tail_capacity:
                keep = tail.alive
                new_tail = _tail_segment(
                    np.concatenate([tail.hashes[keep], h]), np.concatenate([tail.ids[keep], i])
                )
                self._state = _State(tuple(segments), new_tail)
                return
            if tail.live:
                h = np.concatenate([tail.hashes[tail.alive], h])
                i = np.concatenate([tail.ids[tail.alive], i])
            segments.append(_build_segment(h, i, self._permutation, self._chunk_bits))
            self._state = _State(self._merged(segments), _tail_segment(_EMPTY_HASHES, _EMPTY_IDS))

    def remove(self, ids: Iterable[int] | npt.NDArray[Any]) -> int:
        """Remove entries by id; unknown ids are ignored. Returns how many were removed."""
        i = parse_ids(ids)
        if i.size == 0:
            return 0
        with self._lock:
            before = len(self._state)
            state = self._without(self._state, i)
            segments = [
                seg
                if seg.live >= seg.size * (1 - _DEAD_FRACTION_REBUILD) or seg.live == 0
                else self._rebuild([seg])
                for seg in state.segments
            ]
            self._state = _State(tuple(s for s in segments if s.live), state.tail)
            return before - len(self._state)

    def fold_tail(self) -> None:
        """Build the tail's entries into a segment now and merge segments of similar size,
        mapped ones included (before a snapshot is written: the file every process maps then
        has no brute-forced tail and O(log n) segments)."""
        with self._lock:
            state = self._state
            tail = state.tail
            segments = list(state.segments)
            if tail.live:
                segments.append(_build_segment(tail.hashes[tail.alive], tail.ids[tail.alive],
                                               self._permutation, self._chunk_bits))
            self._state = _State(self._merged(segments, into_mapped=True),
                                 _tail_segment(_EMPTY_HASHES, _EMPTY_IDS))

    def compact(self) -> None:
        """Merge everything into one segment (e.g. nightly, or before a snapshot)."""
        with self._lock:
            state = self._state
            parts = [*state.segments, state.tail]
            if len(state.segments) == 1 and state.tail.size == 0 and parts[0].live == parts[0].size:
                return
            merged = self._rebuild(parts)
            segs = (merged,) if merged.live else ()
            self._state = _State(segs, _tail_segment(_EMPTY_HASHES, _EMPTY_IDS))

    # --- internals ---------------------------------------------------------------------------
    @staticmethod
    def _locate(state: _State, ids: I64) -> list[tuple[_Segment, Bool]]:
        """For each segment: mask of its live rows whose id is in ``ids``."""
        out = []
        wanted = np.sort(ids)
        for seg in state.all_segments:
            if seg.live == 0:
                out.append((seg, np.zeros(seg.size, np.bool_)))
                continue
            if seg.layout is not None:  # ids sorted: binary search
                pos = np.searchsorted(seg.ids, wanted)
                pos = pos[pos < seg.size]
                pos = pos[np.isin(seg.ids[pos], wanted)]
                mask = np.zeros(seg.size, np.bool_)
                mask[pos] = True
            else:
                mask = np.isin(seg.ids, wanted)
            out.append((seg, mask & seg.alive))
        return out

    def _without(self, state: _State, ids: I64) -> _State:
        """The state with ``ids`` marked dead (copy-on-write alive masks)."""
        changed = []
        for seg, mask in self._locate(state, ids):
            if mask.any():
                seg = seg.with_alive(seg.alive & ~mask)
            changed.append(seg)
        return _State(tuple(changed[:-1]), changed[-1])

    def _rebuild(self, parts: Sequence[_Segment]) -> _Segment:
        h = np.concatenate([p.hashes[p.alive] for p in parts])
        i = np.concatenate([p.ids[p.alive] for p in parts])
        return _build_segment(h, i, self._permutation, self._chunk_bits)

    def _merged(self, segments: list[_Segment], *, into_mapped: bool = False
                ) -> tuple[_Segment, ...]:
        """Size-tiered merging: O(log n) segments, each entry rebuilt O(log n) times.

        A segment mapped from a snapshot file is shared by every process on the host; a
        change does not merge into it (``into_mapped``: unless asked, as before a snapshot is
        written), so a process's work and private memory grow with its changes, not with the
        index."""
        segments = [s for s in segments if s.live]
        merging = True
        while merging:  # the newest pair of similar size first (segments: oldest first)
            merging = False
            for k in range(len(segments) - 1, 0, -1):
                prev, last = segments[k - 1], segments[k]
                if last.live * _MERGE_RATIO >= prev.live and (into_mapped or not prev.mapped):
                    segments[k - 1 : k + 1] = [self._rebuild([prev, last])]
                    merging = True
                    break
        return tuple(segments)

    # --- snapshots ---------------------------------------------------------------------------
    def save(self, path: str | os.PathLike[str]) -> None:
        """Write a snapshot atomically (temp file + fsync + rename): raw arrays, checksummed."""
        state = self._state
        arrays: dict[str, npt.NDArray[Any]] = {
            "permutation": np.array(self._permutation, dtype=np.uint16)
        }
        segs_meta = []
        for k, seg in enumerate(state.all_segments):
            for name, arr in seg.arrays().items():
                arrays[f"s{k}.{name}"] = arr
            segs_meta.append(
                {"bits": seg.layout.bits, "chunks": seg.layout.chunks}
                if seg.layout is not None
                else None
            )
        meta = {
            "kind": "pdq_index",
            "segments": segs_meta,
            "chunk_bits": self._chunk_bits,
            "tail_capacity": self._tail_capacity,
            "entries": len(state),
        }
        write_snapshot(path, meta, arrays)

    @classmethod
    def load(
        cls, path: str | os.PathLike[str], *, mmap: bool = False, verify: bool = True
    ) -> PdqIndex:
        """Read a snapshot written by ``save``; raise ``IntegrityError`` if it is damaged.

        ``mmap=True`` maps the arrays read-only instead of reading them (the index never writes
        to them); ``verify=False`` skips the checksums (not recommended).
        """
        meta, arrays = read_snapshot(path, mmap=mmap, verify=verify)
        if meta.get("kind") != "pdq_index":
            raise IntegrityError(f"{path} is not a PDQ index snapshot")
        try:
            index = cls(chunk_bits=meta["chunk_bits"],  # a smaller default now wins
                        tail_capacity=min(int(meta["tail_capacity"]), _DEFAULT_TAIL_CAPACITY))
            perm = tuple(int(x) for x in arrays["permutation"])
            if sorted(perm) != list(range(HASH_BITS)):
                raise IntegrityError(f"PDQ index snapshot {path} has an invalid bit permutation")
            index._permutation = perm
            segs = []
            for k, lay in enumerate(meta["segments"]):
                layout = _Layout(int(lay["bits"]), int(lay["chunks"]), perm) if lay else None
                seg = _Segment(
                    arrays[f"s{k}.hashes"],
                    arrays[f"s{k}.ids"],
                    arrays[f"s{k}.alive"],
                    layout,
                    arrays.get(f"s{k}.offsets"),
                    arrays.get(f"s{k}.postings"),
                )
                _check_segment(seg, path)
                segs.append(seg)
        except (KeyError, TypeError, ValueError) as exc:
            raise IntegrityError(f"PDQ index snapshot {path} is inconsistent: {exc}") from exc
        if not segs:
            raise IntegrityError(f"PDQ index snapshot {path} has no tail segment")
        index._state = _State(tuple(segs[:-1]), segs[-1])
        if len(index._state) != meta["entries"]:
            raise IntegrityError(f"PDQ index snapshot {path}: entry count does not match")
        return index


def _check_segment(seg: _Segment, path: object) -> None:
    """Cheap shape checks, so that a consistent-checksum but wrong snapshot cannot misbehave."""
    n = seg.size
    bad = (
        seg.hashes.shape != (n, HASH_WORDS)
        or seg.alive.shape != (n,)
        or seg.hashes.dtype != np.uint64
        or seg.ids.dtype != np.int64
        or seg.alive.dtype != np.bool_
    )
    if seg.layout is not None:
        lay = seg.layout
        bad = bad or (
            seg.offsets is None
            or seg.postings is None
            or seg.offsets.shape != (lay.chunks * (1 << lay.bits) + 1,)
            or seg.postings.shape != (lay.chunks * n,)
            or seg.postings.dtype != np.uint32
            or lay.bits * lay.chunks > HASH_BITS
            or int(seg.offsets[-1]) != lay.chunks * n
        )
    if bad:
        raise IntegrityError(f"PDQ index snapshot {path} has arrays of the wrong shape or type")


# --- snapshot container (shared with exact_index) --------------------------------------------
def _raw(arr: npt.NDArray[Any]) -> memoryview:
    """The bytes of a C-contiguous array, without a copy."""
    return arr.reshape(-1).view(np.uint8).data


def write_snapshot(
    path: str | os.PathLike[str], meta: Mapping[str, Any], arrays: Mapping[str, npt.NDArray[Any]]
) -> None:
    """Write named arrays and a JSON header to ``path`` atomically.

    Layout: magic (8 bytes), header length and CRC-32 (``<QI4x``), the JSON header (format
    version, ``meta``, and per array dtype, shape, offset, byte length and CRC-32), then each
    array's raw bytes at a 4096-aligned offset, so that it can be memory-mapped.
    """
    path = Path(path)
    entries: dict[str, dict[str, Any]] = {}
    offset = 0
    contiguous = {name: np.ascontiguousarray(arr) for name, arr in arrays.items()}
    for name, arr in contiguous.items():
        entries[name] = {
            "dtype": arr.dtype.str,
            "shape": list(arr.shape),
            "offset": offset,  # relative to the data start
            "nbytes": int(arr.nbytes),
            "crc32": zlib.crc32(_raw(arr)) if arr.nbytes else 0,
        }
        offset += -(-arr.nbytes // _ALIGN) * _ALIGN
    header = json.dumps(
        {"version": _SNAPSHOT_VERSION, "meta": dict(meta), "arrays": entries}, sort_keys=True
    ).encode()
    prefix = _SNAPSHOT_MAGIC + struct.pack("<QI4x", len(header), zlib.crc32(header))
    data_start = -(-(len(prefix) + len(header)) // _ALIGN) * _ALIGN
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(prefix + header)
            f.write(b"\x00" * (data_start - len(prefix) - len(header)))
            for name, arr in contiguous.items():
                f.write(_raw(arr) if arr.nbytes else b"")
                f.write(b"\x00" * (-arr.nbytes % _ALIGN))
                assert (
                    f.tell()
                    == data_start + entries[name]["offset"] + -(-arr.nbytes // _ALIGN) * _ALIGN
                )
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    try:  # make the rename itself durable
        dfd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass


def read_snapshot(
    path: str | os.PathLike[str], *, mmap: bool = False, verify: bool = True
) -> tuple[dict[str, Any], dict[str, npt.NDArray[Any]]]:
    """Read a file written by ``write_snapshot``; ``IntegrityError`` if truncated or corrupt."""
    path = Path(path)
    hint = "delete it and rebuild the index from the database"
    try:
        f = open(path, "rb")
    except FileNotFoundError:
        raise
    with f:
        size = os.fstat(f.fileno()).st_size
        prefix = f.read(len(_SNAPSHOT_MAGIC) + 16)
        if len(prefix) < len(_SNAPSHOT_MAGIC) + 16 or not prefix.startswith(_SNAPSHOT_MAGIC):
            raise IntegrityError(f"{path} is not a jikimi index snapshot ({hint})")
        header_len, header_crc = struct.unpack("<QI4x", prefix[len(_SNAPSHOT_MAGIC) :])
        if header_len > size:
            raise IntegrityError(f"snapshot {path} is truncated in its header ({hint})")
        header = f.read(header_len)
        if len(header) != header_len or zlib.crc32(header) != header_crc:
            raise IntegrityError(f"snapshot {path} has a corrupt header ({hint})")
        try:
            doc = json.loads(header)
            if doc["version"] != _SNAPSHOT_VERSION:
                raise IntegrityError(
                    f"snapshot {path} has format version {doc['version']}, this jikimi reads "
                    f"{_SNAPSHOT_VERSION} ({hint})"
                )
            data_start = -(-(len(prefix) + header_len) // _ALIGN) * _ALIGN
            expected = data_start + sum(
                -(-int(e["nbytes"]) // _ALIGN) * _ALIGN for e in doc["arrays"].values()
            )
            if size != expected:
                raise IntegrityError(
                    f"snapshot {path} is {size} bytes, its header says {expected}: "
                    f"truncated or damaged ({hint})"
                )
            out: dict[str, npt.NDArray[Any]] = {}
            for name, e in doc["arrays"].items():
                dtype = np.dtype(e["dtype"])
                shape = tuple(int(x) for x in e["shape"])
                nbytes = int(e["nbytes"])
                if int(np.prod(shape, dtype=np.int64)) * dtype.itemsize != nbytes:
                    raise IntegrityError(f"snapshot {path}: array {name} has a bad size ({hint})")
                start = data_start + int(e["offset"])
                if start + nbytes > size:
                    raise IntegrityError(
                        f"snapshot {path} is truncated: {size} bytes, array {name} needs "
                        f"{start + nbytes} ({hint})"
                    )
                if nbytes == 0:
                    arr: npt.NDArray[Any] = np.empty(shape, dtype=dtype)
                elif mmap:
                    arr = np.memmap(path, dtype=dtype, mode="r", offset=start, shape=shape)
                else:
                    arr = np.empty(shape, dtype=dtype)
                    f.seek(start)
                    got = f.readinto(_raw(arr))
                    if got != nbytes:
                        raise IntegrityError(f"snapshot {path} is truncated ({hint})")
                if verify and nbytes and zlib.crc32(_raw(arr)) != e["crc32"]:
                    raise IntegrityError(
                        f"snapshot {path} is corrupt: checksum of {name} does not match ({hint})"
                    )
                out[name] = arr
            meta = doc["meta"]
        except IntegrityError:
            raise
        except (KeyError, TypeError, ValueError, io.UnsupportedOperation) as exc:
            raise IntegrityError(f"snapshot {path} has an invalid header: {exc} ({hint})") from exc
    if not isinstance(meta, dict):
        raise IntegrityError(f"snapshot {path} has an invalid header ({hint})")
    return meta, out
