"""What was found of one case, for everyone who may see the case: how many places hold a copy
of its registered pictures and how many of them were confirmed, rejected or still wait. The
places themselves (addresses, previews) stay with those who review matches (the review
queue, filtered by the case)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from jikimi.cases import case_ref
from jikimi.core.context import ServiceContext
from jikimi.review.models import ReviewDecision
from jikimi.scans import ItemMatch, ItemVersion


@dataclass(frozen=True)
class CaseFindings:
    places: int
    """Distinct scanned items (places) where a copy of the case's content was found."""
    confirmed: int
    rejected: int
    waiting: int
    """Places with no decision yet (pending or quarantined)."""


def case_findings(ctx: ServiceContext, code: str) -> CaseFindings:
    """Counts of the copies found for a case the actor may see (``cases.case_ref``)."""
    _case_id, case_code = case_ref(ctx, code, records=False)
    rows = ctx.session.execute(
        select(ItemVersion.item_id, ReviewDecision.status)
        .select_from(ItemMatch)
        .join(ItemVersion, ItemVersion.id == ItemMatch.item_version_id)
        .outerjoin(ReviewDecision, ReviewDecision.match_id == ItemMatch.id)
        .where(ItemMatch.case_code == case_code)).all()
    by_item: dict[int, set[str]] = {}
    for item_id, status in rows:
        by_item.setdefault(item_id, set()).add(status or "pending")
    confirmed = sum(1 for s in by_item.values() if "confirmed" in s)
    rejected = sum(1 for s in by_item.values() if s == {"rejected"})
    ctx.audit("review.case_findings", "case", case_code,
              details={"places": len(by_item), "confirmed": confirmed})
    return CaseFindings(places=len(by_item), confirmed=confirmed, rejected=rejected,
                        waiting=len(by_item) - confirmed - rejected)

