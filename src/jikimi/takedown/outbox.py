"""The e-mail dispatcher: claims outbox messages, sends them once, retries with backoff.

Every message was composed when the analyst sent the request: its bytes and its Message-ID
are in the row, so every attempt sends exactly the same message. One attempt is:

1. **claim** (one transaction): take due rows (queued, failed and due, or claimed by a
   dispatcher that is gone) with a fresh claim token and a lease; PostgreSQL skips rows
   another dispatcher holds (``FOR UPDATE SKIP LOCKED``), SQLite serialises writers.
2. **sending** (one transaction, after the server accepted the sender and recipients and just
   before DATA): record ``sending_started_at`` — only if the claim is still ours.
3. **DATA**, then **sent** (one transaction): mark the row sent and the request sent.

What a crash at each point means, and what a restarted dispatcher does:

- after 1, before 2 (the process dies between claiming and sending): nothing reached the
  SMTP server. The row is re-claimed (at once when the dead dispatcher ran on this host —
  its pid is gone — otherwise when the lease ends) and sent: **exactly one copy**.
- after 2, before the server's answer to DATA: the server may or may not have the message.
- after the server accepted DATA, before 3: the server has the message, the row says
  "sending".

The last two cannot be told apart (SMTP has no way to ask whether a message arrived), so
the outbox must choose. By default it re-sends (``on_uncertain="resend"``: **at least once**;
the copy carries the same Message-ID, so receivers and mail archives can recognise it, and
the row is marked ``uncertain``); a takedown notice that never arrives costs the victim more
than a duplicate costs the platform. ``on_uncertain="hold"`` gives up such rows instead
(**at most once**: dead, with a note to check the sent mail before re-queueing). The window
is the time between the server's "250" to DATA and our commit: milliseconds.

Failures: a retryable SMTP error (4xx, connection refused, timeout) leaves the row failed with
its next attempt after :func:`jikimi.takedown.lifecycle.backoff`; a permanent one (5xx) or the
last attempt makes it dead. Nothing is lost across restarts: every state is a row.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import secrets
import socket
from dataclasses import dataclass

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from jikimi.core.actors import Actor, ActorKind
from jikimi.core.config import SmtpSettings
from jikimi.core.database import utcnow
from jikimi.core.runtime import Runtime
from jikimi.errors import ConfigurationError
from jikimi.takedown.history import record_event, set_status
from jikimi.takedown.lifecycle import (
    DEFAULT_RETRY_POLICY,
    OUTBOX_TRANSITIONS,
    OutboxStatus,
    RetryPolicy,
    TakedownStatus,
    after_failure,
)
from jikimi.takedown.mail import MailDeliveryError, send_raw
from jikimi.takedown.models import OutboxMessage, TakedownRequest
from jikimi.takedown.schemas import DispatchReport

DISPATCHER = Actor(kind=ActorKind.SYSTEM, label="dispatcher")
DEFAULT_LEASE = dt.timedelta(minutes=5)
CRASH_ENV = "JIKIMI_TEST_DISPATCH_CRASH"
"""Test hook: ``after_claim``, ``before_data`` or ``after_data`` makes the dispatcher process
exit abruptly (``os._exit``) at that point, to test recovery."""
_HOST = socket.gethostname()[:120]
_O = OutboxStatus


class LeaseLost(Exception):
    """Another dispatcher took the row over (our lease ended); do not send."""


@dataclass(frozen=True)
class _Claimed:
    id: int
    token: str
    sender: str
    recipients: list[str]
    raw: bytes
    attempts: int
    message_id: str


def _crash_point(name: str) -> None:
    if os.environ.get(CRASH_ENV) == name:
        os._exit(70)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _holder_gone(row: OutboxMessage) -> bool:
    """True when the row's claimer ran on this host and its process no longer exists."""
    host, _, pid = (row.claimed_by or "").rpartition(":")
    return host == _HOST and pid.isdigit() and int(pid) != os.getpid() \
        and not _pid_alive(int(pid))


def _claim(runtime: Runtime, now: dt.datetime, limit: int, lease: dt.timedelta,
           on_uncertain: str, report: DispatchReport,
           only: list[int] | None) -> list[_Claimed]:
    claimed: list[_Claimed] = []
    with runtime.sessions() as session, session.begin():
        due = or_(OutboxMessage.status == _O.QUEUED.value,
                  and_(OutboxMessage.status == _O.FAILED.value,
                       OutboxMessage.next_attempt_at <= now),
                  OutboxMessage.status == _O.CLAIMED.value)
        query = select(OutboxMessage).where(due)
        if only is not None:
            query = query.where(OutboxMessage.id.in_(only))
        query = query.order_by(OutboxMessage.id).limit(limit * 4).with_for_update(
            skip_locked=True)
        for row in session.scalars(query):
            if len(claimed) >= limit:
                break
            if row.status == _O.QUEUED.value and row.next_attempt_at is not None \
                    and row.next_attempt_at > now:
                continue
            if row.status == _O.CLAIMED.value:
                stale = (row.lease_until is not None and row.lease_until <= now) \
                    or _holder_gone(row)
                if not stale:
                    continue
                report.reclaimed += 1
                _release(session, row, now, on_uncertain, report)
                if row.status != _O.QUEUED.value:
                    continue
            OUTBOX_TRANSITIONS.check(_O(row.status), _O.CLAIMED)
            token = secrets.token_hex(16)
            row.status = _O.CLAIMED.value
            row.claim_token = token
            row.claimed_by = f"{_HOST}:{os.getpid()}"
            row.claimed_at = now
            row.lease_until = now + lease
            row.sending_started_at = None
            row.attempts += 1
            row.updated_at = now
            claimed.append(_Claimed(row.id, token, row.sender, json.loads(row.recipients),
                                    row.raw, row.attempts, row.message_id))
    return claimed


def _release(session: Session, row: OutboxMessage, now: dt.datetime, on_uncertain: str,
             report: DispatchReport) -> None:
    """A claim whose dispatcher is gone: back to queued, or dead if delivery is uncertain
    and the policy is to hold."""
    uncertain = row.sending_started_at is not None
    if uncertain and on_uncertain == "hold":
        OUTBOX_TRANSITIONS.check(_O.CLAIMED, _O.DEAD)
        row.status = _O.DEAD.value
        row.last_error = ("the dispatcher stopped while the SMTP server was receiving this "
                          "message: it may have been delivered. Check the sent mail, then "
                          "re-queue it (send the request again) if it was not.")
        report.uncertain += 1
    else:
        OUTBOX_TRANSITIONS.check(_O.CLAIMED, _O.QUEUED)
        row.status = _O.QUEUED.value
        row.next_attempt_at = now
        if uncertain:
            row.uncertain = True
            report.uncertain += 1
    row.claim_token = None
    row.updated_at = now


def _owned(session: Session, message_id: int, token: str) -> OutboxMessage:
    row = session.get(OutboxMessage, message_id, with_for_update=True)
    if row is None or row.status != _O.CLAIMED.value or row.claim_token != token:
        raise LeaseLost(f"outbox message {message_id} was taken over by another dispatcher")
    return row


def _mark_sending(runtime: Runtime, claim: _Claimed) -> None:
    with runtime.sessions() as session, session.begin():
        row = _owned(session, claim.id, claim.token)
        row.sending_started_at = utcnow()
        row.updated_at = row.sending_started_at
    _crash_point("before_data")


def _mark_sent(runtime: Runtime, claim: _Claimed) -> None:
    with runtime.context(DISPATCHER) as ctx:
        row = _owned(ctx.session, claim.id, claim.token)
        now = utcnow()
        OUTBOX_TRANSITIONS.check(_O.CLAIMED, _O.SENT)
        row.status, row.sent_at, row.updated_at = _O.SENT.value, now, now
        row.last_error = None
        request = ctx.session.get(TakedownRequest, row.request_id) if row.request_id else None
        if request is None:
            return
        record_event(ctx.session, request, DISPATCHER.ref, "emailed", at=now,
                     purpose=row.purpose, message_id=row.message_id,
                     recipients=json.loads(row.recipients), attempts=row.attempts,
                     possible_duplicate=row.uncertain)
        if row.purpose == "notice" and request.status == TakedownStatus.DRAFT.value:
            request.sent_at, request.sent_by = now, DISPATCHER.ref
            set_status(ctx.session, request, TakedownStatus.SENT, DISPATCHER.ref, now=now,
                       how="email", message_id=row.message_id)
        ctx.audit("takedown.emailed", "takedown", request.id, centre_id=request.centre_id,
                  details={"purpose": row.purpose, "message_id": row.message_id,
                           "attempts": row.attempts})


def _mark_failed(runtime: Runtime, claim: _Claimed, error: MailDeliveryError,
                 policy: RetryPolicy) -> OutboxStatus:
    with runtime.context(DISPATCHER) as ctx:
        row = _owned(ctx.session, claim.id, claim.token)
        now = utcnow()
        decision = after_failure(row.attempts, now, random.random(),
                                 permanent=not error.retryable, policy=policy)
        OUTBOX_TRANSITIONS.check(_O.CLAIMED, decision.status)
        row.status = decision.status.value
        row.next_attempt_at = decision.retry_at
        row.last_error = error.message[:2000]
        row.claim_token = None
        row.updated_at = now
        request = ctx.session.get(TakedownRequest, row.request_id) if row.request_id else None
        if request is not None:
            record_event(ctx.session, request, DISPATCHER.ref,
                         "email_failed" if decision.status is _O.FAILED else "email_dead",
                         at=now, message_id=row.message_id, error=row.last_error,
                         retry_at=decision.retry_at, attempts=row.attempts)
            ctx.audit("takedown.email_failed", "takedown", request.id,
                      centre_id=request.centre_id,
                      details={"status": decision.status.value, "attempts": row.attempts,
                               "smtp_code": error.smtp_code})
        return decision.status


def dispatch(runtime: Runtime, *, smtp: SmtpSettings | None = None, limit: int = 50,
             lease: dt.timedelta = DEFAULT_LEASE, on_uncertain: str = "resend",
             policy: RetryPolicy = DEFAULT_RETRY_POLICY, message_ids: list[int] | None = None,
             timeout: float = 30.0) -> DispatchReport:
    """Send the due outbox messages once each (see the module docstring for the guarantees).

    ``smtp`` defaults to ``JIKIMI_SMTP_URL``; ``message_ids`` limits the round to those rows.
    """
    if on_uncertain not in ("resend", "hold"):
        raise ValueError("on_uncertain is 'resend' or 'hold'")
    settings = smtp or runtime.settings.smtp
    if settings is None:
        raise ConfigurationError("no SMTP server configured: set JIKIMI_SMTP_URL "
                                 "(e.g. smtp://user:pass@mail.example.org:587?starttls=1)",
                                 code="smtp_not_configured")
    report = DispatchReport()
    claims = _claim(runtime, utcnow(), limit, lease, on_uncertain, report, message_ids)
    _crash_point("after_claim")
    for claim in claims:
        try:
            send_raw(settings, claim.sender, claim.recipients, claim.raw,
                     before_data=lambda c=claim: _mark_sending(runtime, c),  # type: ignore[misc]
                     timeout=timeout)
        except LeaseLost:
            continue
        except MailDeliveryError as exc:
            status = _mark_failed(runtime, claim, exc, policy)
            if status is _O.DEAD:
                report.dead += 1
            else:
                report.failed += 1
            continue
        _crash_point("after_data")
        try:
            _mark_sent(runtime, claim)
        except LeaseLost:
            continue
        report.sent += 1
        report.message_ids.append(claim.message_id)
    return report


def pending(runtime: Runtime) -> int:
    """How many messages wait in the outbox (queued, failed or claimed)."""
    with runtime.sessions() as session:
        return len(list(session.scalars(select(OutboxMessage.id).where(
            OutboxMessage.status.in_([_O.QUEUED.value, _O.FAILED.value, _O.CLAIMED.value])))))
