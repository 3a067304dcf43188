"""The serving path of a platform's lookup, outside any database transaction.

A platform asks on every upload, so a lookup must not queue behind writers. Here it:

- checks the key against this process's :class:`PartnerKeyCache` (the keys' keyed digests and
  what they grant, reloaded by the follower every fraction of a second, and at once after a
  key changes in this process), with the one rule of ``accounts.check_key``;
- searches the in-memory index (kept current by the follower, never synced in the request);
- reads the database only for the entries it hits (a read that takes no lock);
- writes one thing, its audit entry, through the audit writer's group commit, and answers
  once that entry is committed.

``last_used_at`` of the keys is written by the follower, at most once a minute per key.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import psycopg
from sqlalchemy import Connection, Engine, or_, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from jikimi.accounts.credential_cache import StaffCredentialCache
from jikimi.core.audit import audit_key
from jikimi.core.audit_writer import AuditWriter
from jikimi.core.database import make_read_engine, utcnow
from jikimi.core.prepared import MAX_PREPARED_VALUES, PreparedRead
from jikimi.core.runtime import Runtime
from jikimi.core.security import Keyring
from jikimi.matching import Matcher
from jikimi.matching.follower import Follower, follow_table
from jikimi.partners.accounts import (
    LAST_USED_RESOLUTION,
    KeyGrant,
    PartnerPrincipal,
    check_key,
    key_digest,
    presented_key_id,
)
from jikimi.partners.models import Partner, PartnerKey

log = logging.getLogger("jikimi.hotpath")
T = TypeVar("T")

follow_table("partner_keys")
follow_table("partners")

AUDIT_HEAD_HINT = "audit-head.hint"
"""The file in the data directory through which this host's serving processes chain their
audit groups one after the other (``core.audit_writer.HeadHint``)."""

UNKNOWN_KEY_RELOAD_SECONDS = 1.0
"""An unknown key id reloads the cache at most this often (a key issued by another process
works at once; a flood of made-up keys costs one read a second)."""


class PartnerKeyCache:
    """Every partner key's grant, in memory; verified per call against its keyed digest."""

    def __init__(self, keys: Keyring) -> None:
        self._keys = keys
        self._grants: dict[str, KeyGrant] = {}
        self._used: dict[str, dt.datetime] = {}
        self._written: dict[str, dt.datetime] = {}
        self._lock = threading.Lock()
        self._last_unknown_reload = 0.0
        self._reads: sessionmaker[Session] | None = None

    def reload(self, session: Session) -> None:
        rows = session.execute(select(PartnerKey, Partner).join(
            Partner, Partner.id == PartnerKey.partner_id)).all()
        grants = {row.PartnerKey.key_id: KeyGrant.of(row.PartnerKey, row.Partner)
                  for row in rows}
        written = {row.PartnerKey.key_id: row.PartnerKey.last_used_at for row in rows
                   if row.PartnerKey.last_used_at is not None}
        with self._lock:
            self._grants = grants
            for key_id, at in written.items():
                self._written[key_id] = max(at, self._written.get(key_id, at))

    def authenticate(self, presented: str, reads: sessionmaker[Session] | None = None
                     ) -> PartnerPrincipal:
        """The principal of a presented key, or NotAuthenticated (the rule of
        ``accounts.check_key``)."""
        key_id = presented_key_id(presented)
        grant = self._grants.get(key_id)
        if grant is None and reads is not None:
            grant = self._reload_for_unknown(key_id, reads)
        now = utcnow()
        principal = check_key(grant, presented, key_digest(self._keys, presented), now)
        self._used[key_id] = now
        return principal

    def _reload_for_unknown(self, key_id: str, reads: sessionmaker[Session]) -> KeyGrant | None:
        import time

        now = time.monotonic()
        if now - self._last_unknown_reload < UNKNOWN_KEY_RELOAD_SECONDS:
            return None
        self._last_unknown_reload = now
        with reads() as session:
            self.reload(session)
        return self._grants.get(key_id)

    def write_last_used(self, sessions: sessionmaker[Session]) -> int:
        """Record when keys were last used (at most once per ``LAST_USED_RESOLUTION``)."""
        due = {key_id: at for key_id, at in list(self._used.items())
               if key_id not in self._written
               or at - self._written[key_id] > LAST_USED_RESOLUTION}
        if not due:
            return 0
        with sessions() as session, session.begin():
            for key_id, at in due.items():
                session.execute(update(PartnerKey).where(
                    PartnerKey.key_id == key_id,
                    or_(PartnerKey.last_used_at.is_(None), PartnerKey.last_used_at < at))
                    .values(last_used_at=at).execution_options(synchronize_session=False))
        self._written.update(due)
        return len(due)


READ_POOL = 8
"""PostgreSQL connections a serving process keeps for lookups' reads (as many again in
bursts)."""


def read_sessions(runtime: Runtime) -> sessionmaker[Session]:
    """Sessions that only read. On SQLite they never take the write lock (the runtime's
    sessions begin IMMEDIATE, which would queue every lookup behind every writer); on
    PostgreSQL they have a pool of their own, and take no lock (plain reads)."""
    # PostgreSQL: a pool sized for the threads that answer lookups in this process (several
    # processes: READ_POOL * processes connections at most); autocommit, so a removal
    # committed between a lookup's two reads still keeps that entry out of the answer
    engine = make_read_engine(runtime.settings.sqlalchemy_url, pool_size=READ_POOL)
    return sessionmaker(bind=engine, expire_on_commit=False)


LOOP_READ_CONNECTIONS = 2 * READ_POOL
"""PostgreSQL connections an event loop opens for its doors' reads at most, all kept open
once opened (closing those beyond a smaller pool made a busy loop open and close one every
few lookups: a backend forked each time)."""


class LoopReads:
    """One open connection for the reads a fast door makes on the event loop's thread (a
    door answers there, without a hop to a worker thread): autocommit, so every statement
    sees what is committed when it runs (a removal counts at once). Only that thread uses
    it; a connection the database dropped is replaced and the read tried once more."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._engine: Engine = sessions.kw["bind"]
        self._conn: Connection | None = None
        self.waits_for_network = self._engine.dialect.name == "postgresql"
        """Reads go over the network (PostgreSQL): a door awaits them (:meth:`fetch`)
        instead of blocking the loop for a round trip."""
        self._idle: dict[asyncio.AbstractEventLoop, list[psycopg.AsyncConnection[Any]]] = {}
        self._slots = asyncio.Semaphore(LOOP_READ_CONNECTIONS)
        self._together: dict[tuple[asyncio.AbstractEventLoop, PreparedRead],
                             _ReadTogether] = {}

    async def fetch(self, read: PreparedRead, values: list[Any]) -> list[Any]:
        """A prepared read awaited on one of this loop's own autocommit connections to
        PostgreSQL (no thread, no blocked loop); a broken connection is replaced and the
        read tried once more."""
        loop = asyncio.get_running_loop()
        idle = self._idle.setdefault(loop, [])
        async with self._slots:
            for attempt in (1, 2):
                conn = idle.pop() if idle else await psycopg.AsyncConnection.connect(
                    self._engine.url.set(drivername="postgresql").render_as_string(
                        hide_password=False), autocommit=True)
                try:
                    rows = await read.fetch_async(conn, self._engine.dialect, values)
                except psycopg.OperationalError:
                    await conn.close()
                    if attempt == 2:
                        raise
                    continue
                except BaseException:
                    await conn.close()
                    raise
                idle.append(conn)  # never more than the slots: kept for the next read
                return rows
        raise AssertionError("unreachable")

    async def fetch_together(self, read: PreparedRead, values: list[Any]) -> list[Any]:
        """:meth:`fetch` of ``values``, in one statement with the values of the other
        requests of this loop that ask the same read meanwhile: while one such statement is
        in flight, the next requests' values gather and go in the next (up to
        :data:`MAX_PREPARED_VALUES` values a statement). Returns the statement's rows, which
        may include other requests' rows: pick yours by key. Each statement starts after
        the requests it serves asked, so it sees every change committed before they did."""
        if len(values) > MAX_PREPARED_VALUES:
            raise ValueError(f"{len(values)} values: too many for one prepared read")
        loop = asyncio.get_running_loop()
        together = self._together.get((loop, read))
        if together is None:
            together = self._together[(loop, read)] = _ReadTogether(self, read)
        return await together.fetch(values)

    def run(self, read: Callable[[Connection], T]) -> T:
        for attempt in (1, 2):
            conn = self._conn
            if conn is None:
                conn = self._conn = self._engine.connect().execution_options(
                    isolation_level="AUTOCOMMIT")
            try:
                return read(conn)
            except DBAPIError as exc:
                self.close()
                if attempt == 2 or not exc.connection_invalidated:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except DBAPIError:
                log.warning("closing the loop's read connection failed", exc_info=True)
            self._conn = None
        for idle in self._idle.values():  # at shutdown: end the sessions (no loop needed)
            for conn in idle:
                conn.pgconn.finish()
        self._idle.clear()


class _ReadTogether:
    """The requests of one loop asking one prepared read: one statement in flight at a time,
    the values asked meanwhile gathered for the next (:meth:`LoopReads.fetch_together`)."""

    def __init__(self, reads: LoopReads, read: PreparedRead) -> None:
        self._reads = reads
        self._read = read
        self._waiting: list[tuple[list[Any], asyncio.Future[list[Any]]]] = []
        self._running = False
        self._tasks: set[asyncio.Task[None]] = set()

    async def fetch(self, values: list[Any]) -> list[Any]:
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[list[Any]] = loop.create_future()
        self._waiting.append((values, waiter))
        if not self._running:
            self._running = True
            task = loop.create_task(self._drain())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await waiter

    async def _drain(self) -> None:
        try:
            while self._waiting:
                group: list[tuple[list[Any], asyncio.Future[list[Any]]]] = []
                values: dict[Any, None] = {}
                while self._waiting and (not group or len(values) + len(
                        self._waiting[0][0]) <= MAX_PREPARED_VALUES):
                    asked, waiter = self._waiting.pop(0)
                    group.append((asked, waiter))
                    values.update(dict.fromkeys(asked))
                try:
                    rows = await self._reads.fetch(self._read, list(values))
                except Exception as exc:  # every request of the group hears of it
                    for _asked, waiter in group:
                        if not waiter.done():
                            waiter.set_exception(exc)
                    continue
                for _asked, waiter in group:
                    if not waiter.done():  # a request cancelled meanwhile no longer waits
                        waiter.set_result(rows)
        finally:
            self._running = False


@dataclass
class HotPath:
    """What a serving process answers platforms with."""

    runtime: Runtime
    matcher: Matcher
    reads: sessionmaker[Session]
    audit: AuditWriter
    keys: PartnerKeyCache
    follower: Follower
    loop_reads: LoopReads
    staff: StaffCredentialCache
    """Staff credentials for the staff fast doors (``/api/v1/match``)."""
    _stopped: bool = field(default=False, repr=False)

    @classmethod
    def start(cls, runtime: Runtime, matcher: Matcher, *, interval: float = 0.2) -> HotPath:
        reads = read_sessions(runtime)
        keys = PartnerKeyCache(runtime.keys)
        follower = Follower(reads, interval)
        follower.add("matcher", matcher.sync)
        follower.add("partner keys", keys.reload)
        staff = StaffCredentialCache(runtime)
        follower.add("staff credentials", staff.revalidate)
        follower.add("last used", lambda _session: keys.write_last_used(runtime.sessions))
        hot = cls(runtime, matcher, reads, AuditWriter(
            runtime.sessions, audit_key(runtime.keys.signing_secret),
            durability=runtime.settings.commit_durability,
            head_hint=runtime.settings.resolved_data_dir / AUDIT_HEAD_HINT), keys, follower,
            LoopReads(reads), staff)
        follower.poll()
        follower.start()
        return hot

    def authenticate(self, presented: str, *, followed: bool = False) -> PartnerPrincipal:
        """The caller's principal, from the key cache (current with this process's writes;
        ``followed``: the caller, on an event loop, awaited ``follower.current_async``)."""
        if not followed:
            self.follower.current()
        return self.keys.authenticate(presented, self.reads)

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for the reads of one lookup (current with this process's own writes)."""
        self.follower.current()
        with self.reads() as session:
            yield session

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self.follower.stop()
        self.audit.close()
        self.loop_reads.close()
        self.keys.write_last_used(self.runtime.sessions)
        bind = self.reads.kw.get("bind")
        if bind is not None and bind is not self.runtime.engine:
            bind.dispose()
