"""Exact-copy index for file digests (SHA-256, MD5): digest -> entry ids.

A copy that is byte-for-byte identical to a registered file has the same digest; nothing
else matches. Kept tiny on purpose: a dict for lookups, the same checksummed, atomically
written snapshot container as the PDQ index for restarts. Every mutation runs under a lock
and lookups copy what they return, so searches may run while another thread adds or removes.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Sequence
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from jikimi.errors import IntegrityError, InvalidInput
from jikimi.matching.pdq_index import parse_ids, read_snapshot, write_snapshot

__all__ = ["DigestKind", "ExactIndex"]

DigestKind = Literal["sha256", "md5"]
_DIGEST_BYTES: dict[str, int] = {"sha256": 32, "md5": 16}


class ExactIndex:
    """Map hex digests of one kind (``sha256`` or ``md5``) to the int64 entry ids holding them.

    An id holds one digest: adding an id again replaces its digest. Many ids may share a digest
    (the same file registered in several cases or banks).
    """

    def __init__(self, kind: DigestKind = "sha256") -> None:
        if kind not in _DIGEST_BYTES:
            raise InvalidInput(f"digest kind must be one of {sorted(_DIGEST_BYTES)}, not {kind!r}")
        self.kind: DigestKind = kind
        self._width = _DIGEST_BYTES[kind]
        self._by_digest: dict[bytes, set[int]] = {}
        self._by_id: dict[int, bytes] = {}
        self._lock = threading.Lock()

    def _parse(self, digests: Sequence[str] | str) -> list[bytes]:
        items = [digests] if isinstance(digests, str) else list(digests)
        out = []
        for i, d in enumerate(items):
            if not isinstance(d, str):
                raise InvalidInput(f"{self.kind} digest #{i} is a {type(d).__name__}, not hex")
            if len(d) != 2 * self._width:
                raise InvalidInput(
                    f"{self.kind} digest #{i} has {len(d)} characters; expected {2 * self._width}"
                )
            try:
                raw = bytes.fromhex(d)
            except ValueError:
                raw = b""
            if len(raw) != self._width:
                raise InvalidInput(f"{self.kind} digest #{i} is not hexadecimal: {d[:70]!r}")
            out.append(raw)
        return out

    def __len__(self) -> int:
        """Number of entries (ids)."""
        return len(self._by_id)

    def add(self, ids: Iterable[int] | npt.NDArray[Any], digests: Sequence[str]) -> None:
        """Add entries; an id already present gets the new digest."""
        raw = self._parse(digests)
        id_list = parse_ids(ids, len(raw)).tolist()
        if len(set(id_list)) != len(id_list):
            raise InvalidInput("the same entry id appears twice in one add; give each id once")
        with self._lock:
            self._drop(id_list)
            for entry_id, d in zip(id_list, raw, strict=True):
                self._by_id[entry_id] = d
                self._by_digest.setdefault(d, set()).add(entry_id)

    def remove(self, ids: Iterable[int] | npt.NDArray[Any]) -> int:
        """Remove entries by id (unknown ids are ignored); returns how many were removed."""
        id_list = parse_ids(ids).tolist()
        with self._lock:
            return self._drop(id_list)

    def _drop(self, ids: Iterable[int]) -> int:
        removed = 0
        for entry_id in ids:
            d = self._by_id.pop(entry_id, None)
            if d is None:
                continue
            removed += 1
            holders = self._by_digest[d]
            holders.discard(entry_id)
            if not holders:
                del self._by_digest[d]
        return removed

    def search(self, digest: str) -> list[int]:
        """Ids of the entries with exactly this digest, ascending."""
        return self.search_many([digest])[0]

    def search_many(self, digests: Sequence[str]) -> list[list[int]]:
        """For each digest, the ids holding it."""
        raw = self._parse(digests)
        with self._lock:
            return [sorted(self._by_digest.get(d, ())) for d in raw]

    def memory_bytes(self) -> int:
        """Rough size of the dicts (Python objects included)."""
        per_entry = 8 + 33 + self._width + 2 * 100  # ints, bytes, dict and set slots
        return len(self._by_id) * per_entry

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write a checksummed snapshot atomically (temp file + rename)."""
        with self._lock:
            items = sorted(self._by_id.items())
        ids = np.array([i for i, _ in items], dtype=np.int64)
        digests = np.frombuffer(b"".join(d for _, d in items), dtype=np.uint8).reshape(
            -1, self._width
        )
        write_snapshot(path, {"kind": f"exact_index.{self.kind}"}, {"ids": ids, "digests": digests})

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> ExactIndex:
        """Read a snapshot written by ``save``; ``IntegrityError`` if it is damaged."""
        meta, arrays = read_snapshot(path)
        kind = str(meta.get("kind", ""))
        if not kind.startswith("exact_index.") or kind.split(".", 1)[1] not in _DIGEST_BYTES:
            raise IntegrityError(f"{path} is not an exact-digest index snapshot")
        index = cls(kind.split(".", 1)[1])  # type: ignore[arg-type]
        ids, digests = arrays.get("ids"), arrays.get("digests")
        if (
            ids is None
            or digests is None
            or ids.dtype != np.int64
            or digests.shape != (ids.shape[0], index._width)
        ):
            raise IntegrityError(f"snapshot {path} has arrays of the wrong shape or type")
        raw = digests.tobytes()
        w = index._width
        for k, entry_id in enumerate(ids.tolist()):
            d = raw[k * w : (k + 1) * w]
            index._by_id[entry_id] = d
            index._by_digest.setdefault(d, set()).add(entry_id)
        return index
