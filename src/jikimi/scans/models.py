"""Tables of sources, scans, the items scans find (with versions) and their matches.

Media bytes are never stored: an item keeps its locator, context and fingerprints.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from jikimi.core.database import Base, UtcDateTime, utcnow


class SourceRecord(Base):
    """A place content appears, with the configuration of its source type."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"), index=True)
    """The owning centre; scans, scan items, items and their versions belong to it through
    their (NOT NULL) source."""
    type: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    config: Mapped[str] = mapped_column(Text)
    interval_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    next_run_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(120))


class Scan(Base):
    """One run over a source. Resumable: its items are rows, processed at most once."""

    __tablename__ = "scans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    runner: Mapped[str] = mapped_column(String(20), default="local")
    enumerated: Mapped[bool] = mapped_column(Boolean, default=False)
    started_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    started_by: Mapped[str] = mapped_column(String(120))
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    claim_token: Mapped[str | None] = mapped_column(String(64), nullable=True)
    """The claim of the one runner of this scan (a process that renews ``heartbeat_at``);
    NULL when no runner holds it."""
    claimed_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    """Which process runs (or last ran) the scan: ``host:pid:start``."""


class ScanItem(Base):
    """An item a scan must process; (scan, key) is the idempotency key."""

    __tablename__ = "scan_items"
    __table_args__ = (UniqueConstraint("scan_id", "item_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scan_id: Mapped[int] = mapped_column(ForeignKey("scans.id"), index=True)
    item_key: Mapped[str] = mapped_column(String(2000))
    locator: Mapped[str] = mapped_column(Text)
    kind_hint: Mapped[str | None] = mapped_column(String(10), nullable=True)
    context: Mapped[str] = mapped_column(Text, default="{}")
    status: Mapped[str] = mapped_column(String(10), index=True)  # pending | done | error
    error_code: Mapped[str | None] = mapped_column(String(40), nullable=True)
    error_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    item_version_id: Mapped[int | None] = mapped_column(ForeignKey("item_versions.id"),
                                                        nullable=True)
    processed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class Item(Base):
    """Something found at a place (a URL, a message's file, an archive entry), across scans."""

    __tablename__ = "items"
    __table_args__ = (UniqueConstraint("source_id", "item_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"), index=True)
    item_key: Mapped[str] = mapped_column(String(2000))
    locator: Mapped[str] = mapped_column(Text)
    context: Mapped[str] = mapped_column(Text, default="{}")
    first_seen: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    last_seen: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    current_version_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class ItemVersion(Base):
    """One content of an item: a new version when the same place holds new content."""

    __tablename__ = "item_versions"
    __table_args__ = (UniqueConstraint("item_id", "sha256"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    fingerprints: Mapped[str] = mapped_column(Text)
    first_seen: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    last_seen: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)


class ItemMatch(Base):
    """A match between an item version and a bank entry (once per pair)."""

    __tablename__ = "item_matches"
    __table_args__ = (UniqueConstraint("item_version_id", "entry_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_version_id: Mapped[int] = mapped_column(ForeignKey("item_versions.id"), index=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("bank_entries.id"), index=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id"), index=True)
    case_code: Mapped[str | None] = mapped_column(String(20), nullable=True, index=True)
    signal_type: Mapped[str] = mapped_column(String(20))
    distance: Mapped[int] = mapped_column(Integer)
    variant: Mapped[str] = mapped_column(String(30))
    entry_variant: Mapped[str] = mapped_column(String(30))
    reliable: Mapped[bool] = mapped_column(Boolean, default=True)
    scan_id: Mapped[int | None] = mapped_column(ForeignKey("scans.id"), nullable=True)
    # The owning centre: the matched case bank's centre (whatever source found it), else the
    # finding source's centre. Review decisions follow their match.
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
