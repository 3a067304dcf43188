"""Staff web pages of jikimi.investigation: the centre's linkage (``/investigation``) and a
case's (``/investigation/cases/{code}``) — the co-sharing graph and the spread timeline as
inline SVG, tables of clusters, places, posters and forwards — with CSV/GraphML/JSON exports
and the litigation documents as downloads. The same services as the API and the CLI."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from jikimi.accounts import request_language
from jikimi.core.actors import Role
from jikimi.core.i18n import translate
from jikimi.errors import InvalidInput
from jikimi.investigation import service
from jikimi.investigation.documents import DocumentFormat, DocumentKind
from jikimi.investigation.drawing import graph_svg, timeline_svg
from jikimi.investigation.exports import CsvTable, ExportFormat
from jikimi.investigation.routes import file_response
from jikimi.investigation.schemas import LinkageOut
from jikimi.web.rendering import render
from jikimi.web.routes import page_errors, staff_page

router = APIRouter(include_in_schema=False)

MinShared = Annotated[int, Query(ge=1, le=1000)]
_MAX_ROWS = 500


def _drawings(out: LinkageOut, lang: str) -> tuple[Markup, Markup]:
    def t(msgid: str) -> str:
        return translate(msgid, lang)

    labels = {"graph_title": t("Places that share content"), "empty": t("No content found yet."),
              "contents": t("contents"), "cluster": t("cluster"),
              "more": t("{n} more places not drawn"),
              "timeline_title": t("How each content spread"), "posted": t("posted"),
              "found": t("found"), "more_rows": t("{n} more contents not drawn")}
    # The drawing escapes every label itself (they come from offenders' channel names).
    return Markup(graph_svg(out, labels=labels)), Markup(timeline_svg(out, labels=labels))  # noqa: S704


def _page(request: Request, out: LinkageOut, **context: Any) -> Response:
    graph, timeline = _drawings(out, request_language(request))
    return render(request, "investigation_linkage.html", out=out, graph=graph,
                  timeline=timeline, labels={p.key: p.label for p in out.places},
                  max_rows=_MAX_ROWS, tables=list(CsvTable), kinds=list(DocumentKind),
                  **context)


@router.get("/investigation", response_class=HTMLResponse)
@page_errors
def investigation_home(request: Request, min_shared: MinShared = 1, case: str = "") -> Response:
    if case.strip():
        target = quote(case.strip()[:40], safe="")
        return RedirectResponse(f"/investigation/cases/{target}", status_code=303)
    with staff_page(request) as (ctx, user, csrf):
        if user.role not in (Role.INVESTIGATOR, Role.ADMIN):
            return render(request, "investigation_linkage.html", user=user, csrf=csrf,
                          out=None, may_export=False, case_code=None)
        out = service.centre_linkage(ctx, min_shared=min_shared)
        return _page(request, out, user=user, csrf=csrf, may_export=True, case_code=None)


@router.get("/investigation/cases/{code}", response_class=HTMLResponse)
@page_errors
def investigation_case(request: Request, code: str, min_shared: MinShared = 1) -> Response:
    with staff_page(request) as (ctx, user, csrf):
        out = service.case_linkage(ctx, code[:40], min_shared=min_shared)
        return _page(request, out, user=user, csrf=csrf, case_code=out.case_code,
                     may_export=user.role in (Role.INVESTIGATOR, Role.ADMIN))


def _export_format(value: str) -> ExportFormat:
    if value not in ExportFormat._value2member_map_:
        raise InvalidInput(f"unknown export format {value!r}; use csv, graphml or json",
                           code="bad_format")
    return ExportFormat(value)


@router.get("/investigation/export")
@page_errors
def investigation_export(request: Request, format: str = "csv", table: str = "sightings",
                         min_shared: MinShared = 1) -> Response:
    with staff_page(request) as (ctx, _user, _csrf):
        return file_response(service.export_linkage(
            ctx, None, _export_format(format[:10]), table=table[:20], min_shared=min_shared))


@router.get("/investigation/cases/{code}/export")
@page_errors
def investigation_case_export(request: Request, code: str, format: str = "csv",
                              table: str = "sightings", min_shared: MinShared = 1) -> Response:
    with staff_page(request) as (ctx, _user, _csrf):
        return file_response(service.export_linkage(
            ctx, code[:40], _export_format(format[:10]), table=table[:20],
            min_shared=min_shared))


@router.get("/investigation/cases/{code}/documents/{kind}")
@page_errors
def investigation_document(request: Request, code: str, kind: str,
                           format: str = "pdf") -> Response:
    with staff_page(request) as (ctx, _user, _csrf):
        if format not in DocumentFormat._value2member_map_:
            raise InvalidInput(f"unknown document format {format[:10]!r}; use pdf or docx",
                               code="bad_format")
        return file_response(service.litigation_document(ctx, code[:40], kind[:40], format))
