"""Applying the bank change log to in-memory indexes in bulk, off the request path.

A follower that finds a million new changes (``jikimi banks import``) must not read them as a
million ORM rows and index them 20,000 at a time (each batch a new index segment, merged again
and again): that took a serving process 16-39 s per million. Here the backlog is read in a few
statements of :data:`PAGE` changes each (change, entry, operation, signal type and the value of
an entry still present, one join), the operations are reduced to each entry's last one with
numpy, PDQ-shaped values are decoded from hex for a whole page at once, and each index gets one
``remove`` and one ``add`` for the whole backlog: one new sorted segment, published with one
assignment (searches see all of it or none of it).

Removals never wait for this: every index hit is checked against the database
(``Matcher.resolve``), so an entry removed or erased there is never answered.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import Connection, and_, case, func, select
from sqlalchemy.orm import Session

from jikimi.matching.models import BankChange, BankEntry
from jikimi.matching.pdq_index import HASH_BYTES, HASH_WORDS, parse_hashes
from jikimi.matching.signal_types import SIGNAL_TYPES, PdqIndexAdapter, PdqSignal, SignalIndex

PAGE = 100_000
"""Change-log records read per statement while catching up."""

I64 = npt.NDArray[np.int64]
U64 = npt.NDArray[np.uint64]
Bool = npt.NDArray[np.bool_]
Decrypt = Callable[[str, str], str]
"""Decrypts a stored value of a signal type encrypted at rest: ``(signal, stored) -> value``."""


def hash_shaped(name: str) -> bool:
    """Whether the values of signal type ``name`` go to a PDQ index (256-bit hex hashes)."""
    kind = SIGNAL_TYPES.get(name)
    return kind is not None and issubclass(kind, PdqSignal) and not kind.encrypted_at_rest


def log_end(session: Session | Connection) -> int:
    """The sequence of the last change committed where ``session`` reads (0: none)."""
    return int(session.scalar(select(func.max(BankChange.seq))) or 0)


@dataclass
class _Part:
    """Changes of one signal type from one page, in log order."""

    ids: I64
    adds: Bool
    present: Bool
    """The entry is still present (its value was read)."""
    values: U64 | list[Any]
    """Hash kinds: ``(n, 4)`` words (zeros where absent); others: the stored values."""


@dataclass
class Backlog:
    """The changes of a stretch of the log, reduced to each entry's last operation."""

    after: int
    upto: int
    count: int = 0
    parts: dict[str, list[_Part]] = field(default_factory=dict)

    def final(self, name: str) -> tuple[I64, I64, U64 | list[Any]]:
        """For signal type ``name``: ids to remove, ids to add and their values (hash kinds: an
        ``(n, 4)`` array; others: a list), each entry once with its last operation."""
        parts = self.parts.get(name, [])
        if not parts:
            empty = np.empty(0, np.int64)
            return empty, empty, []
        ids = np.concatenate([p.ids for p in parts])
        adds = np.concatenate([p.adds for p in parts])
        present = np.concatenate([p.present for p in parts])
        hashes = hash_shaped(name)
        if hashes:
            values: Any = np.concatenate([p.values for p in parts])
        else:
            values = np.empty(len(ids), dtype=object)
            values[:] = [v for p in parts for v in p.values]
        order = np.argsort(ids, kind="stable")  # equal ids keep log order: the last is last
        ordered = ids[order]
        last = np.ones(ordered.shape[0], np.bool_)
        last[:-1] = ordered[1:] != ordered[:-1]
        final = order[last]  # each entry's last change, by ascending id
        removed = ids[final[~adds[final]]]
        # an addition whose entry is gone again (its removal comes later in the log) is skipped
        added = final[adds[final] & present[final]]
        if hashes:
            return removed, ids[added], np.ascontiguousarray(values[added])
        return removed, ids[added], list(values[added])

    def apply(self, index_for: Callable[[str], SignalIndex],
              decrypt: Decrypt | None = None) -> None:
        """Remove, then add, each signal type's changes: one call of each per index."""
        for name in self.parts:
            removed, added, values = self.final(name)
            if not removed.size and not added.size:
                continue
            index = index_for(name)
            if removed.size:
                index.remove(removed.tolist())
            if not added.size:
                continue
            if isinstance(index, PdqIndexAdapter) and isinstance(values, np.ndarray):
                index.index.add(added, values)
                continue
            texts = [str(v) for v in values]
            if SIGNAL_TYPES[name].encrypted_at_rest:
                assert decrypt is not None, "values encrypted at rest need the keys"
                texts = [decrypt(name, v) for v in texts]
            index.add(added.tolist(), texts)


def read_backlog(session: Session, after: int, kinds: Collection[str], *,
                 upto: int | None = None, page: int | None = None) -> Backlog:
    """The changes after sequence ``after`` (up to ``upto``, by default the last committed)
    to entries of the signal types ``kinds``, read ``page`` (:data:`PAGE`) at a time."""
    page = PAGE if page is None else page
    end = log_end(session) if upto is None else upto
    backlog = Backlog(after, max(end, after))
    wanted = sorted(kinds)
    if end <= after or not wanted:
        return backlog
    # The log drives the read (its primary key, in order); the signal type only decides
    # whether the value is read: a filter on it would let SQLite start from the entries'
    # (signal_type, value_key) index and sort the whole bank for every page.
    statement = (
        select(BankChange.seq, BankChange.entry_id, BankChange.op, BankEntry.signal_type,
               case((and_(BankEntry.removed_at.is_(None), BankEntry.signal_type.in_(wanted)),
                     BankEntry.value)))
        .join(BankEntry, BankEntry.id == BankChange.entry_id)
        .where(BankChange.seq <= end)
        .order_by(BankChange.seq).limit(page))
    cursor = after
    while True:
        rows = session.execute(statement.where(BankChange.seq > cursor)).all()
        if not rows:
            break
        _take_page(backlog, rows, set(wanted))
        if len(rows) < page:
            break
        cursor = int(rows[-1][0])
    return backlog


def _take_page(backlog: Backlog, rows: Sequence[Any], wanted: set[str]) -> None:
    """Split one page into per-signal-type columns (hash values decoded at once); changes
    of other signal types are skipped."""
    _seqs, entry_ids, ops, kinds, stored = zip(*rows, strict=True)
    ids = np.array(entry_ids, dtype=np.int64)
    adds = np.array(ops) == "add"
    present = np.array([value is not None for value in stored], dtype=np.bool_)
    names = np.array(kinds)
    values = np.empty(len(rows), dtype=object)
    values[:] = stored
    for name in {str(k) for k in np.unique(names)} & wanted:
        mask = names == name
        backlog.count += int(mask.sum())
        part_present = present[mask]
        part_values: U64 | list[Any]
        if hash_shaped(name):
            part_values = np.zeros((int(mask.sum()), HASH_WORDS), dtype=np.uint64)
            part_values[part_present] = decode_hashes(values[mask][part_present].tolist())
        else:
            part_values = values[mask].tolist()
        backlog.parts.setdefault(name, []).append(
            _Part(ids[mask], adds[mask], part_present, part_values))


def decode_hashes(hexes: list[str]) -> U64:
    """``(n, 4)`` words of n 64-character hex hashes, decoded in one call (a malformed one
    is named by ``parse_hashes``)."""
    if not hexes:
        return np.empty((0, HASH_WORDS), dtype=np.uint64)
    try:
        raw = bytes.fromhex("".join(hexes))
    except ValueError:
        raw = b""
    if len(raw) != HASH_BYTES * len(hexes):
        return parse_hashes(hexes)  # raises, naming the culprit
    return np.frombuffer(raw, dtype=np.uint8).view(np.uint64).reshape(-1, HASH_WORDS)
