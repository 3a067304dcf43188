"""What the takedown service returns (API responses, CLI JSON, the web pages' data)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field


class FingerprintOut(BaseModel):
    signal_type: str
    value: str


class RequestItemOut(BaseModel):
    id: int
    url: str
    fingerprints: list[FingerprintOut]
    reupload: bool
    state: str = Field(description="open or removed")
    removed_at: dt.datetime | None
    last_outcome: str | None
    last_checked_at: dt.datetime | None
    match_id: int | None
    item_id: int | None


class CheckOut(BaseModel):
    id: int
    item_id: int
    url: str
    checked_at: dt.datetime
    http_status: int | None
    outcome: str
    reason: str
    detail: str
    final_url: str | None
    checked_by: str


class EventOut(BaseModel):
    at: dt.datetime
    actor: str
    kind: str
    from_status: str | None
    to_status: str | None
    data: dict[str, Any]


class NoticeWarningOut(BaseModel):
    """One notice warning: its message id and values (translatable), and its English text.
    Requests prepared before warnings were translatable carry only ``text`` (msgid None)."""

    msgid: str | None = Field(description="the English message id with {named} placeholders")
    values: dict[str, str] = Field(default_factory=dict)
    text: str = Field(description="the warning in English")


class OutboxOut(BaseModel):
    id: int
    purpose: str
    message_id: str
    recipients: list[str]
    status: str
    attempts: int
    next_attempt_at: dt.datetime | None
    sent_at: dt.datetime | None
    uncertain: bool = Field(description="re-sent after a crash during SMTP: possibly twice, "
                                        "with the same Message-ID")
    last_error: str | None


class RequestSummary(BaseModel):
    id: int
    reference: str = Field(description="TD-YYYY-NNNNNN, quoted in notices")
    centre_id: int
    case_code: str | None
    platform_id: str
    platform_name: str
    platform_listed: bool = Field(description="False for a site the directory does not list")
    status: str
    reupload: bool
    reupload_of: int | None
    channel: str | None = Field(description="email, web_form, api or manual once prepared")
    channel_address: str | None
    language: str | None
    urls: int
    removed_urls: int
    created_at: dt.datetime
    prepared_at: dt.datetime | None
    sent_at: dt.datetime | None
    deadline: dt.datetime | None
    overdue: bool = Field(description="past its deadline with URLs still up")
    removed_at: dt.datetime | None
    outbox_status: str | None
    updated_at: dt.datetime


class RequestDetail(RequestSummary):
    legal_basis: list[str]
    categories: list[str]
    notice_subject: str | None
    notice_body: str | None
    notice_warnings: list[str] = Field(description="the notice warnings in English")
    notice_warning_details: list[NoticeWarningOut] = Field(
        default_factory=list, description="the same warnings, translatable")
    escalation_subject: str | None
    escalation_body: str | None
    escalated_at: dt.datetime | None
    edited_at: dt.datetime | None = Field(None, description="when an officer last edited "
                                          "the prepared notice")
    edited_by: str | None = None
    approved_at: dt.datetime | None = Field(None, description="when an officer approved the "
                                            "notice (e-mail queued or released for the form)")
    approved_by: str | None = None
    contact_verified: bool | None = Field(
        description="whether the contact the notice goes to is documented (None: none yet)")
    items: list[RequestItemOut]
    checks: list[CheckOut]
    events: list[EventOut]
    outbox: list[OutboxOut]


class RequestStatusChange(BaseModel):
    id: int
    from_status: str
    to_status: str


class VerificationReport(BaseModel):
    requests: int = 0
    checked: int = 0
    removed: int = 0
    still_present: int = 0
    unreachable: int = 0
    errors: int = 0
    changes: list[RequestStatusChange] = Field(default_factory=list)


class DispatchReport(BaseModel):
    sent: int = 0
    failed: int = 0
    dead: int = 0
    reclaimed: int = 0
    uncertain: int = 0
    message_ids: list[str] = Field(default_factory=list)


class MonthPlatformRow(BaseModel):
    month: str
    platform_id: str
    requests: int = Field(description="requests sent in the month")
    removed: int = Field(description="requests verified removed in the month")


class PlatformRemoval(BaseModel):
    platform_id: str
    removed: int
    median_hours_to_removal: float | None


class TakedownStatistics(BaseModel):
    centre_id: int | None
    requests_total: int
    sent_total: int
    removed_total: int
    reuploads: int
    reupload_rate: float | None = Field(
        description="share of requests that were opened for a re-upload of content already "
                    "requested")
    median_hours_to_removal: float | None
    overdue_now: int
    by_status: dict[str, int]
    by_month: list[MonthPlatformRow]
    by_platform: list[PlatformRemoval]


class PlatformOut(BaseModel):
    """A directory platform as staff see it (unverified contacts flagged)."""

    id: str
    name: str
    legal_entity: str | None
    legal_entity_verified: bool
    jurisdiction: str | None
    language: str
    language_verified: bool
    response_hours: int
    response_hours_basis: str
    channels: list[dict[str, Any]]
    domains: list[dict[str, Any]]
    notes: str
    has_unverified_contacts: bool
    overridden: bool
    updated_at: dt.datetime | None
    updated_by: str | None
    record: dict[str, Any] = Field(description="the whole record, as the directory stores it")
