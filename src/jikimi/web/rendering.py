"""Rendering pages in the visitor's language, with the CSRF token at hand."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from jikimi.accounts import request_language
from jikimi.core.i18n import translate
from jikimi.matching.alterations import describe as describe_alteration
from jikimi.web import TEMPLATE_DIR

KST = ZoneInfo("Asia/Seoul")

_env = Environment(
    loader=FileSystemLoader(str(TEMPLATE_DIR)),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _kst(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(KST).strftime("%Y-%m-%d %H:%M")


_env.filters["kst"] = _kst


def query_string(params: Mapping[str, object], extra: Mapping[str, object] | None = None
                 ) -> str:
    """``params`` updated with ``extra`` as a URL query, leaving out empty values (for links
    of pagers and sortable column headers)."""
    merged = {**params, **(extra or {})}
    return urlencode([(k, str(v)) for k, v in merged.items() if v not in (None, "", False)])


_env.globals["query_string"] = query_string
_env.globals["alteration"] = describe_alteration


def render(request: Request, template: str, status_code: int = 200,
           **context: Any) -> HTMLResponse:
    """Render ``template`` with ``_`` bound to the request's language."""
    lang = request_language(request)

    def _(msgid: str, **values: object) -> str:
        return translate(msgid, lang, **values)

    from jikimi.core.glossary import closeness
    from jikimi.web.names import josa_for, who_for  # names and particles (issue 15)

    if "who" not in context:  # names instead of ids in every history
        context["who"] = who_for(request, lang, context.get("user"))
    context.setdefault("josa", josa_for(lang))
    context.setdefault("closeness", closeness)  # distances in words (docs/glossary.md)
    from jikimi.web.names import josa_for, who_for  # names and particles (issue 15)

    if "who" not in context:  # names instead of ids in every history
        context["who"] = who_for(request, lang, context.get("user"))
    context.setdefault("josa", josa_for(lang))
    html = _env.get_template(template).render(request=request, lang=lang, _=_, **context)
    response = HTMLResponse(html, status_code=status_code)
    if request.query_params.get("lang") in ("ko", "en"):
        response.set_cookie("jikimi_lang", lang, samesite="lax", httponly=True,
                            max_age=365 * 24 * 3600)
    return response
