"""Staff web pages of jikimi.evidence: a case's evidence list (capture, package) and an item's
page (details, media, custody log). Screenshots are shown small, blurred and greyscale, made on
the server; seeing one clearly is a deliberate POST with a reason, recorded as a custody event
like every other access."""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from jikimi.evidence import service
from jikimi.evidence.models import EvidenceItem
from jikimi.evidence.package import discard, export_to_temporary
from jikimi.web.rendering import render
from jikimi.web.routes import page_errors, staff_page

router = APIRouter(include_in_schema=False)

CsrfField = Annotated[str, Form(max_length=200)]
ReasonField = Annotated[str, Form(max_length=1000)]
_CAPTURERS = ("investigator", "admin")


def _code(code: str) -> str:
    return code.strip().upper()[:40]


@router.get("/cases/{code}/evidence", response_class=HTMLResponse)
@page_errors
def evidence_list(request: Request, code: str) -> Response:
    with staff_page(request) as (ctx, user, csrf):
        items = service.list_evidence(ctx, _code(code), via="web")
        return render(request, "evidence_list.html", user=user, csrf=csrf, code=_code(code),
                      items=items, may_capture=user.role in _CAPTURERS)


@router.post("/cases/{code}/evidence", response_class=HTMLResponse)
@page_errors
def evidence_capture(request: Request, code: str, url: Annotated[str, Form(max_length=4000)],
                     csrf_token: CsrfField = "", reason: ReasonField = "") -> Response:
    with staff_page(request, csrf_token) as (ctx, _user, _csrf):
        detail = service.capture_url(ctx, _code(code), url, reason=reason, via="web")
    return RedirectResponse(f"/evidence/{detail.id}", status_code=303)


@router.post("/matches/{match_id}/evidence", response_class=HTMLResponse)
@page_errors
def evidence_capture_match(request: Request, match_id: int, csrf_token: CsrfField = "",
                           reason: ReasonField = "") -> Response:
    """Capture the web item of a confirmed match (from the review page)."""
    with staff_page(request, csrf_token) as (ctx, _user, _csrf):
        detail = service.capture_from_match(ctx, match_id, reason=reason, via="web")
    return RedirectResponse(f"/evidence/{detail.id}", status_code=303)


@router.post("/cases/{code}/evidence/package")
@page_errors
def evidence_package(request: Request, code: str, background: BackgroundTasks,
                     csrf_token: CsrfField = "", reason: ReasonField = "",
                     hashes_only: Annotated[str, Form(max_length=5)] = "") -> Response:
    with staff_page(request, csrf_token) as (ctx, _user, _csrf):
        result = export_to_temporary(ctx, _code(code), hashes_only=hashes_only == "1",
                                     reason=reason, via="web")
    background.add_task(discard, result)
    suffix = "-hashes" if result.hashes_only else ""
    return FileResponse(result.path, media_type="application/zip",
                        filename=f"{result.case_code}-evidence{suffix}.zip",
                        headers={"X-Package-SHA256": result.sha256})


def _item_page(request: Request, item_id: int, clear: dict[str, str | None] | None = None
               ) -> Response:
    with staff_page(request) as (ctx, user, csrf):
        detail = service.get_evidence(ctx, item_id, via="web")
        row = ctx.session.get(EvidenceItem, item_id)
        assert row is not None
        custody = service.custody_entries(ctx, row)
        response = render(request, "evidence_item.html", user=user, csrf=csrf, d=detail,
                          custody=custody, clear=clear,
                          may_open=user.role in _CAPTURERS, may_destroy=user.role == "admin")
    response.headers["Cache-Control"] = "no-store, private"
    return response


@router.get("/evidence/{item_id}", response_class=HTMLResponse)
@page_errors
def evidence_item(request: Request, item_id: int) -> Response:
    return _item_page(request, min(item_id, 2**31 - 1))


@router.get("/evidence/{item_id}/preview.png")
@page_errors
def evidence_preview(request: Request, item_id: int) -> Response:
    with staff_page(request) as (ctx, _user, _csrf):
        png = service.preview(ctx, min(item_id, 2**31 - 1), via="web")
    if png is None:
        return Response(status_code=204)
    return Response(png, media_type="image/png", headers={"Cache-Control": "no-store, private"})


@router.post("/evidence/{item_id}/unblur", response_class=HTMLResponse)
@page_errors
def evidence_unblur(request: Request, item_id: int, csrf_token: CsrfField = "",
                    reason: ReasonField = "") -> Response:
    """The screenshot as captured, inline in this one response (recorded, with the reason);
    htmx swaps it into the page, a plain form post gets the whole item page."""
    item_id = min(item_id, 2**31 - 1)
    with staff_page(request, csrf_token) as (ctx, user, csrf):
        png = service.preview(ctx, item_id, clear=True, reason=reason, via="web")
        clear = {"data": f"data:image/png;base64,{base64.b64encode(png).decode()}"
                 if png else None}
        if request.headers.get("hx-request"):
            response = render(request, "evidence_preview.html", user=user, csrf=csrf,
                              clear=clear)
            response.headers["Cache-Control"] = "no-store, private"
            return response
    return _item_page(request, item_id, clear)


@router.post("/evidence/{item_id}/content")
@page_errors
def evidence_content(request: Request, item_id: int, csrf_token: CsrfField = "",
                     reason: ReasonField = "") -> Response:
    with staff_page(request, csrf_token) as (ctx, _user, _csrf):
        data = service.open_content(ctx, min(item_id, 2**31 - 1), reason=reason, via="web")
    return Response(data, media_type="application/warc", headers={
        "Cache-Control": "no-store, private",
        "Content-Disposition": f'attachment; filename="evidence-{item_id}.warc.gz"'})


@router.post("/evidence/{item_id}/destroy", response_class=HTMLResponse)
@page_errors
def evidence_destroy(request: Request, item_id: int, csrf_token: CsrfField = "",
                     reason: ReasonField = "") -> Response:
    with staff_page(request, csrf_token) as (ctx, _user, _csrf):
        service.destroy(ctx, min(item_id, 2**31 - 1), reason=reason, via="web")
    return RedirectResponse(f"/evidence/{item_id}", status_code=303)
