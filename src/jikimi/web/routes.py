"""Staff pages: login with TOTP, case list with filters, case detail with timeline, intake
form and consent form. Every page goes through the same services as the API."""

from __future__ import annotations

import functools
import hmac
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from jikimi import cases, faces, matching, scans
from jikimi.accounts import (
    SESSION_COOKIE,
    StaffUser,
    actor_for,
    csrf_token_for,
    get_runtime,
    login,
    logout,
    read_upload,
    resolve_centre,
    user_for_session,
)
from jikimi.accounts.http import ANONYMOUS
from jikimi.accounts.routes import check_login_rate, set_session_cookie
from jikimi.cases import CaseStatus, ConsentPurpose, IntakeChannel
from jikimi.core.actors import Actor, Role
from jikimi.core.context import ServiceContext
from jikimi.core.i18n import error_message
from jikimi.errors import Forbidden, JikimiError, NotAuthenticated, NotFound
from jikimi.hashing import fingerprint_bytes
from jikimi.web.rendering import render

router = APIRouter(include_in_schema=False)


class LoginRequired(Exception):
    pass


@contextmanager
def staff_page(request: Request, csrf_token: str | None = None
               ) -> Iterator[tuple[ServiceContext, StaffUser, str]]:
    """A unit of work for a staff page; checks the CSRF token on form posts."""
    runtime = get_runtime(request)
    cookie = request.cookies.get(SESSION_COOKIE, "")
    with runtime.context(actor_for_anonymous()) as ctx:
        user = user_for_session(ctx.session, cookie) if cookie else None
        if user is None:
            raise LoginRequired
        csrf = csrf_token_for(runtime, cookie)
        if request.method == "POST" and not hmac.compare_digest(csrf_token or "", csrf):
            raise Forbidden("the form expired; reload the page and try again", code="csrf_failed")
        ctx.actor = actor_for(user)
        yield ctx, user, csrf


def actor_for_anonymous() -> Actor:
    return ANONYMOUS


def _redirect_login(request: Request) -> RedirectResponse:
    return RedirectResponse(f"/login?next={request.url.path}", status_code=303)


def _error_page(request: Request, exc: JikimiError) -> HTMLResponse:
    lang = request.cookies.get("jikimi_lang", "ko")
    message = error_message(exc.code, exc.message, lang if lang in ("ko", "en") else "ko")
    return render(request, "error.html", status_code=exc.http_status, message=message,
                  user=None, csrf="")


def page_errors(handler: Callable[..., Response]) -> Callable[..., Response]:
    """Staff pages: no session → the login page; a jikimi error → an error page with its
    message in the visitor's language (so no route writes these two cases again)."""

    @functools.wraps(handler)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        request: Request = kwargs["request"]
        try:
            return handler(*args, **kwargs)
        except LoginRequired:
            return _redirect_login(request)
        except JikimiError as exc:
            return _error_page(request, exc)

    return wrapper


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str | None = None) -> HTMLResponse:
    return render(request, "login.html", user=None, csrf="", next=_safe_next(next), error=None,
                  email="", need_totp=False)


@router.post("/login", response_class=HTMLResponse)
def login_submit(
    request: Request,
    email: Annotated[str, Form(max_length=254)],
    password: Annotated[str, Form(max_length=200)],
    totp: Annotated[str, Form(max_length=12)] = "",
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    runtime = get_runtime(request)
    check_login_rate(request, email)
    with runtime.context(actor_for_anonymous()) as ctx:
        result = login(ctx, email, password, totp or None)
    if isinstance(result, NotAuthenticated):
        lang = request.query_params.get("lang") or request.cookies.get("jikimi_lang") or "ko"
        return render(request, "login.html", status_code=401, user=None, csrf="",
                      next=_safe_next(next), email=email,
                      need_totp=result.code == "totp_required" or bool(totp),
                      error=error_message(result.code, result.message, lang))
    response = RedirectResponse(_safe_next(next), status_code=303)
    set_session_cookie(request, response, result.session_token, result.expires_at)
    return response


@router.post("/logout")
def logout_submit(request: Request, csrf_token: Annotated[str, Form(max_length=200)] = ""
                  ) -> Response:
    try:
        with staff_page(request, csrf_token) as (ctx, _user, _csrf):
            logout(ctx, request.cookies.get(SESSION_COOKIE, ""))
    except LoginRequired:
        pass
    except JikimiError as exc:
        return _error_page(request, exc)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/cases", response_class=HTMLResponse)
@page_errors
def case_list(request: Request, status: str = "", channel: str = "", minor: str = "",
              code: str = "") -> Response:
    with staff_page(request) as (ctx, user, csrf):
        if user.role == Role.CENTRAL_ADMIN:
            stats = cases.statistics(ctx)
            return render(request, "central.html", user=user, csrf=csrf, stats=stats)
        rows = cases.list_cases(
            ctx,
            status=CaseStatus(status) if status in CaseStatus._value2member_map_ else None,
            channel=(IntakeChannel(channel)
                     if channel in IntakeChannel._value2member_map_ else None),
            minor=True if minor == "1" else None,
            code_prefix=code[:40] or None,
        )
        return render(request, "cases_list.html", user=user, csrf=csrf, rows=rows,
                      filters={"status": status, "channel": channel, "minor": minor,
                               "code": code[:40]},
                      statuses=list(CaseStatus), channels=list(IntakeChannel),
                      can_open=user.role in (Role.COUNSELLOR, Role.ADMIN))


@router.get("/cases/new", response_class=HTMLResponse)
@page_errors
def intake_form(request: Request) -> Response:
    with staff_page(request) as (_ctx, user, csrf):
        return render(request, "intake.html", user=user, csrf=csrf,
                      channels=list(IntakeChannel), error=None)


@router.post("/cases/new", response_class=HTMLResponse)
@page_errors
def intake_submit(
    request: Request,
    channel: Annotated[str, Form(max_length=20)],
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
    phone: Annotated[str, Form(max_length=40)] = "",
    email: Annotated[str, Form(max_length=254)] = "",
    minor: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    with staff_page(request, csrf_token) as (ctx, user, csrf):
        if channel not in IntakeChannel._value2member_map_:
            raise NotFound(f"unknown intake channel {channel!r}")
        centre = resolve_centre(ctx.session, user.centre_id)
        opened = cases.open_case(ctx, centre, IntakeChannel(channel), name=name,
                                 phone=phone, email=email, minor=minor == "1")
        return render(request, "case_opened.html", user=user, csrf=csrf, opened=opened)


@router.get("/cases/{code}", response_class=HTMLResponse)
@page_errors
def case_detail(request: Request, code: str) -> Response:
    with staff_page(request) as (ctx, user, csrf):
        detail = cases.get_case(ctx, code[:40])
        events = cases.timeline(ctx, detail.code)
        notes = cases.list_notes(ctx, detail.code) if detail.permissions["notes"] else []
        allowed = sorted(s.value for s in cases.CASE_TRANSITIONS.allowed[detail.status])
        return render(request, "case_detail.html", user=user, csrf=csrf, case=detail,
                      events=events, notes=notes, next_statuses=allowed)


@router.post("/cases/{code}/status", response_class=HTMLResponse)
@page_errors
def case_status_submit(request: Request, code: str,
                       status: Annotated[str, Form(max_length=20)],
                       csrf_token: Annotated[str, Form(max_length=200)] = "",
                       reason: Annotated[str, Form(max_length=1000)] = "") -> Response:
    with staff_page(request, csrf_token) as (ctx, _user, _csrf):
        if status not in CaseStatus._value2member_map_:
            raise NotFound(f"unknown status {status!r}")
        cases.change_status(ctx, code[:40], CaseStatus(status), reason)
    return RedirectResponse(f"/cases/{code[:40]}", status_code=303)


@router.post("/cases/{code}/notes", response_class=HTMLResponse)
@page_errors
def case_note_submit(request: Request, code: str,
                     text: Annotated[str, Form(max_length=20_000)],
                     csrf_token: Annotated[str, Form(max_length=200)] = "") -> Response:
    with staff_page(request, csrf_token) as (ctx, _user, _csrf):
        cases.add_note(ctx, code[:40], text)
    return RedirectResponse(f"/cases/{code[:40]}", status_code=303)


@router.get("/cases/{code}/consents", response_class=HTMLResponse)
@page_errors
def consent_form(request: Request, code: str) -> Response:
    with staff_page(request) as (ctx, user, csrf):
        detail = cases.get_case(ctx, code[:40])
        return render(request, "consent.html", user=user, csrf=csrf, case=detail,
                      purposes=list(ConsentPurpose))


@router.post("/cases/{code}/consents", response_class=HTMLResponse)
@page_errors
def consent_submit(request: Request, code: str,
                   purpose: Annotated[str, Form(max_length=30)],
                   action: Annotated[str, Form(max_length=10)] = "grant",
                   csrf_token: Annotated[str, Form(max_length=200)] = "") -> Response:
    with staff_page(request, csrf_token) as (ctx, _user, _csrf):
        if purpose not in ConsentPurpose._value2member_map_:
            raise NotFound(f"unknown consent purpose {purpose!r}")
        cases.record_consent(ctx, code[:40], ConsentPurpose(purpose),
                             withdraw=action == "withdraw")
    return RedirectResponse(f"/cases/{code[:40]}/consents", status_code=303)


# --- banks and matching ----------------------------------------------------------------------
def _can_manage_banks(user: StaffUser) -> bool:
    return user.role in (Role.ANALYST, Role.ADMIN, Role.CENTRAL_ADMIN)


@router.get("/banks", response_class=HTMLResponse)
@page_errors
def banks_page(request: Request) -> Response:
    with staff_page(request) as (ctx, user, csrf):
        return render(request, "banks.html", user=user, csrf=csrf,
                      banks=matching.list_banks(ctx), can_manage=_can_manage_banks(user))


@router.post("/banks", response_class=HTMLResponse)
@page_errors
def banks_create(request: Request, name: Annotated[str, Form(max_length=120)],
                 csrf_token: Annotated[str, Form(max_length=200)] = "",
                 pdq_threshold: Annotated[int, Form(ge=0, le=31)] = 31,
                 negative: Annotated[str, Form(max_length=5)] = "") -> Response:
    with staff_page(request, csrf_token) as (ctx, _user, _csrf):
        bank = matching.create_bank(ctx, name, negative=negative == "1",
                                    pdq_threshold=pdq_threshold)
    return RedirectResponse(f"/banks/{quote(bank.name)}", status_code=303)


@router.get("/banks/{name}", response_class=HTMLResponse)
@page_errors
def bank_page(request: Request, name: str) -> Response:
    with staff_page(request) as (ctx, user, csrf):
        bank = matching.get_bank(ctx, name[:120])
        entries = matching.list_entries(ctx, bank.name, limit=500)
        return render(request, "bank_detail.html", user=user, csrf=csrf, bank=bank,
                      entries=entries, can_manage=_can_manage_banks(user))


@router.post("/banks/{name}/files", response_class=HTMLResponse)
@page_errors
def bank_add_file(request: Request, name: str, file: Annotated[UploadFile, File()],
                  csrf_token: Annotated[str, Form(max_length=200)] = "") -> Response:
    with staff_page(request, csrf_token) as (ctx, _user, _csrf):
        fp = fingerprint_bytes(read_upload(request, file), with_variants=True)
        matching.add_entries(ctx, name[:120], matching.entries_for_fingerprints(
            fp, label=(file.filename or "")[:200]))
    return RedirectResponse(f"/banks/{quote(name[:120])}", status_code=303)


@router.get("/match", response_class=HTMLResponse)
@page_errors
def match_page(request: Request) -> Response:
    with staff_page(request) as (_ctx, user, csrf):
        return render(request, "match.html", user=user, csrf=csrf, result=None)


@router.post("/match", response_class=HTMLResponse)
@page_errors
def match_submit(request: Request, file: Annotated[UploadFile, File()],
                 csrf_token: Annotated[str, Form(max_length=200)] = "",
                 dihedral: Annotated[str, Form(max_length=5)] = "") -> Response:
    with staff_page(request, csrf_token) as (ctx, user, csrf):
        _fp, lookups = matching.media_lookups(read_upload(request, file))
        result = matching.match_queries(
            ctx, request.app.state.matcher,
            lookups)
        return render(request, "match.html", user=user, csrf=csrf, result=result)


# --- monitoring ------------------------------------------------------------------------------
@router.get("/sources", response_class=HTMLResponse)
@page_errors
def sources_page(request: Request) -> Response:
    with staff_page(request) as (ctx, user, csrf):
        return render(request, "sources.html", user=user, csrf=csrf,
                      sources=scans.list_sources(ctx), scans=scans.list_scans(ctx),
                      can_run=user.role in (Role.ANALYST, Role.ADMIN))


@router.post("/sources/{source_id}/scan", response_class=HTMLResponse)
@page_errors
def source_scan_submit(request: Request, source_id: int,
                       csrf_token: Annotated[str, Form(max_length=200)] = "") -> Response:
    from jikimi.scans.routes import run_in_background

    with staff_page(request, csrf_token) as (ctx, _user, _csrf):
        scan_id = scans.start_scan(ctx, source_id)
    run_in_background(get_runtime(request), request.app.state.matcher, scan_id)
    return RedirectResponse(f"/scans/{scan_id}", status_code=303)


@router.get("/scans/{scan_id}", response_class=HTMLResponse)
@page_errors
def scan_page(request: Request, scan_id: int) -> Response:
    with staff_page(request) as (ctx, user, csrf):
        detail = scans.show_scan(ctx, scan_id)
        return render(request, "scan_detail.html", user=user, csrf=csrf, detail=detail)


@router.get("/scans/{scan_id}/status", response_class=HTMLResponse)
@page_errors
def scan_status_fragment(request: Request, scan_id: int) -> Response:
    """The status card alone, polled by htmx while the scan runs."""
    with staff_page(request) as (ctx, user, csrf):
        detail = scans.show_scan(ctx, scan_id, limit=0)
        return render(request, "scan_status.html", user=user, csrf=csrf, detail=detail)


# --- face search -----------------------------------------------------------------------------
@router.get("/faces", response_class=HTMLResponse)
@page_errors
def faces_page(request: Request) -> Response:
    with staff_page(request) as (ctx, user, csrf):
        return render(request, "faces.html", user=user, csrf=csrf, found=None,
                      detector=faces.detector_status(ctx.settings.synthetic_media_model))


@router.post("/faces", response_class=HTMLResponse)
@page_errors
def faces_submit(request: Request, file: Annotated[UploadFile, File()],
                 csrf_token: Annotated[str, Form(max_length=200)] = "") -> Response:
    with staff_page(request, csrf_token) as (ctx, user, csrf):
        found = faces.search_media(ctx, request.app.state.matcher,
                                   read_upload(request, file))
        return render(request, "faces.html", user=user, csrf=csrf, found=found,
                      detector=found.detector)


@router.post("/cases/{code}/faces", response_class=HTMLResponse)
@page_errors
def case_faces_submit(request: Request, code: str, files: Annotated[list[UploadFile], File()],
                      csrf_token: Annotated[str, Form(max_length=200)] = "") -> Response:
    with staff_page(request, csrf_token) as (ctx, _user, _csrf):
        faces.enroll(ctx, code[:40], [(f.filename or "photo", read_upload(request, f))
                                      for f in files[:20]])
    return RedirectResponse(f"/cases/{code[:40]}", status_code=303)
