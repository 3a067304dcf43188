"""Staff pages: login with TOTP, case list with filters, case detail with timeline, intake
form and consent form. Every page goes through the same services as the API."""

from __future__ import annotations

import functools
import hmac
import logging
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
    request_language,
    resolve_centre,
    user_for_session,
)
from jikimi.accounts.http import ANONYMOUS
from jikimi.accounts.routes import check_login_rate, set_session_cookie
from jikimi.cases import ConsentPurpose, IntakeChannel
from jikimi.core import authorization
from jikimi.core.actors import Actor, Role
from jikimi.core.authorization import Action, ResourceType
from jikimi.core.context import ServiceContext
from jikimi.core.i18n import error_message
from jikimi.core.paging import Page, PageRequest
from jikimi.errors import Forbidden, InvalidInput, JikimiError, NotAuthenticated
from jikimi.hashing import fingerprint_bytes
from jikimi.web.error_pages import error_page, remember_visitor
from jikimi.web.forms import FormState
from jikimi.web.lists import list_page, text_filter
from jikimi.web.rendering import render

router = APIRouter(include_in_schema=False)
log = logging.getLogger("jikimi.web")


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
        request.state.unit_of_work = ctx  # templates' who() reads names in this session
        remember_visitor(request, user, csrf)
        yield ctx, user, csrf


def actor_for_anonymous() -> Actor:
    return ANONYMOUS


def _redirect_login(request: Request) -> RedirectResponse:
    return RedirectResponse(f"/login?next={request.url.path}", status_code=303)


def _error_page(request: Request, exc: JikimiError) -> HTMLResponse:
    message = error_message(exc.code, exc.message, request_language(request))
    return error_page(request, exc.http_status, message)


def page_errors(handler: Callable[..., Response]) -> Callable[..., Response]:
    """Staff pages: no session → the login page; a jikimi error → an error page with its
    message in the visitor's language, inside her navigation; anything unexpected → the 500
    page (logged), never a traceback (so no route writes these cases again)."""

    @functools.wraps(handler)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        request: Request = kwargs["request"]
        try:
            return handler(*args, **kwargs)
        except LoginRequired:
            return _redirect_login(request)
        except JikimiError as exc:
            return _error_page(request, exc)
        except Exception:
            log.exception("unexpected error on %s %s", request.method, request.url.path)
            return error_page(request, 500)

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
def case_list(request: Request) -> Response:
    from jikimi.web.case_pages import case_list_view

    with staff_page(request) as (ctx, user, csrf):
        if user.role == Role.CENTRAL_ADMIN:
            stats = cases.statistics(ctx)
            return render(request, "central.html", user=user, csrf=csrf, stats=stats)
        return case_list_view(request, ctx, user, csrf)


INTAKE_FIELDS = {"bad_phone": "phone", "bad_email": "email", "bad_channel": "channel"}


def _intake_page(request: Request, form: FormState, csrf_token: str | None = None
                 ) -> Response:
    with staff_page(request, csrf_token) as (_ctx, user, csrf):
        return render(request, "intake.html", status_code=form.status_code, user=user,
                      csrf=csrf, channels=list(IntakeChannel), form=form)


@router.get("/cases/new", response_class=HTMLResponse)
@page_errors
def intake_form(request: Request) -> Response:
    return _intake_page(request, FormState.of(channel=IntakeChannel.HOTLINE.value))


@router.post("/cases/new", response_class=HTMLResponse)
@page_errors
def intake_submit(
    request: Request,
    channel: Annotated[str, Form(max_length=20)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
    phone: Annotated[str, Form(max_length=40)] = "",
    email: Annotated[str, Form(max_length=254)] = "",
    minor: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    form = FormState.of(channel=channel, name=name, phone=phone, email=email, minor=minor)
    with form.catch(request, INTAKE_FIELDS):
        with staff_page(request, csrf_token) as (ctx, user, csrf):
            if channel not in IntakeChannel._value2member_map_:
                raise InvalidInput("choose how the victim reached the centre",
                                   code="bad_channel")
            centre = resolve_centre(ctx.session, user.centre_id)
            opened = cases.open_case(ctx, centre, IntakeChannel(channel), name=name,
                                     phone=phone, email=email, minor=minor == "1")
            return render(request, "case_opened.html", user=user, csrf=csrf, opened=opened)
    return _intake_page(request, form, csrf_token)


@router.get("/cases/{code}", response_class=HTMLResponse)
@page_errors
def case_detail(request: Request, code: str) -> Response:
    from jikimi.web.case_pages import case_detail_view

    with staff_page(request) as (ctx, user, csrf):
        return case_detail_view(request, ctx, user, csrf, code)


@router.post("/cases/{code}/notes", response_class=HTMLResponse)
@page_errors
def case_note_submit(request: Request, code: str,
                     text: Annotated[str, Form(max_length=20_000)],
                     csrf_token: Annotated[str, Form(max_length=200)] = "") -> Response:
    with staff_page(request, csrf_token) as (ctx, _user, _csrf):
        cases.add_note(ctx, code[:40], text)
    return RedirectResponse(f"/cases/{code[:40]}", status_code=303)


def _consent_page(request: Request, code: str, form: FormState,
                  csrf_token: str | None = None) -> Response:
    with staff_page(request, csrf_token) as (ctx, user, csrf):
        detail = cases.get_case(ctx, code[:40])
        return render(request, "consent.html", status_code=form.status_code, user=user,
                      csrf=csrf, case=detail, purposes=list(ConsentPurpose), form=form)


@router.get("/cases/{code}/consents", response_class=HTMLResponse)
@page_errors
def consent_form(request: Request, code: str) -> Response:
    return _consent_page(request, code, FormState())


@router.post("/cases/{code}/consents", response_class=HTMLResponse)
@page_errors
def consent_submit(request: Request, code: str,
                   purpose: Annotated[str, Form(max_length=30)] = "",
                   action: Annotated[str, Form(max_length=10)] = "grant",
                   csrf_token: Annotated[str, Form(max_length=200)] = "") -> Response:
    form = FormState.of(purpose=purpose, action=action)
    with form.catch(request):
        with staff_page(request, csrf_token) as (ctx, _user, _csrf):
            if purpose not in ConsentPurpose._value2member_map_:
                raise InvalidInput("choose one of the purposes listed", code="bad_purpose")
            cases.record_consent(ctx, code[:40], ConsentPurpose(purpose),
                                 withdraw=action == "withdraw")
        return RedirectResponse(f"/cases/{code[:40]}/consents", status_code=303)
    return _consent_page(request, code, form, csrf_token)


# --- banks and matching ----------------------------------------------------------------------
BANK_SORTS: dict[str, Callable[[Any], Any]] = {
    "name": lambda b: b.name.lower(), "entries": lambda b: b.entries,
    "case": lambda b: b.case_code, "created": lambda b: b.created_at}
SOURCE_SORTS: dict[str, Callable[[Any], Any]] = {
    "id": lambda s: s.id, "name": lambda s: s.name.lower(), "type": lambda s: s.type,
    "next": lambda s: s.next_run_at}


def _can_manage_banks(user: StaffUser) -> bool:
    return user.role in (Role.ANALYST, Role.ADMIN, Role.CENTRAL_ADMIN)


def _may_read_bank(ctx: ServiceContext, bank_id: int) -> bool:
    """Whether the bank's page opens for the actor (the list links only those): the access
    table's rule, as the bank page applies it."""
    owned = authorization.find(ctx.session, ResourceType.BANK, bank_id)
    return owned is not None and authorization.permitted(ctx, ResourceType.BANK, owned,
                                                         Action.READ)


@router.get("/banks", response_class=HTMLResponse)
@page_errors
def banks_page(request: Request) -> Response:
    with staff_page(request) as (ctx, user, csrf):
        q = request.query_params.get("q", "")[:100]
        found = text_filter(matching.list_banks(ctx), q, lambda b: b.name,
                            lambda b: b.case_code, lambda b: b.purpose)
        page, params = list_page(request, found, BANK_SORTS, "name")
        readable = {b.id for b in page.items if _may_read_bank(ctx, b.id)}
        return render(request, "banks.html", user=user, csrf=csrf, banks=page.items,
                      page=page, params=params, q=q, can_manage=_can_manage_banks(user),
                      readable=readable)


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
        # a reader of counts only (another centre's central admin, counsellors) sees no entries
        request_page = PageRequest.parse(request.query_params.get("page"), None, None)
        pictures = (matching.list_pictures(ctx, name[:120], limit=request_page.per_page,
                                           offset=request_page.offset)
                    if matching.may_read_entries(ctx, name[:120]) else None)
        page = (Page(items=pictures.items, total=pictures.total, request=request_page)
                if pictures is not None else None)
        return render(request, "bank_detail.html", user=user, csrf=csrf, bank=bank,
                      page=page, params={}, can_manage=_can_manage_banks(user))


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
        q = request.query_params.get("q", "")[:100]
        found = text_filter(scans.list_sources(ctx), q, lambda s: s.name, lambda s: s.type)
        page, params = list_page(request, found, SOURCE_SORTS, "-id")
        return render(request, "sources.html", user=user, csrf=csrf, sources=page.items,
                      page=page, params=params, q=q, scans=scans.list_scans(ctx),
                      can_run=user.role in (Role.ANALYST, Role.ADMIN))


@router.post("/sources/{source_id}/scan", response_class=HTMLResponse)
@page_errors
def source_scan_submit(request: Request, source_id: int,
                       csrf_token: Annotated[str, Form(max_length=200)] = "") -> Response:
    from jikimi.scans.launcher import launch_scan

    with staff_page(request, csrf_token) as (ctx, _user, _csrf):
        scan_id = scans.start_scan(ctx, source_id)
    launch_scan(get_runtime(request), scan_id)  # in a process of its own
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
