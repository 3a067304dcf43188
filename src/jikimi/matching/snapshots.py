"""Writing the matcher snapshot: the worker's job, never a serving process's.

``jikimi worker`` keeps a matcher of its own (mapped from the last snapshot), follows the bank
change log every few seconds and rewrites the snapshot (:meth:`Matcher.save`) when enough
changes have accumulated, or when changes have waited long enough (the tail folded into a
segment and segments of similar size merged first: the file has no brute-forced tail); then it
maps what it wrote, so its own tail is empty again. Serving processes map the snapshot and
adopt each newer one (:meth:`Matcher.adopt_snapshot`, a task of their follower; one ahead of
them spares them the changes it holds): their private tail of recent changes stays small, and
no request ever waits for a snapshot to be written.

One writer per data directory at a time: an exclusive ``flock`` on ``index/.writer`` (several
workers on one host skip while another writes).
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from jikimi.matching.matcher import Matcher, snapshot_sequence

log = logging.getLogger("jikimi.snapshots")

SNAPSHOT_AFTER_CHANGES = 10_000
"""Rewrite the snapshot once this many bank changes are not in it..."""
SNAPSHOT_AFTER_SECONDS = 30.0
"""...or once the oldest change not in it is this old."""
POLL_SECONDS = 2.0


@contextmanager
def snapshot_writer(directory: Path) -> Iterator[bool]:
    """Whether this process may write the snapshot now (one process at a time)."""
    directory.mkdir(parents=True, exist_ok=True)
    fd = os.open(directory / ".writer", os.O_CREAT | os.O_RDWR, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@dataclass
class SnapshotKeeper:
    """Follows the change log with its own matcher and rewrites the snapshot (the worker's)."""

    matcher: Matcher
    sessions: sessionmaker[Session]
    directory: Path
    after_changes: int = SNAPSHOT_AFTER_CHANGES
    after_seconds: float = SNAPSHOT_AFTER_SECONDS
    saved_seq: int = -1
    writes: int = 0
    _pending_since: float | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __post_init__(self) -> None:
        found = snapshot_sequence(self.directory)
        self.saved_seq = -1 if found is None else found

    def due(self, *, now: float | None = None) -> bool:
        """Whether the snapshot should be rewritten now (after a sync of the matcher)."""
        if self.matcher.last_seq == self.saved_seq:
            self._pending_since = None
            return False
        if self.saved_seq < 0:
            return True  # no snapshot yet
        now = time.monotonic() if now is None else now
        if self._pending_since is None:
            self._pending_since = now
        return (self.matcher.last_seq - self.saved_seq >= self.after_changes
                or now - self._pending_since >= self.after_seconds)

    def write(self) -> bool:
        """Write the snapshot now (unless another process is writing it), then map it."""
        with snapshot_writer(self.directory) as mine:
            if not mine:
                return False
            started = time.perf_counter()
            seq = self.matcher.save(self.directory)
            with self.sessions() as session:
                self.matcher.adopt_snapshot(self.directory, session)
        self.saved_seq = seq
        self._pending_since = None
        self.writes += 1
        log.info("index snapshot written at change %d in %.1f s", seq,
                 time.perf_counter() - started)
        return True

    def round(self, *, force: bool = False) -> bool:
        """Sync, and write the snapshot if it is due (``force``: if anything is not in it)."""
        with self.sessions() as session:
            self.matcher.sync(session)
        on_disk = snapshot_sequence(self.directory)
        if on_disk is not None and on_disk > self.saved_seq:  # another worker wrote one
            self.saved_seq = on_disk
        if force and self.matcher.last_seq != self.saved_seq:
            return self.write()
        return self.due() and self.write()

    def start(self, interval: float = POLL_SECONDS) -> None:
        """Run rounds in a thread of its own until :meth:`stop`."""
        def run() -> None:
            while not self._stop.wait(interval):
                try:
                    self.round()
                except Exception:  # the keeper keeps going; the next round retries
                    log.exception("the snapshot round failed")

        self._thread = threading.Thread(target=run, name="jikimi-snapshots", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(60)
