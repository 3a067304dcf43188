"""In-memory face index: exact Euclidean range search over dlib's 128-d face embeddings.

Why faiss ``IndexFlatL2`` in an ``IndexIDMap2``: exact (no approximation, so no enrolled face
is ever missed by the index itself), entries added and removed by their int64 id without a
rebuild, and fast enough for every face a centre will enrol (a flat scan of 100,000 faces is a
few milliseconds). dlib's embeddings are compared by Euclidean distance (0.6 is the classic
same-person threshold); faiss reports squared L2, so :meth:`FaceIndex.search` returns the
square root, the true Euclidean distance.

Thread-safety: faiss allows concurrent searches but not a search during an add or remove. A
readers-writer lock lets searches run together; ``add``/``remove`` wait for running searches
and hold new ones back, so a search sees all or none of a concurrent ``add``/``remove`` call,
and a search that starts after ``remove`` returns never finds the removed entries (erasure on
withdrawal takes effect at once).

Snapshots use the index snapshot container of :mod:`jikimi.matching.pdq_index` (atomic write,
CRC-32 per array, ``IntegrityError`` on a damaged file).
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import faiss
import numpy as np
import numpy.typing as npt

from jikimi.errors import IntegrityError, InvalidInput
from jikimi.matching.pdq_index import parse_ids, read_snapshot, write_snapshot

__all__ = ["EMBEDDING_DIM", "MAX_SEARCH_THRESHOLD", "FaceIndex", "parse_embeddings"]

EMBEDDING_DIM = 128
"""Length of a dlib ResNet face embedding."""
MAX_SEARCH_THRESHOLD = 2.0
"""Largest accepted search radius. Same person is below ~0.6 and different people are ~0.9
apart (dlib's embeddings have norms of 1.3-1.7); a larger radius is a caller's mistake (e.g.
thousandths passed as a float)."""

F32 = npt.NDArray[np.float32]
I64 = npt.NDArray[np.int64]


def parse_embeddings(embeddings: npt.ArrayLike) -> F32:
    """Embeddings as a C-contiguous ``(n, 128)`` float32 array, or raise ``InvalidInput``.

    One embedding of shape ``(128,)`` becomes ``(1, 128)``. NaN and infinity are refused.
    """
    try:
        arr = np.asarray(embeddings, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"face embeddings must be numbers: {exc}", code="bad_embedding") from exc
    if arr.ndim == 1:
        arr = arr.reshape(1, -1)
    if arr.ndim != 2 or arr.shape[1] != EMBEDDING_DIM:
        raise InvalidInput(
            f"face embeddings have shape {arr.shape}; expected ({EMBEDDING_DIM},) or "
            f"(n, {EMBEDDING_DIM})",
            code="bad_embedding",
        )
    if not np.isfinite(arr).all():
        raise InvalidInput("face embeddings must be finite (no NaN or infinity)",
                           code="bad_embedding")
    return np.ascontiguousarray(arr)


def _check_threshold(threshold: float) -> float:
    if isinstance(threshold, bool) or not isinstance(threshold, int | float | np.floating):
        raise InvalidInput(f"threshold must be a number, not {type(threshold).__name__}",
                           code="bad_threshold")
    value = float(threshold)
    if not (math.isfinite(value) and 0.0 <= value <= MAX_SEARCH_THRESHOLD):
        raise InvalidInput(
            f"a face distance threshold is between 0 and {MAX_SEARCH_THRESHOLD}, got {threshold}",
            code="bad_threshold",
        )
    return value


class _ReadWriteLock:
    """Many readers or one writer; a waiting writer holds back new readers."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writer = False
        self._writers_waiting = 0

    @contextmanager
    def reading(self) -> Iterator[None]:
        with self._cond:
            while self._writer or self._writers_waiting:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                if not self._readers:
                    self._cond.notify_all()

    @contextmanager
    def writing(self) -> Iterator[None]:
        with self._cond:
            self._writers_waiting += 1
            try:
                while self._writer or self._readers:
                    self._cond.wait()
            finally:
                self._writers_waiting -= 1
            self._writer = True
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()


class FaceIndex:
    """Exact Euclidean search over face embeddings, keyed by int64 entry ids."""

    def __init__(self) -> None:
        self._index: Any = faiss.IndexIDMap2(faiss.IndexFlatL2(EMBEDDING_DIM))
        self._lock = _ReadWriteLock()

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def __contains__(self, entry_id: object) -> bool:
        if isinstance(entry_id, bool) or not isinstance(entry_id, int | np.integer):
            return False
        with self._lock.reading():
            return bool(self._has(np.array([entry_id], dtype=np.int64))[0])

    def add(self, ids: Iterable[int] | npt.NDArray[Any], embeddings: npt.ArrayLike) -> None:
        """Add entries; an id already present gets the new embedding. No rebuild."""
        vectors = parse_embeddings(embeddings)
        i = parse_ids(ids, vectors.shape[0])
        if i.size == 0:
            return
        if np.unique(i).size != i.size:
            raise InvalidInput("the same entry id appears twice in one add; give each id once")
        with self._lock.writing():
            self._index.remove_ids(i)
            self._index.add_with_ids(vectors, i)

    def remove(self, ids: Iterable[int] | npt.NDArray[Any]) -> int:
        """Remove entries by id (unknown ids are ignored); returns how many were removed."""
        i = parse_ids(ids)
        if i.size == 0:
            return 0
        with self._lock.writing():
            return int(self._index.remove_ids(np.unique(i)))

    def search(self, embedding: npt.ArrayLike, threshold: float) -> list[tuple[int, float]]:
        """``(id, distance)`` of every entry within Euclidean ``threshold`` (inclusive),
        closest first (ties by id). ``distance`` is the true Euclidean distance."""
        query = parse_embeddings(embedding)
        if query.shape[0] != 1:
            raise InvalidInput("search takes one embedding; call it once per face",
                               code="bad_embedding")
        limit = _check_threshold(threshold)
        with self._lock.reading():
            if self._index.ntotal == 0:
                return []
            # faiss compares squared distances with a strict "<"; widen by a hair and filter
            # on the exact distance below, so a threshold equal to a distance matches.
            lims, d2, ids = self._index.range_search(query, limit * limit * (1 + 1e-6) + 1e-12)
        hits = []
        for entry_id, sq in zip(ids[lims[0] : lims[1]], d2[lims[0] : lims[1]], strict=True):
            distance = math.sqrt(max(float(sq), 0.0))
            if distance <= limit:
                hits.append((int(entry_id), distance))
        hits.sort(key=lambda h: (h[1], h[0]))
        return hits

    def embeddings(self) -> tuple[I64, F32]:
        """Every entry as ``(ids, embeddings)`` arrays (a copy)."""
        with self._lock.reading():
            n = self._index.ntotal
            ids = faiss.vector_to_array(self._index.id_map).astype(np.int64)
            vectors = self._index.index.reconstruct_n(0, n) if n else np.empty(
                (0, EMBEDDING_DIM), dtype=np.float32)
        return ids, np.ascontiguousarray(vectors, dtype=np.float32)

    def _has(self, ids: I64) -> npt.NDArray[np.bool_]:
        present = faiss.vector_to_array(self._index.id_map)
        return np.isin(ids, present)

    # --- snapshots -------------------------------------------------------------------------
    def save(self, path: str | os.PathLike[str]) -> None:
        """Write a snapshot atomically (temp file, fsync, rename), checksummed."""
        ids, vectors = self.embeddings()
        write_snapshot(
            path,
            {"kind": "face_index", "dim": EMBEDDING_DIM, "entries": int(ids.shape[0])},
            {"ids": ids, "embeddings": vectors},
        )

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> FaceIndex:
        """Read a snapshot written by :meth:`save`; ``IntegrityError`` if it is damaged."""
        meta, arrays = read_snapshot(path)
        if meta.get("kind") != "face_index":
            raise IntegrityError(f"{path} is not a face index snapshot")
        try:
            ids, vectors = arrays["ids"], arrays["embeddings"]
            n = int(meta["entries"])
            if (
                meta.get("dim") != EMBEDDING_DIM
                or ids.dtype != np.int64
                or vectors.dtype != np.float32
                or ids.shape != (n,)
                or vectors.shape != (n, EMBEDDING_DIM)
            ):
                raise IntegrityError(f"face index snapshot {path} has arrays of the wrong shape")
            index = cls()
            index.add(ids, vectors)
        except (KeyError, TypeError, ValueError, InvalidInput) as exc:
            raise IntegrityError(f"face index snapshot {path} is inconsistent: {exc}") from exc
        return index

    # --- pickling (how an index travels to scan workers) -----------------------------------
    def __getstate__(self) -> dict[str, Any]:
        ids, vectors = self.embeddings()
        return {"ids": ids, "embeddings": vectors}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__()  # type: ignore[misc]
        self.add(state["ids"], state["embeddings"])
