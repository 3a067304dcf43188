"""The status history of takedown requests: every change goes through :func:`set_status`."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy.orm import Session

from jikimi.core.database import utcnow
from jikimi.takedown.lifecycle import TAKEDOWN_TRANSITIONS, TakedownStatus
from jikimi.takedown.models import TakedownEvent, TakedownRequest

_T = TakedownStatus


# --- history -----------------------------------------------------------------------------------
def record_event(session: Session, request: TakedownRequest, actor: str, kind: str, *,
           from_status: str | None = None, to_status: str | None = None,
           at: dt.datetime | None = None, **data: Any) -> None:
    session.add(TakedownEvent(request_id=request.id, at=at or utcnow(), actor=actor[:120],
                              kind=kind, from_status=from_status, to_status=to_status,
                              data=json.dumps(data, ensure_ascii=False, default=str)))


def set_status(session: Session, request: TakedownRequest, target: TakedownStatus,
               actor: str, *, now: dt.datetime | None = None, **data: Any) -> None:
    """Move a request along ``TAKEDOWN_TRANSITIONS`` and record it (the one place that does)."""
    current = TakedownStatus(request.status)
    TAKEDOWN_TRANSITIONS.check(current, target)
    when = now or utcnow()
    request.status = target.value
    request.updated_at = when
    if target is _T.SENT:
        request.sent_at = request.sent_at or when
    elif target is _T.ACKNOWLEDGED:
        request.acknowledged_at = request.acknowledged_at or when
    elif target is _T.REMOVED:
        request.removed_at = when
        request.closed_at = when
    elif target is _T.REFUSED:
        request.closed_at = when
    elif target is _T.ESCALATED:
        request.escalated_at = when
        request.closed_at = None
    record_event(session, request, actor, "status", from_status=current.value,
           to_status=target.value, at=when, **data)
