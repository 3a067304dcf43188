"""Staff pages of the review queue: filters, assignment, bulk decisions, and a match's detail
with its preview, blurred until the reviewer deliberately asks (audited) for the clear view."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from jikimi import review, scans
from jikimi.errors import Forbidden, InvalidInput, MediaError, NotFound
from jikimi.review.routes import image_response
from jikimi.sources import SourceError
from jikimi.web.forms import FormState
from jikimi.web.lists import list_page
from jikimi.web.rendering import render
from jikimi.web.routes import page_errors, staff_page

router = APIRouter(include_in_schema=False)

PAGE_ROWS = 100
MAX_LISTED = 5000
# The queue's own order (minors first, then the surest) unless a column is chosen.
REVIEW_SORTS: dict[str, Callable[[review.QueueEntry], Any]] = {
    "case": lambda e: e.case_code, "distance": lambda e: e.distance,
    "found": lambda e: e.first_seen, "status": lambda e: e.status}
SIGNALS = ("sha256", "md5", "pdq", "vpdq", "face")
_ACTIONS = {"confirm": review.ReviewStatus.CONFIRMED, "reject": review.ReviewStatus.REJECTED,
            "release": review.ReviewStatus.PENDING}


def _platform_choices() -> list[tuple[str, str]]:
    from jikimi.takedown import load_directory

    return sorted(((p.id, p.name) for p in load_directory().platforms), key=lambda p: p[1])


def _int_or_none(value: str) -> int | None:
    return int(value) if value.isdigit() and 0 < int(value) < 2**31 else None


@router.get("/review", response_class=HTMLResponse)
@page_errors
def queue_page(request: Request, status: str = "pending", case: str = "", platform: str = "",
               signal: str = "", source: str = "", assigned: str = "", done: str = "",
               failed: str = "") -> Response:
    with staff_page(request) as (ctx, user, csrf):
        chosen = (review.ReviewStatus(status)
                  if status in review.ReviewStatus._value2member_map_ else None)
        filters = {"status": status if chosen else "", "case": case[:20],
                   "platform": platform[:40], "signal": signal if signal in SIGNALS else "",
                   "source": source if _int_or_none(source) else "",
                   "assigned": assigned[:12]}
        entries = review.queue(ctx, status=chosen, case_code=filters["case"] or None,
                               platform=filters["platform"] or None,
                               signal_type=filters["signal"] or None,
                               source_id=_int_or_none(source),
                               assigned=filters["assigned"] or None, limit=MAX_LISTED + 1)
        page, params = list_page(request, entries[:MAX_LISTED], REVIEW_SORTS, "", PAGE_ROWS)
        return render(request, "review_queue.html", user=user, csrf=csrf,
                      entries=page.items, more=len(entries) > MAX_LISTED, page=page,
                      params=params,
                      filters=filters, statuses=list(review.ReviewStatus),
                      platforms=_platform_choices(), signals=SIGNALS,
                      sources=scans.list_sources(ctx), reviewers=review.reviewers(ctx),
                      done=_int_or_none(done) or 0, failed=_int_or_none(failed) or 0,
                      back=urlencode({k: v for k, v in request.query_params.items()
                                      if k not in ("done", "failed", "lang")}))


@router.post("/review/bulk", response_class=HTMLResponse)
@page_errors
def bulk_submit(request: Request,
                action: Annotated[str, Form(max_length=10)],
                match_ids: Annotated[list[int], Form()],
                csrf_token: Annotated[str, Form(max_length=200)] = "",
                reason: Annotated[str, Form(max_length=1000)] = "",
                assignee: Annotated[str, Form(max_length=12)] = "",
                back: Annotated[str, Form(max_length=1000)] = "") -> Response:
    with staff_page(request, csrf_token) as (ctx, _user, _csrf):
        if action == "assign":
            outcomes = review.assign(ctx, match_ids, _int_or_none(assignee))
        elif action in _ACTIONS:
            outcomes = review.decide_many(ctx, match_ids, _ACTIONS[action], reason)
        else:
            raise InvalidInput(f"unknown action {action!r}")
    ok = sum(o.ok for o in outcomes)
    query = back if back and not back.startswith(("/", "\\")) and "\n" not in back else ""
    params = urlencode({"done": ok, "failed": len(outcomes) - ok})
    return RedirectResponse(f"/review?{query + '&' if query else ''}{params}", status_code=303)


@router.get("/review/{match_id}", response_class=HTMLResponse)
@page_errors
def detail_page(request: Request, match_id: int) -> Response:
    with staff_page(request) as (ctx, user, csrf):
        found = review.detail(ctx, _match_id(match_id))
        return render(request, "review_detail.html", user=user, csrf=csrf, d=found,
                      reviewers=review.reviewers(ctx), clear=None)


def _match_id(match_id: int) -> int:
    if not 0 < match_id < 2**31:
        raise NotFound(f"no match {match_id}")
    return match_id


@router.get("/review/{match_id}/preview")
@page_errors
def preview_image(request: Request, match_id: int) -> Response:
    """The blurred preview as an image; a neutral card when the place no longer answers."""
    with staff_page(request) as (ctx, _user, _csrf):
        target = review.preview_target(ctx, _match_id(match_id))
        ctx.session.commit()
    try:
        return image_response(review.render(target, blurred=True))
    except (SourceError, MediaError) as exc:
        response = image_response(review.Preview(review.placeholder(), "image/png", True,
                                                 True, False))
        response.headers["X-Jikimi-Preview"] = f"unavailable; {exc.code}"
        return response


@router.post("/review/{match_id}/unblur", response_class=HTMLResponse)
@page_errors
def unblur(request: Request, match_id: int,
           csrf_token: Annotated[str, Form(max_length=200)] = "",
           reason: Annotated[str, Form(max_length=500)] = "") -> Response:
    """The clear preview, inline in this one response (audited before the fetch); htmx swaps
    it into the page, a plain form post gets the whole detail page."""
    with staff_page(request, csrf_token) as (ctx, user, csrf):
        target = review.preview_target(ctx, _match_id(match_id), unblur=True, reason=reason)
        ctx.session.commit()
        error = None
        try:
            shown: review.Preview | None = review.render(target, blurred=False)
        except (SourceError, MediaError) as exc:
            shown, error = None, exc.code
        clear = {"error": error, "data": None if shown is None else
                 f"data:{shown.media_type};base64,{base64.b64encode(shown.content).decode()}",
                 "changed": bool(shown and shown.changed)}
        if request.headers.get("hx-request"):
            response = render(request, "review_preview.html", user=user, csrf=csrf,
                              match_id=match_id, clear=clear)
        else:
            response = render(request, "review_detail.html", user=user, csrf=csrf,
                              d=review.detail(ctx, match_id), reviewers=review.reviewers(ctx),
                              clear=clear)
        response.headers["Cache-Control"] = "no-store, private"
        return response


@router.post("/review/{match_id}/decide", response_class=HTMLResponse)
@page_errors
def decide(request: Request, match_id: int, action: Annotated[str, Form(max_length=10)] = "",
           csrf_token: Annotated[str, Form(max_length=200)] = "",
           reason: Annotated[str, Form(max_length=1000)] = "") -> Response:
    """Confirm, reject (with a reason) or release; a refused decision shows the page again
    with the reason as typed and the error beside it."""
    form = FormState.of(action=action, reason=reason)
    with form.catch(request, {"reject_reason_required": "reason", "bad_review_action": "reason"}):
        with staff_page(request, csrf_token) as (ctx, _user, _csrf):
            if action == "confirm":
                review.confirm(ctx, _match_id(match_id), reason)
            elif action == "reject":
                review.reject(ctx, _match_id(match_id), reason)
            elif action == "release":
                review.release(ctx, _match_id(match_id), reason)
            else:
                raise InvalidInput("choose confirm, reject or release", code="bad_review_action")
        return RedirectResponse(f"/review/{match_id}", status_code=303)
    with staff_page(request, csrf_token) as (ctx, user, csrf):
        return render(request, "review_detail.html", status_code=form.status_code, user=user,
                      csrf=csrf, d=review.detail(ctx, _match_id(match_id)),
                      reviewers=review.reviewers(ctx), clear=None, form=form)


@router.post("/review/{match_id}/assign", response_class=HTMLResponse)
@page_errors
def assign(request: Request, match_id: int,
           csrf_token: Annotated[str, Form(max_length=200)] = "",
           assignee: Annotated[str, Form(max_length=12)] = "") -> Response:
    with staff_page(request, csrf_token) as (ctx, _user, _csrf):
        outcome = review.assign(ctx, [_match_id(match_id)], _int_or_none(assignee))[0]
        if not outcome.ok:
            raise (Forbidden if outcome.code == "forbidden" else NotFound)(
                outcome.error or f"no match {match_id}")
    return RedirectResponse(f"/review/{match_id}", status_code=303)
