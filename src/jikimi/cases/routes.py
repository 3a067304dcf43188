"""HTTP API for cases, consent, notes, the victim's own access and statistics."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from jikimi.accounts import PublicContext, StaffContext, resolve_centre
from jikimi.cases import desk as service_desk
from jikimi.cases import service
from jikimi.cases.desk import CASE_SORTS, DEFAULT_CASE_SORT, CaseQuery
from jikimi.cases.lifecycle import CaseStatus, ConsentPurpose, IntakeChannel
from jikimi.cases.schemas import (
    CaseDetail,
    CaseSummary,
    CentreStatistics,
    ConsentState,
    Note,
    OpenedCase,
    TimelineEvent,
    VictimCaseView,
)
from jikimi.cases.victim_guard import check_victim_request
from jikimi.core.paging import PageRequest

router = APIRouter(prefix="/api/v1")

CaseCode = Annotated[str, Path(min_length=3, max_length=40,
                               description="the case code, like DSC-2026-000123")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CaseIn(Strict):
    channel: IntakeChannel
    name: str | None = Field(None, max_length=200)
    phone: str | None = Field(None, max_length=40)
    email: str | None = Field(None, max_length=254)
    minor: bool = False
    centre_id: int | None = Field(None, ge=1, le=2**31 - 1)
    assign_to: list[Annotated[int, Field(ge=1, le=2**31 - 1)]] = Field(default_factory=list,
                                                                      max_length=20)


class CasePageOut(BaseModel):
    """One page of cases and the total."""

    items: list[CaseSummary]
    total: int
    page: int
    per_page: int
    pages: int
    sort: str


class StatusIn(Strict):
    status: CaseStatus
    reason: str = Field("", max_length=1000)


class AssignIn(Strict):
    user_id: int = Field(ge=1, le=2**31 - 1)


class NoteIn(Strict):
    text: str = Field(min_length=1, max_length=20_000)


class ConsentIn(Strict):
    purpose: ConsentPurpose
    withdraw: bool = False


class EraseIn(Strict):
    reason: str = Field("victim request", max_length=200)


class VictimCredentials(Strict):
    code: str = Field(min_length=3, max_length=40)
    secret: str = Field(min_length=4, max_length=60)


@router.get("/cases", response_model=list[CaseSummary], tags=["cases"])
def list_cases(
    ctx: StaffContext,
    status: CaseStatus | None = None,
    channel: IntakeChannel | None = None,
    minor: bool | None = None,
    mine: bool = False,
    code: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[CaseSummary]:
    """Cases this account may see (see docs/access.md), newest first."""
    return service.list_cases(ctx, status=status, channel=channel, minor=minor,
                              assigned_to_me=mine, code_prefix=code, limit=limit, offset=offset)


@router.post("/cases", response_model=OpenedCase, status_code=201, tags=["cases"])
def open_case(body: CaseIn, ctx: StaffContext) -> OpenedCase:
    """Intake: open a case. The victim's secret is in the response, once."""
    centre = resolve_centre(ctx.session, body.centre_id or ctx.actor.centre_id)
    return service.open_case(ctx, centre, body.channel, name=body.name, phone=body.phone,
                             email=body.email, minor=body.minor, assign_to=body.assign_to)


@router.get("/cases/search", response_model=CasePageOut, tags=["cases"])
def search_cases(
    ctx: StaffContext,
    status: CaseStatus | None = None,
    channel: IntakeChannel | None = None,
    minor: bool | None = None,
    assignee: Annotated[str, Query(max_length=12, pattern=r"^(|me|none|[0-9]{1,9})$",
                                   description="me, none (the intake queue) or a staff id"
                                   )] = "",
    code: Annotated[str, Query(max_length=40, description="part of the case code")] = "",
    opened_from: dt.date | None = None,
    opened_to: dt.date | None = None,
    sort: Annotated[str, Query(max_length=20, description="code, status, opened, updated "
                                                          "or minor; -key for descending")
                    ] = DEFAULT_CASE_SORT,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 50,
) -> CasePageOut:
    """Find cases this account may see by code, status, channel, assignee, intake date or
    minor flag, one page at a time, with the total."""
    request = PageRequest.parse(page, per_page, sort, sorts=tuple(CASE_SORTS),
                                default_sort=DEFAULT_CASE_SORT)
    found = service_desk.search_cases(ctx, CaseQuery(
        status=status, channel=channel, minor=minor, assignee=assignee, code=code,
        opened_from=opened_from, opened_to=opened_to), request)
    return CasePageOut(items=found.items, total=found.total, page=found.page,
                       per_page=found.per_page, pages=found.pages,
                       sort=request.sort_param)


@router.get("/cases/{code}", response_model=CaseDetail, tags=["cases"])
def get_case(code: CaseCode, ctx: StaffContext) -> CaseDetail:
    return service.get_case(ctx, code)


@router.get("/cases/{code}/timeline", response_model=list[TimelineEvent], tags=["cases"])
def case_timeline(code: CaseCode, ctx: StaffContext) -> list[TimelineEvent]:
    return service.timeline(ctx, code)


@router.post("/cases/{code}/status", response_model=CaseDetail, tags=["cases"])
def change_status(code: CaseCode, body: StatusIn, ctx: StaffContext) -> CaseDetail:
    return service.change_status(ctx, code, body.status, body.reason)


@router.post("/cases/{code}/assignments", response_model=CaseDetail, tags=["cases"])
def assign(code: CaseCode, body: AssignIn, ctx: StaffContext) -> CaseDetail:
    return service.assign(ctx, code, body.user_id)


@router.delete("/cases/{code}/assignments/{user_id}", response_model=CaseDetail,
               tags=["cases"])
def unassign(code: CaseCode, user_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
             ctx: StaffContext) -> CaseDetail:
    return service.unassign(ctx, code, user_id)


@router.post("/cases/{code}/pick-up", response_model=CaseDetail, tags=["cases"])
def pick_up(code: CaseCode, ctx: StaffContext) -> CaseDetail:
    """A counsellor takes an unassigned case of her centre (the intake queue)."""
    return service_desk.pick_up(ctx, code)


class HandOverIn(Strict):
    centre_id: int = Field(ge=1, le=2**31 - 1)
    reason: str = Field(min_length=1, max_length=1000)


class HandedOverOut(BaseModel):
    code: str
    centre_name: str


@router.post("/cases/{code}/hand-over", response_model=HandedOverOut, tags=["cases"])
def hand_over(code: CaseCode, body: HandOverIn, ctx: StaffContext) -> HandedOverOut:
    """Move the case to another centre, with a reason (its records follow it)."""
    name = service_desk.hand_over(ctx, code, body.centre_id, body.reason)
    return HandedOverOut(code=code.strip().upper(), centre_name=name)


@router.get("/cases/{code}/notes", response_model=list[Note], tags=["cases"])
def list_notes(code: CaseCode, ctx: StaffContext) -> list[Note]:
    return service.list_notes(ctx, code)


@router.post("/cases/{code}/notes", response_model=Note, status_code=201, tags=["cases"])
def add_note(code: CaseCode, body: NoteIn, ctx: StaffContext) -> Note:
    return service.add_note(ctx, code, body.text)


@router.get("/cases/{code}/consents", response_model=list[ConsentState], tags=["cases"])
def list_consents(code: CaseCode, ctx: StaffContext) -> list[ConsentState]:
    return service.list_consents(ctx, code)


@router.post("/cases/{code}/consents", response_model=CaseDetail, tags=["cases"])
def record_consent(code: CaseCode, body: ConsentIn, ctx: StaffContext) -> CaseDetail:
    """Record consent for a purpose, or withdraw it (``withdraw: true``)."""
    return service.record_consent(ctx, code, body.purpose, withdraw=body.withdraw)


@router.post("/cases/{code}/erase", response_model=CaseDetail, tags=["cases"])
def erase_case(code: CaseCode, body: EraseIn, ctx: StaffContext) -> CaseDetail:
    """Erase contact data, notes and consents at the victim's request; a tombstone stays."""
    return service.erase_case(ctx, code, body.reason)


@router.get("/stats", response_model=list[CentreStatistics], tags=["statistics"])
def statistics(ctx: StaffContext,
               centre_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None
               ) -> list[CentreStatistics]:
    return service.statistics(ctx, centre_id)


def _victim_rate(request: Request, code: str) -> None:
    """Per address, and growing delays per address and case (never a lock-out a stranger
    can cause): :mod:`jikimi.cases.victim_guard`."""
    ip = request.client.host if request.client else "unknown"
    check_victim_request(request.app.state, ip, code)


@router.post("/victim/case", response_model=VictimCaseView, tags=["victim"])
def victim_case(body: VictimCredentials, request: Request, ctx: PublicContext) -> VictimCaseView:
    """The victim's view of her case, with the code and secret she was given at intake."""
    _victim_rate(request, body.code)
    return service.victim_view(ctx, body.code, body.secret)


@router.post("/victim/erase", response_model=VictimCaseView, tags=["victim"])
def victim_erase(body: VictimCredentials, request: Request,
                 ctx: PublicContext) -> VictimCaseView:
    """Erase her data at once: contact details, notes, consents. A tombstone stays."""
    _victim_rate(request, body.code)
    return service.victim_erase(ctx, body.code, body.secret)


