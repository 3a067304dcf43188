"""HTTP API for sources and scans. A scan started here runs in the background; its status is
polled (the web page does it with htmx)."""

from __future__ import annotations

import threading
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from jikimi.accounts import StaffContext
from jikimi.core.runtime import Runtime
from jikimi.matching import Matcher
from jikimi.scans import service
from jikimi.scans.models import Scan
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


def run_in_background(runtime: Runtime, matcher: Matcher, scan_id: int) -> None:
    """Run a started scan to the end on a background thread (after the request commits)."""

    def work() -> None:
        try:
            service.enumerate_scan(runtime, scan_id)
            service.process_scan(runtime, matcher, scan_id)
        except Exception as exc:  # recorded on the scan; `jikimi worker` resumes it later
            with runtime.sessions() as session, session.begin():
                scan = session.get(Scan, scan_id)
                if scan is not None:
                    scan.error = f"{type(exc).__name__}: {exc}"[:2000]

    threading.Thread(target=work, name=f"scan-{scan_id}", daemon=True).start()


@router.get("/sources", response_model=list[SourceOut], tags=["scans"])
def list_sources(ctx: StaffContext) -> list[SourceOut]:
    return service.list_sources(ctx)


@router.post("/sources", response_model=SourceOut, status_code=201, tags=["scans"])
def add_source(body: SourceIn, ctx: StaffContext) -> SourceOut:
    return service.add_source(ctx, body.type, body.name, body.config,
                              interval_minutes=body.interval_minutes)


@router.post("/sources/{source_id}/scans", response_model=ScanStarted, status_code=202,
             tags=["scans"])
def start_scan(source_id: Id, request: Request, ctx: StaffContext,
               background: BackgroundTasks) -> ScanStarted:
    """Start a scan in the background (or resume the unfinished one)."""
    scan_id = service.start_scan(ctx, source_id)
    background.add_task(run_in_background, request.app.state.runtime,
                        request.app.state.matcher, scan_id)
    return ScanStarted(scan_id=scan_id)


@router.post("/reports", response_model=ReportOut, status_code=202, tags=["scans"])
def report_url(body: ReportIn, request: Request, ctx: StaffContext,
               background: BackgroundTasks) -> ReportOut:
    """Report an item by URL: it joins the centre's "Reported items" source and is scanned."""
    source = service.report_url(ctx, body.url, note=body.note)
    scan_id = None
    if body.scan:
        scan_id = service.start_scan(ctx, source.id)
        background.add_task(run_in_background, request.app.state.runtime,
                            request.app.state.matcher, scan_id)
    return ReportOut(source_id=source.id, scan_id=scan_id)


@router.get("/scans", response_model=list[ScanSummary], tags=["scans"])
def list_scans(ctx: StaffContext) -> list[ScanSummary]:
    return service.list_scans(ctx)


@router.get("/scans/{scan_id}", response_model=ScanDetail, tags=["scans"])
def show_scan(scan_id: Id, ctx: StaffContext) -> ScanDetail:
    return service.show_scan(ctx, scan_id)
