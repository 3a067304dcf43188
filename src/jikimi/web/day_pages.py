"""Staff pages of the day: the start page of each role (``/``: what needs doing today, and
month-by-month charts drawn on the server as SVG) and the administrator's status page
(``/status``: mail, worker, key file and its backup, disk, outbox)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from jikimi import ops
from jikimi.accounts import request_language
from jikimi.ops.dashboard import Monthly, start_page
from jikimi.ops.wording import check_sentence
from jikimi.web.rendering import render
from jikimi.web.routes import page_errors, staff_page
from jikimi.web.takedown_pages import Bar, Chart

router = APIRouter(include_in_schema=False)


def monthly_chart(monthly: Monthly, series: tuple[str, ...]) -> Chart:
    """A grouped bar chart of some series of ``monthly`` (months labelled ``MM``, and the
    year where it changes)."""
    bars = []
    for i, month in enumerate(monthly.months):
        label = month if i == 0 or month.endswith("-01") else month[5:]
        bars.append(Bar(label, tuple(monthly.values.get(s, [0] * len(monthly.months))[i]
                                     for s in series)))
    return Chart(bars, series)


@router.get("/", response_class=HTMLResponse)
@page_errors
def start(request: Request) -> Response:
    """The start page after login: today's work for the role, and the charts."""
    with staff_page(request) as (ctx, user, csrf):
        page = start_page(ctx)
        charts = {}
        if page.monthly is not None:
            charts = {"work": monthly_chart(page.monthly, ("cases", "matches")),
                      "takedowns": monthly_chart(page.monthly, ("requests", "removed"))}
        return render(request, "start.html", user=user, csrf=csrf, page=page, charts=charts)


@router.get("/status", response_class=HTMLResponse)
@page_errors
def status_page(request: Request) -> Response:
    """The administrator's status page."""
    with staff_page(request) as (ctx, user, csrf):
        status = ops.system_status(ctx)
        lang = request_language(request)
        lines = [(c, check_sentence(c, lang)) for c in status.checks]
        return render(request, "status.html", user=user, csrf=csrf, status=status,
                      lines=lines)
