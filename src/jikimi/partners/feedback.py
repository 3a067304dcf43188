"""Partners report back: a match on a shared fingerprint and the action taken. The reports
show on the case as takedown progress and count in the statistics."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel
from sqlalchemy import select

from jikimi.cases import Case, case_ref
from jikimi.core.actors import Role
from jikimi.core.context import ServiceContext
from jikimi.core.database import utcnow
from jikimi.core.text import clean_text
from jikimi.errors import InvalidInput
from jikimi.partners.accounts import PartnerPrincipal, may_manage_partners
from jikimi.partners.feed import feed_counts
from jikimi.partners.models import FeedItem, Partner, PartnerFeedback

ACTIONS = ("matched", "blocked", "removed", "not_blocked", "other")
"""matched: found, under review; blocked: the upload was refused; removed: content taken down;
not_blocked: reviewed and left up; other: anything else a platform reports."""
MAX_FEEDBACK = 1000

STOPNCII_ACTIONS = {"PendingReview": "matched", "Blocked": "blocked",
                    "NotBlocked": "not_blocked"}


@dataclass(frozen=True)
class FeedbackIn:
    entry_id: str
    action: str
    content_id: str = ""
    seen_at: dt.datetime | None = None
    tags: tuple[str, ...] = ()


class CaseFeedback(BaseModel):
    """One partner report on a fingerprint of the case."""

    partner: str
    action: str
    signal_type: str
    partner_content_id: str
    seen_at: dt.datetime | None
    received_at: dt.datetime
    via: str


class FeedbackResult(BaseModel):
    accepted: int
    unknown: list[str]


class PartnerStatistics(BaseModel):
    feedback_total: int
    by_action: dict[str, int]
    by_partner: dict[str, int]
    by_month: dict[str, dict[str, int]]
    cases_with_feedback: int
    active_items: int
    sharing_cases: int
    partners: int


def _store(ctx: ServiceContext, principal: PartnerPrincipal, item: FeedItem, action: str,
           content_id: str, seen_at: dt.datetime | None, via: str, tags: Sequence[str]) -> None:
    ctx.session.add(PartnerFeedback(
        partner_id=principal.partner_id, item_id=item.id, case_id=item.case_id, action=action,
        partner_content_id=content_id, seen_at=seen_at, received_at=utcnow(), via=via,
        tags=" ".join(tags)[:200]))


def record_feedback(ctx: ServiceContext, principal: PartnerPrincipal,
                    reports: Sequence[FeedbackIn]) -> FeedbackResult:
    """Store reports on feed entries (by their opaque id); unknown ids are listed back."""
    principal.require("feedback")
    if not 1 <= len(reports) <= MAX_FEEDBACK:
        raise InvalidInput(f"send 1 to {MAX_FEEDBACK} reports at a time")
    now = utcnow()
    clean = []
    for number, report in enumerate(reports, start=1):
        if report.action not in ACTIONS:
            raise InvalidInput(f"report {number}: the action is one of {', '.join(ACTIONS)}",
                               code="bad_action")
        if report.seen_at is not None and (report.seen_at.tzinfo is None
                                           or report.seen_at > now + dt.timedelta(hours=1)):
            raise InvalidInput(f"report {number}: seen_at is a past time with a time zone",
                               code="bad_time")
        clean.append((report, clean_text(report.content_id, "the content id", max_chars=200)))
    tokens = sorted({r.entry_id for r in reports})
    items = {i.token: i for i in ctx.session.scalars(select(FeedItem).where(
        FeedItem.token.in_(tokens)))}
    unknown = [t for t in tokens if t not in items]
    accepted = 0
    for report, content_id in clean:
        item = items.get(report.entry_id)
        if item is None:
            continue
        _store(ctx, principal, item, report.action, content_id, report.seen_at, "jikimi",
               report.tags)
        accepted += 1
    ctx.audit("partner.feedback", "partner", principal.partner_id,
              details={"key_id": principal.key_id, "accepted": accepted,
                       "unknown": len(unknown),
                       "actions": dict(Counter(r.action for r in reports))})
    return FeedbackResult(accepted=accepted, unknown=unknown[:100])


def record_stopncii_feedback(ctx: ServiceContext, principal: PartnerPrincipal,
                             feedbacks: Sequence[tuple[str, str, Sequence[str]]]
                             ) -> FeedbackResult:
    """SubmitFeedback in the StopNCII shape: (hash value, feedbackValue, tags); the report
    applies to every item with that value (one hash may stand for several cases)."""
    principal.require("feedback")
    if not 1 <= len(feedbacks) <= MAX_FEEDBACK:
        raise InvalidInput(f"send 1 to {MAX_FEEDBACK} feedbacks at a time")
    values = sorted({v.strip().lower() for v, _f, _t in feedbacks})
    by_value: dict[str, list[FeedItem]] = {}
    for item in ctx.session.scalars(select(FeedItem).where(
            FeedItem.signal_type.in_(("pdq", "md5")), FeedItem.value_key.in_(values))):
        by_value.setdefault(item.value_key, []).append(item)
    accepted = 0
    unknown: list[str] = []
    for value, feedback_value, tags in feedbacks:
        items = by_value.get(value.strip().lower())
        if not items:
            unknown.append(value[:64])
            continue
        action = STOPNCII_ACTIONS.get(feedback_value, "other")
        clean_tags = [clean_text(str(t), "a tag", max_chars=50) for t in list(tags)[:10]]
        if action == "other" and feedback_value:
            clean_tags.insert(0, clean_text(feedback_value, "the feedback", max_chars=30))
        for item in items:
            _store(ctx, principal, item, action, "", None, "stopncii", clean_tags)
        accepted += 1
    ctx.audit("partner.stopncii_feedback", "partner", principal.partner_id,
              details={"key_id": principal.key_id, "accepted": accepted,
                       "unknown": len(unknown)})
    return FeedbackResult(accepted=accepted, unknown=unknown[:100])


def feedback_for_case(ctx: ServiceContext, case_code: str) -> list[CaseFeedback]:
    """Partners' reports on the case's fingerprints, newest first (who may see the case may
    see them)."""
    case_id, code = case_ref(ctx, case_code)
    rows = ctx.session.execute(
        select(PartnerFeedback, Partner.name, FeedItem.signal_type)
        .join(Partner, Partner.id == PartnerFeedback.partner_id)
        .join(FeedItem, FeedItem.id == PartnerFeedback.item_id)
        .where(PartnerFeedback.case_id == case_id)
        .order_by(PartnerFeedback.received_at.desc(), PartnerFeedback.id.desc())
        .limit(500)).all()
    ctx.audit("partner.feedback_read", "case", code, centre_id=ctx.actor.centre_id,
              details={"count": len(rows)})
    return [CaseFeedback(partner=r.name, action=r.PartnerFeedback.action,
                         signal_type=r.signal_type,
                         partner_content_id=r.PartnerFeedback.partner_content_id,
                         seen_at=r.PartnerFeedback.seen_at,
                         received_at=r.PartnerFeedback.received_at, via=r.PartnerFeedback.via)
            for r in rows]


def statistics(ctx: ServiceContext) -> PartnerStatistics:
    """Partner reports by action, partner and month; what the feed shares now."""
    may_manage_partners(ctx)
    query = (select(PartnerFeedback.action, PartnerFeedback.received_at,
                    PartnerFeedback.case_id, Partner.name)
             .join(Partner, Partner.id == PartnerFeedback.partner_id))
    if ctx.actor.has_role(Role.ADMIN):  # a centre's admin: her centre's cases
        query = query.join(Case, Case.id == PartnerFeedback.case_id).where(
            Case.centre_id == ctx.actor.centre_id)
    rows = ctx.session.execute(query).all()
    by_month: dict[str, Counter[str]] = {}
    for row in rows:
        by_month.setdefault(row.received_at.strftime("%Y-%m"), Counter())[row.action] += 1
    counts = feed_counts(ctx.session)
    partners = len(list(ctx.session.scalars(select(Partner.id).where(
        Partner.disabled_at.is_(None)))))
    ctx.audit("partner.statistics", "statistics", "partners", centre_id=ctx.actor.centre_id)
    return PartnerStatistics(
        feedback_total=len(rows), by_action=dict(Counter(r.action for r in rows)),
        by_partner=dict(Counter(r.name for r in rows)),
        by_month={m: dict(c) for m, c in sorted(by_month.items())},
        cases_with_feedback=len({r.case_id for r in rows}),
        active_items=counts["active_items"], sharing_cases=counts["sharing_cases"],
        partners=partners)
