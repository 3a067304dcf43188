"""The in-memory matcher: one index per signal type over every active bank entry, derived from
the database and kept in step incrementally by following the ``bank_changes`` log.

HMA rebuilds its whole index from the database on a change; here a change costs one small
``add`` or ``remove`` on the index, applied the next time anyone matches (``sync``).
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from jikimi.hashing import DIHEDRAL_NAMES, LOW_QUALITY_THRESHOLD
from jikimi.matching.models import Bank, BankChange, BankEntry
from jikimi.matching.signal_types import SIGNAL_TYPES, SignalIndex, signal_type


@dataclass(frozen=True)
class EntryInfo:
    bank_id: int
    signal_type: str
    variant: str
    content_id: str
    quality: int | None


@dataclass(frozen=True)
class BankInfo:
    id: int
    name: str
    negative: bool
    pdq_threshold: int
    case_id: int | None
    case_code: str | None


@dataclass(frozen=True)
class Query:
    """One value to look up, and what to call it in the result (e.g. a dihedral variant)."""

    signal_type: str
    value: str
    variant: str = "original"
    quality: int | None = None


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


@dataclass
class Matcher:
    """Indexes of all active entries, synchronised from the database on demand."""

    indexes: dict[str, SignalIndex] = field(default_factory=dict)
    entries: dict[int, EntryInfo] = field(default_factory=dict)
    banks: dict[int, BankInfo] = field(default_factory=dict)
    last_seq: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _index(self, name: str) -> SignalIndex:
        if name not in self.indexes:
            self.indexes[name] = signal_type(name).new_index()
        return self.indexes[name]

    def sync(self, session: Session) -> None:
        """Apply every bank change since the last sync (all of them the first time)."""
        with self._lock:
            self.banks = {
                b.id: BankInfo(b.id, b.name, b.negative, b.pdq_threshold, b.case_id, b.case_code)
                for b in session.scalars(select(Bank))
            }
            changes = session.execute(
                select(BankChange.seq, BankChange.entry_id, BankChange.op)
                .where(BankChange.seq > self.last_seq).order_by(BankChange.seq)).all()
            if not changes:
                return
            final: dict[int, str] = {}
            for change in changes:
                final[change.entry_id] = change.op
            self.last_seq = changes[-1].seq
            removed = [e for e, op in final.items() if op == "remove" and e in self.entries]
            by_type: dict[str, list[int]] = defaultdict(list)
            for entry_id in removed:
                by_type[self.entries.pop(entry_id).signal_type].append(entry_id)
            for name, ids in by_type.items():
                self._index(name).remove(ids)
            added = [e for e, op in final.items() if op == "add" and e not in self.entries]
            self._load(session, added)

    def _load(self, session: Session, entry_ids: Sequence[int]) -> None:
        for start in range(0, len(entry_ids), 5000):
            chunk = entry_ids[start:start + 5000]
            rows = session.scalars(select(BankEntry).where(
                BankEntry.id.in_(chunk), BankEntry.removed_at.is_(None))).all()
            grouped: dict[str, tuple[list[int], list[str]]] = defaultdict(lambda: ([], []))
            for row in rows:
                self.entries[row.id] = EntryInfo(row.bank_id, row.signal_type, row.variant,
                                                 row.content_id, row.quality)
                ids, values = grouped[row.signal_type]
                ids.append(row.id)
                values.append(row.value)
            for name, (ids, values) in grouped.items():
                self._index(name).add(ids, values)

    def search(self, queries: Iterable[Query], threshold: int | None = None) -> list[Hit]:
        """All hits of the queries, at each bank's threshold (or ``threshold`` if given),
        the closest per (entry, query variant)."""
        best: dict[tuple[int, str], Hit] = {}
        for query in queries:
            kind = SIGNAL_TYPES[query.signal_type]
            index = self.indexes.get(query.signal_type)
            if index is None or not len(index):
                continue
            limit = kind.max_threshold if threshold is None else min(threshold,
                                                                     kind.max_threshold)
            if threshold is None and query.signal_type != "pdq":
                limit = kind.default_threshold
            for entry_id, distance in index.search(query.value, limit):
                info = self.entries.get(entry_id)
                if info is None:
                    continue
                bank = self.banks.get(info.bank_id)
                if bank is None:
                    continue
                if (query.signal_type == "pdq" and threshold is None
                        and distance > bank.pdq_threshold):
                    continue
                reliable = query.signal_type not in ("pdq",) or (
                    (query.quality is None or query.quality >= LOW_QUALITY_THRESHOLD)
                    and (info.quality is None or info.quality >= LOW_QUALITY_THRESHOLD))
                hit = Hit(entry_id, bank, query.signal_type, distance, query.variant,
                          info.variant, info.content_id, reliable)
                key = (entry_id, query.variant)
                if key not in best or best[key].distance > distance:
                    best[key] = hit
        return sorted(best.values(), key=lambda h: (h.distance, h.entry_id, h.query_variant))


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
