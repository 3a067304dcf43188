"""The matcher: in-memory indexes for the signal types that need them, derived from the
database and kept in step incrementally by following the append-only ``bank_changes`` log.

HMA rebuilds its whole index from the database on a change; here a change costs one small
``add`` or ``remove`` on an index, applied the next time anyone matches (:meth:`sync`). The
indexes hold only ids and hashes (10 million PDQ hashes fit the memory budget): an entry's
bank, variant and quality are read from the database for the few entries a query hits, and
exact digests (SHA-256, MD5) are looked up in the database's own index, not in memory.

A snapshot (:meth:`save`, :meth:`load`) holds the PDQ and region-hash indexes and the change
sequence they reflect, so that a restart maps arrays and replays only the changes made since.
The worker writes it (``matching.snapshots``); serving processes map it and adopt each newer
one the worker writes (:meth:`adopt_snapshot`), so their private tail of changes stays small.
"""

from __future__ import annotations

import base64
import json
import os
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Select, bindparam, select
from sqlalchemy.orm import Session

from jikimi.core.security import Keyring
from jikimi.errors import IntegrityError
from jikimi.hashing import DIHEDRAL_NAMES
from jikimi.matching.acceptance import counts_alone
from jikimi.matching.backlog import decode_hashes, hash_shaped, log_end, read_backlog
from jikimi.matching.models import Bank, BankChange, BankEntry
from jikimi.matching.pdq_index import PdqIndex
from jikimi.matching.signal_types import SIGNAL_TYPES, PdqIndexAdapter, SignalIndex

SNAPSHOT_VERSION = 2
"""2: ``state.json`` names one file per snapshotted index (``<signal>-<seq>.index``); 1: only
``pdq.index`` (still read)."""
_SNAPSHOT_FILE = re.compile(r"^([a-z0-9_]+)-([0-9]+)\.index$")


@dataclass(frozen=True)
class BankInfo:
    id: int
    name: str
    negative: bool
    pdq_threshold: int
    case_id: int | None
    case_code: str | None
    centre_id: int
    national: bool = False


@dataclass(frozen=True)
class Query:
    """One value to look up, and what to call it in the result (e.g. a dihedral variant)."""

    signal_type: str
    value: str
    variant: str = "original"
    quality: int | None = None


@dataclass(frozen=True)
class Candidate:
    """An index hit before resolution (``entry_id`` None: look the value up in the database)."""

    query: Query
    entry_id: int | None
    distance: int


@dataclass(frozen=True)
class Hit:
    entry_id: int
    bank: BankInfo
    signal_type: str
    distance: int
    query_variant: str
    entry_variant: str
    content_id: str
    reliable: bool


_PRESENT_ENTRIES = (
    select(BankEntry.id, BankEntry.bank_id, BankEntry.variant, BankEntry.content_id,
           BankEntry.quality, Bank.name, Bank.negative, Bank.pdq_threshold, Bank.case_id,
           Bank.case_code, Bank.centre_id, Bank.national)
    .join(Bank, Bank.id == BankEntry.bank_id)
    .where(BankEntry.id.in_(bindparam("ids", expanding=True)),
           BankEntry.removed_at.is_(None)))
"""Entries still present (a removal counts the moment it commits) and their banks: built
once, executed on the session's connection (a hit costs one small read, no ORM objects)."""


EntryRead = Callable[["Session | Connection | None", list[int]], Iterable[Any]]
"""Reads the rows of entries still present (with their banks) for a list of entry ids, on
the session given to :meth:`Matcher.resolve` (or rows a door has already read)."""


def present_entries() -> Select[Any]:
    """The read :meth:`Matcher.resolve` makes of hit entries (still present, with their
    banks), for a door to extend with columns of its own (e.g. an outer join)."""
    read: Any = _PRESENT_ENTRIES
    return read  # type: ignore[no-any-return]


@dataclass
class Matcher:
    """In-memory indexes of all active entries, synchronised from the database on demand."""

    indexes: dict[str, SignalIndex] = field(default_factory=dict)
    last_seq: int = 0
    snapshot_seq: int = -1
    """The change sequence of the snapshot the snapshotted indexes were mapped from (-1: none)."""
    keys: Keyring | None = None
    """Needed for signal types encrypted at rest (faces); without it they are not indexed."""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _index(self, name: str) -> SignalIndex:
        if name not in self.indexes:
            self.indexes[name] = SIGNAL_TYPES[name].new_index()
        return self.indexes[name]

    def followed_kinds(self) -> list[str]:
        """The signal types this matcher indexes in memory (faces only with the keys)."""
        return [name for name, kind in SIGNAL_TYPES.items()
                if not kind.indexed_in_database
                and not (kind.encrypted_at_rest and self.keys is None)]

    def _decrypt(self, name: str, stored: str) -> str:
        assert self.keys is not None
        return decrypt_value(self.keys, name, stored)

    def sync(self, session: Session) -> int:
        """Apply every bank change since the last sync, in bulk (``matching.backlog``: a
        few statements, one ``remove`` and one ``add`` per index); returns how many changes
        to in-memory signal types were read."""
        with self._lock:
            backlog = read_backlog(session, self.last_seq, self.followed_kinds())
            if backlog.upto == self.last_seq:
                return 0
            backlog.apply(self._index, self._decrypt)
            self.last_seq = backlog.upto
            return backlog.count

    def _load_values(self, session: Session, name: str, entry_ids: Sequence[int]) -> None:
        """Index the values of these entries (those still present), in one ``add``."""
        ids: list[int] = []
        values: list[str] = []
        for start in range(0, len(entry_ids), 20_000):
            chunk = entry_ids[start:start + 20_000]
            found = session.execute(select(BankEntry.id, BankEntry.value).where(
                BankEntry.id.in_(chunk), BankEntry.removed_at.is_(None))).all()
            ids.extend(r.id for r in found)
            values.extend(r.value for r in found)
        if not ids:
            return
        index = self._index(name)
        if isinstance(index, PdqIndexAdapter) and hash_shaped(name):
            index.index.add(ids, decode_hashes(values))
            return
        if SIGNAL_TYPES[name].encrypted_at_rest:
            values = [self._decrypt(name, v) for v in values]
        index.add(ids, values)

    def candidates(self, queries: Iterable[Query], threshold: int | None = None
                   ) -> list[Candidate]:
        """In-memory index hits (no database): what a scan worker computes next to the data.
        Signal types indexed in the database are passed through for :meth:`resolve`."""
        found: list[Candidate] = []
        for query in queries:
            kind = SIGNAL_TYPES[query.signal_type]
            if kind.indexed_in_database:
                found.append(Candidate(query, None, 0))
                continue
            index = self.indexes.get(query.signal_type)
            if index is None or not len(index):
                continue
            if threshold is not None and kind.name == "pdq":
                limit = min(threshold, kind.max_threshold)
            else:
                limit = kind.max_threshold if kind.name == "pdq" else kind.default_threshold
            found.extend(Candidate(query, entry_id, distance)
                         for entry_id, distance in index.search(query.value, limit))
        return found

    def resolve(self, session: Session | Connection | None, candidates: Iterable[Candidate],
                threshold: int | None = None, *, read: EntryRead | None = None,
                rows: dict[int, Any] | None = None) -> list[Hit]:
        """Hits from candidates: exact digests looked up, each entry's bank, variant and
        quality read, each bank's PDQ threshold applied; the closest per (entry, variant).

        ``read``: how the entries still present and their banks are read, by default
        :func:`present_entries` executed as usual; a door may read it with more columns of
        each entry (one statement for all it needs) and prepared once
        (:class:`jikimi.core.prepared.PreparedRead`); ``rows`` is then filled with each
        entry's row. ``session`` may be a plain connection (a door that keeps one open)."""
        raw: dict[tuple[int, str], tuple[int, Query]] = {}
        for candidate in candidates:
            query = candidate.query
            if query.signal_type not in SIGNAL_TYPES:
                continue
            if candidate.entry_id is None:
                kind = SIGNAL_TYPES[query.signal_type]
                ids = _connection(session).scalars(select(BankEntry.id).where(
                    BankEntry.signal_type == kind.name,
                    BankEntry.value_key == kind.value_key(query.value),
                    BankEntry.removed_at.is_(None))).all()
                pairs = [(i, 0) for i in ids]
            else:
                pairs = [(candidate.entry_id, candidate.distance)]
            for entry_id, distance in pairs:
                key = (entry_id, query.variant)
                if key not in raw or raw[key][0] > distance:
                    raw[key] = (distance, query)
        if not raw:
            return []
        entry_ids = sorted({entry_id for entry_id, _ in raw})
        # one read of plain columns (no ORM objects): the entries still present, their banks
        entries: dict[int, Any] = {}
        banks: dict[int, BankInfo] = {}
        found: Iterable[Any]
        if read is None:
            found = _connection(session).execute(_PRESENT_ENTRIES, {"ids": entry_ids})
        else:
            found = read(session, entry_ids)
        for row in found:
            entries[row.id] = row
            if rows is not None:
                rows[row.id] = row
            if row.bank_id not in banks:
                banks[row.bank_id] = BankInfo(row.bank_id, row.name, row.negative,
                                              row.pdq_threshold, row.case_id, row.case_code,
                                              row.centre_id, row.national)
        hits = []
        for (entry_id, _variant), (distance, query) in raw.items():
            entry = entries.get(entry_id)
            if entry is None:
                continue
            bank = banks[entry.bank_id]
            if query.signal_type == "pdq" and threshold is None \
                    and distance > bank.pdq_threshold:
                continue
            reliable = counts_alone(query.signal_type, distance, query.quality, entry.quality)
            hits.append(Hit(entry_id, bank, query.signal_type, distance, query.variant,
                            entry.variant, entry.content_id, reliable))
        return sorted(hits, key=lambda h: (h.distance, h.entry_id, h.query_variant))

    def search(self, session: Session | Connection, queries: Iterable[Query],
               threshold: int | None = None) -> list[Hit]:
        """All hits of the queries (``candidates`` then ``resolve``)."""
        return self.resolve(session, self.candidates(queries, threshold), threshold)

    def portable(self) -> Matcher:
        """A copy holding only the indexes, to ship to scan workers (no lock, no database,
        no keys)."""
        return Matcher(indexes=dict(self.indexes), last_seq=self.last_seq)

    def __getstate__(self) -> dict[str, object]:
        return {"indexes": self.indexes, "last_seq": self.last_seq}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.indexes = state["indexes"]  # type: ignore[assignment]
        self.last_seq = state["last_seq"]  # type: ignore[assignment]
        self._lock = threading.Lock()

    # --- snapshots ---------------------------------------------------------------------------
    def snapshot_indexes(self) -> dict[str, PdqIndex]:
        """The indexes a snapshot holds: PDQ and region hashes (never a signal type whose
        values are encrypted at rest)."""
        return {name: index.index for name, index in self.indexes.items()
                if isinstance(index, PdqIndexAdapter) and name in SIGNAL_TYPES
                and not SIGNAL_TYPES[name].encrypted_at_rest}

    def save(self, directory: Path) -> int:
        """Write a snapshot: one file per snapshotted index, named with the change sequence it
        reflects, then ``state.json`` naming them (replaced atomically: a reader sees the old
        snapshot or the new one, never a mix). Files of snapshots older than the previous one
        are deleted (a process that maps one keeps its pages). Returns the sequence."""
        with self._lock:
            directory.mkdir(parents=True, exist_ok=True)
            seq = self.last_seq
            files = {}
            for name, index in self.snapshot_indexes().items():
                files[name] = f"{name}-{seq}.index"
                index.fold_tail()  # no brute-forced tail in the file every process maps
                index.save(directory / files[name])
            previous = _snapshot_files(directory)
            state = {"version": SNAPSHOT_VERSION, "last_seq": seq, "indexes": files}
            tmp = directory / "state.json.tmp"
            tmp.write_text(json.dumps(state))
            os.replace(tmp, directory / "state.json")
        keep = set(files.values()) | set(previous)
        for path in directory.iterdir():
            if (_SNAPSHOT_FILE.match(path.name) or path.name == "pdq.index") \
                    and path.name not in keep:
                path.unlink(missing_ok=True)
        return seq

    @classmethod
    def load(cls, directory: Path, session: Session, keys: Keyring | None = None, *,
             mmap: bool = False) -> Matcher:
        """A matcher from a snapshot, brought up to date with the changes made since.

        The PDQ and region-hash indexes come from the snapshot; the (small) vPDQ index and
        indexes of values encrypted at rest are rebuilt by replaying their entries. A missing
        or damaged snapshot falls back to a full build from the database. ``mmap``: map the
        snapshot's arrays read-only instead of copying them, so that serving processes on one
        host share one copy in the page cache (changes since go to each process's small
        tail)."""
        matcher = cls(keys=keys)
        loaded = _read_snapshot(directory, mmap=mmap)
        if loaded is not None:
            matcher.last_seq, indexes = loaded
            matcher.snapshot_seq = matcher.last_seq
            matcher.indexes.update(indexes)
        matcher._rebuild_unsnapshotted(session)
        matcher.sync(session)
        return matcher

    def adopt_snapshot(self, directory: Path, session: Session) -> bool:
        """Map a newer snapshot (the worker writes them) in place of the snapshotted indexes
        and their in-memory tails, after replaying on it the changes made since it (in bulk).
        A snapshot ahead of this matcher covers its backlog: the changes it holds are not
        read again (only the other indexes, e.g. vPDQ, follow them). Searches never wait:
        each index is replaced in one assignment. Returns whether it adopted one."""
        newest = snapshot_sequence(directory)
        if newest is None or newest <= self.snapshot_seq:
            return False
        loaded = _read_snapshot(directory, mmap=True)
        if loaded is None:
            return False
        seq, indexes = loaded
        with self._lock:
            upto = max(log_end(session), self.last_seq)
            if seq > upto:  # not committed where this process reads: next time
                return False
            kinds = self.followed_kinds()
            read_backlog(session, seq, [k for k in kinds if k in indexes], upto=upto
                         ).apply(indexes.__getitem__)
            read_backlog(session, self.last_seq, [k for k in kinds if k not in indexes],
                         upto=upto).apply(self._index, self._decrypt)
            for name, index in indexes.items():
                self.indexes[name] = index
            self.last_seq = upto
            self.snapshot_seq = seq
        return True

    def _rebuild_unsnapshotted(self, session: Session) -> None:
        """Load the active entries of in-memory signal types other than PDQ (up to the
        snapshot's sequence; later ones come with ``sync``)."""
        for name, kind in SIGNAL_TYPES.items():
            if kind.indexed_in_database or name in self.indexes or (
                    kind.encrypted_at_rest and self.keys is None):
                continue
            ids = session.scalars(select(BankEntry.id).join(
                BankChange, BankChange.entry_id == BankEntry.id).where(
                BankEntry.signal_type == name, BankEntry.removed_at.is_(None),
                BankChange.op == "add", BankChange.seq <= self.last_seq)).all()
            if ids:
                self._load_values(session, name, list(ids))


def _connection(session: Session | Connection | None) -> Connection:
    if session is None:
        raise ValueError("this lookup needs the database: give resolve a session")
    return session.connection() if isinstance(session, Session) else session


def _snapshot_state(directory: Path) -> dict[str, Any] | None:
    try:
        state = json.loads((directory / "state.json").read_text())
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) else None


def snapshot_sequence(directory: Path) -> int | None:
    """The change sequence of the snapshot in ``directory`` (None: none readable)."""
    state = _snapshot_state(directory)
    seq = None if state is None else state.get("last_seq")
    return seq if isinstance(seq, int) else None


def _snapshot_files(directory: Path) -> dict[str, str]:
    """Which file holds each index of the snapshot in ``directory`` (signal type -> name)."""
    state = _snapshot_state(directory)
    if state is None:
        return {}
    if state.get("version") == 1:
        return {"pdq": "pdq.index"} if state.get("pdq") else {}
    files = state.get("indexes") if state.get("version") == SNAPSHOT_VERSION else None
    if not isinstance(files, dict):
        return {}
    return {name: file for name, file in files.items()
            if name in SIGNAL_TYPES and not SIGNAL_TYPES[name].encrypted_at_rest
            and isinstance(file, str) and (file == "pdq.index" or _SNAPSHOT_FILE.match(file))}


def _read_snapshot(directory: Path, *, mmap: bool
                   ) -> tuple[int, dict[str, SignalIndex]] | None:
    """The change sequence and indexes of the snapshot in ``directory``; None if there is
    none or it is damaged (the caller builds from the database instead)."""
    seq = snapshot_sequence(directory)
    if seq is None:
        return None
    indexes: dict[str, SignalIndex] = {}
    try:
        for name, file in _snapshot_files(directory).items():
            adapter = PdqIndexAdapter()
            adapter.index = PdqIndex.load(directory / file, mmap=mmap)
            indexes[name] = adapter
    except (OSError, ValueError, KeyError, IntegrityError):
        return None
    return seq, indexes


def encrypt_value(keys: Keyring, signal: str, value: str) -> str:
    """A bank value as stored for signal types encrypted at rest."""
    blob = keys.encrypt(value.encode("ascii"), context=f"bank-entry:{signal}")
    return base64.b64encode(blob).decode("ascii")


def decrypt_value(keys: Keyring, signal: str, stored: str) -> str:
    return keys.decrypt(base64.b64decode(stored), context=f"bank-entry:{signal}").decode("ascii")


def image_queries(pdq: str | None, quality: int | None, dihedral: Sequence[str] | None,
                  sha256: str | None, md5: str | None, *, use_dihedral: bool) -> list[Query]:
    """The lookups for one image: its PDQ (and dihedral variants if asked), SHA-256, MD5."""
    queries: list[Query] = []
    if pdq:
        queries.append(Query("pdq", pdq, "original", quality))
    if use_dihedral and dihedral:
        for name, value in zip(DIHEDRAL_NAMES, dihedral, strict=False):
            if value != pdq:
                queries.append(Query("pdq", value, name, quality))
    if sha256:
        queries.append(Query("sha256", sha256))
    if md5:
        queries.append(Query("md5", md5))
    return queries
