"""What scan functions return, for the API, the CLI and the web."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel


class SourceOut(BaseModel):
    id: int
    type: str
    name: str
    config: dict[str, Any]
    interval_minutes: int | None
    next_run_at: dt.datetime | None
    active: bool
    created_at: dt.datetime


class ScanSummary(BaseModel):
    scan_id: int
    source_id: int
    status: str
    runner: str
    items: int
    pending: int
    matched: int
    errors: int
    started_at: dt.datetime
    finished_at: dt.datetime | None
    error: str | None = None
    """Why a failed scan stopped."""


class ScanMatchOut(BaseModel):
    match_id: int
    bank: str
    entry_id: int
    signal_type: str
    distance: int
    variant: str
    entry_variant: str
    case_code: str | None
    reliable: bool


class ScanItemOut(BaseModel):
    key: str
    locator: str
    status: str
    error_code: str | None
    error_reason: str | None
    context: dict[str, Any]
    matches: list[ScanMatchOut]


class ScanDetail(BaseModel):
    summary: ScanSummary
    items: list[ScanItemOut]
