"""Tables of jikimi.partners: partner platforms and their keys, the shared hash feed (items,
an append-only change log, the StopNCII-shaped aggregate per hash), partners' feedback, and
inbound subscriptions of banks to other exchanges.

Nothing here names a victim: a feed item carries an opaque random token; the link from an item
to its case (``case_id``) never leaves the server.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from jikimi.core.database import Base, UtcDateTime, utcnow


class Partner(Base):
    """A platform that receives the hash feed and reports back."""

    __tablename__ = "partners"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    contact: Mapped[str] = mapped_column(String(254), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(120))
    disabled_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    # When the partner first pulled the feed: removals older than that are never sent to it.
    first_fetch_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class PartnerKey(Base):
    """An API key of a partner: only a keyed digest of the secret is stored."""

    __tablename__ = "partner_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    key_id: Mapped[str] = mapped_column(String(16), unique=True)
    secret_digest: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[str] = mapped_column(String(100))
    rate_per_minute: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(120))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class FeedItem(Base):
    """One shared fingerprint: a bank entry of a case that consented to sharing."""

    __tablename__ = "partner_feed_items"
    __table_args__ = (Index("ix_partner_feed_items_signal_value", "signal_type", "value_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(32), unique=True)
    bank_entry_id: Mapped[int] = mapped_column(ForeignKey("bank_entries.id"), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    signal_type: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(Text)
    value_key: Mapped[str] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(20))
    media: Mapped[str] = mapped_column(String(10))  # image | video
    active: Mapped[bool] = mapped_column(Boolean, index=True)
    added_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    removed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class FeedChange(Base):
    """The append-only log of the feed: what jikimi's own feed pages over."""

    __tablename__ = "partner_feed_changes"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("partner_feed_items.id"), index=True)
    op: Mapped[str] = mapped_column(String(10))  # add | remove
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)


class HashRecord(Base):
    """The feed in the StopNCII shape: one record per (StopNCII signal type, hash value),
    Active while any of its items is, re-versioned on every change (FetchHashes pages by
    version)."""

    __tablename__ = "partner_hash_records"
    __table_args__ = (UniqueConstraint("signal_type", "value"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    signal_type: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(12))  # Active | Deleted
    modified_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), index=True)
    version: Mapped[int] = mapped_column(Integer, index=True)


class FeedState(Base):
    """One row: how far the feed has followed the bank change log."""

    __tablename__ = "partner_feed_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_bank_seq: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=0)


class SharedCase(Base):
    """A case whose sharing consent the feed has applied (its entries are feed items)."""

    __tablename__ = "partner_shared_cases"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True,
                                         autoincrement=False)
    since: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)


class PartnerFeedback(Base):
    """A partner's report on a shared fingerprint: a match and the action taken."""

    __tablename__ = "partner_feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("partner_feed_items.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    action: Mapped[str] = mapped_column(String(20))
    partner_content_id: Mapped[str] = mapped_column(String(200), default="")
    seen_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    received_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow, index=True)
    via: Mapped[str] = mapped_column(String(12))  # jikimi | stopncii
    tags: Mapped[str] = mapped_column(String(200), default="")


class Subscription(Base):
    """A bank fed from an external exchange (python-threatexchange's SignalExchangeAPI)."""

    __tablename__ = "partner_subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id"), index=True)
    exchange: Mapped[str] = mapped_column(String(40))
    config: Mapped[str] = mapped_column(Text)  # JSON of the collaboration's fields
    credentials_enc: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    checkpoint: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON
    last_fetch_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
    fetched_records: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(120))
