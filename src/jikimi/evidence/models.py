"""Tables of jikimi.evidence: captured items and their chain of custody.

The captured bytes (a WARC file) are not in the database: they are sealed with a key of their
own (AES-256-GCM) in a file under the data directory, and that key is stored here wrapped by
the installation's master key. Destroying an item deletes the file and the wrapped key, so a
copy of the file in an old backup is unreadable too.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from jikimi.core.database import Base, UtcDateTime, utcnow


class EvidenceItem(Base):
    """One capture of a URL (a page with its media, or a media file) for a case."""

    __tablename__ = "evidence_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True)
    """Random name of the sealed file and part of its authenticated data."""
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    case_code: Mapped[str] = mapped_column(String(20), index=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    """What the URL served: ``page``, ``image``, ``video`` or ``file``."""
    match_id: Mapped[int | None] = mapped_column(ForeignKey("item_matches.id"), nullable=True)
    requested_url: Mapped[str] = mapped_column(Text)
    final_url: Mapped[str] = mapped_column(Text)
    redirects: Mapped[str] = mapped_column(Text, default="[]")
    http_status: Mapped[int] = mapped_column(Integer)
    headers: Mapped[str] = mapped_column(Text, default="{}")
    content_type: Mapped[str] = mapped_column(String(200), default="")
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    md5: Mapped[str] = mapped_column(String(32))
    pdq: Mapped[str | None] = mapped_column(String(64), nullable=True)
    pdq_quality: Mapped[int | None] = mapped_column(Integer, nullable=True)
    tls_fingerprint: Mapped[str | None] = mapped_column(String(64), nullable=True)
    tls: Mapped[str] = mapped_column(Text, default="{}")
    page_title: Mapped[str] = mapped_column(Text, default="")
    resources: Mapped[str] = mapped_column(Text, default="[]")
    """JSON list of the media (and page resources) captured with it, with their hashes."""
    screenshot_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    warc_name: Mapped[str] = mapped_column(String(120))
    warc_sha256: Mapped[str] = mapped_column(String(64))
    warc_size: Mapped[int] = mapped_column(Integer)
    wrapped_key: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    captured_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    captured_by: Mapped[str] = mapped_column(String(120))
    captured_by_name: Mapped[str] = mapped_column(String(254), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="held", index=True)
    destroyed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class CustodyEvent(Base):
    """One link of an item's chain of custody: who did what to it, when and why."""

    __tablename__ = "evidence_custody_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("evidence_items.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    actor: Mapped[str] = mapped_column(String(120))
    actor_name: Mapped[str] = mapped_column(String(254), default="")
    action: Mapped[str] = mapped_column(String(30))
    reason: Mapped[str] = mapped_column(Text, default="")
    via: Mapped[str] = mapped_column(String(20), default="")
    """``api``, ``web``, ``cli``, ``service`` or the capability calling in (``investigation``)."""
    details: Mapped[str] = mapped_column(Text, default="{}")
