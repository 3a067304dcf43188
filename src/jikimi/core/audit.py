"""The hash-chained audit log.

Every read and write of case data appends one entry. Each entry's hash covers its content and
the previous entry's hash, keyed with a secret from the key file (HMAC-SHA256), and a single
head row records the last sequence number and hash. So editing, deleting (anywhere, including
the last entries) or reordering entries is detected by :func:`verify_chain`, and someone with
only the database cannot forge a consistent chain.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    Integer,
    String,
    Table,
    Text,
    event,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, SessionTransaction, mapped_column

from jikimi.core.actors import Actor
from jikimi.core.database import Base, UtcDateTime, utcnow

GENESIS_HASH = "0" * 64


class AuditEntry(Base):
    __tablename__ = "audit_entries"

    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                     primary_key=True, autoincrement=False)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(80), index=True)
    record_type: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[str] = mapped_column(String(80), index=True)
    centre_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    details: Mapped[str] = mapped_column(Text, default="{}")
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """One row: the last sequence number and hash, so truncation is detected too."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    last_hash: Mapped[str] = mapped_column(String(64))


def audit_key(signing_secret: bytes) -> bytes:
    return hmac.new(signing_secret, b"jikimi audit chain v1", hashlib.sha256).digest()


def _entry_digest(key: bytes, entry: AuditEntry) -> str:
    return _digest(key, entry.seq, entry.at, entry.actor, entry.action, entry.record_type,
                   entry.record_id, entry.centre_id, entry.details, entry.prev_hash)


def _digest(key: bytes, seq: int, at: dt.datetime, actor: str, action: str, record_type: str,
            record_id: str, centre_id: int | None, details: str, prev_hash: str) -> str:
    """An entry's keyed hash: HMAC-SHA256 of its canonical JSON (the one definition, for
    appending and for :func:`verify_chain`)."""
    canonical = json.dumps(
        {
            "seq": seq,
            "at": at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
            "actor": actor,
            "action": action,
            "record_type": record_type,
            "record_id": record_id,
            "centre_id": centre_id,
            "details": details,
            "prev_hash": prev_hash,
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hmac.new(key, canonical.encode("utf-8"), hashlib.sha256).hexdigest()


_PENDING = "jikimi.audit.pending"
_SAVEPOINT_MARKS = "jikimi.audit.savepoint_marks"
_WRITING = "jikimi.audit.writing"


def defer_entry(session: Session, key: bytes, fields: dict[str, Any]) -> None:
    """Record one entry to be appended when
    ``session``'s transaction commits, in the order recorded; dropped with a rollback (and
    with the savepoint it was recorded in, when that savepoint rolls back). ``fields`` are
    the entry's ``actor`` (an :class:`Actor`), ``action``, ``record_type``, ``record_id``
    and optional ``centre_id`` and ``details`` (never victims' contact data or note text:
    only ids, fields and codes).

    The chain's head row is locked only by the commit's last step, not from the first
    audited action to the commit: a long transaction (an import of a million hashes with the
    feed's bookkeeping) no longer holds every other writer of the audit log, among them the
    partner lookups' audit group, for its whole length. The chain, the entries (stamped when
    appended, so time follows the sequence) and their atomicity with the change they record
    are unchanged."""
    if session.info.get(_WRITING):  # a later commit step audits: the head is held already
        append_entries(session, key, [fields])
        return
    session.info.setdefault(_PENDING, []).append((key, fields))


def write_deferred(session: Session) -> list[int]:
    """Append the entries recorded with :func:`defer_entry` now (the commit does it; returns
    their sequence numbers)."""
    pending: list[tuple[bytes, dict[str, Any]]] = session.info.pop(_PENDING, [])
    seqs: list[int] = []
    start = 0
    while start < len(pending):
        key = pending[start][0]
        end = start
        while end < len(pending) and pending[end][0] == key:
            end += 1
        seqs.extend(append_entries(session, key, [fields for _, fields in pending[start:end]]))
        start = end
    return seqs


@event.listens_for(Session, "before_commit")
def _append_deferred_at_commit(session: Session) -> None:
    """The root commit appends the deferred entries (a savepoint's release keeps them
    pending). Other steps of the commit should run before this one (``insert=True``); an
    entry recorded by a step after it is appended at once."""
    if session.in_nested_transaction():
        return
    session.info[_WRITING] = True
    write_deferred(session)


@event.listens_for(Session, "after_transaction_create")
def _mark_savepoint(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested:
        session.info.setdefault(_SAVEPOINT_MARKS, {})[transaction] = len(
            session.info.get(_PENDING, ()))


@event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(session: Session, previous: SessionTransaction) -> None:
    if previous.nested:  # the entries recorded since the savepoint began go with it
        mark = session.info.get(_SAVEPOINT_MARKS, {}).pop(previous, None)
        if mark is not None and _PENDING in session.info:
            del session.info[_PENDING][mark:]


@event.listens_for(Session, "after_transaction_end")
def _forget_at_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # committed (written) or rolled back (dropped)
        for name in (_PENDING, _SAVEPOINT_MARKS, _WRITING):
            session.info.pop(name, None)


_AUDIT_ENTRIES: Table = AuditEntry.__table__  # type: ignore[assignment]
_AUDIT_HEAD: Table = AuditHead.__table__  # type: ignore[assignment]
_READ_HEAD = (select(AuditHead.last_seq, AuditHead.last_hash).where(AuditHead.id == 1)
              .with_for_update())
_INSERT_ENTRIES = insert(_AUDIT_ENTRIES)
_MOVE_HEAD = update(_AUDIT_HEAD).where(_AUDIT_HEAD.c.id == 1)


def append_entries(session: Session | Connection, key: bytes,
                   entries: Sequence[dict[str, Any]]) -> list[int]:
    """Append several entries (each the fields of :func:`defer_entry`) inside
    the caller's transaction: the head locked and read once, the rows inserted in one
    statement (plain columns, no ORM objects), each still chained to the one before it with
    its own keyed hash. Returns their sequence numbers."""
    conn = session.connection() if isinstance(session, Session) else session
    head = conn.execute(_READ_HEAD).one_or_none()
    if head is None:
        conn.execute(insert(_AUDIT_HEAD).values(id=1, last_seq=0, last_hash=GENESIS_HASH))
        last_seq, last_hash = 0, GENESIS_HASH
    else:
        last_seq, last_hash = head.last_seq, head.last_hash
    rows = chain_rows(key, last_seq, last_hash, entries)
    if rows:
        conn.execute(_INSERT_ENTRIES, rows)
        conn.execute(_MOVE_HEAD, {"last_seq": rows[-1]["seq"],
                                  "last_hash": rows[-1]["entry_hash"]})
    return [int(row["seq"]) for row in rows]


def chain_rows(key: bytes, last_seq: int, last_hash: str,
               entries: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows of ``entries`` (each the fields of :func:`defer_entry`) chained
    after the entry ``last_seq`` whose hash is ``last_hash``: the columns of
    ``audit_entries``, each row keyed by :func:`_digest` over its content and the hash of
    the row before it. The caller writes them, and moves the head to the last one, in one
    transaction that holds (or checks) the head at ``last_seq``."""
    rows: list[dict[str, Any]] = []
    for fields in entries:
        actor: Actor = fields["actor"]
        seq, at, record_id = last_seq + 1, utcnow(), str(fields["record_id"])
        centre_id = fields.get("centre_id")
        details = json.dumps(fields.get("details") or {}, sort_keys=True, ensure_ascii=False,
                             default=str)
        entry_hash = _digest(key, seq, at, actor.ref, fields["action"], fields["record_type"],
                             record_id, centre_id, details, last_hash)
        rows.append({"seq": seq, "at": at, "actor": actor.ref, "action": fields["action"],
                     "record_type": fields["record_type"], "record_id": record_id,
                     "centre_id": centre_id, "details": details, "prev_hash": last_hash,
                     "entry_hash": entry_hash})
        last_seq, last_hash = seq, entry_hash
    return rows


@dataclass(frozen=True)
class ChainProblem:
    """The first entry at which the chain breaks, and why."""

    seq: int
    reason: str


@dataclass(frozen=True)
class ChainReport:
    entries: int
    problem: ChainProblem | None

    @property
    def ok(self) -> bool:
        return self.problem is None


def _iter_entries(session: Session, batch: int = 2000) -> Iterator[AuditEntry]:
    last = 0
    while True:
        rows = session.execute(
            select(AuditEntry).where(AuditEntry.seq > last).order_by(AuditEntry.seq).limit(batch)
        ).scalars().all()
        if not rows:
            return
        yield from rows
        last = rows[-1].seq
        session.expunge_all()


def verify_chain(session: Session, key: bytes) -> ChainReport:
    """Walk the chain from the start; report the first edited, missing or moved entry."""
    expected_seq = 1
    expected_prev = GENESIS_HASH
    count = 0
    for entry in _iter_entries(session):
        count += 1
        if entry.seq != expected_seq:
            return ChainReport(count, ChainProblem(
                expected_seq, f"entry {expected_seq} is missing (next stored entry is {entry.seq})"
            ))
        if entry.prev_hash != expected_prev:
            return ChainReport(count, ChainProblem(
                entry.seq,
                f"entry {entry.seq} does not follow entry {entry.seq - 1} "
                "(entries were deleted, reordered or edited)",
            ))
        if not hmac.compare_digest(_entry_digest(key, entry), entry.entry_hash):
            return ChainReport(count, ChainProblem(
                entry.seq, f"entry {entry.seq} was altered (its hash does not match its content)"
            ))
        expected_prev = entry.entry_hash
        expected_seq += 1
    head = session.get(AuditHead, 1)
    last_seq = expected_seq - 1
    if head is None:
        if count:
            return ChainReport(count, ChainProblem(1, "the chain head record is missing"))
        return ChainReport(0, None)
    if head.last_seq != last_seq or head.last_hash != expected_prev:
        return ChainReport(count, ChainProblem(
            last_seq + 1,
            f"entries after {last_seq} are missing (the head says the log ends at "
            f"entry {head.last_seq})",
        ))
    return ChainReport(count, None)
