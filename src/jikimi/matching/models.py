"""Tables of hash banks and their entries. The database is the source of truth; the in-memory
indexes are derived from it and kept in step incrementally (``matching.matcher``)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    ColumnElement,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from jikimi.core.database import Base, UtcDateTime, utcnow


class Bank(Base):
    """A named collection of fingerprints with an owner and a purpose."""

    __tablename__ = "banks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    owner_kind: Mapped[str] = mapped_column(String(20))  # case | centre | partner | import
    # The case whose victim's fingerprints these are (set by the case layer, which checks
    # access); matching never reads the cases table itself.
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), nullable=True,
                                                index=True)
    case_code: Mapped[str | None] = mapped_column(String(20), nullable=True)
    # The owning centre (NOT NULL): a case bank's is its case's centre. A national bank (never
    # a case bank) is readable by every centre's analysts (jikimi.core.authorization).
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"), index=True)
    national: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    purpose: Mapped[str] = mapped_column(String(200), default="")
    negative: Mapped[bool] = mapped_column(Boolean, default=False)
    pdq_threshold: Mapped[int] = mapped_column(Integer, default=31)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(120))


class BankEntry(Base):
    """One fingerprint in a bank. Removal is a timestamp, so partner feeds can send deltas."""

    __tablename__ = "bank_entries"
    __table_args__ = (Index("ix_bank_entries_signal_value", "signal_type", "value_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id"), index=True)
    signal_type: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(Text)
    # A short key of the value for lookups (the value itself for hashes, a digest for vPDQ).
    value_key: Mapped[str] = mapped_column(String(64))
    quality: Mapped[int | None] = mapped_column(Integer, nullable=True)
    variant: Mapped[str] = mapped_column(String(30), default="original")
    content_id: Mapped[str] = mapped_column(String(64), index=True)
    # Labels are private (a victim names her own pictures): stored encrypted in ``label_enc``;
    # ``label`` only holds legacy plaintext until ``jikimi db upgrade`` seals it.
    label: Mapped[str] = mapped_column(String(200), default="")
    label_enc: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(120))
    removed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True,
                                                          index=True)


class BankChange(Base):
    """An append-only log of entry additions and removals: the indexes follow it by sequence."""

    __tablename__ = "bank_changes"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("bank_entries.id"), index=True)
    op: Mapped[str] = mapped_column(String(10))  # add | remove
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)


def of_bank_found_by_another_index(bank_id: int) -> ColumnElement[bool]:
    """"In this bank", for a query that finds its rows through another index (a list of ids,
    values or content ids). Written so that SQLite cannot walk the bank's ``bank_id`` index
    instead: without statistics it preferred that equality to thousands of seeks, and read
    every row of the bank for each chunk (a second 1M import into a 1M bank: 340 s instead
    of 90 s, quadratic in the bank's size)."""
    return (BankEntry.bank_id + 0) == bank_id
