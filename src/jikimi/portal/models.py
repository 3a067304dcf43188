"""The portal's one table: the victim's optional notes on her registered items.

A note is hers: stored encrypted (AES-GCM through ``runtime.keys``, bound to the case code and
the item), shown back to her on her status page, and deleted when her case is erased.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from jikimi.core.database import Base, UtcDateTime, utcnow


class VictimNote(Base):
    """The victim's note on one registered item (its content id, the file's SHA-256)."""

    __tablename__ = "portal_victim_notes"
    __table_args__ = (UniqueConstraint("case_id", "content_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    content_id: Mapped[str] = mapped_column(String(64))
    note_enc: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
