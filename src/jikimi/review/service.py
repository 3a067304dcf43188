"""The review queue: matches ordered by harm and confidence, confirmed or rejected by a person.

Order: cases of minors first, then exact matches (SHA-256/MD5), then PDQ/vPDQ by distance,
then face matches ("possible deepfake or new material"). A registered entry that suddenly
matches many different items (a flat image, a meme, a bad registration) is quarantined: its
matches are held out of the queue until an analyst looks at the entry.
"""

from __future__ import annotations

import enum
import json
from collections import Counter
from collections.abc import Callable

from sqlalchemy import select

from jikimi.cases import Case
from jikimi.core.actors import ActorKind, Role
from jikimi.core.context import ServiceContext
from jikimi.core.database import utcnow
from jikimi.core.state_machine import TransitionTable
from jikimi.core.text import clean_text
from jikimi.errors import Forbidden, InvalidInput, NotFound
from jikimi.matching import Bank
from jikimi.review.models import ReviewDecision
from jikimi.review.schemas import QueueEntry
from jikimi.scans import Item, ItemMatch, ItemVersion, SourceRecord

QUARANTINE_ITEMS = 25
"""An entry matching more distinct items than this is quarantined."""


class ReviewStatus(enum.StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    QUARANTINED = "quarantined"


_R = ReviewStatus
REVIEW_TRANSITIONS: TransitionTable[ReviewStatus] = TransitionTable(
    name="match review",
    allowed={
        _R.PENDING: frozenset({_R.CONFIRMED, _R.REJECTED, _R.QUARANTINED}),
        _R.QUARANTINED: frozenset({_R.CONFIRMED, _R.REJECTED, _R.PENDING}),
        _R.CONFIRMED: frozenset({_R.REJECTED}),
        _R.REJECTED: frozenset({_R.CONFIRMED}),
    },
)

MatchConfirmedHook = Callable[[ServiceContext, ItemMatch], None]
_match_confirmed_hooks: list[MatchConfirmedHook] = []


def on_match_confirmed(hook: MatchConfirmedHook) -> None:
    """Call ``hook(ctx, match)`` in the confirming transaction whenever a match is confirmed
    (the takedown capability uses it to propose a takedown request)."""
    if hook not in _match_confirmed_hooks:
        _match_confirmed_hooks.append(hook)


_SIGNAL_RANK = {"sha256": 0, "md5": 0, "pdq": 1, "vpdq": 1, "face": 2}


def _may_review(ctx: ServiceContext) -> None:
    if ctx.actor.kind is ActorKind.SYSTEM or ctx.actor.has_role(Role.ANALYST, Role.ADMIN):
        return
    raise Forbidden("the review queue is for analysts and administrators")


def _status_of(decisions: dict[int, ReviewDecision], match_id: int) -> ReviewStatus:
    decision = decisions.get(match_id)
    return ReviewStatus(decision.status) if decision else ReviewStatus.PENDING


def queue(ctx: ServiceContext, *, status: ReviewStatus | None = ReviewStatus.PENDING,
          case_code: str | None = None, signal_type: str | None = None,
          source_id: int | None = None, limit: int = 500) -> list[QueueEntry]:
    """The matches of this centre's sources, most harmful and most certain first."""
    _may_review(ctx)
    query = (select(ItemMatch, Item, Bank.name, SourceRecord)
             .join(ItemVersion, ItemVersion.id == ItemMatch.item_version_id)
             .join(Item, Item.id == ItemVersion.item_id)
             .join(SourceRecord, SourceRecord.id == Item.source_id)
             .join(Bank, Bank.id == ItemMatch.bank_id))
    if ctx.actor.is_staff:
        query = query.where(SourceRecord.centre_id == ctx.actor.centre_id)
    if case_code:
        query = query.where(ItemMatch.case_code == case_code.strip().upper()[:20])
    if signal_type:
        query = query.where(ItemMatch.signal_type == signal_type[:20])
    if source_id is not None:
        query = query.where(SourceRecord.id == source_id)
    rows = ctx.session.execute(query).all()
    match_ids = [r[0].id for r in rows]
    decisions = {d.match_id: d for d in ctx.session.scalars(
        select(ReviewDecision).where(ReviewDecision.match_id.in_(match_ids)))} if rows else {}
    spread = Counter(r[0].entry_id for r in rows)
    minors = set(ctx.session.scalars(select(Case.code).where(
        Case.code.in_({r[0].case_code for r in rows if r[0].case_code}), Case.minor.is_(True)))
    ) if rows else set()
    entries = []
    for match, item, bank_name, source in rows:
        current = _status_of(decisions, match.id)
        if current is ReviewStatus.PENDING and spread[match.entry_id] > QUARANTINE_ITEMS:
            current = ReviewStatus.QUARANTINED
        if status is not None and current is not status:
            continue
        entries.append(QueueEntry(
            match_id=match.id, status=current, case_code=match.case_code,
            minor=match.case_code in minors, bank=bank_name, entry_id=match.entry_id,
            signal_type=match.signal_type, distance=match.distance, variant=match.variant,
            entry_variant=match.entry_variant, reliable=match.reliable,
            label=("possible deepfake or new material" if match.signal_type == "face"
                   else "registered content"),
            locator=item.locator, source_id=source.id, source_name=source.name,
            context=json.loads(item.context), first_seen=item.first_seen,
            last_seen=item.last_seen,
            reason=decisions[match.id].reason if match.id in decisions else ""))
    entries.sort(key=lambda e: (not e.minor, _SIGNAL_RANK.get(e.signal_type, 3),
                                not e.reliable, e.distance, e.match_id))
    ctx.audit("review.list", "review", "*", centre_id=ctx.actor.centre_id,
              details={"count": len(entries[:limit])})
    return entries[:limit]


def _decide(ctx: ServiceContext, match_id: int, target: ReviewStatus, reason: str) -> QueueEntry:
    _may_review(ctx)
    match = ctx.session.get(ItemMatch, match_id)
    if match is None:
        raise NotFound(f"no match {match_id}")
    source = ctx.session.scalar(select(SourceRecord).join(Item, Item.source_id == SourceRecord.id)
                                .join(ItemVersion, ItemVersion.item_id == Item.id)
                                .where(ItemVersion.id == match.item_version_id))
    if source is None or (ctx.actor.is_staff and source.centre_id not in (
            None, ctx.actor.centre_id)):
        raise Forbidden(f"match {match_id} belongs to another centre")
    reason = clean_text(reason, "the reason", max_chars=1000)
    if target is ReviewStatus.REJECTED and not reason:
        raise InvalidInput("say why the match is rejected (--reason)")
    decision = ctx.session.get(ReviewDecision, match_id)
    current = ReviewStatus(decision.status) if decision else ReviewStatus.PENDING
    REVIEW_TRANSITIONS.check(current, target)
    now = utcnow()
    if decision is None:
        decision = ReviewDecision(match_id=match_id, status=target.value)
        ctx.session.add(decision)
    decision.status = target.value
    decision.decided_by = ctx.actor.ref
    decision.decided_at = now
    decision.reason = reason
    decision.updated_at = now
    ctx.session.flush()
    ctx.audit(f"review.{target.value}", "match", match_id, centre_id=source.centre_id,
              details={"from": current.value, "case": match.case_code, "reason": reason})
    if target is ReviewStatus.CONFIRMED:
        for hook in _match_confirmed_hooks:
            hook(ctx, match)
    found = [e for e in queue(ctx, status=None, source_id=source.id) if e.match_id == match_id]
    return found[0]


def confirm(ctx: ServiceContext, match_id: int, reason: str = "") -> QueueEntry:
    """Confirm a match: the item is the registered content (links it to the case)."""
    return _decide(ctx, match_id, ReviewStatus.CONFIRMED, reason)


def reject(ctx: ServiceContext, match_id: int, reason: str) -> QueueEntry:
    """Reject a match with a reason (a false match, or benign)."""
    return _decide(ctx, match_id, ReviewStatus.REJECTED, reason)


def counts(ctx: ServiceContext) -> dict[str, int]:
    entries = queue(ctx, status=None, limit=10**9)
    return dict(Counter(str(e.status) for e in entries))


