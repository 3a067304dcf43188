"""Both lifecycles exhaustively: every (from, to) pair is either listed here or refused."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jikimi.errors import Conflict
from jikimi.takedown import (
    OUTBOX_TRANSITIONS,
    TAKEDOWN_TRANSITIONS,
    OutboxStatus,
    RetryPolicy,
    TakedownStatus,
    after_failure,
    backoff,
    is_overdue,
    removal_status,
)

T = TakedownStatus
Q = OutboxStatus
TAKEDOWN_ALLOWED = {
    (T.DRAFT, T.SENT),
    (T.SENT, T.ACKNOWLEDGED), (T.SENT, T.REMOVED), (T.SENT, T.PARTIALLY_REMOVED),
    (T.SENT, T.REFUSED), (T.SENT, T.OVERDUE),
    (T.ACKNOWLEDGED, T.REMOVED), (T.ACKNOWLEDGED, T.PARTIALLY_REMOVED),
    (T.ACKNOWLEDGED, T.REFUSED), (T.ACKNOWLEDGED, T.OVERDUE),
    (T.PARTIALLY_REMOVED, T.REMOVED), (T.PARTIALLY_REMOVED, T.REFUSED),
    (T.PARTIALLY_REMOVED, T.OVERDUE),
    (T.OVERDUE, T.ACKNOWLEDGED), (T.OVERDUE, T.REMOVED), (T.OVERDUE, T.PARTIALLY_REMOVED),
    (T.OVERDUE, T.REFUSED), (T.OVERDUE, T.ESCALATED),
    (T.REFUSED, T.ESCALATED),
    (T.ESCALATED, T.REMOVED), (T.ESCALATED, T.PARTIALLY_REMOVED), (T.ESCALATED, T.REFUSED),
}
OUTBOX_ALLOWED = {
    (Q.QUEUED, Q.CLAIMED),
    (Q.CLAIMED, Q.SENT), (Q.CLAIMED, Q.FAILED), (Q.CLAIMED, Q.DEAD), (Q.CLAIMED, Q.QUEUED),
    (Q.FAILED, Q.CLAIMED), (Q.FAILED, Q.DEAD),
    (Q.DEAD, Q.QUEUED),
}


@pytest.mark.parametrize(("current", "target"), list(itertools.product(T, T)))
def test_takedown_transitions(current: TakedownStatus, target: TakedownStatus) -> None:
    allowed = (current, target) in TAKEDOWN_ALLOWED
    assert TAKEDOWN_TRANSITIONS.can(current, target) is allowed
    if allowed:
        TAKEDOWN_TRANSITIONS.check(current, target)
    else:
        with pytest.raises(Conflict) as info:
            TAKEDOWN_TRANSITIONS.check(current, target)
        assert info.value.code == "invalid_transition"


@pytest.mark.parametrize(("current", "target"), list(itertools.product(Q, Q)))
def test_outbox_transitions(current: OutboxStatus, target: OutboxStatus) -> None:
    assert OUTBOX_TRANSITIONS.can(current, target) is ((current, target) in OUTBOX_ALLOWED)


def test_every_state_is_in_the_tables_and_reachable() -> None:
    for table, start in ((TAKEDOWN_TRANSITIONS, T.DRAFT), (OUTBOX_TRANSITIONS, Q.QUEUED)):
        states = set(type(start))
        assert set(table.allowed) == states
        seen, frontier = {start}, [start]
        while frontier:
            for nxt in table.allowed[frontier.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    frontier.append(nxt)
        assert seen == states
    assert TAKEDOWN_TRANSITIONS.allowed[T.REMOVED] == frozenset()
    assert OUTBOX_TRANSITIONS.allowed[Q.SENT] == frozenset()


def test_escalation_only_after_a_missed_deadline_or_refusal() -> None:
    sources = {c for c, t in TAKEDOWN_ALLOWED if t is T.ESCALATED}
    assert sources == {T.OVERDUE, T.REFUSED}


def test_removal_status_and_overdue() -> None:
    assert removal_status(3, 3) is T.REMOVED
    assert removal_status(1, 3) is T.PARTIALLY_REMOVED
    assert removal_status(0, 3) is None
    with pytest.raises(ValueError):
        removal_status(4, 3)
    deadline = dt.datetime(2026, 12, 2, tzinfo=dt.UTC)
    assert is_overdue(T.SENT, deadline, deadline)
    assert not is_overdue(T.SENT, deadline, deadline - dt.timedelta(seconds=1))
    assert not is_overdue(T.REMOVED, deadline, deadline + dt.timedelta(days=9))
    assert not is_overdue(T.OVERDUE, deadline, deadline + dt.timedelta(days=9))


POLICY = RetryPolicy(base_seconds=30, factor=2, max_delay_seconds=3600, jitter=0.25,
                     max_attempts=6)


@given(attempt=st.integers(1, 200), fraction=st.floats(0, 1))
def test_backoff_stays_within_jitter_bounds(attempt: int, fraction: float) -> None:
    low, high = POLICY.bounds(attempt)
    delay = backoff(attempt, fraction, POLICY)
    assert low <= delay <= high
    assert high <= POLICY.max_delay_seconds * (1 + POLICY.jitter)
    assert low >= POLICY.base_seconds * (1 - POLICY.jitter)


@given(attempt=st.integers(1, 100))
def test_backoff_bounds_grow_until_the_cap(attempt: int) -> None:
    low, high = POLICY.bounds(attempt)
    next_low, next_high = POLICY.bounds(attempt + 1)
    assert next_low >= low and next_high >= high


def test_backoff_schedule_and_dead_after_max_attempts() -> None:
    now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    centres = [sum(POLICY.bounds(n)) / 2 for n in range(1, 6)]
    assert centres == [30, 60, 120, 240, 480]
    for attempt in range(1, POLICY.max_attempts):
        decision = after_failure(attempt, now, 0.5, policy=POLICY)
        assert decision.status is Q.FAILED
        assert decision.retry_at == now + dt.timedelta(seconds=decision.delay_seconds or 0)
    assert after_failure(POLICY.max_attempts, now, 0.5, policy=POLICY).status is Q.DEAD
    assert after_failure(1, now, 0.5, permanent=True, policy=POLICY).status is Q.DEAD
    with pytest.raises(ValueError):
        backoff(1, 1.5, POLICY)
    with pytest.raises(ValueError):
        POLICY.bounds(0)
