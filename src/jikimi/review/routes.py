"""HTTP API for the review queue."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from jikimi.accounts import StaffContext
from jikimi.review import service
from jikimi.review.schemas import QueueEntry

router = APIRouter(prefix="/api/v1")
MatchId = Annotated[int, Path(ge=1, le=2**31 - 1)]


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field("", max_length=1000)


@router.get("/review", response_model=list[QueueEntry], tags=["review"])
def review_queue(ctx: StaffContext,
                 status: service.ReviewStatus | None = service.ReviewStatus.PENDING,
                 case: Annotated[str | None, Query(max_length=20)] = None,
                 signal_type: Annotated[str | None, Query(max_length=20)] = None,
                 source_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
                 limit: Annotated[int, Query(ge=1, le=5000)] = 500) -> list[QueueEntry]:
    """Matches of this centre's sources: minors first, then exact matches, then by distance."""
    return service.queue(ctx, status=status, case_code=case, signal_type=signal_type,
                         source_id=source_id, limit=limit)


@router.post("/review/{match_id}/confirm", response_model=QueueEntry, tags=["review"])
def confirm(match_id: MatchId, body: DecisionIn, ctx: StaffContext) -> QueueEntry:
    return service.confirm(ctx, match_id, body.reason)


@router.post("/review/{match_id}/reject", response_model=QueueEntry, tags=["review"])
def reject(match_id: MatchId, body: DecisionIn, ctx: StaffContext) -> QueueEntry:
    return service.reject(ctx, match_id, body.reason)
