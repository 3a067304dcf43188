"""HTTP API for the review queue: list, detail, previews (blurred unless deliberately asked),
decisions one by one or in bulk, and assignment."""

from __future__ import annotations

import enum
from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from jikimi.accounts import StaffContext
from jikimi.review import preview, service
from jikimi.review.schemas import BulkOutcome, MatchDetail, QueueEntry

router = APIRouter(prefix="/api/v1")
MatchId = Annotated[int, Path(ge=1, le=2**31 - 1)]
MatchIds = Annotated[list[Annotated[int, Field(ge=1, le=2**31 - 1)]],
                     Field(min_length=1, max_length=service.MAX_BULK)]


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field("", max_length=1000)


class UnblurIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field("", max_length=500)


class BulkAction(enum.StrEnum):
    CONFIRM = "confirm"
    REJECT = "reject"
    RELEASE = "release"


class BulkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    match_ids: MatchIds
    action: BulkAction
    reason: str = Field("", max_length=1000)


class AssignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    match_ids: MatchIds
    user_id: int | None = Field(..., ge=1, le=2**31 - 1)


_BULK_TARGETS = {BulkAction.CONFIRM: service.ReviewStatus.CONFIRMED,
                 BulkAction.REJECT: service.ReviewStatus.REJECTED,
                 BulkAction.RELEASE: service.ReviewStatus.PENDING}


@router.get("/review", response_model=list[QueueEntry], tags=["review"])
def review_queue(ctx: StaffContext,
                 status: service.ReviewStatus | None = service.ReviewStatus.PENDING,
                 case: Annotated[str | None, Query(max_length=20)] = None,
                 signal_type: Annotated[str | None, Query(max_length=20)] = None,
                 source_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
                 platform: Annotated[str | None, Query(max_length=40)] = None,
                 assigned: Annotated[str | None, Query(max_length=12)] = None,
                 limit: Annotated[int, Query(ge=1, le=5000)] = 500) -> list[QueueEntry]:
    """Matches of this centre's sources: minors first, then exact matches, then by distance.
    ``platform`` is a directory id (or ``unknown``); ``assigned`` is ``me``, ``none`` or a
    staff id."""
    return service.queue(ctx, status=status, case_code=case, signal_type=signal_type,
                         source_id=source_id, platform=platform, assigned=assigned,
                         limit=limit)


@router.post("/review/bulk", response_model=list[BulkOutcome], tags=["review"])
def bulk(body: BulkIn, ctx: StaffContext) -> list[BulkOutcome]:
    """Confirm, reject (with a reason) or release several matches; one outcome per match."""
    return service.decide_many(ctx, body.match_ids, _BULK_TARGETS[body.action], body.reason)


@router.post("/review/assign", response_model=list[BulkOutcome], tags=["review"])
def assign(body: AssignIn, ctx: StaffContext) -> list[BulkOutcome]:
    """Assign matches to an analyst of the centre (``user_id: null`` unassigns)."""
    return service.assign(ctx, body.match_ids, body.user_id)


@router.get("/review/{match_id}", response_model=MatchDetail, tags=["review"])
def match_detail(match_id: MatchId, ctx: StaffContext) -> MatchDetail:
    """Which fingerprint matched, the registered entry and its case, the item and context."""
    return service.detail(ctx, match_id)


def image_response(shown: preview.Preview) -> Response:
    """A preview as it leaves the server: never cached, never stored."""
    return Response(shown.content, media_type=shown.media_type, headers={
        "Cache-Control": "no-store, private", "Pragma": "no-cache",
        "X-Jikimi-Preview": "blurred" if shown.blurred else "clear",
        "X-Jikimi-Preview-Changed": "1" if shown.changed else "0",
        "Content-Disposition": "inline"})


@router.get("/review/{match_id}/preview", tags=["review"],
            responses={200: {"content": {"image/jpeg": {}, "image/png": {}}}})
def blurred_preview(match_id: MatchId, ctx: StaffContext) -> Response:
    """A small greyscale, blurred preview made now from the item's place (502 when the place
    no longer answers)."""
    target = service.preview_target(ctx, match_id)
    ctx.session.commit()  # the audit entry is written before anything is fetched
    return image_response(preview.render(target, blurred=True))


@router.post("/review/{match_id}/preview/unblurred", tags=["review"],
             responses={200: {"content": {"image/jpeg": {}, "image/png": {}}}})
def unblurred_preview(match_id: MatchId, body: UnblurIn, ctx: StaffContext) -> Response:
    """The clear (still greyscale) preview, for this one response; audited as
    ``review.unblur`` before the item is fetched."""
    target = service.preview_target(ctx, match_id, unblur=True, reason=body.reason)
    ctx.session.commit()
    return image_response(preview.render(target, blurred=False))


@router.post("/review/{match_id}/confirm", response_model=QueueEntry, tags=["review"])
def confirm(match_id: MatchId, body: DecisionIn, ctx: StaffContext) -> QueueEntry:
    return service.confirm(ctx, match_id, body.reason)


@router.post("/review/{match_id}/reject", response_model=QueueEntry, tags=["review"])
def reject(match_id: MatchId, body: DecisionIn, ctx: StaffContext) -> QueueEntry:
    return service.reject(ctx, match_id, body.reason)


@router.post("/review/{match_id}/release", response_model=QueueEntry, tags=["review"])
def release(match_id: MatchId, body: DecisionIn, ctx: StaffContext) -> QueueEntry:
    """Put a quarantined match back in the queue."""
    return service.release(ctx, match_id, body.reason)
