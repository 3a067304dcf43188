"""HTTP API for sources and scans. A scan started here runs in a process of its own
(:func:`jikimi.scans.launcher.launch_scan`), never in the serving process; its status is
polled (the web page does it with htmx)."""

from __future__ import annotations

import tempfile
from typing import IO, Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from jikimi.accounts import StaffContext
from jikimi.errors import InvalidInput
from jikimi.scans import service, uploads
from jikimi.scans.launcher import launch_scan
from jikimi.scans.schemas import ScanDetail, ScanSummary, SourceOut

router = APIRouter(prefix="/api/v1")
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]


class SourceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: str = Field(max_length=20, description="urls, crawl, feed, telegram or archive")
    name: str = Field(min_length=1, max_length=200)
    config: dict[str, Any] = Field(default_factory=dict)
    interval_minutes: int | None = Field(None, ge=5, le=525_600)


class ReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=8, max_length=4000)
    note: str = Field("", max_length=500)
    scan: bool = Field(True, description="start (or continue) the scan right away")


class ReportOut(BaseModel):
    source_id: int
    scan_id: int | None


class ScanStarted(BaseModel):
    scan_id: int


@router.get("/sources", response_model=list[SourceOut], tags=["scans"])
def list_sources(ctx: StaffContext) -> list[SourceOut]:
    return service.list_sources(ctx)


@router.post("/sources", response_model=SourceOut, status_code=201, tags=["scans"])
def add_source(body: SourceIn, ctx: StaffContext) -> SourceOut:
    return service.add_source(ctx, body.type, body.name, body.config,
                              interval_minutes=body.interval_minutes)


_SPOOL_BYTES = 8 * 1024 * 1024
_ZIP_BODY = {"requestBody": {"required": True, "content": {
    "application/zip": {"schema": {"type": "string", "format": "binary"}},
    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
    "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary"},
        "kind": {"type": "string", "enum": list(uploads.UPLOAD_KINDS)}}}}}}}


@router.post("/sources/uploads", response_model=uploads.UploadOut, status_code=201,
             tags=["scans"], openapi_extra=_ZIP_BODY)
async def upload_for_source(
    request: Request, ctx: StaffContext,
    kind: Annotated[str, Query(max_length=20, description="archive or telegram")] = "archive",
    filename: Annotated[str, Query(max_length=255)] = "upload.zip",
) -> uploads.UploadOut:
    """Upload a ZIP of media (``kind=archive``) or a zipped Telegram Desktop export
    (``kind=telegram``) into the centre's import folder: the raw ZIP as the body, or a
    multipart form with ``file`` (and ``kind``). Answers the path to give the new source."""
    uploads.may_upload(ctx)
    limit = ctx.settings.max_upload_bytes
    spool: IO[bytes]
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        form = await request.form(max_files=1, max_fields=5)
        part = form.get("file")
        if not isinstance(part, UploadFile):
            raise InvalidInput("the form needs the ZIP as its 'file' field",
                               code="upload_missing")
        kind = str(form.get("kind") or kind)
        filename = part.filename or filename
        spool = part.file
    else:
        spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES)
        received = 0
        async for chunk in request.stream():
            received += len(chunk)
            if received > limit:
                spool.close()
                raise uploads.UploadTooLarge(
                    f"the upload is larger than the limit of {limit:,} bytes "
                    "(JIKIMI_MAX_UPLOAD_BYTES)")
            spool.write(chunk)
    try:
        spool.seek(0)
        return await run_in_threadpool(uploads.store_upload, ctx, kind, filename, spool)
    finally:
        spool.close()


@router.post("/sources/{source_id}/scans", response_model=ScanStarted, status_code=202,
             tags=["scans"])
def start_scan(source_id: Id, request: Request, ctx: StaffContext,
               background: BackgroundTasks) -> ScanStarted:
    """Start a scan (or resume the unfinished one) in a process of its own; nothing more is
    started while a runner has it."""
    scan_id = service.start_scan(ctx, source_id)
    background.add_task(launch_scan, request.app.state.runtime, scan_id)  # after the commit
    return ScanStarted(scan_id=scan_id)


@router.post("/reports", response_model=ReportOut, status_code=202, tags=["scans"])
def report_url(body: ReportIn, request: Request, ctx: StaffContext,
               background: BackgroundTasks) -> ReportOut:
    """Report an item by URL: it joins the centre's "Reported items" source and is scanned."""
    source = service.report_url(ctx, body.url, note=body.note)
    scan_id = None
    if body.scan:
        scan_id = service.start_scan(ctx, source.id)
        background.add_task(launch_scan, request.app.state.runtime, scan_id)
    return ReportOut(source_id=source.id, scan_id=scan_id)


@router.get("/scans", response_model=list[ScanSummary], tags=["scans"])
def list_scans(ctx: StaffContext) -> list[ScanSummary]:
    return service.list_scans(ctx)


@router.get("/scans/{scan_id}", response_model=ScanDetail, tags=["scans"])
def show_scan(scan_id: Id, ctx: StaffContext) -> ScanDetail:
    return service.show_scan(ctx, scan_id)
