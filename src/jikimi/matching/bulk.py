"""Writing many bank entries at once: the mechanics behind :func:`matching.add_entries`.

The rules (who may add, how a value is checked, which duplicates are skipped, the audit
entry, the change log the indexes follow) stay in ``service.add_entries``; this module only
makes the writes set-based, so an import of a million hashes is a handful of statements per
batch instead of a million ORM objects:

- ids are drawn up front (PostgreSQL: the table's sequence, in one statement; SQLite: after
  the largest id, inside its serialised write transaction), so entries and their change-log
  records are written without reading anything back;
- PostgreSQL receives the rows with ``COPY ... FROM STDIN`` (psycopg 3), SQLite with one
  prepared ``INSERT`` executed for many rows;
- the change log gets one ``add`` record per entry (what every follower already reads), written
  the same way, in the same transaction.

A commit that wrote any of this sets :data:`BULK_BANK_CHANGES` in ``session.info`` (and the
follower's flag), because Core statements and ``COPY`` do not pass through the ORM's events
that notice bank changes.
"""

from __future__ import annotations

import datetime as dt
import logging
import operator
from collections.abc import Callable, Sequence
from typing import Any, cast

from sqlalchemy import Engine, Table, event, func, insert, select, text
from sqlalchemy.orm import Session

from jikimi.matching.follower import FOLLOWED
from jikimi.matching.models import BankChange, BankEntry

log = logging.getLogger("jikimi.bulk")

BULK_BANK_CHANGES = "jikimi.matching.bulk_bank_changes"
"""``session.info`` flag: this transaction wrote bank entries and change-log records in bulk."""
BATCH = 20_000
"""Rows per statement (and per progress step)."""
ANALYZE_AFTER_ROWS = 20_000
"""PostgreSQL: rows a transaction adds to a table before it refreshes the table's statistics."""
_GROWN = "jikimi.matching.bulk_grown"
_CHECKPOINT = "jikimi.matching.bulk_checkpoint"
SQLITE_BULK_CACHE_KIB = 262_144
"""SQLite page cache for a big write (256 MiB; the default is 2 MiB)."""

ENTRY_COLUMNS = ("id", "bank_id", "signal_type", "value", "value_key", "quality", "variant",
                 "content_id", "label", "label_enc", "created_at", "created_by")

_ENTRIES = cast(Table, BankEntry.__table__)
ENTRIES = _ENTRIES
_CHANGES = cast(Table, BankChange.__table__)

Progress = Callable[[int], None]
"""Called with the number of rows just written."""


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def allocate_ids(session: Session, table: Table, count: int) -> list[int]:
    """``count`` fresh primary keys of ``table`` (an integer ``id``) that no other writer can
    take: PostgreSQL draws them from the table's sequence in one statement; SQLite continues
    after the largest id (its writers are serialised: ``BEGIN IMMEDIATE``)."""
    if count <= 0:
        return []
    if _is_postgres(session):
        return list(session.scalars(text(
            "SELECT nextval(pg_get_serial_sequence(:table, 'id')) "
            "FROM generate_series(1, :n)"), {"table": table.name, "n": count}))
    start = (session.scalar(select(func.max(table.c.id))) or 0) + 1
    return list(range(start, start + count))


def allocate_entry_ids(session: Session, count: int) -> list[int]:
    """``count`` fresh ids for bank entries."""
    return allocate_ids(session, _ENTRIES, count)


def insert_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]],
                progress: Progress | None = None) -> None:
    """Write rows (dicts with the same keys) to ``table`` in batches: ``COPY`` on PostgreSQL,
    one prepared ``INSERT`` executed for many rows on SQLite (with a larger page cache for
    big writes: their indexes are updated at random places)."""
    if not rows:
        return
    session.flush()
    postgres = _is_postgres(session)
    columns = list(rows[0])
    # a row's values in column order, as a tuple (itemgetter of one key gives the bare value)
    values_of: Callable[[dict[str, Any]], tuple[Any, ...]] = (
        operator.itemgetter(*columns) if len(columns) > 1 else lambda row: (row[columns[0]],))
    if not postgres and len(rows) >= 50_000:
        session.execute(text(f"PRAGMA cache_size = -{SQLITE_BULK_CACHE_KIB}"))
    if not postgres and len(rows) >= BATCH:
        session.info[_CHECKPOINT] = True
    for start in range(0, len(rows), BATCH):
        batch = rows[start:start + BATCH]
        if postgres:
            _copy(session, table.name, columns, list(map(values_of, batch)))
        else:
            _executemany(session, table, columns, batch)
        if progress is not None:
            progress(len(batch))
    if postgres:
        _analyze_when_grown(session, table, len(rows))


def refresh_statistics(session: Session, table: Table) -> None:
    """``ANALYZE`` a table on PostgreSQL (nothing on SQLite), in the current transaction."""
    if _is_postgres(session):
        quoted = session.get_bind().dialect.identifier_preparer.quote(table.name)
        session.execute(text(f"ANALYZE {quoted}"))


def _analyze_when_grown(session: Session, table: Table, added: int) -> None:
    """Refresh PostgreSQL's statistics of a table this transaction grew a lot. Without them
    the planner takes a table filled in this transaction for empty and answers the next
    ``IN`` lookups (duplicates, feed items, StopNCII records) by scanning it: quadratic in an
    import. ``ANALYZE`` in the transaction counts its own new rows; it runs each time the
    table has at least doubled here (a few times per import, not per batch)."""
    grown: dict[str, list[int]] = session.info.setdefault(_GROWN, {})
    since, analysed = grown.setdefault(table.name, [0, 0])
    since += added
    if since >= ANALYZE_AFTER_ROWS and since >= analysed:
        refresh_statistics(session, table)
        grown[table.name] = [0, analysed + since]
    else:
        grown[table.name] = [since, analysed]


@event.listens_for(Session, "after_commit")
def _checkpoint_after_bulk(session: Session) -> None:
    """SQLite: after a bulk write commits, fold its write-ahead log into the database file
    now, in the writer's process (waiting for readers to move on, within the busy timeout).
    Otherwise the next small commit (a lookup's audit entry) may be the one that copies
    the import's hundreds of megabytes."""
    if not session.info.pop(_CHECKPOINT, False):
        return
    bind = session.get_bind()
    raw: Any = (bind if isinstance(bind, Engine) else bind.engine).raw_connection()
    try:
        raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    except Exception:  # a checkpoint left for later is not an error
        log.warning("checkpoint after a bulk write failed", exc_info=True)
    finally:
        raw.close()


@event.listens_for(Session, "after_rollback")
def _no_checkpoint(session: Session) -> None:
    session.info.pop(_CHECKPOINT, None)


def _executemany(session: Session, table: Table, columns: Sequence[str],
                 rows: Sequence[dict[str, Any]]) -> None:
    """One prepared INSERT for many rows on the session's own DBAPI connection (SQLite),
    each value converted by its column's type as SQLAlchemy would (timestamps, booleans;
    values repeat across rows, so each distinct one is converted once)."""
    dialect = session.get_bind().dialect
    processors = {}
    for number, column in enumerate(columns):
        processor = table.c[column].type.dialect_impl(dialect).bind_processor(dialect)
        if processor is not None:
            processors[number] = processor
    converted: dict[tuple[int, Any], Any] = {}

    def convert(number: int, value: Any) -> Any:
        key = (number, value)
        if key not in converted:
            converted[key] = processors[number](value)
        return converted[key]

    tuples = []
    for row in rows:
        values = [row[c] for c in columns]
        for number in processors:
            values[number] = convert(number, values[number])
        tuples.append(values)
    statement = str(insert(table).compile(dialect=dialect, column_keys=list(columns)))
    raw: Any = session.connection().connection.driver_connection
    cursor = raw.cursor()
    try:
        cursor.executemany(statement, tuples)
    finally:
        cursor.close()


def _copy(session: Session, table: str, columns: Sequence[str],
          rows: Sequence[Sequence[Any]]) -> None:
    raw: Any = session.connection().connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(
            f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def insert_entries(session: Session, rows: Sequence[dict[str, Any]],
                   progress: Progress | None = None) -> None:
    """Write entry rows (dicts with every column of :data:`ENTRY_COLUMNS`, ids included)."""
    insert_rows(session, _ENTRIES, [{c: row[c] for c in ENTRY_COLUMNS} for row in rows],
                progress)
    if rows:
        session.info[FOLLOWED] = True


def log_additions(session: Session, entry_ids: Sequence[int], at: dt.datetime) -> None:
    """One ``add`` change-log record per entry, in id order (the caller holds the log's
    ordering lock: ``service.lock_change_log``)."""
    if not entry_ids:
        return
    insert_rows(session, _CHANGES, [{"entry_id": entry_id, "op": "add", "at": at}
                                    for entry_id in sorted(entry_ids)])
    session.info[BULK_BANK_CHANGES] = True
    session.info[FOLLOWED] = True
