"""Staff web pages to add monitoring sources of all five types (URL lists, crawls, feeds,
Telegram exports, folders and archives) and to start a scan of a new source at once. A ZIP of
seized media or a zipped Telegram export can be uploaded with the form: it goes into the
centre's import folder through :func:`jikimi.scans.uploads.store_upload` first.

The form only turns fields into the source's stored configuration; :func:`jikimi.scans.
add_source` checks who may add sources and the configuration itself (its source type's
``from_config``). A refused form comes back with what was typed and the reason beside the
field it concerns.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from jikimi import scans
from jikimi.accounts import StaffUser, get_runtime
from jikimi.core.actors import Role
from jikimi.core.context import ServiceContext
from jikimi.core.perimeter import import_roots
from jikimi.errors import Forbidden, InvalidInput, JikimiError, UnsupportedMedia
from jikimi.scans.uploads import UploadTooLarge, store_upload
from jikimi.sources import SOURCE_TYPES
from jikimi.web.form_support import error_text, undo_on_error
from jikimi.web.rendering import render
from jikimi.web.routes import page_errors, staff_page

router = APIRouter(include_in_schema=False)

Csrf = Annotated[str, Form(max_length=200)]
TYPES = ("urls", "crawl", "feed", "telegram", "archive")
WEB_TYPES = ("urls", "crawl", "feed")
UPLOAD_TYPES = ("telegram", "archive")
MAX_URLS = 1000


def _may_add(user: StaffUser) -> None:
    if user.role not in (Role.ANALYST, Role.ADMIN):
        raise Forbidden("sources and scans are run by analysts and administrators")


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()][:MAX_URLS]


def _integer(value: str, field: str, default: int | None) -> int | None:
    value = value.strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise InvalidInput(f"{value!r} is not a whole number", code="not_a_number",
                           field=field) from None


def source_config(source_type: str, form: dict[str, str]) -> dict[str, Any]:
    """The stored configuration of a source of ``source_type`` from the form's fields (the
    source type checks it)."""
    config: dict[str, Any] = {}
    if source_type in WEB_TYPES:
        config["start_urls" if source_type == "crawl" else "urls"] = _lines(form["urls"])
    if source_type == "crawl":
        config["max_depth"] = _integer(form["max_depth"], "max_depth", 2)
        config["max_pages"] = _integer(form["max_pages"], "max_pages", 500)
        if _lines(form["extra_hosts"]):
            config["extra_hosts"] = _lines(form["extra_hosts"])
    if source_type in ("telegram", "archive"):
        config["path"] = form["path"].strip()
    if source_type == "telegram":
        if form["timezone"].strip():
            config["timezone"] = form["timezone"].strip()
        config["include_thumbnails"] = form["include_thumbnails"] == "1"
    if source_type == "archive":
        config["skip_non_media"] = form["skip_non_media"] == "1"
    return config


FIELD_OF_CODE = {"not_a_number": "interval", "bad_source_type": "type",
                 "path_outside_import_roots": "path"}
CONFIG_FIELDS = {"urls": "urls", "start_urls": "urls", "max_depth": "max_depth",
                 "max_pages": "max_pages", "extra_hosts": "extra_hosts", "path": "path",
                 "timezone": "timezone"}


def _field_of(exc: JikimiError) -> str:
    named = str(exc.details.get("field") or "")
    if named in CONFIG_FIELDS:
        return CONFIG_FIELDS[named]
    if named:
        return named if named in ("interval", "name") else "form"
    if exc.code in FIELD_OF_CODE:
        return FIELD_OF_CODE[exc.code]
    if "name" in exc.message and "source name" in exc.message:
        return "name"
    if "interval" in exc.message:
        return "interval"
    return "form"


def _new_source_page(request: Request, ctx: ServiceContext, user: StaffUser, csrf: str,
                     source_type: str, form: dict[str, str] | None = None,
                     errors: dict[str, str] | None = None, status_code: int = 200
                     ) -> Response:
    _may_add(user)
    values = {"name": "", "urls": "", "max_depth": "2", "max_pages": "500", "extra_hosts": "",
              "path": "", "timezone": "Asia/Seoul", "include_thumbnails": "1",
              "skip_non_media": "1", "interval": ""}
    values.update(form or {})
    roots = [str(p) for p in import_roots(ctx.settings)]
    return render(request, "source_new.html", status_code=status_code, user=user, csrf=csrf,
                  types=TYPES, source_type=source_type if source_type in TYPES else "",
                  form=values, errors=errors or {}, import_roots=roots)


@router.get("/sources/new", response_class=HTMLResponse)
@page_errors
def new_source_page(request: Request, type: str = "") -> Response:
    with staff_page(request) as (ctx, user, csrf):
        return _new_source_page(request, ctx, user, csrf, type[:20])


@router.post("/sources/new", response_class=HTMLResponse)
@page_errors
def new_source_submit(
    request: Request,
    csrf_token: Csrf = "",
    type: Annotated[str, Form(max_length=20)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
    urls: Annotated[str, Form(max_length=200_000)] = "",
    max_depth: Annotated[str, Form(max_length=10)] = "",
    max_pages: Annotated[str, Form(max_length=10)] = "",
    extra_hosts: Annotated[str, Form(max_length=20_000)] = "",
    path: Annotated[str, Form(max_length=1000)] = "",
    timezone: Annotated[str, Form(max_length=60)] = "",
    include_thumbnails: Annotated[str, Form(max_length=5)] = "",
    skip_non_media: Annotated[str, Form(max_length=5)] = "",
    interval: Annotated[str, Form(max_length=10)] = "",
    then: Annotated[str, Form(max_length=10)] = "",
    upload: Annotated[UploadFile | None, File()] = None,
) -> Response:
    form = {"name": name, "urls": urls, "max_depth": max_depth, "max_pages": max_pages,
            "extra_hosts": extra_hosts, "path": path, "timezone": timezone,
            "include_thumbnails": include_thumbnails, "skip_non_media": skip_non_media,
            "interval": interval}
    with staff_page(request, csrf_token) as (ctx, user, csrf):
        _may_add(user)
        if type not in SOURCE_TYPES:
            return _new_source_page(request, ctx, user, csrf, "", form,
                                    {"type": error_text(request, InvalidInput(
                                        "choose a kind of source", code="bad_source_type"))},
                                    status_code=422)
        if type in UPLOAD_TYPES and upload is not None and upload.filename:
            # the ZIP or zipped export goes into the centre's import folder first (checked
            # by the one upload service); a refused form then keeps its stored path
            try:
                stored = store_upload(ctx, type, upload.filename, upload.file)
            except (InvalidInput, UnsupportedMedia, UploadTooLarge) as exc:
                return _new_source_page(request, ctx, user, csrf, type, form,
                                        {"upload": error_text(request, exc)},
                                        status_code=exc.http_status)
            form["path"] = stored.path
        try:
            with undo_on_error(ctx):
                minutes = _integer(interval, "interval", None)
                source = scans.add_source(ctx, type, name, source_config(type, form),
                                          interval_minutes=minutes)
                scan_id = scans.start_scan(ctx, source.id) if then == "scan" else None
        except JikimiError as exc:
            if not isinstance(exc, InvalidInput):
                raise
            return _new_source_page(request, ctx, user, csrf, type, form,
                                    {_field_of(exc): error_text(request, exc)},
                                    status_code=422)
    if scan_id is not None:
        from jikimi.scans.launcher import launch_scan

        launch_scan(get_runtime(request), scan_id)  # in a process of its own
        return RedirectResponse(f"/scans/{scan_id}", status_code=303)
    return RedirectResponse(f"/sources?added={source.id}", status_code=303)
