"""Group commit of audit entries for hot paths (a platform's lookup on every upload).

The audit chain (``core.audit``) has one head row: every append locks it until its transaction
commits, so audited requests pass that point one at a time, each paying a whole commit. A hot
path that changes nothing but the audit log hands its entry to this process's
:class:`AuditWriter` instead. One thread takes every entry waiting (up to ``max_batch``),
appends them to the chain in one transaction — the head locked once, each entry still chained
to the one before it with its own keyed hash — commits, and only then releases the requests,
which answer afterwards. So:

- an answered request's entry is committed (a SIGKILL of the server at any moment loses no
  entry of a request that was answered; an entry of a request not yet answered may be lost
  with it, and that request got no answer);
- ``verify_chain`` is unchanged: an entry edited, deleted, moved or inserted inside a group is
  named exactly as anywhere else, because a group is just consecutive entries;
- N requests in flight cost one commit instead of N, and the head row is held once per group.

A request answered on an event loop (the fast doors) awaits :meth:`AuditWriter.write_async`:
the writer resolves its asyncio future with ``call_soon_threadsafe`` after the commit (one
wake-up of the loop per group), so no thread waits on its behalf.

Writes of case data do not use it: their services still audit inside their own transaction,
so a change and its audit entry commit together or not at all.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import queue
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from jikimi.core.actors import Actor
from jikimi.core.audit import append_entries
from jikimi.errors import JikimiError

log = logging.getLogger("jikimi.audit")

DEFAULT_MAX_BATCH = 512
DURABLE_TIMEOUT_SECONDS = 30.0
DEFAULT_LINGER_SECONDS = 0.003
"""When entries came in a moment ago and commits take less than this, the writer waits this
long before taking a group, so that the requests in flight share one commit (a commit costs
several times an entry)."""
BUSY_SECONDS = 0.01


class AuditUnavailable(JikimiError):
    """The audit entry could not be made durable: the request is not answered."""

    code = "audit_unavailable"
    http_status = 503


@dataclass
class _Pending:
    fields: dict[str, Any]
    done: Future[int] | None = field(default_factory=Future)
    waiter: asyncio.Future[int] | None = None
    """Set instead of ``done`` for a request waiting on an event loop."""


class AuditWriter:
    """One per process and database: appends entries of many requests in one transaction."""

    def __init__(self, sessions: sessionmaker[Session], key: bytes, *,
                 max_batch: int = DEFAULT_MAX_BATCH,
                 linger_seconds: float = DEFAULT_LINGER_SECONDS) -> None:
        self._engine: Engine = sessions.kw["bind"]
        self._conn: Connection | None = None
        self._linger = linger_seconds
        self._last_commit = 0.0
        self._commit_seconds = 0.0
        self._flush_apart = self._engine.dialect.name == "postgresql"
        database = self._engine.url.database
        self._lock_path = (f"{database}.audit-writers" if self._engine.dialect.name == "sqlite"
                           and database and database != ":memory:" else None)
        self._lock_fd: int | None = None
        self._flushes: queue.SimpleQueue[tuple[list[_Pending], list[int]] | None] = (
            queue.SimpleQueue())
        self._flusher: threading.Thread | None = None
        self._flush_conn: Connection | None = None
        self._key = key
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._closed = False
        self.groups = 0
        """Transactions committed so far (each holding one or more entries)."""

    def write(self, actor: Actor, action: str, record_type: str, record_id: str | int, *,
              centre_id: int | None = None, details: dict[str, Any] | None = None) -> int:
        """Append an entry and return its sequence number once it is committed; raises
        :class:`AuditUnavailable` if it could not be."""
        if self._closed:
            raise AuditUnavailable("the audit writer is stopped")
        self._ensure_started()
        pending = _Pending({"actor": actor, "action": action, "record_type": record_type,
                            "record_id": record_id, "centre_id": centre_id,
                            "details": details})
        self._queue.put(pending)
        assert pending.done is not None
        try:
            return pending.done.result(timeout=DURABLE_TIMEOUT_SECONDS)
        except TimeoutError as exc:
            raise AuditUnavailable("the audit log did not accept the entry in time; retry"
                                   ) from exc
        except AuditUnavailable:
            raise
        except Exception as exc:  # the group's transaction failed: nothing was answered
            raise AuditUnavailable("the audit entry could not be written; retry") from exc

    async def write_async(self, actor: Actor, action: str, record_type: str,
                          record_id: str | int, *, centre_id: int | None = None,
                          details: dict[str, Any] | None = None) -> int:
        """:meth:`write` for a request answered on an event loop: awaits the group's commit
        without a thread; raises :class:`AuditUnavailable` if the entry could not be made
        durable."""
        if self._closed:
            raise AuditUnavailable("the audit writer is stopped")
        self._ensure_started()
        waiter: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._queue.put(_Pending({"actor": actor, "action": action, "record_type": record_type,
                                  "record_id": record_id, "centre_id": centre_id,
                                  "details": details}, None, waiter))
        try:
            async with asyncio.timeout(DURABLE_TIMEOUT_SECONDS):
                return await waiter
        except TimeoutError as exc:
            raise AuditUnavailable("the audit log did not accept the entry in time; retry"
                                   ) from exc
        except AuditUnavailable:
            raise
        except Exception as exc:  # the group's transaction failed: nothing was answered
            raise AuditUnavailable("the audit entry could not be written; retry") from exc

    def _ensure_started(self) -> None:
        if self._thread is not None:
            return
        with self._start_lock:
            if self._thread is None:
                if self._flush_apart:
                    self._flusher = threading.Thread(target=self._flush, daemon=True,
                                                     name="jikimi-audit-flusher")
                    self._flusher.start()
                self._thread = threading.Thread(target=self._run, name="jikimi-audit-writer",
                                                daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            group = [first]
            if (self._linger and self._commit_seconds < self._linger
                    and time.monotonic() - self._last_commit < BUSY_SECONDS):
                # busy, and commits are quick (SQLite): let the requests in flight join this
                # group (one commit for all); a slow commit (PostgreSQL's flush) gathers the
                # next group by itself while it runs
                time.sleep(self._linger)
            while len(group) < self._max_batch:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._queue.put(None)  # stop after this group
                    break
                group.append(more)
            self._commit(group)

    def _commit(self, group: list[_Pending]) -> None:
        started = time.monotonic()
        try:
            if self._conn is None:  # kept open: a group costs its statements and commit only
                self._conn = self._engine.connect()
                if self._flush_apart:  # the head's lock is not held through the WAL flush
                    self._conn.exec_driver_sql("SET synchronous_commit TO OFF")
                    self._conn.commit()
            with self._writers_queue(), self._conn.begin():
                seqs = append_entries(self._conn, self._key, [p.fields for p in group])
        except Exception as exc:  # every waiting request must hear of it
            log.exception("audit group of %d entries failed", len(group))
            self._drop_connection()
            _settle(group, [exc for _ in group])
            return
        finally:
            self._last_commit = time.monotonic()
            self._commit_seconds = self._last_commit - started
        self.groups += 1
        if self._flush_apart:
            self._flushes.put((group, seqs))
        else:
            _settle(group, seqs)

    def _flush(self) -> None:
        """PostgreSQL: a group commits without waiting for the WAL flush (so the chain's head
        is locked only while the group is appended, not through the disk write), and its
        requests are answered only after a later transaction with a synchronous commit has
        committed here: that commit flushes the WAL up to its own record, which comes after
        the groups' commits. A server crash before that loses those groups and the chain
        with them, consistently (the WAL is replayed in order), and no request of theirs
        was answered. Groups waiting together share one flush."""
        while True:
            item = self._flushes.get()
            if item is None:
                return
            batches = [item]
            while True:
                try:
                    more = self._flushes.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._flushes.put(None)
                    break
                batches.append(more)
            try:
                if self._flush_conn is None:
                    self._flush_conn = self._engine.connect()
                with self._flush_conn.begin():
                    # an xid makes the commit write a record and wait for its flush
                    self._flush_conn.exec_driver_sql("SELECT txid_current()")
            except Exception as exc:  # durability unknown: answer none of them
                log.exception("flushing %d audit groups failed", len(batches))
                _close(self._flush_conn)
                self._flush_conn = None
                for group, _seqs in batches:
                    _settle(group, [exc for _ in group])
                continue
            for group, seqs in batches:
                _settle(group, seqs)

    @contextmanager
    def _writers_queue(self) -> Iterator[None]:
        """SQLite: the writers of several serving processes take turns on an OS file lock
        (woken the moment it is free) before asking for SQLite's write lock, whose busy
        handler polls with sleeps of up to 100 ms (two processes' groups then waited
        seconds for each other)."""
        if self._lock_path is None:
            yield
            return
        if self._lock_fd is None:
            self._lock_fd = os.open(self._lock_path, os.O_CREAT | os.O_RDWR, 0o600)
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    def _drop_connection(self) -> None:
        _close(self._conn)
        self._conn = None

    def close(self) -> None:
        """Write what is queued, then stop."""
        self._closed = True
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(DURABLE_TIMEOUT_SECONDS)
        if self._flusher is not None:
            self._flushes.put(None)
            self._flusher.join(DURABLE_TIMEOUT_SECONDS)
        self._drop_connection()
        _close(self._flush_conn)
        self._flush_conn = None
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None


def _close(conn: Connection | None) -> None:
    """Close a connection (a broken one is dropped either way)."""
    if conn is not None:
        try:
            conn.close()
        except Exception:
            log.warning("closing an audit connection failed", exc_info=True)


def _settle(group: list[_Pending], outcomes: Sequence[int | Exception]) -> None:
    """Tell every request of a group its sequence number (or the failure): threads through
    their futures, each event loop with one call for all of its requests."""
    by_loop: dict[asyncio.AbstractEventLoop,
                  list[tuple[asyncio.Future[int], int | Exception]]] = {}
    for pending, outcome in zip(group, outcomes, strict=True):
        if pending.waiter is not None:
            by_loop.setdefault(pending.waiter.get_loop(), []).append((pending.waiter, outcome))
        elif pending.done is not None:
            if isinstance(outcome, Exception):
                pending.done.set_exception(outcome)
            else:
                pending.done.set_result(outcome)
    for loop, waiters in by_loop.items():
        try:
            loop.call_soon_threadsafe(_resolve, waiters)
        except RuntimeError:  # the loop is closed: nobody is waiting any more
            log.warning("audit entries committed for a closed event loop")


def _resolve(waiters: list[tuple[asyncio.Future[int], int | Exception]]) -> None:
    for waiter, outcome in waiters:
        if waiter.done():  # timed out or cancelled: that request was not answered
            continue
        if isinstance(outcome, Exception):
            waiter.set_exception(outcome)
        else:
            waiter.set_result(outcome)
