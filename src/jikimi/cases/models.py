"""Tables of cases, their assignments, counselling notes, consents and timeline events."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from jikimi.core.database import Base, UtcDateTime, utcnow


class CaseCodeCounter(Base):
    """The last number handed out per year, for codes like DSC-2026-000123."""

    __tablename__ = "case_code_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer)


class Case(Base):
    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    intake_channel: Mapped[str] = mapped_column(String(20))
    intake_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    intake_by: Mapped[str] = mapped_column(String(120))
    minor: Mapped[bool] = mapped_column(Boolean, default=False)
    # Name, phone and e-mail as one AES-GCM blob bound to the case code; never plaintext.
    contact_enc: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    victim_secret_hash: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    erased_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class CaseAssignment(Base):
    __tablename__ = "case_assignments"
    __table_args__ = (UniqueConstraint("case_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"), index=True)
    assigned_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    assigned_by: Mapped[str] = mapped_column(String(120))


class CounsellingNote(Base):
    """A counselling note; the text is encrypted at rest like contact data."""

    __tablename__ = "counselling_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    body_enc: Mapped[bytes] = mapped_column(LargeBinary)


class ConsentRecord(Base):
    """One grant of consent for one purpose, and its withdrawal if any."""

    __tablename__ = "consent_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(30))
    granted_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    granted_by: Mapped[str] = mapped_column(String(120))
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    withdrawn_by: Mapped[str | None] = mapped_column(String(120), nullable=True)


class CaseEvent(Base):
    """The case timeline: what happened, when, by whom (never note text or contact data)."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    actor: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(40))
    data: Mapped[str] = mapped_column(Text, default="{}")
