"""How long a run's transactions on the runtime's sessions last, from BEGIN to their end.

On SQLite the runtime's sessions begin IMMEDIATE: each transaction holds the database's one
write lock from its first statement until it commits or rolls back, and every other writer
(the audit writer that answers lookups, staff confirming matches) waits for it meanwhile. A
scan's transactions must stay short; a scan process reports these figures in its log. (Its
reads go through a read-only connection and take no lock: they are not counted.)
"""

from __future__ import annotations

import statistics
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, event


@dataclass
class WriteTiming:
    """Durations (seconds) of the transactions on one engine since :meth:`attach`."""

    durations: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    """The CPU time the transaction's thread spent in each (the rest of its duration it
    waited: for a core, or for the database)."""
    _began: dict[int, tuple[float, float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _listeners: list[tuple[Engine, str, Any]] = field(default_factory=list)

    @classmethod
    def attach(cls, engine: Engine, *, thread: int | None = None) -> WriteTiming:
        """Start timing the transactions of ``engine`` (after SQLite's lock is taken: the
        engine's own BEGIN IMMEDIATE listener runs first); with ``thread`` (an ident), only
        those that thread begins (a long-lived runner's writing thread)."""
        timing = cls()

        def began(conn: Any) -> None:
            if thread is not None and threading.get_ident() != thread:
                return
            with timing._lock:
                timing._began[id(conn)] = (time.perf_counter(), time.thread_time())

        def ended(conn: Any) -> None:
            with timing._lock:
                start = timing._began.pop(id(conn), None)
                if start is not None:
                    timing.durations.append(time.perf_counter() - start[0])
                    timing.cpu.append(time.thread_time() - start[1])

        for name, listener in (("begin", began), ("commit", ended), ("rollback", ended)):
            event.listen(engine, name, listener)
            timing._listeners.append((engine, name, listener))
        return timing

    def detach(self) -> None:
        """Stop timing (the engine outlives this run)."""
        for engine, name, listener in self._listeners:
            event.remove(engine, name, listener)
        self._listeners.clear()

    def describe(self) -> str:
        """One line: how many transactions, their median, 99th percentile and longest."""
        with self._lock:
            in_order = list(self.durations)
            cpu = list(self.cpu)
        values = sorted(in_order)
        if not values:
            return "no write transactions"
        p99 = values[min(len(values) - 1, round(0.99 * (len(values) - 1)))]
        listed = (" (in order, ms [CPU ms]: " + ", ".join(
            f"{v * 1000:.0f} [{c * 1000:.0f}]" for v, c in zip(in_order, cpu, strict=True))
            + ")" if len(in_order) <= 12 else "")
        return (f"{len(values)} write transactions (BEGIN to end): median "
                f"{statistics.median(values) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, longest "
                f"{values[-1] * 1000:.1f} ms{listed}")
