"""Which entries of a bank begin a registered picture, in order, kept per process.

A bank's picture list (one row per registered file: its ``content_id``, first entry, counts)
needs every ``content_id`` of the bank grouped, which reads the whole bank: on a bank of
1,000,000 imported hashes that was 0.8 s for the page and 0.9 s for its count on PostgreSQL
(``benchmarks/bench_explain.py``). Entries are never deleted and never change bank or
``content_id``, so the grouping changes only when entries are added, and every addition
writes a bank change (``bank_changes``). The grouping is therefore kept per bank, tagged with
the newest change sequence at the time it was read, and read again only after a change.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jikimi.matching.models import BankChange, BankEntry

_MAX_BANKS = 64
"""How many banks' groupings a process keeps (least recently used dropped first)."""


@dataclass(frozen=True)
class _Grouping:
    seq: int
    first_ids: npt.NDArray[np.int64]


_lock = threading.Lock()
_per_database: weakref.WeakKeyDictionary[Any, dict[int, _Grouping]] = (
    weakref.WeakKeyDictionary())
"""Per engine (one database), per bank id."""


def first_entry_ids(session: Session, bank_id: int, *, fresh: bool = False
                    ) -> npt.NDArray[np.int64]:
    """The id of each picture's first entry in the bank, oldest picture first (one per
    distinct ``content_id``); read from the database only when the bank log moved on (or
    ``fresh``: the caller found the kept one wrong)."""
    seq = session.scalar(select(func.max(BankChange.seq))) or 0
    engine = session.get_bind()
    with _lock:
        groupings = _per_database.setdefault(engine, {})
        known = groupings.get(bank_id)
        if known is not None and known.seq == seq and not fresh:
            groupings[bank_id] = groupings.pop(bank_id)  # most recently used last
            return known.first_ids
    ids = np.fromiter(session.scalars(
        select(func.min(BankEntry.id)).where(BankEntry.bank_id == bank_id)
        .group_by(BankEntry.content_id).order_by(func.min(BankEntry.id))), dtype=np.int64)
    with _lock:
        groupings[bank_id] = _Grouping(seq, ids)
        while len(groupings) > _MAX_BANKS:
            groupings.pop(next(iter(groupings)))
    return ids
