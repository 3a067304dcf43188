"""Keeping a serving process's in-memory state in step with the database, off the request path.

A :class:`Follower` runs its tasks (sync the matcher from the bank change log, reload the
partner keys, ...) on a read-only session every ``interval`` seconds in a thread of its own,
so a change made by any process or host reaches this one within about that time. A commit in
this process that touched what followers follow (bank entries and their change log, partner
keys) bumps a generation counter; :meth:`Follower.current` runs the tasks at once when it
moved, so a process sees its own writes immediately without a database read per request.
The matcher's task reads and indexes any backlog in bulk (``matching.backlog``): a million
imported hashes are a few statements and one new index segment, not a million rows.

Removals never wait for a follower: the matcher resolves every index hit against the
database (an entry removed there is never answered), and withdrawal and erasure de-activate
feed items in their own transaction.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable
from typing import Any

import anyio.to_thread
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger("jikimi.follower")

FOLLOWED = "jikimi.followed_changed"
_followed_tables: set[str] = {"bank_entries", "bank_changes"}
_generation = itertools.count(1)
_current_generation = 0
_generation_lock = threading.Lock()


def follow_table(name: str) -> None:
    """Commits that change table ``name`` wake this process's followers (its capability
    registers it, e.g. partner keys)."""
    _followed_tables.add(name)


def local_generation() -> int:
    """Moves on every commit in this process that changed a followed table."""
    return _current_generation


def _touches_followed(objects: Any) -> bool:
    return any(getattr(obj, "__tablename__", None) in _followed_tables for obj in objects)


@event.listens_for(Session, "after_flush")
def _note(session: Session, _flush: Any) -> None:
    if _touches_followed(session.new) or _touches_followed(session.dirty):
        session.info[FOLLOWED] = True


@event.listens_for(Session, "after_commit")
def _bump(session: Session) -> None:
    global _current_generation
    if session.info.pop(FOLLOWED, False):
        with _generation_lock:
            _current_generation = next(_generation)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(FOLLOWED, None)


Task = Callable[[Session], object]


class Follower:
    """Runs tasks against the database every ``interval`` seconds, in a thread."""

    def __init__(self, reads: sessionmaker[Session], interval: float = 0.2) -> None:
        self._reads = reads
        self.interval = interval
        self._tasks: list[tuple[str, Task]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._applied = -1
        self.rounds = 0

    def add(self, name: str, task: Task) -> None:
        self._tasks.append((name, task))

    def poll(self) -> None:
        """One round of every task, now (each task's failure is logged, not raised)."""
        with self._lock:
            generation = local_generation()
            with self._reads() as session:
                for name, task in self._tasks:
                    try:
                        task(session)
                    except Exception:  # a follower keeps following
                        log.exception("follower task %s failed", name)
                        session.rollback()
            self._applied = generation
            self.rounds += 1

    def current(self) -> None:
        """Run a round at once if this process committed a followed change since the last."""
        if local_generation() != self._applied:
            self.poll()

    async def current_async(self) -> None:
        """:meth:`current` for a request answered on an event loop: the round runs in a
        worker thread. The loop never waits on the follower's lock: a round may wait for a
        database connection that only the loop's progress frees (e.g. route threads holding
        the pool's connections while they wait for the audit head, which the loop's group
        holds until the loop commits it), a deadlock when the loop itself ran the round."""
        if local_generation() != self._applied:
            await anyio.to_thread.run_sync(self.poll)

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="jikimi-follower",
                                            daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.poll()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
