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

A request answered on an event loop (the fast doors) awaits :meth:`AuditWriter.write_async`.
On SQLite the writer thread resolves its asyncio future with ``call_soon_threadsafe`` after
the commit (one wake-up of the loop per group). On PostgreSQL the loop appends its requests'
entries itself (:class:`_LoopAppender`, an asynchronous connection of its own): no thread, so
no hand-off of the GIL per round trip, and a group is one statement in one round trip.

Durability (``JIKIMI_COMMIT_DURABILITY``, ``core.database.CommitDurability``, the same on both
databases): with ``disk`` (the default) a PostgreSQL group commits with ``synchronous_commit``
on (set by the writer, whatever the server's default), so its commit returns once the WAL is
flushed past it, and SQLite syncs its WAL at the group's commit; only then are its requests
answered. With ``process`` the commit returns once the database has it, which survives a
crash of jikimi but not of the host. (An earlier version committed groups asynchronously and
answered them after a later ``SELECT txid_current()`` commit; such a commit does not flush,
because PostgreSQL flushes at commit only when the transaction wrote WAL, so a database crash
could lose answered entries.) The head row is therefore held through the disk write; other
processes' writers queue on it, and their groups grow meanwhile.

Writes of case data do not use it: their services still audit inside their own transaction,
so a change and its audit entry commit together or not at all.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import fcntl
import json
import logging
import os
import queue
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import Connection, Engine, Table
from sqlalchemy.orm import Session, sessionmaker

from jikimi.core.actors import Actor
from jikimi.core.audit import GENESIS_HASH, AuditEntry, append_entries, chain_rows
from jikimi.core.database import POSTGRES_SYNCHRONOUS_COMMIT, CommitDurability
from jikimi.errors import JikimiError

log = logging.getLogger("jikimi.audit")

DEFAULT_MAX_BATCH = 512
DURABLE_TIMEOUT_SECONDS = 30.0
DEFAULT_LINGER_SECONDS = 0.003
"""When entries came in a moment ago and commits take less than this, the writer waits this
long before taking a group, so that the requests in flight share one commit (a commit costs
several times an entry)."""
BUSY_SECONDS = 0.01
OPTIMISTIC_APPENDS = 2
"""PostgreSQL, on an event loop: a group is appended against the head this process last
wrote (one statement); when another writer has moved it, once more against the head that
statement saw, then with the head locked."""
LOOP_LINGER_SECONDS = 0.001
"""PostgreSQL, on an event loop: when groups follow each other (busy), the next one is taken
this long after the previous one ended, so that the requests in flight share its statement
and its WAL flush."""


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
                 linger_seconds: float = DEFAULT_LINGER_SECONDS,
                 durability: CommitDurability = "disk", head_hint: Path | None = None) -> None:
        """``head_hint``: a file shared by the serving processes of this host and database
        (:class:`HeadHint`), so that their loops' groups chain one after the other without
        locking the head (PostgreSQL)."""
        self._engine: Engine = sessions.kw["bind"]
        self._head_hint = head_hint
        self._durability = durability
        self._conn: Connection | None = None
        self._linger = linger_seconds
        self._last_commit = 0.0
        self._commit_seconds = 0.0
        self._postgres = self._engine.dialect.name == "postgresql"
        self._key = key
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._closed = False
        self._thread_groups = 0
        self._appenders: dict[asyncio.AbstractEventLoop, _LoopAppender] = {}

    @property
    def groups(self) -> int:
        """Groups appended so far (each one transaction holding one or more entries)."""
        return self._thread_groups + sum(a.groups for a in list(self._appenders.values()))

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
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[int] = loop.create_future()
        pending = _Pending({"actor": actor, "action": action, "record_type": record_type,
                            "record_id": record_id, "centre_id": centre_id,
                            "details": details}, None, waiter)
        if self._postgres:  # appended from this loop, no thread
            appender = self._appenders.get(loop)
            if appender is None:
                appender = self._appenders[loop] = _LoopAppender(
                    self._engine.url.set(drivername="postgresql").render_as_string(
                        hide_password=False), self._key, self._max_batch, self._durability,
                    self._open_hint())
            appender.add(pending)
        else:
            self._ensure_started()
            self._queue.put(pending)
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

    def _open_hint(self) -> HeadHint | None:
        if self._head_hint is None:
            return None
        try:
            return HeadHint(self._head_hint)
        except OSError as exc:  # the groups still append, each against the head it saw
            log.warning("audit head hint %s not usable: %s", self._head_hint, exc)
            return None

    def _ensure_started(self) -> None:
        if self._thread is not None:
            return
        with self._start_lock:
            if self._thread is None:
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
                # group (one commit for all); a slow commit (a WAL flush on a busy disk)
                # gathers the next group by itself while it runs
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
                if self._postgres:  # a group's commit is as durable as the installation's
                    self._conn.exec_driver_sql("SET synchronous_commit TO "
                                               + POSTGRES_SYNCHRONOUS_COMMIT[self._durability])
                    self._conn.commit()
            with self._conn.begin():  # on SQLite after its turn (core.sqlite_writers)
                seqs = append_entries(self._conn, self._key, [p.fields for p in group])
        except Exception as exc:  # every waiting request must hear of it
            log.exception("audit group of %d entries failed", len(group))
            self._drop_connection()
            _settle(group, [exc for _ in group])
            return
        finally:
            self._last_commit = time.monotonic()
            self._commit_seconds = self._last_commit - started
        self._thread_groups += 1
        _settle(group, seqs)

    def _drop_connection(self) -> None:
        _close(self._conn)
        self._conn = None

    def close(self) -> None:
        """Write what is queued, then stop."""
        self._closed = True
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(DURABLE_TIMEOUT_SECONDS)
        self._drop_connection()
        for appender in list(self._appenders.values()):
            appender.close()
        self._appenders.clear()


def _close(conn: Connection | None) -> None:
    """Close a connection and drop it from the pool (the writer's session setting of
    ``synchronous_commit`` does not follow it into another transaction)."""
    if conn is not None:
        try:
            conn.invalidate()
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


def _append_sql() -> str:
    """PostgreSQL: one statement that appends a group and moves the head to its last entry,
    only if the head is still where the group was chained (``head_seq``, ``head_hash``);
    returns the rows it inserted and the head as the statement saw it. The group travels as
    one JSON array of rows (``json_populate_recordset``: each value converted by its column's
    own type in the table), one parameter encoded by the C JSON encoder; typed arrays of the
    columns cost the serving process a Python dumper call per value."""
    table: Table = AuditEntry.__table__  # type: ignore[assignment]
    names = ", ".join(column.name for column in table.c)
    # the names come from the table's definition; every value is bound
    return (
        "WITH moved AS (UPDATE audit_head SET last_seq = %(new_head_seq)s, "  # noqa: S608
        "last_hash = %(new_head_hash)s WHERE id = 1 AND last_seq = %(head_seq)s "
        "AND last_hash = %(head_hash)s RETURNING id), "
        f"added AS (INSERT INTO audit_entries ({names}) SELECT {names} "
        "FROM json_populate_recordset(NULL::audit_entries, %(rows)s::json) "
        "WHERE EXISTS (SELECT 1 FROM moved) RETURNING seq) "
        "SELECT (SELECT count(*) FROM added), last_seq, last_hash FROM audit_head WHERE id = 1")


APPEND_SQL = _append_sql()
LOCK_HEAD_SQL = "SELECT last_seq, last_hash FROM audit_head WHERE id = 1 FOR UPDATE"
INSERT_HEAD_SQL = "INSERT INTO audit_head (id, last_seq, last_hash) VALUES (1, 0, %s)"


def _json_value(value: Any) -> str:
    """A row value JSON does not know: a timestamp (timezone-aware UTC, as ``chain_rows``
    makes it) in ISO 8601, which PostgreSQL reads back to the microsecond."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime in an audit row")
        return value.isoformat()
    raise TypeError(f"audit row value of type {type(value).__name__}")


def _append_params(head: tuple[int, str], rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {"rows": json.dumps(rows, default=_json_value, ensure_ascii=False),
            "head_seq": head[0], "head_hash": head[1], "new_head_seq": rows[-1]["seq"],
            "new_head_hash": rows[-1]["entry_hash"]}


class HeadHint:
    """The audit head as the serving processes of one host last chained it: a small file
    they share, read and moved under an exclusive ``flock``.

    Several processes appending groups each against the head *it* last wrote keep finding the
    head moved by the others, and fall back to locking it (two round trips, the head held
    across one). With the hint, a process chains its group after the last group any process
    of the host chained (committed, or sent and not yet committed) and moves the hint past
    its own before sending it: its statement then waits for the previous group's commit on
    the head row and applies right after it, one statement per group. The hint is only a
    hint: the database's conditional update of the head decides (a group chained after a
    head that is not the database's is refused whole, nothing written), and a refused group
    goes the locked way, which sets the hint right again. Each appender opens the file
    itself: ``flock`` excludes open files, so two loops of one process exclude each other
    too."""

    SIZE = 8 + 64

    def __init__(self, path: Path) -> None:
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)

    def chain(self, key: bytes, own: tuple[int, str] | None,
              entries: list[dict[str, Any]]) -> tuple[tuple[int, str], list[dict[str, Any]]] | None:
        """``entries`` chained after the hinted head (or ``own``, the head this appender last
        wrote, when there is no hint yet), the hint moved past them: the head they were
        chained after, and their rows; None when neither is known."""
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            start = self._read() or own
            if start is None:
                return None
            rows = chain_rows(key, start[0], start[1], entries)
            self._write((int(rows[-1]["seq"]), str(rows[-1]["entry_hash"])))
            return start, rows
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def set(self, head: tuple[int, str]) -> None:
        """The hint set to a head just committed (after a group appended the locked way)."""
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            self._write(head)
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def _read(self) -> tuple[int, str] | None:
        data = os.pread(self._fd, self.SIZE, 0)
        if len(data) != self.SIZE:
            return None
        try:
            return int.from_bytes(data[:8], "big"), data[8:].decode("ascii")
        except UnicodeDecodeError:  # not a hint this version wrote: the database decides
            return None

    def _write(self, head: tuple[int, str]) -> None:
        digest = head[1].encode("ascii")
        if len(digest) != 64:
            raise ValueError("an audit entry hash is 64 hexadecimal characters")
        os.pwrite(self._fd, head[0].to_bytes(8, "big") + digest, 0)

    def close(self) -> None:
        os.close(self._fd)


class _LoopAppender:
    """PostgreSQL: the entries of the requests answered on one event loop, appended from that
    loop on an asynchronous connection of its own (no thread).

    Entries that arrive while a group is being appended form the next group (taken
    :data:`LOOP_LINGER_SECONDS` after the previous one when busy). A group is one statement
    in its own transaction (:data:`APPEND_SQL`: the rows inserted and the head moved only if
    the head is still the one this process last wrote; another writer having moved it, the
    group is chained again after the head that statement saw, then appended with the head
    locked, as are the following groups until no other writer moved the head in between),
    committed with ``synchronous_commit`` on: once it returns the entries are durable, and
    only then are their requests answered. A failed group answers none of its requests.
    With a :class:`HeadHint`, a group is first chained after the hinted head (the serving
    processes of the host take turns without locking the head)."""

    def __init__(self, conninfo: str, key: bytes, max_batch: int,
                 durability: CommitDurability = "disk", hint: HeadHint | None = None) -> None:
        self._conninfo = conninfo
        self._hint = hint
        self.hinted_appends = 0
        """Groups appended after the hinted head, in one statement."""
        self._synchronous_commit = POSTGRES_SYNCHRONOUS_COMMIT[durability]
        self._key = key
        self._max_batch = max_batch
        self._waiting: list[_Pending] = []
        self._appending = False
        self._last_group_end = 0.0
        self._conn: psycopg.AsyncConnection[Any] | None = None
        self._head: tuple[int, str] | None = None
        """The head as this appender last wrote it (a hint: checked by every append)."""
        self._contended = False
        """Another writer moved the head before this appender's last group: lock it."""
        self._tasks: set[asyncio.Task[None]] = set()
        self.groups = 0
        self.locked_appends = 0
        """Groups appended with the head locked (other writers were moving it)."""

    def add(self, pending: _Pending) -> None:
        """Queue an entry; its waiter is resolved once the entry is durable."""
        self._waiting.append(pending)
        if not self._appending:
            self._appending = True
            task = asyncio.get_running_loop().create_task(self._append_waiting())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _append_waiting(self) -> None:
        try:
            while self._waiting:
                if time.monotonic() - self._last_group_end < BUSY_SECONDS:
                    await asyncio.sleep(LOOP_LINGER_SECONDS)  # the requests in flight join
                group = self._waiting[:self._max_batch]
                del self._waiting[:self._max_batch]
                try:
                    outcomes: list[int] | list[Exception] = await self._append(
                        [p.fields for p in group])
                except Exception as exc:  # every waiting request must hear of it
                    log.exception("audit group of %d entries failed", len(group))
                    self._head = None
                    await _close_async(self._conn)
                    self._conn = None
                    outcomes = [exc for _ in group]
                else:
                    self.groups += 1
                self._last_group_end = time.monotonic()
                _settle_here(group, outcomes)
        finally:
            self._appending = False

    async def _append(self, entries: list[dict[str, Any]]) -> list[int]:
        if self._conn is None:
            conn = await psycopg.AsyncConnection.connect(self._conninfo, autocommit=True)
            # "disk": a commit flushes the WAL (the installation's durability, set here
            # whatever the server's default)
            await conn.execute("SET synchronous_commit TO " + self._synchronous_commit)
            self._conn = conn
        conn = self._conn
        head = None if self._contended else self._head
        if self._hint is not None:
            hinted = self._hint.chain(self._key, self._head, entries)
            if hinted is not None:
                start, rows = hinted
                appended, _seen = await self._append_once(conn, start, rows)
                if appended:
                    self.hinted_appends += 1
                    return self._appended(rows, hint_moved=True)
                head = None  # the hint was wrong: the locked way, which sets it right
        for _attempt in range(OPTIMISTIC_APPENDS):
            if head is None:
                break
            rows = chain_rows(self._key, head[0], head[1], entries)
            appended, seen = await self._append_once(conn, head, rows)
            if appended:
                return self._appended(rows, hint_moved=False)
            # another writer moved the head: chain after the one the statement saw (if it
            # saw a newer one; it sees the old one when it waited for that writer's commit)
            head = seen if seen != head else None
        return await self._append_locked(conn, entries)

    @staticmethod
    async def _append_once(conn: psycopg.AsyncConnection[Any], head: tuple[int, str],
                           rows: list[dict[str, Any]]) -> tuple[bool, tuple[int, str] | None]:
        """One statement (:data:`APPEND_SQL`) appending ``rows``, chained after ``head``:
        whether it appended them, and the head as the statement saw it."""
        cursor = await conn.execute(APPEND_SQL, _append_params(head, rows), prepare=True)
        outcome = await cursor.fetchone()
        if outcome is None:
            return False, None
        return outcome[0] == len(rows), (int(outcome[1]), str(outcome[2]))

    def _appended(self, rows: list[dict[str, Any]], *, hint_moved: bool) -> list[int]:
        """After a group committed: this appender's head (and the host's hint, unless the
        group was chained after it and so already moved it) at its last entry; its
        sequence numbers."""
        self._head = (rows[-1]["seq"], rows[-1]["entry_hash"])
        if self._hint is not None and not hint_moved:
            self._hint.set(self._head)
        return [int(row["seq"]) for row in rows]

    async def _append_locked(self, conn: psycopg.AsyncConnection[Any],
                             entries: list[dict[str, Any]]) -> list[int]:
        """The group appended with the head locked, in two round trips (pipelined: the
        head locked and read; then the group appended and committed). Used while other
        writers keep moving the head (several processes busy at once), and for the first
        entry of the log."""
        async with conn.pipeline() as pipeline:
            await conn.execute("BEGIN")
            cursor = await conn.execute(LOCK_HEAD_SQL)
            await pipeline.sync()
            found = await cursor.fetchone()
            if found is None:  # the first entry of the log
                await conn.execute(INSERT_HEAD_SQL, (GENESIS_HASH,))
                head = (0, GENESIS_HASH)
            else:
                head = (int(found[0]), str(found[1]))
            # nobody else wrote since this appender's last group: back to one statement
            self._contended = self._head is not None and head != self._head
            rows = chain_rows(self._key, head[0], head[1], entries)
            cursor = await conn.execute(APPEND_SQL, _append_params(head, rows), prepare=True)
            await conn.execute("COMMIT")
            await pipeline.sync()
            outcome = await cursor.fetchone()
        if outcome is None or outcome[0] != len(rows):
            raise RuntimeError("the audit head moved while it was locked")
        self.locked_appends += 1
        return self._appended(rows, hint_moved=False)

    def close(self) -> None:
        """End the connection (at shutdown; no loop needed). A group still in flight then
        fails, and none of its requests is answered."""
        if self._conn is not None:
            self._conn.pgconn.finish()
        self._conn = None
        if self._hint is not None:
            self._hint.close()
            self._hint = None


async def _close_async(conn: psycopg.AsyncConnection[Any] | None) -> None:
    if conn is not None:
        try:
            await conn.close()
        except Exception:
            log.warning("closing an audit connection failed", exc_info=True)


def _settle_here(group: list[_Pending], outcomes: Sequence[int | Exception]) -> None:
    """Tell the requests of a group, on their own loop, their sequence numbers (or the
    failure)."""
    _resolve([(p.waiter, outcome) for p, outcome in zip(group, outcomes, strict=True)
              if p.waiter is not None])
