"""What a serving process starts and stops with the app: the matcher (its PDQ index mapped
from the snapshot, shared by every process on the host, then the changes since), the hot path
that answers platforms (key cache, follower, audit writer), and the snapshot writer.

Several processes (``jikimi serve --workers N``, or several hosts) serve one database: each
follows the bank change log on its own; one at a time writes the snapshot (an exclusive lock
on ``index/.writer``), in a background thread, never on a request."""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import FastAPI

from jikimi.core.runtime import Runtime
from jikimi.matching import Matcher
from jikimi.partners.hotpath import HotPath

log = logging.getLogger("jikimi.serving")

SNAPSHOT_EVERY_SECONDS = 300.0
SNAPSHOT_AFTER_CHANGES = 10_000
"""The snapshot is rewritten when this many bank changes were applied since the last one."""


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
class Serving:
    matcher: Matcher
    hot_path: HotPath
    snapshot_dir: Path
    saved_seq: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def save_snapshot(self) -> bool:
        """Write the snapshot if no other process is writing it; returns whether it did."""
        with snapshot_writer(self.snapshot_dir) as mine:
            if not mine:
                return False
            seq = self.matcher.last_seq
            self.matcher.save(self.snapshot_dir)
            self.saved_seq = seq
            return True

    def _snapshots(self) -> None:
        while not self._stop.wait(SNAPSHOT_EVERY_SECONDS):
            if self.matcher.last_seq - self.saved_seq >= SNAPSHOT_AFTER_CHANGES:
                try:
                    self.save_snapshot()
                except OSError:
                    log.exception("writing the index snapshot failed")

    def start(self) -> None:
        self._thread = threading.Thread(target=self._snapshots, name="jikimi-snapshots",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.hot_path.stop()
        if self.matcher.last_seq != self.saved_seq:
            self.save_snapshot()


def start_serving(app: FastAPI, runtime: Runtime, snapshot_dir: Path) -> Serving:
    """Load the matcher and start the hot path; both are put on ``app.state``."""
    with runtime.sessions() as session:
        matcher = Matcher.load(snapshot_dir, session, runtime.keys, mmap=True)
    app.state.matcher = matcher
    app.state.hot_path = HotPath.start(runtime, matcher)
    serving = Serving(matcher, app.state.hot_path, snapshot_dir)
    serving.start()
    return serving
