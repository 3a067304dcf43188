"""SQLite's writers take turns in order instead of polling (issue 16).

SQLite has one write lock per database. A connection that finds it taken sleeps in SQLite's
busy handler, in steps of up to 100 ms, and tries again: under steady writing (the audit
groups of every serving process, scans writing results, staff requests) a waiting writer
keeps missing the lock while writers that arrived later take it, and a staff request waited
hundreds of milliseconds just to begin.

So every write transaction of :func:`jikimi.core.database.make_engine` first takes its turn
here, then ``BEGIN IMMEDIATE`` finds the lock free: the threads of a process queue on a lock
that wakes the next one the moment it is released, and one thread per process at a time
waits for the other processes on an OS file lock (``<database>.writers``), checked every
millisecond or two. Both waits give up after the busy timeout with SQLite's own error
("database is locked"), as before. The turn ends when the transaction commits or rolls back.

A thread that already holds a turn (a second write transaction opened inside its first) does
not queue for another: SQLite decides, as it did before.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
from typing import Any

_process_turns: dict[str, threading.Lock] = {}
_process_turns_lock = threading.Lock()
_holders: dict[str, int] = {}
"""The thread of this process whose connection holds each database's turn."""

POLL_SECONDS = (0.0002, 0.0005, 0.001, 0.002)
"""How long a process waits between looks at the file lock (then the last, until its turn)."""


def _turn_for(path: str) -> threading.Lock:
    with _process_turns_lock:
        return _process_turns.setdefault(path, threading.Lock())


class QueuedWriterConnection(sqlite3.Connection):
    """A ``sqlite3`` connection whose write transactions take their turn first
    (:meth:`take_turn`, before ``BEGIN IMMEDIATE``); commit, rollback and close end it."""

    writers_path: str | None = None
    """The database's ``.writers`` lock file; set by the engine on connect (None: no queue)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._turn_fd: int | None = None
        self._turn: threading.Lock | None = None

    def take_turn(self, timeout: float) -> None:
        """Wait for this connection's turn to write (at most ``timeout`` seconds)."""
        path = self.writers_path
        if path is None or self._turn is not None \
                or _holders.get(path) == threading.get_ident():
            return
        deadline = time.monotonic() + timeout
        turn = _turn_for(path)
        if not turn.acquire(timeout=timeout):
            raise sqlite3.OperationalError("database is locked")
        try:
            if self._turn_fd is None:
                self._turn_fd = os.open(path, os.O_CREAT | os.O_RDWR | os.O_CLOEXEC, 0o600)
            waits = iter(POLL_SECONDS)
            pause = next(waits)
            while True:
                try:
                    fcntl.flock(self._turn_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise sqlite3.OperationalError("database is locked") from None
                    time.sleep(pause)
                    pause = next(waits, pause)
        except BaseException:
            turn.release()
            raise
        self._turn = turn
        _holders[path] = threading.get_ident()

    def end_turn(self) -> None:
        """Let the next writer go (idempotent)."""
        turn, self._turn = self._turn, None
        if turn is None:
            return
        _holders.pop(self.writers_path or "", None)
        try:
            if self._turn_fd is not None:
                fcntl.flock(self._turn_fd, fcntl.LOCK_UN)
        finally:
            turn.release()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.end_turn()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.end_turn()

    def close(self) -> None:
        try:
            self.end_turn()
        finally:
            if self._turn_fd is not None:
                os.close(self._turn_fd)
                self._turn_fd = None
            super().close()


def writers_path(database_path: str) -> str | None:
    """The lock file the writers of ``database_path`` take turns on (None for in-memory)."""
    if not database_path or database_path == ":memory:" or database_path.startswith("file:"):
        return None
    return f"{database_path}.writers"
