"""JSON API of takedown requests (``/api/v1/takedowns``) and the platform directory
(``/api/v1/platforms``).

Sending queues the e-mail in the same transaction and hands it to the dispatcher right after
the transaction commits (the worker sends it otherwise); verification runs after the request
commits too, since it fetches from the web (the result appears in the request's checks).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Body, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from jikimi.accounts import StaffContext, get_runtime
from jikimi.core.runtime import Runtime
from jikimi.takedown import service
from jikimi.takedown.checks import verify, verify_allowed
from jikimi.takedown.lifecycle import TakedownStatus
from jikimi.takedown.outbox import dispatch
from jikimi.takedown.schemas import PlatformOut, RequestDetail, RequestSummary, TakedownStatistics

router = APIRouter(prefix="/api/v1")
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
PlatformId = Annotated[str, Path(pattern=r"^[a-z0-9_]{1,40}$")]
log = logging.getLogger(__name__)


class SendIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    recipient: str | None = Field(None, max_length=254,
                                  description="send to this address instead of the directory's")
    language: str | None = Field(None, max_length=20, pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
    legal_basis: list[Annotated[str, Field(max_length=80)]] | None = Field(None, max_length=20)
    allow_unverified: bool = Field(False, description="allow an unverified address or article")


class NoticeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject: str = Field(max_length=300)
    body: str = Field(max_length=20_000)


class ApproveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    by_hand: bool = Field(False, description="release the notice for submission by hand (web "
                          "form) even when the platform takes e-mail")


class MarkSentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sent_at: dt.datetime | None = None
    note: str = Field("", max_length=1000)


class TransitionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: TakedownStatus
    note: str = Field("", max_length=1000)


class VerifyStarted(BaseModel):
    request_id: int
    started: bool = True


def _dispatch_after_commit(runtime: Runtime, request_id: int) -> None:
    if runtime.settings.smtp is None:
        return
    try:
        ids = service.queued_message_ids(runtime, request_id)
        if ids:
            dispatch(runtime, message_ids=ids)
    except Exception:  # the worker retries; the outbox row records the failure
        log.exception("dispatch after sending request %s failed", request_id)


def _verify_after_commit(runtime: Runtime, ctx_actor: Any, request_id: int) -> None:
    try:
        verify(runtime, ctx_actor, request_id)
    except Exception:
        log.exception("verification of request %s failed", request_id)


@router.get("/takedowns", response_model=list[RequestSummary], tags=["takedowns"])
def list_takedowns(ctx: StaffContext, status: TakedownStatus | None = None,
                   case: Annotated[str | None, Query(max_length=20)] = None,
                   platform: Annotated[str | None, Query(max_length=300)] = None,
                   overdue: bool | None = None,
                   limit: Annotated[int, Query(ge=1, le=5000)] = 500) -> list[RequestSummary]:
    """Requests of the centre, newest first."""
    return service.list_requests(ctx, status=status, case_code=case, platform=platform,
                                 overdue=overdue, limit=limit)


@router.get("/takedowns/statistics", response_model=TakedownStatistics, tags=["takedowns"])
def statistics(ctx: StaffContext, centre_id: Annotated[int | None, Query(ge=1)] = None,
               since: dt.datetime | None = None,
               until: dt.datetime | None = None) -> TakedownStatistics:
    """Requests and removals by month and platform, median time to removal, re-upload rate."""
    return service.statistics(ctx, centre_id=centre_id, since=since, until=until)


@router.get("/takedowns/statistics.csv", tags=["takedowns"],
            response_class=Response, responses={200: {"content": {"text/csv": {}}}})
def statistics_csv(ctx: StaffContext, centre_id: Annotated[int | None, Query(ge=1)] = None,
                   since: dt.datetime | None = None,
                   until: dt.datetime | None = None) -> Response:
    body = service.statistics_csv(ctx, centre_id=centre_id, since=since, until=until)
    return Response(body.encode("utf-8"), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": 'attachment; filename="takedown-statistics.csv"'})


@router.get("/takedowns/{request_id}", response_model=RequestDetail, tags=["takedowns"])
def show(request_id: Id, ctx: StaffContext) -> RequestDetail:
    return service.get_request(ctx, request_id)


@router.post("/takedowns/{request_id}/send", response_model=RequestDetail, tags=["takedowns"])
def send(request_id: Id, body: SendIn, request: Request, ctx: StaffContext,
         background: BackgroundTasks) -> RequestDetail:
    """Preview and approve in one step (automation): e-mail the notice through the outbox, or
    prepare it for the web form. Without a mail server the e-mail waits for the worker."""
    detail = service.send_request(ctx, request_id, recipient=body.recipient,
                                  language=body.language, legal_basis=body.legal_basis,
                                  allow_unverified=body.allow_unverified)
    if detail.outbox_status == "queued":
        background.add_task(_dispatch_after_commit, get_runtime(request), request_id)
    return detail


@router.post("/takedowns/{request_id}/preview", response_model=RequestDetail,
             tags=["takedowns"])
def preview(request_id: Id, body: SendIn, ctx: StaffContext) -> RequestDetail:
    """Render the draft's notice (platform's language unless ``language``) for the officer to
    read and edit; nothing is sent until it is approved."""
    return service.prepare_notice(ctx, request_id, recipient=body.recipient,
                                  language=body.language, legal_basis=body.legal_basis,
                                  allow_unverified=body.allow_unverified)


@router.put("/takedowns/{request_id}/notice", response_model=RequestDetail,
            tags=["takedowns"])
def edit_notice(request_id: Id, body: NoticeIn, ctx: StaffContext) -> RequestDetail:
    """Replace the prepared notice's subject and text (audited); it must still list every
    URL of the request."""
    return service.edit_notice(ctx, request_id, subject=body.subject, body=body.body)


@router.post("/takedowns/{request_id}/approve", response_model=RequestDetail,
             tags=["takedowns"])
def approve(request_id: Id, body: ApproveIn, request: Request, ctx: StaffContext,
            background: BackgroundTasks) -> RequestDetail:
    """Approve the notice as it reads: e-mail it through the outbox, or release it for the
    web form (then ``mark-sent``). Without a mail server an e-mail approval answers 409 with
    a sentence saying so."""
    detail = service.approve_notice(ctx, request_id, by_hand=body.by_hand)
    if detail.outbox_status == "queued":
        background.add_task(_dispatch_after_commit, get_runtime(request), request_id)
    return detail


@router.post("/takedowns/{request_id}/mark-sent", response_model=RequestDetail,
             tags=["takedowns"])
def mark_sent(request_id: Id, body: MarkSentIn, ctx: StaffContext) -> RequestDetail:
    """The analyst submitted the prepared notice (web form): the deadline runs from now."""
    return service.mark_sent(ctx, request_id, sent_at=body.sent_at, note=body.note)


@router.post("/takedowns/{request_id}/transition", response_model=RequestDetail,
             tags=["takedowns"])
def transition(request_id: Id, body: TransitionIn, ctx: StaffContext) -> RequestDetail:
    """acknowledged, refused, overdue, escalated, or removed / partially_removed by hand."""
    return service.transition(ctx, request_id, body.status, body.note)


@router.post("/takedowns/{request_id}/verify", response_model=VerifyStarted, status_code=202,
             tags=["takedowns"])
def start_verify(request_id: Id, request: Request, ctx: StaffContext,
                 background: BackgroundTasks) -> VerifyStarted:
    """Re-check the request's open URLs after this request commits (see its checks)."""
    verify_allowed(ctx, request_id)
    background.add_task(_verify_after_commit, get_runtime(request), ctx.actor, request_id)
    return VerifyStarted(request_id=request_id)


@router.get("/platforms", response_model=list[PlatformOut], tags=["platforms"])
def platforms(ctx: StaffContext) -> list[PlatformOut]:
    """The platform directory in use (unverified contacts flagged)."""
    return service.list_platforms(ctx)


@router.get("/platforms/{platform_id}", response_model=PlatformOut, tags=["platforms"])
def platform(platform_id: PlatformId, ctx: StaffContext) -> PlatformOut:
    return service.get_platform(ctx, platform_id)


@router.patch("/platforms/{platform_id}", response_model=PlatformOut, tags=["platforms"])
def update_platform(platform_id: PlatformId, ctx: StaffContext,
                    changes: Annotated[dict[str, Any], Body()]) -> PlatformOut:
    """Admins: change fields of a platform, or add one with a whole record."""
    return service.update_platform(ctx, platform_id, changes)


@router.delete("/platforms/{platform_id}/edit", status_code=204, tags=["platforms"])
def reset_platform(platform_id: PlatformId, ctx: StaffContext) -> Response:
    """Admins: undo the edit (the seeded record applies again)."""
    service.reset_platform(ctx, platform_id)
    return Response(status_code=204)
