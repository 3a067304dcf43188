"""What the review queue returns."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel


class QueueEntry(BaseModel):
    match_id: int
    status: str
    case_code: str | None
    minor: bool
    bank: str
    entry_id: int
    signal_type: str
    distance: int
    variant: str
    entry_variant: str
    reliable: bool
    label: str
    locator: str
    source_id: int
    source_name: str
    context: dict[str, Any]
    first_seen: dt.datetime
    last_seen: dt.datetime
    reason: str
    platform: str | None = None
    """The platform id from the directory (by the item's URL), or None when unknown."""
    platform_name: str | None = None
    assigned_to: int | None = None
    assignee: str | None = None
    decided_by: str | None = None
    decided_at: dt.datetime | None = None
    quarantine_items: int = 0
    """How many distinct items the registered entry matches (quarantine above a limit)."""


class RegisteredEntry(BaseModel):
    """The bank entry that matched (the fingerprint value only for plain hash signals)."""

    entry_id: int
    bank: str
    bank_case_code: str | None
    signal_type: str
    value: str | None
    quality: int | None
    variant: str
    label: str
    content_id: str
    created_at: dt.datetime
    removed: bool


class MatchedItem(BaseModel):
    item_id: int
    locator: str
    kind: str
    sha256: str
    fingerprint: str | None
    """The item's value of the matched signal (PDQ hex, SHA-256, MD5), when it has one."""
    source_id: int
    source_name: str
    source_type: str
    context: dict[str, Any]
    first_seen: dt.datetime
    last_seen: dt.datetime


class CaseSummary(BaseModel):
    code: str
    minor: bool
    status: str
    same_centre: bool


class MatchDetail(BaseModel):
    entry: QueueEntry
    registered: RegisteredEntry
    item: MatchedItem
    case: CaseSummary | None
    threshold: int | None
    next_statuses: list[str]


class BulkOutcome(BaseModel):
    match_id: int
    ok: bool
    status: str | None = None
    error: str | None = None
    code: str | None = None
