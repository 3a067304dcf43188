"""The takedown request and outbox message lifecycles, each written once as a transition table.

Takedown request (one platform, one case, one or more URLs)::

    draft ──────────────▶ sent            analyst approves; e-mail left the outbox, or the
                                          analyst submitted the prepared web form
    sent ───────────────▶ acknowledged    the platform confirmed receipt
    sent, acknowledged ─▶ removed         every URL verified gone (re-check)
                        ▶ partially_removed  some URLs verified gone, others still up
                        ▶ refused         the platform declined
                        ▶ overdue         the platform's deadline passed with URLs still up
    partially_removed ──▶ removed, refused, overdue
    overdue ────────────▶ acknowledged, removed, partially_removed, refused (late answers
                          still count), escalated (notice to the content regulator)
    refused ────────────▶ escalated
    escalated ──────────▶ removed, partially_removed, refused (the platform's final answer
                          after the regulator's review)
    removed             terminal: a re-upload opens a new request

Nothing returns to draft, and ``removed`` is only reached through verification (the caller
records the re-check that justified it). ``partially_removed`` → ``escalated`` goes through
``overdue``, so every escalation follows a missed deadline or a refusal.

Outbox message (one e-mail, Message-ID fixed when it was queued)::

    queued ──▶ claimed                    a dispatcher took it (with a lease)
    claimed ─▶ sent                       the SMTP server accepted it
             ▶ failed                     a retryable error; retried after :func:`backoff`
             ▶ dead                       a permanent error, or the last attempt failed
             ▶ queued                     the lease expired (dispatcher died before sending)
    failed ──▶ claimed                    retry when due
             ▶ dead                       given up by an admin
    dead ────▶ queued                     an admin re-queues it after fixing the cause
    sent                                  terminal

Because the Message-ID is fixed at queue time, a message re-sent after a crash between the
SMTP acceptance and the ``sent`` mark carries the same Message-ID, so receivers (and our own
tests) can detect the duplicate.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from jikimi.core.state_machine import TransitionTable
from jikimi.errors import ConfigurationError


class TakedownStatus(enum.StrEnum):
    DRAFT = "draft"
    SENT = "sent"
    ACKNOWLEDGED = "acknowledged"
    REMOVED = "removed"
    PARTIALLY_REMOVED = "partially_removed"
    REFUSED = "refused"
    OVERDUE = "overdue"
    ESCALATED = "escalated"


_T = TakedownStatus
TAKEDOWN_TRANSITIONS: TransitionTable[TakedownStatus] = TransitionTable(
    name="takedown request",
    allowed={
        _T.DRAFT: frozenset({_T.SENT}),
        _T.SENT: frozenset({_T.ACKNOWLEDGED, _T.REMOVED, _T.PARTIALLY_REMOVED, _T.REFUSED,
                            _T.OVERDUE}),
        _T.ACKNOWLEDGED: frozenset({_T.REMOVED, _T.PARTIALLY_REMOVED, _T.REFUSED, _T.OVERDUE}),
        _T.PARTIALLY_REMOVED: frozenset({_T.REMOVED, _T.REFUSED, _T.OVERDUE}),
        _T.OVERDUE: frozenset({_T.ACKNOWLEDGED, _T.REMOVED, _T.PARTIALLY_REMOVED, _T.REFUSED,
                               _T.ESCALATED}),
        _T.REFUSED: frozenset({_T.ESCALATED}),
        _T.ESCALATED: frozenset({_T.REMOVED, _T.PARTIALLY_REMOVED, _T.REFUSED}),
        _T.REMOVED: frozenset(),
    },
)

OPEN_TAKEDOWN_STATUSES: frozenset[TakedownStatus] = frozenset(
    {_T.SENT, _T.ACKNOWLEDGED, _T.PARTIALLY_REMOVED, _T.OVERDUE, _T.ESCALATED})
"""Requests whose URLs are re-checked by verification."""

DEADLINE_STATUSES: frozenset[TakedownStatus] = frozenset(
    {_T.SENT, _T.ACKNOWLEDGED, _T.PARTIALLY_REMOVED})
"""Requests that become overdue when their deadline passes."""


def removal_status(removed: int, total: int) -> TakedownStatus | None:
    """The status verification implies: removed, partially_removed, or None (nothing gone)."""
    if total <= 0 or not 0 <= removed <= total:
        raise ValueError(f"removed={removed} of total={total} is not a count of URLs")
    if removed == total:
        return _T.REMOVED
    return _T.PARTIALLY_REMOVED if removed else None


def is_overdue(status: TakedownStatus, deadline: dt.datetime, now: dt.datetime) -> bool:
    """True when a request in ``status`` has passed its deadline and should move to overdue."""
    return status in DEADLINE_STATUSES and now >= deadline


class OutboxStatus(enum.StrEnum):
    QUEUED = "queued"
    CLAIMED = "claimed"
    SENT = "sent"
    FAILED = "failed"
    DEAD = "dead"


_O = OutboxStatus
OUTBOX_TRANSITIONS: TransitionTable[OutboxStatus] = TransitionTable(
    name="outbox message",
    allowed={
        _O.QUEUED: frozenset({_O.CLAIMED}),
        _O.CLAIMED: frozenset({_O.SENT, _O.FAILED, _O.DEAD, _O.QUEUED}),
        _O.FAILED: frozenset({_O.CLAIMED, _O.DEAD}),
        _O.DEAD: frozenset({_O.QUEUED}),
        _O.SENT: frozenset(),
    },
)


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with bounded jitter, and how many attempts before a message is dead.

    Attempt ``n`` (1-based, the attempt that just failed) waits ``base * factor**(n-1)``
    seconds, capped at ``max_delay``, then spread by ``±jitter`` (a fraction) so that many
    failed messages do not retry in the same second.
    """

    base_seconds: float = 60.0
    factor: float = 2.0
    max_delay_seconds: float = 6 * 3600.0
    jitter: float = 0.2
    max_attempts: int = 8

    def __post_init__(self) -> None:
        if (self.base_seconds <= 0 or self.factor < 1 or self.max_delay_seconds < self.base_seconds
                or not 0 <= self.jitter < 1 or self.max_attempts < 1):
            raise ConfigurationError(f"invalid retry policy {self!r}")

    def bounds(self, attempt: int) -> tuple[float, float]:
        """The lowest and highest delay (seconds) after failed attempt number ``attempt``."""
        if attempt < 1:
            raise ValueError("attempts are counted from 1")
        exponent = min(attempt - 1, 64)  # beyond this the cap applies anyway
        centre = min(self.base_seconds * self.factor ** exponent, self.max_delay_seconds)
        return centre * (1 - self.jitter), centre * (1 + self.jitter)


DEFAULT_RETRY_POLICY = RetryPolicy()


@dataclass(frozen=True)
class RetryDecision:
    """What to do after a failed attempt: retry at ``retry_at`` (status failed) or give up."""

    status: OutboxStatus
    retry_at: dt.datetime | None
    delay_seconds: float | None


def after_failure(attempts: int, now: dt.datetime, random_fraction: float, *,
                  permanent: bool = False,
                  policy: RetryPolicy = DEFAULT_RETRY_POLICY) -> RetryDecision:
    """Decide the outcome of failed attempt number ``attempts`` (pure; ``random_fraction`` in
    [0, 1) picks the point within the jitter bounds, so tests and replays are deterministic)."""
    if permanent or attempts >= policy.max_attempts:
        return RetryDecision(_O.DEAD, None, None)
    delay = backoff(attempts, random_fraction, policy)
    return RetryDecision(_O.FAILED, now + dt.timedelta(seconds=delay), delay)


def backoff(attempt: int, random_fraction: float,
            policy: RetryPolicy = DEFAULT_RETRY_POLICY) -> float:
    """Seconds to wait after failed attempt ``attempt``, within :meth:`RetryPolicy.bounds`."""
    if not 0 <= random_fraction <= 1:
        raise ValueError("random_fraction must be in [0, 1]")
    low, high = policy.bounds(attempt)
    return low + (high - low) * random_fraction
