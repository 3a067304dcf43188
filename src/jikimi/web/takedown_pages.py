"""Staff web pages of takedowns: the request list (overdue highlighted), a request's detail
(notice, URLs, re-checks, history; send, mark sent, transitions, verify), statistics with
server-drawn SVG charts and CSV, the platform directory editor, and the overdue banner."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from jikimi.accounts import StaffUser, get_runtime, request_language
from jikimi.accounts.names import actor_labeller
from jikimi.core.actors import Role
from jikimi.core.context import ServiceContext
from jikimi.core.i18n import error_message
from jikimi.errors import Conflict, InvalidInput, JikimiError, NotFound
from jikimi.takedown import service
from jikimi.takedown.lifecycle import TAKEDOWN_TRANSITIONS, TakedownStatus
from jikimi.takedown.notices import available_languages, warning_text
from jikimi.takedown.schemas import MonthPlatformRow, PlatformRemoval
from jikimi.web.lists import list_page
from jikimi.web.rendering import render
from jikimi.web.routes import page_errors, staff_page

router = APIRouter(include_in_schema=False)
log = logging.getLogger(__name__)

_PLATFORM_ID = r"^[a-z0-9_]{1,40}$"


def _request_id(value: int) -> int:
    if not 0 < value < 2**31:
        raise NotFound(f"no takedown request {value}")
    return value


# --- list and banner -------------------------------------------------------------------------
# The list pages through the newest requests the service returns (sortable by column).
MAX_LISTED = 5000
TAKEDOWN_SORTS: dict[str, Callable[[Any], Any]] = {
    "id": lambda r: r.id, "case": lambda r: r.case_code, "platform": lambda r: r.platform_name,
    "status": lambda r: r.status, "sent": lambda r: r.sent_at, "deadline": lambda r: r.deadline}


@router.get("/takedowns", response_class=HTMLResponse)
@page_errors
def takedown_list(request: Request, status: str = "", case: str = "", platform: str = "",
                  overdue: str = "") -> Response:
    with staff_page(request) as (ctx, user, csrf):
        chosen = status if status in TakedownStatus._value2member_map_ else ""
        rows = service.list_requests(ctx, status=chosen or None,
                                     case_code=case[:20] or None,
                                     platform=platform[:300] or None,
                                     overdue=True if overdue == "1" else None,
                                     limit=MAX_LISTED)
        page, params = list_page(request, rows, TAKEDOWN_SORTS, "-id")
        return render(request, "takedown_list.html", user=user, csrf=csrf, rows=page.items,
                      page=page, params=params, statuses=list(TakedownStatus),
                      filters={"status": chosen, "case": case[:20], "platform": platform[:300],
                               "overdue": overdue == "1"},
                      is_admin=user.role == Role.ADMIN)


@router.get("/takedowns/overdue-banner", response_class=HTMLResponse)
def overdue_banner(request: Request) -> Response:
    """A banner for the dashboard (the case list loads it): requests past their deadline.
    Empty for anyone who may not see takedowns, or when nothing is overdue."""
    try:
        with staff_page(request) as (ctx, user, csrf):
            if user.role not in (Role.ANALYST, Role.ADMIN):
                return HTMLResponse("")
            rows = service.list_requests(ctx, overdue=True, limit=1000)
            return render(request, "takedown_banner.html", user=user, csrf=csrf, rows=rows)
    except Exception:  # a banner must never break the page it sits on
        log.debug("overdue banner unavailable", exc_info=True)
        return HTMLResponse("")


# --- statistics ------------------------------------------------------------------------------
@dataclass
class Bar:
    label: str
    values: tuple[int, ...]


@dataclass
class Chart:
    """A grouped bar chart drawn on the server as SVG (no script, no outside request)."""

    bars: list[Bar]
    series: tuple[str, ...]
    width: int = 720
    height: int = 240
    left: int = 44
    bottom: int = 40
    top: int = 16

    @property
    def maximum(self) -> int:
        return max([1, *(v for b in self.bars for v in b.values)])

    @property
    def ticks(self) -> list[tuple[int, float]]:
        top = self.maximum
        step = max(1, -(-top // 4))
        return [(v, self.y(v)) for v in range(0, top + step, step)]

    @property
    def slot(self) -> float:
        return (self.width - self.left - 8) / max(1, len(self.bars))

    def y(self, value: int) -> float:
        span = self.height - self.bottom - self.top
        return round(self.height - self.bottom - span * value / max(self.maximum,
                                                                    self.ticks_top), 1)

    @property
    def ticks_top(self) -> int:
        step = max(1, -(-self.maximum // 4))
        return step * -(-self.maximum // step)

    def rects(self) -> list[dict[str, Any]]:
        out = []
        n = len(self.series)
        width = min(self.slot * 0.8 / n, 36.0)
        for i, bar in enumerate(self.bars):
            start = self.left + i * self.slot + (self.slot - width * n) / 2
            for j, value in enumerate(bar.values):
                x = start + j * width
                y = self.y(value)
                out.append({"x": round(x, 1), "y": y, "w": round(width, 1),
                            "h": round(self.height - self.bottom - y, 1), "series": j,
                            "value": value, "label": bar.label,
                            "cx": round(x + width / 2, 1)})
        return out


def _month_chart(rows: list[MonthPlatformRow]) -> Chart:
    months: dict[str, list[int]] = {}
    for r in rows:
        entry = months.setdefault(r.month, [0, 0])
        entry[0] += r.requests
        entry[1] += r.removed
    return Chart([Bar(m, (v[0], v[1])) for m, v in sorted(months.items())[-12:]],
                 ("requests", "removed"))


def _platform_chart(rows: list[MonthPlatformRow], removals: list[PlatformRemoval],
                    names: dict[str, str]) -> Chart:
    sent: dict[str, int] = {}
    for r in rows:
        sent[r.platform_id] = sent.get(r.platform_id, 0) + r.requests
    removed = {p.platform_id: p.removed for p in removals}
    keys = sorted(set(sent) | set(removed), key=lambda k: -sent.get(k, 0))[:10]
    return Chart([Bar(names.get(k, k.removeprefix("site:")), (sent.get(k, 0), removed.get(k, 0)))
                  for k in keys],
                 ("requests", "removed"))


@router.get("/takedowns/statistics", response_class=HTMLResponse)
@page_errors
def statistics_page(request: Request) -> Response:
    with staff_page(request) as (ctx, user, csrf):
        stats = service.statistics(ctx)
        names = {p.id: p.name for p in service.list_platforms(ctx)}
        return render(request, "takedown_statistics.html", user=user, csrf=csrf, stats=stats,
                      names=names, by_month=_month_chart(stats.by_month),
                      by_platform=_platform_chart(stats.by_month, stats.by_platform, names))


@router.get("/takedowns/statistics.csv")
@page_errors
def statistics_csv(request: Request) -> Response:
    with staff_page(request) as (ctx, _user, _csrf):
        body = service.statistics_csv(ctx)
    return Response(body.encode("utf-8"), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": 'attachment; filename="takedown-statistics.csv"'})


# --- platform directory ----------------------------------------------------------------------
@router.get("/takedowns/platforms", response_class=HTMLResponse)
@page_errors
def platforms_page(request: Request) -> Response:
    with staff_page(request) as (ctx, user, csrf):
        return render(request, "takedown_platforms.html", user=user, csrf=csrf,
                      platforms=service.list_platforms(ctx),
                      can_edit=user.role == Role.ADMIN)


@router.get("/takedowns/platforms/{platform_id}", response_class=HTMLResponse)
@page_errors
def platform_page(request: Request, platform_id: str, error: str = "") -> Response:
    with staff_page(request) as (ctx, user, csrf):
        platform = service.get_platform(ctx, platform_id[:40])
        return render(request, "takedown_platform.html", user=user, csrf=csrf,
                      p=platform, can_edit=user.role == Role.ADMIN, error=None,
                      channels=json.dumps(platform.channels, ensure_ascii=False, indent=2),
                      domains=json.dumps(platform.domains, ensure_ascii=False, indent=2))


@router.post("/takedowns/platforms/{platform_id}", response_class=HTMLResponse)
@page_errors
def platform_submit(
    request: Request, platform_id: str,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
    legal_entity: Annotated[str, Form(max_length=300)] = "",
    legal_entity_verified: Annotated[str, Form(max_length=5)] = "",
    jurisdiction: Annotated[str, Form(max_length=2)] = "",
    language: Annotated[str, Form(max_length=20)] = "",
    response_hours: Annotated[int, Form(ge=1, le=24 * 60)] = 72,
    response_hours_basis: Annotated[str, Form(max_length=500)] = "",
    notes: Annotated[str, Form(max_length=5000)] = "",
    channels: Annotated[str, Form(max_length=20_000)] = "[]",
    domains: Annotated[str, Form(max_length=50_000)] = "[]",
    action: Annotated[str, Form(max_length=10)] = "save",
) -> Response:
    with staff_page(request, csrf_token) as (ctx, user, csrf):
        if action == "reset":
            service.reset_platform(ctx, platform_id[:40])
            return RedirectResponse(f"/takedowns/platforms/{platform_id[:40]}",
                                    status_code=303)
        try:
            parsed_channels, parsed_domains = json.loads(channels), json.loads(domains)
        except ValueError as exc:
            raise InvalidInput(f"channels and domains must be JSON lists ({exc})",
                               code="invalid_platform") from exc
        changes = {"name": name, "legal_entity": legal_entity or None,
                   "legal_entity_verified": legal_entity_verified == "1",
                   "jurisdiction": jurisdiction.upper() or None, "language": language,
                   "response_hours": response_hours,
                   "response_hours_basis": response_hours_basis, "notes": notes,
                   "channels": parsed_channels, "domains": parsed_domains}
        try:
            service.update_platform(ctx, platform_id[:40], changes)
        except InvalidInput as exc:
            platform = service.get_platform(ctx, platform_id[:40])
            return render(request, "takedown_platform.html", status_code=422, user=user,
                          csrf=csrf, p=platform, can_edit=True, error=exc.message,
                          channels=channels, domains=domains)
    return RedirectResponse(f"/takedowns/platforms/{platform_id[:40]}", status_code=303)


# --- one request -----------------------------------------------------------------------------
@dataclass
class Typed:
    """What the officer typed into the notice forms, kept when the page comes back with an
    error beside a field."""

    language: str = ""
    recipient: str = ""
    subject: str | None = None
    body: str | None = None


def _detail_page(request: Request, ctx: ServiceContext, user: StaffUser, csrf: str,
                 request_id: int, *, typed: Typed | None = None, error: str | None = None,
                 error_field: str | None = None, status_code: int = 200) -> Response:
    detail = service.get_request(ctx, _request_id(request_id))
    status = TakedownStatus(detail.status)
    targets = sorted(t.value for t in TAKEDOWN_TRANSITIONS.allowed.get(status, frozenset())
                     if t in service.MANUAL_TARGETS)
    refs = [detail.edited_by, detail.approved_by, *(e.actor for e in detail.events),
            *(c.checked_by for c in detail.checks)]
    lang = request_language(request)
    platform = next((p for p in service.list_platforms(ctx) if p.id == detail.platform_id),
                    None)
    return render(request, "takedown_detail.html", status_code=status_code, user=user,
                  csrf=csrf, d=detail, targets=targets, languages=available_languages(),
                  notice_warnings=[warning_text(w.msgid, w.values, w.text, lang)
                                   for w in detail.notice_warning_details],
                  can_act=user.role in (Role.ANALYST, Role.ADMIN),
                  missing=service.mail_readiness(ctx.settings),
                  platform_language=platform.language if platform else "",
                  typed=typed or Typed(), error=error, error_field=error_field,
                  who=actor_labeller(ctx.session, refs, lang, user.centre_id))


@router.get("/takedowns/{request_id}", response_class=HTMLResponse)
@page_errors
def takedown_detail(request: Request, request_id: int) -> Response:
    with staff_page(request) as (ctx, user, csrf):
        return _detail_page(request, ctx, user, csrf, request_id)


def _back(request_id: int) -> RedirectResponse:
    return RedirectResponse(f"/takedowns/{request_id}", status_code=303)


def _said(request: Request, exc: JikimiError) -> str:
    return error_message(exc.code, exc.message, request_language(request))


@router.post("/takedowns/{request_id}/preview", response_class=HTMLResponse)
@page_errors
def preview_submit(request: Request, request_id: int,
                   csrf_token: Annotated[str, Form(max_length=200)] = "",
                   recipient: Annotated[str, Form(max_length=254)] = "",
                   language: Annotated[str, Form(max_length=20)] = "",
                   allow_unverified: Annotated[str, Form(max_length=5)] = "") -> Response:
    """Render the notice for the officer to read and edit (nothing is sent)."""
    typed = Typed(language=language, recipient=recipient)
    with staff_page(request, csrf_token) as (ctx, user, csrf):
        if language and language not in available_languages():
            raise InvalidInput(f"no notice templates in {language!r}", code="bad_language")
        try:
            with ctx.session.begin_nested():
                service.prepare_notice(ctx, _request_id(request_id),
                                       recipient=recipient.strip() or None,
                                       language=language or None,
                                       allow_unverified=allow_unverified == "1")
        except (InvalidInput, Conflict) as exc:
            return _detail_page(request, ctx, user, csrf, request_id, typed=typed,
                                error=_said(request, exc), error_field="preview",
                                status_code=exc.http_status)
    return RedirectResponse(f"/takedowns/{request_id}#notice-card", status_code=303)


@router.post("/takedowns/{request_id}/notice", response_class=HTMLResponse)
@page_errors
def notice_submit(request: Request, request_id: int,
                  csrf_token: Annotated[str, Form(max_length=200)] = "",
                  subject: Annotated[str, Form(max_length=300)] = "",
                  body: Annotated[str, Form(max_length=20_000)] = "") -> Response:
    """Save the officer's text of the notice; an error comes back beside its field with
    what she typed."""
    with staff_page(request, csrf_token) as (ctx, user, csrf):
        try:
            with ctx.session.begin_nested():
                service.edit_notice(ctx, _request_id(request_id), subject=subject, body=body)
        except (InvalidInput, Conflict) as exc:
            field = str(exc.details.get("field") or "body")
            return _detail_page(request, ctx, user, csrf, request_id,
                                typed=Typed(subject=subject, body=body),
                                error=_said(request, exc), error_field=field,
                                status_code=exc.http_status)
    return RedirectResponse(f"/takedowns/{request_id}#notice-card", status_code=303)


@router.post("/takedowns/{request_id}/approve", response_class=HTMLResponse)
@page_errors
def approve_submit(request: Request, request_id: int,
                   csrf_token: Annotated[str, Form(max_length=200)] = "",
                   by_hand: Annotated[str, Form(max_length=5)] = "") -> Response:
    """Approve the notice as it reads: e-mail it now, or release it for the web form."""
    runtime = get_runtime(request)
    with staff_page(request, csrf_token) as (ctx, user, csrf):
        try:
            with ctx.session.begin_nested():
                detail = service.approve_notice(ctx, _request_id(request_id),
                                                by_hand=by_hand == "1")
        except (InvalidInput, Conflict) as exc:
            return _detail_page(request, ctx, user, csrf, request_id,
                                error=_said(request, exc), error_field="approve",
                                status_code=exc.http_status)
    if detail.outbox_status == "queued" and runtime.settings.smtp is not None:
        try:  # the worker sends it otherwise; the outbox row records any failure
            from jikimi.takedown.outbox import dispatch

            dispatch(runtime, message_ids=service.queued_message_ids(runtime, request_id))
        except JikimiError:
            log.warning("dispatch after approving request %s failed", request_id,
                        exc_info=True)
    return _back(request_id)


@router.post("/takedowns/{request_id}/mark-sent", response_class=HTMLResponse)
@page_errors
def mark_sent_submit(request: Request, request_id: int,
                     csrf_token: Annotated[str, Form(max_length=200)] = "",
                     note: Annotated[str, Form(max_length=1000)] = "") -> Response:
    with staff_page(request, csrf_token) as (ctx, _user, _csrf):
        service.mark_sent(ctx, _request_id(request_id), note=note)
    return _back(request_id)


@router.post("/takedowns/{request_id}/transition", response_class=HTMLResponse)
@page_errors
def transition_submit(request: Request, request_id: int,
                      status: Annotated[str, Form(max_length=30)],
                      csrf_token: Annotated[str, Form(max_length=200)] = "",
                      note: Annotated[str, Form(max_length=1000)] = "") -> Response:
    with staff_page(request, csrf_token) as (ctx, _user, _csrf):
        if status not in TakedownStatus._value2member_map_:
            raise InvalidInput(f"unknown status {status!r}", code="invalid_transition")
        service.transition(ctx, _request_id(request_id), status, note)
    return _back(request_id)


@router.post("/takedowns/{request_id}/verify", response_class=HTMLResponse)
@page_errors
def verify_submit(request: Request, request_id: int,
                  csrf_token: Annotated[str, Form(max_length=200)] = "") -> Response:
    """Re-check the open URLs now (after the permission check commits), then show them."""
    from jikimi.takedown.checks import verify_allowed

    runtime = get_runtime(request)
    with staff_page(request, csrf_token) as (ctx, _user, _csrf):
        verify_allowed(ctx, _request_id(request_id))
        actor = ctx.actor
    service.verify(runtime, actor, request_id)
    return _back(request_id)
