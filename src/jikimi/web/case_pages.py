"""Staff pages of the case desk: the case list (search, sort, pages, the intake queue), and on
the case page picking a case up, assignment, hand-over to another centre, closing with a reason,
erasure at the victim's request, the copies found and their takedowns, and registering the
victim's pictures (fingerprinted in the browser by the portal's own modules).

Every form keeps what was typed when the service refuses it (``jikimi.web.forms``); every
record is reached through the cases service and its access rule.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from jikimi import cases
from jikimi.accounts import StaffUser, request_language
from jikimi.cases import CaseStatus, IntakeChannel
from jikimi.core.actors import Role
from jikimi.core.context import ServiceContext
from jikimi.core.i18n import translate
from jikimi.core.paging import PageRequest
from jikimi.errors import InvalidInput
from jikimi.web.forms import FormState
from jikimi.web.rendering import render
from jikimi.web.routes import page_errors, staff_page

router = APIRouter(include_in_schema=False)

CASE_FIELDS = {"close_reason_required": "reason", "hand_over_reason_required": "reason",
               "bad_centre": "centre", "same_centre": "centre", "bad_case_assignee": "user_id",
               "invalid_transition": "status", "confirm_required": "confirm"}
FORMS = ("status", "close", "assign", "hand_over", "erase", "pick_up", "note")
# Texts case_pictures.js shows (translated here, handed over as JSON data, not script).
PICTURE_MESSAGES = (
    "Choose at least one picture.",
    "This browser cannot compute fingerprints. Use a recent Chrome, Edge or Firefox.",
    "Fingerprinting {n} of {total}…", "Could not read {name}. Nothing was sent.",
    "Sending fingerprints…",
    "Could not reach the server. Check the connection and try again.",
    "Nothing was registered. Try again.",
    "Registered: {items} pictures, {added} new fingerprints. {fingerprints} fingerprints are "
    "registered for this case in all.",
)


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text.strip()[:10]) if text.strip() else None
    except ValueError:
        return None


# --- the list --------------------------------------------------------------------------------
def case_list_view(request: Request, ctx: ServiceContext, user: StaffUser,
                   csrf: str) -> Response:
    """The case list for ``user``: filters from the query, one page, the intake queue."""
    q = request.query_params
    status = q.get("status", "")
    channel = q.get("channel", "")
    minor = q.get("minor", "")
    assignee = q.get("assignee", "")[:12]
    code = q.get("code", "")[:40]
    opened_from, opened_to = _date(q.get("from", "")), _date(q.get("to", ""))
    page_request = PageRequest.parse(q.get("page"), q.get("per_page"), q.get("sort"),
                                     sorts=tuple(cases.CASE_SORTS),
                                     default_sort=cases.DEFAULT_CASE_SORT)
    form = FormState.of(status=status, channel=channel, minor=minor, assignee=assignee,
                        code=code, **{"from": opened_from.isoformat() if opened_from else "",
                                      "to": opened_to.isoformat() if opened_to else ""})
    query = cases.CaseQuery(
        status=CaseStatus(status) if status in CaseStatus._value2member_map_ else None,
        channel=(IntakeChannel(channel) if channel in IntakeChannel._value2member_map_
                 else None),
        minor=True if minor == "1" else (False if minor == "0" else None),
        assignee=assignee if assignee in ("me", "none") or assignee.isdigit() else "",
        code=code, opened_from=opened_from, opened_to=opened_to)
    found = cases.search_cases(ctx, query, page_request)
    queue = cases.intake_queue(ctx) if user.role in (Role.COUNSELLOR, Role.ADMIN) else None
    names = cases.staff_names(ctx, [i for r in found.items for i in r.assignee_ids])
    colleagues = (cases.staff_names(ctx, [u.id for u in _colleagues(ctx, user)])
                  if user.role == Role.ADMIN else {})
    params = {k: v for k, v in form.values.items() if v}
    params["sort"] = page_request.sort_param
    return render(request, "cases_list.html", user=user, csrf=csrf, page=found,
                  rows=found.items, queue=queue, names=names, colleagues=colleagues,
                  filters=form, params=params, statuses=list(CaseStatus),
                  channels=list(IntakeChannel),
                  can_open=user.role in (Role.COUNSELLOR, Role.ADMIN))


def _colleagues(ctx: ServiceContext, user: StaffUser) -> list[StaffUser]:
    from jikimi.accounts import list_users

    return [u for u in list_users(ctx) if u.role in (Role.COUNSELLOR, Role.ANALYST,
                                                     Role.INVESTIGATOR)]


# --- the case page ---------------------------------------------------------------------------
def case_detail_view(request: Request, ctx: ServiceContext, user: StaffUser, csrf: str,
                     code: str, forms: dict[str, FormState] | None = None,
                     status_code: int = 200) -> Response:
    """The case page, with each of its forms as typed (``forms``) when one came back."""
    from jikimi import review, takedown

    detail = cases.get_case(ctx, code[:40])
    events = cases.timeline(ctx, detail.code)
    notes = cases.list_notes(ctx, detail.code) if detail.permissions["notes"] else []
    allowed = sorted(s.value for s in cases.CASE_TRANSITIONS.allowed[detail.status])
    forms = {name: (forms or {}).get(name) or FormState() for name in FORMS}
    reviewer = user.role in (Role.ANALYST, Role.ADMIN)
    matches = (review.queue(ctx, status=None, case_code=detail.code, limit=51)
               if reviewer and not detail.erased else [])
    findings = review.case_findings(ctx, detail.code) if not detail.erased else None
    takedowns = (takedown.service.list_requests(ctx, case_code=detail.code, limit=51)
                 if not detail.erased else [])
    user_ids = list(detail.assignee_ids)
    for e in events:
        if isinstance(e.data.get("user_id"), int):
            user_ids.append(e.data["user_id"])  # type: ignore[arg-type]
    return render(
        request, "case_detail.html", status_code=status_code, user=user, csrf=csrf,
        case=detail, events=events, notes=notes,
        next_statuses=[s for s in allowed if s != CaseStatus.CLOSED.value],
        can_close=CaseStatus.CLOSED.value in allowed,
        names=cases.staff_names(ctx, user_ids),
        assignable=cases.assignable_staff(ctx, detail.code),
        centres=cases.centres_to_hand_over_to(ctx, detail.code),
        matches=matches[:50], more_matches=len(matches) > 50, findings=findings,
        takedowns=takedowns[:50], more_takedowns=len(takedowns) > 50, forms=forms,
        picture_messages={m: translate(m, request_language(request)) for m in PICTURE_MESSAGES})


def _case_form(request: Request, code: str, csrf_token: str, name: str,
               form: FormState, action: Any, done: str | None = None) -> Response:
    """Run ``action(ctx)`` for one of the case page's forms: on success go back to the case
    page (or ``done``); when refused, show the case page again with the form as typed."""
    with form.catch(request, CASE_FIELDS):
        with staff_page(request, csrf_token) as (ctx, _user, _csrf):
            action(ctx)
        return RedirectResponse(done or f"/cases/{code[:40]}#{name}", status_code=303)
    with staff_page(request, csrf_token) as (ctx, user, csrf):
        return case_detail_view(request, ctx, user, csrf, code, {name: form},
                                status_code=form.status_code)


def _confirmed(confirm: str) -> None:
    if confirm != "1":
        raise InvalidInput("tick the box to confirm", code="confirm_required",
                           field="confirm")


@router.post("/cases/{code}/close", response_class=HTMLResponse)
@page_errors
def close_submit(request: Request, code: str,
                 csrf_token: Annotated[str, Form(max_length=200)] = "",
                 reason: Annotated[str, Form(max_length=1000)] = "",
                 confirm: Annotated[str, Form(max_length=5)] = "") -> Response:
    """Close a case: a reason and a ticked confirmation."""
    form = FormState.of(reason=reason, confirm=confirm)

    def act(ctx: ServiceContext) -> None:
        _confirmed(confirm)
        cases.change_status(ctx, code[:40], CaseStatus.CLOSED, reason)

    return _case_form(request, code, csrf_token, "close", form, act)


@router.post("/cases/{code}/pick-up", response_class=HTMLResponse)
@page_errors
def pick_up_submit(request: Request, code: str,
                   csrf_token: Annotated[str, Form(max_length=200)] = "") -> Response:
    """A counsellor takes the case from the intake queue."""
    return _case_form(request, code, csrf_token, "pick_up", FormState(),
                      lambda ctx: cases.pick_up(ctx, code[:40]))


@router.post("/cases/{code}/assign", response_class=HTMLResponse)
@page_errors
def assign_submit(request: Request, code: str,
                  csrf_token: Annotated[str, Form(max_length=200)] = "",
                  user_id: Annotated[str, Form(max_length=12)] = "") -> Response:
    """An administrator assigns a colleague of the case's centre."""
    form = FormState.of(user_id=user_id)

    def act(ctx: ServiceContext) -> None:
        if not user_id.isdigit() or len(user_id) > 9:
            raise InvalidInput("choose a colleague from the list", code="bad_case_assignee",
                               field="user_id")
        cases.assign(ctx, code[:40], int(user_id))

    return _case_form(request, code, csrf_token, "assign", form, act)


@router.post("/cases/{code}/unassign/{user_id}", response_class=HTMLResponse)
@page_errors
def unassign_submit(request: Request, code: str, user_id: int,
                    csrf_token: Annotated[str, Form(max_length=200)] = "") -> Response:
    """An administrator ends a colleague's assignment."""
    if not 0 < user_id < 2**31:
        raise InvalidInput("no such colleague")
    return _case_form(request, code, csrf_token, "assign", FormState(),
                      lambda ctx: cases.unassign(ctx, code[:40], user_id))


@router.post("/cases/{code}/hand-over", response_class=HTMLResponse)
@page_errors
def hand_over_submit(request: Request, code: str,
                     csrf_token: Annotated[str, Form(max_length=200)] = "",
                     centre: Annotated[str, Form(max_length=12)] = "",
                     reason: Annotated[str, Form(max_length=1000)] = "",
                     confirm: Annotated[str, Form(max_length=5)] = "") -> Response:
    """Hand the case over to another centre (reason and confirmation); afterwards the list,
    since the case usually is no longer hers to see."""
    form = FormState.of(centre=centre, reason=reason, confirm=confirm)

    def act(ctx: ServiceContext) -> None:
        if not centre.isdigit() or len(centre) > 9:
            raise InvalidInput("choose the centre that takes the case", code="bad_centre",
                               field="centre")
        _confirmed(confirm)
        cases.hand_over(ctx, code[:40], int(centre), reason)

    return _case_form(request, code, csrf_token, "hand_over", form, act,
                      done=f"/cases?handed_over={code[:40]}")


@router.post("/cases/{code}/erase", response_class=HTMLResponse)
@page_errors
def erase_submit(request: Request, code: str,
                 csrf_token: Annotated[str, Form(max_length=200)] = "",
                 reason: Annotated[str, Form(max_length=200)] = "",
                 confirm: Annotated[str, Form(max_length=5)] = "") -> Response:
    """Erase the case at the victim's request: a reason and a ticked confirmation."""
    form = FormState.of(reason=reason, confirm=confirm)

    def act(ctx: ServiceContext) -> None:
        if not reason.strip():
            raise InvalidInput("say how the victim asked for erasure", field="reason",
                               code="erase_reason_required")
        _confirmed(confirm)
        cases.erase_case(ctx, code[:40], reason)

    return _case_form(request, code, csrf_token, "erase", form, act)


@router.post("/cases/{code}/status", response_class=HTMLResponse)
@page_errors
def status_submit(request: Request, code: str,
                  csrf_token: Annotated[str, Form(max_length=200)] = "",
                  status: Annotated[str, Form(max_length=20)] = "",
                  reason: Annotated[str, Form(max_length=1000)] = "") -> Response:
    """Any other status change (closing has its own form with a confirmation)."""
    form = FormState.of(status=status, reason=reason)

    def act(ctx: ServiceContext) -> None:
        if status not in CaseStatus._value2member_map_:
            raise InvalidInput("choose the new status", code="invalid_transition",
                               field="status")
        if status == CaseStatus.CLOSED.value:
            raise InvalidInput("close the case with the form below (reason and "
                               "confirmation)", field="status")
        cases.change_status(ctx, code[:40], CaseStatus(status), reason)

    return _case_form(request, code, csrf_token, "status", form, act)

