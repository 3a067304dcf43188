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
