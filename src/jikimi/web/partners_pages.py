"""Staff web pages of jikimi.partners: partners and their keys (administrators), what the feed
shares, partners' reports, subscriptions; and partners' reports on one case (a page, and a
fragment the case page can load with htmx)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from jikimi import partners
from jikimi.accounts import get_runtime
from jikimi.web.rendering import render
from jikimi.web.routes import page_errors, staff_page

router = APIRouter(include_in_schema=False)

Csrf = Annotated[str, Form(max_length=200)]


@router.get("/partners", response_class=HTMLResponse)
@page_errors
def partners_page(request: Request) -> Response:
    with staff_page(request) as (ctx, user, csrf):
        found = partners.list_partners(ctx)
        stats = partners.statistics(ctx)
        subscriptions = partners.list_subscriptions(ctx)
        return render(request, "partners_list.html", user=user, csrf=csrf, partners=found,
                      stats=stats, subscriptions=subscriptions,
                      public_key=partners.public_key_text(ctx.keys),
                      scopes=partners.SCOPES)


@router.post("/partners", response_class=HTMLResponse)
@page_errors
def partners_add(request: Request, name: Annotated[str, Form(max_length=120)],
                 csrf_token: Csrf = "", contact: Annotated[str, Form(max_length=254)] = "",
                 rate: Annotated[int, Form(ge=1, le=100_000)] = 600,
                 scope_feed: Annotated[str, Form(max_length=5)] = "",
                 scope_lookup: Annotated[str, Form(max_length=5)] = "",
                 scope_feedback: Annotated[str, Form(max_length=5)] = "") -> Response:
    chosen = [s for s, on in (("feed", scope_feed), ("lookup", scope_lookup),
                              ("feedback", scope_feedback)) if on]
    with staff_page(request, csrf_token) as (ctx, user, csrf):
        issued = partners.add_partner(ctx, name, contact=contact, scopes=chosen or None,
                                      rate_per_minute=rate)
    return render(request, "partners_key.html", user=user, csrf=csrf, issued=issued)


@router.post("/partners/{name}/rotate", response_class=HTMLResponse)
@page_errors
def partners_rotate(request: Request, name: str, csrf_token: Csrf = "",
                    grace: Annotated[int, Form(ge=0, le=10080)] = 0) -> Response:
    with staff_page(request, csrf_token) as (ctx, user, csrf):
        issued = partners.rotate_key(ctx, name[:120], grace_minutes=grace)
    return render(request, "partners_key.html", user=user, csrf=csrf, issued=issued)


@router.post("/partners/{name}/disable", response_class=HTMLResponse)
@page_errors
def partners_disable(request: Request, name: str, csrf_token: Csrf = "") -> Response:
    with staff_page(request, csrf_token) as (ctx, _user, _csrf):
        partners.revoke_partner(ctx, name[:120])
    return RedirectResponse("/partners", status_code=303)


@router.post("/partners/keys/{key_id}/revoke", response_class=HTMLResponse)
@page_errors
def partners_revoke(request: Request, key_id: str, csrf_token: Csrf = "") -> Response:
    with staff_page(request, csrf_token) as (ctx, _user, _csrf):
        partners.revoke_key(ctx, key_id[:16])
    return RedirectResponse("/partners", status_code=303)


@router.post("/partners/subscriptions/{name}/fetch", response_class=HTMLResponse)
@page_errors
def partners_fetch(request: Request, name: str, csrf_token: Csrf = "") -> Response:
    with staff_page(request, csrf_token) as (ctx, _user, _csrf):
        actor = ctx.actor
    partners.fetch(get_runtime(request), actor, name[:120])  # outside the page's transaction
    return RedirectResponse("/partners#subscriptions", status_code=303)


@router.get("/partners/cases/{code}/feedback", response_class=HTMLResponse)
@page_errors
def case_feedback(request: Request, code: str) -> Response:
    """Partners' reports on a case: the whole page, or (htmx) the fragment alone, for the
    case page to load with ``hx-get``."""
    with staff_page(request) as (ctx, user, csrf):
        reports = partners.feedback_for_case(ctx, code[:40])
        template = ("partners_case_fragment.html" if request.headers.get("hx-request")
                    else "partners_case.html")
        return render(request, template, user=user, csrf=csrf, code=code[:40].upper(),
                      reports=reports, case_url=f"/cases/{quote(code[:40])}")
