"""Tables of takedown requests, their URLs, the e-mail outbox, re-checks, directory overrides
and the status history.

A request groups the URLs of one case on one platform. While it is a draft it carries a
``draft_key`` (centre, case, platform), unique, so that concurrent confirmations add to the
same draft instead of opening two; sending clears it. The notice is rendered at send time and
kept verbatim (subject, body, language), like the e-mail bytes in the outbox, whose
Message-ID is fixed when the message is composed.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from jikimi.core.database import Base, UtcDateTime, utcnow


class TakedownRequest(Base):
    """A request to one platform to remove URLs of one case (centre-scoped)."""

    __tablename__ = "takedown_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"), index=True)
    case_code: Mapped[str | None] = mapped_column(String(20), nullable=True, index=True)
    # A directory id ("tumblr") or "site:<host>" for a site the directory does not list.
    platform_id: Mapped[str] = mapped_column(String(300), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    draft_key: Mapped[str | None] = mapped_column(String(400), unique=True, nullable=True)
    reupload: Mapped[bool] = mapped_column(Boolean, default=False)
    reupload_of: Mapped[int | None] = mapped_column(Integer, nullable=True)
    minor: Mapped[bool] = mapped_column(Boolean, default=False)
    categories: Mapped[str] = mapped_column(Text, default="[]")
    channel: Mapped[str | None] = mapped_column(String(20), nullable=True)
    channel_address: Mapped[str | None] = mapped_column(Text, nullable=True)
    language: Mapped[str | None] = mapped_column(String(20), nullable=True)
    legal_basis: Mapped[str] = mapped_column(Text, default="[]")
    notice_subject: Mapped[str | None] = mapped_column(Text, nullable=True)
    notice_body: Mapped[str | None] = mapped_column(Text, nullable=True)
    notice_warnings: Mapped[str] = mapped_column(Text, default="[]")
    prepared_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    prepared_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    # The officer's edits of the prepared notice, and her approval (e-mail queued, or the
    # notice released for the web form).
    edited_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    edited_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    approved_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    approved_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    sent_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    deadline: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True,
                                                         index=True)
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    removed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    escalated_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    escalation_subject: Mapped[str | None] = mapped_column(Text, nullable=True)
    escalation_body: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_verified_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(120))
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)


class TakedownItem(Base):
    """One URL of a request, with the fingerprints the notice states and its removal state."""

    __tablename__ = "takedown_items"
    __table_args__ = (UniqueConstraint("request_id", "url"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("takedown_requests.id"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"), nullable=True,
                                                index=True)
    item_version_id: Mapped[int | None] = mapped_column(ForeignKey("item_versions.id"),
                                                        nullable=True)
    match_id: Mapped[int | None] = mapped_column(ForeignKey("item_matches.id"), nullable=True,
                                                 index=True)
    entry_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    fingerprints: Mapped[str] = mapped_column(Text, default="[]")
    reupload: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(20), default="open")  # open | removed
    removed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    last_outcome: Mapped[str | None] = mapped_column(String(20), nullable=True)
    last_checked_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    added_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)


class OutboxMessage(Base):
    """One e-mail, composed once (Message-ID and bytes fixed), sent by a dispatcher."""

    __tablename__ = "takedown_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("takedown_requests.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))  # notice | escalation
    message_id: Mapped[str] = mapped_column(String(300), unique=True)
    sender: Mapped[str] = mapped_column(String(254))
    recipients: Mapped[str] = mapped_column(Text)  # JSON list
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(20), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    claim_token: Mapped[str | None] = mapped_column(String(64), nullable=True)
    claimed_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    lease_until: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    sending_started_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(),
                                                                   nullable=True)
    uncertain: Mapped[bool] = mapped_column(Boolean, default=False)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)


class VerificationCheck(Base):
    """One re-check of one URL: when, what the server answered, and the verdict."""

    __tablename__ = "takedown_checks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("takedown_requests.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("takedown_items.id"), index=True)
    checked_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    url: Mapped[str] = mapped_column(String(2000))
    final_url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    http_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    outcome: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(60))
    detail: Mapped[str] = mapped_column(Text, default="")
    checked_by: Mapped[str] = mapped_column(String(120))


class PlatformOverride(Base):
    """An admin's version of one directory platform (or a new one), over the seeded file."""

    __tablename__ = "platform_overrides"

    platform_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    data: Mapped[str] = mapped_column(Text)  # the whole platform record, as JSON
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(120))


class TakedownEvent(Base):
    """The history of a request: created, URLs added, sent, status changes, checks, e-mail."""

    __tablename__ = "takedown_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("takedown_requests.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    actor: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    to_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    data: Mapped[str] = mapped_column(Text, default="{}")
