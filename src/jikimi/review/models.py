"""Review decisions on matches: one row per match once a human (or quarantine) has acted."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from jikimi.core.database import Base, UtcDateTime, utcnow


class ReviewDecision(Base):
    __tablename__ = "review_decisions"

    match_id: Mapped[int] = mapped_column(ForeignKey("item_matches.id"), primary_key=True,
                                          autoincrement=False)
    status: Mapped[str] = mapped_column(String(20), index=True)
    assigned_to: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
