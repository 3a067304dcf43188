"""The database: declarative base, engine, sessions and migrations.

SQLite (WAL) is the embedded default; PostgreSQL (psycopg 3) scales out. Alembic migrations
are the schema: production paths never call ``create_all``.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from alembic import command
from alembic.config import Config
from sqlalchemy import (
    ColumnElement,
    DateTime,
    Engine,
    MetaData,
    Text,
    any_,
    bindparam,
    cast,
    create_engine,
    event,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import DeclarativeBase, QueryableAttribute, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from jikimi.core.sqlite_writers import QueuedWriterConnection, writers_path
from jikimi.errors import ConcurrentChange

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base of every table; each capability declares its own in its ``models.py``."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UtcDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware UTC timestamp on every backend (SQLite stores it naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: use jikimi.core.clock.utcnow()")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)  # type: ignore[no-any-return]
        return value.astimezone(dt.UTC)  # type: ignore[no-any-return]


def one_of(session: Session, column: ColumnElement[Any] | QueryableAttribute[Any],
           values: Collection[Any]) -> ColumnElement[bool]:
    """``column IN values`` for a long list of values (integers or strings).

    PostgreSQL gets ``column = ANY('{...}'::type[])``: the values as one array constant
    written into the statement, whatever the list's length. An ``IN`` of thousands of bound
    parameters cost more to render, parse and plan than to run, in the client as in the
    server (and psycopg's array dumper takes microseconds a value in Python). A constant, not
    a bound array: the planner knows its length, and a sequential scan tests it through a
    hash table; a bound array in a prepared statement's generic plan is compared value by
    value with every row (a table filled in the transaction, before its statistics knew it:
    minutes). SQLite gets the plain ``IN`` (keep its lists within its limit of parameters
    per statement)."""
    if session.get_bind().dialect.name == "postgresql":
        constant = bindparam(None, array_literal(values), type_=Text, literal_execute=True)
        return column == any_(cast(constant, ARRAY(column.type)))
    return column.in_(values)


def array_literal(values: Iterable[Any]) -> str:
    """PostgreSQL's text form of a one-dimensional array of integers or strings: ``{1,2}``,
    ``{"a","b \\"c\\""}`` (every string quoted, backslashes and quotes escaped)."""
    items = list(values)
    if all(type(v) is int for v in items):
        return "{" + ",".join(map(str, items)) + "}"
    if not all(isinstance(v, str) for v in items):
        raise TypeError("an array literal of integers or strings")
    return "{" + ",".join('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
                          for v in items) + "}"


def utcnow() -> dt.datetime:
    """The current time, timezone-aware UTC, at microsecond precision."""
    return dt.datetime.now(dt.UTC)


CommitDurability = Literal["disk", "process"]
"""What a returned commit survives (``JIKIMI_COMMIT_DURABILITY``), the same on both databases:

- ``disk`` (the default): a crash of the host too. SQLite syncs its WAL at every commit
  (``synchronous=FULL``); PostgreSQL flushes the WAL before a commit returns
  (``synchronous_commit=on``).
- ``process``: a crash or SIGKILL of jikimi, not of the host (or of PostgreSQL), which may
  lose the last fraction of a second of commits, never corrupt the database. SQLite
  ``synchronous=NORMAL`` in WAL mode; PostgreSQL ``synchronous_commit=off``.

An answered audited request's entry is committed either way (``core.audit_writer``)."""

SQLITE_SYNCHRONOUS: dict[str, str] = {"disk": "FULL", "process": "NORMAL"}
POSTGRES_SYNCHRONOUS_COMMIT: dict[str, str] = {"disk": "on", "process": "off"}


def postgres_options(durability: CommitDurability) -> str:
    """libpq ``options`` that give a PostgreSQL session the installation's durability."""
    return f"-c synchronous_commit={POSTGRES_SYNCHRONOUS_COMMIT[durability]}"


SQLITE_BUSY_SECONDS = 30
"""How long a SQLite writer waits for its turn before "database is locked"."""


def make_engine(url: str, durability: CommitDurability = "disk") -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a busy timeout; both databases
    commit with ``durability``."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={
            "timeout": SQLITE_BUSY_SECONDS, "check_same_thread": False,
            "factory": QueuedWriterConnection})
        synchronous = SQLITE_SYNCHRONOUS[durability]
        queue_path = writers_path(path)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy manage transactions, and take the write lock at BEGIN so that
            # read-then-write transactions (the audit chain) serialise instead of failing;
            # writers take turns for it (core.sqlite_writers) instead of polling.
            dbapi_conn.writers_path = queue_path
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA synchronous={synchronous}")
            cur.execute("PRAGMA secure_delete=ON")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            dbapi_conn = conn.connection.dbapi_connection
            try:
                dbapi_conn.take_turn(SQLITE_BUSY_SECONDS)
            except sqlite3.OperationalError as exc:  # as SQLite's own "database is locked"
                raise OperationalError("BEGIN IMMEDIATE", None, exc) from exc
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            except BaseException:
                dbapi_conn.end_turn()
                raise

        return engine
    return create_engine(url, pool_pre_ping=True,
                         connect_args={"options": postgres_options(durability)})


CONCURRENT_SQLSTATES = frozenset({
    "23505",  # unique_violation: a key another transaction committed meanwhile
    "40001",  # serialization_failure
    "40P01",  # deadlock_detected
    "55P03",  # lock_not_available
})
"""PostgreSQL's errors that mean another transaction got there first, not a fault of the
request (SQLite has one writer at a time: a unit there sees what the previous one wrote)."""


def concurrent_change(exc: BaseException) -> ConcurrentChange | None:
    """The :class:`ConcurrentChange` that ``exc`` means, if the database refused a unit of
    work because another changed the same records at the same moment; else None."""
    if not isinstance(exc, DBAPIError) or exc.orig is None:
        return None
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if sqlstate not in CONCURRENT_SQLSTATES:
        return None
    return ConcurrentChange("someone else changed this at the same moment and nothing of "
                            "this request was kept; reload and try again")


def make_read_engine(url: str, *, pool_size: int = 5) -> Engine:
    """An engine for reads that must not queue behind writers. On SQLite a read-only
    connection (``query_only``) that never takes the write lock (the engine of
    :func:`make_engine` begins IMMEDIATE) and whose statements each read what is committed;
    on PostgreSQL a pool of its own in autocommit (a read sends its statements only, each
    seeing what is committed when it runs)."""
    if not url.startswith("sqlite"):
        return create_engine(url, pool_size=pool_size, max_overflow=pool_size,
                             pool_pre_ping=True, isolation_level="AUTOCOMMIT")
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _read_only(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA query_only=ON")
        cur.close()

    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work commits on success and rolls back on any error."""
    with factory() as session, session.begin():
        yield session


def _alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade_database(url: str, revision: str = "head") -> None:
    """Apply migrations up to ``revision`` (the schema is the migrations)."""
    command.upgrade(_alembic_config(url), revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
