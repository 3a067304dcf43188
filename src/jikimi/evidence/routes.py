"""JSON API of jikimi.evidence. Every route that touches an item records a custody event
(``via`` = ``api``); reads that reveal content (decrypted WARC, clear screenshot) are POSTs
with a required reason."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Path, Query
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from jikimi.accounts import StaffContext
from jikimi.evidence import service
from jikimi.evidence.capture import CaptureOptions
from jikimi.evidence.package import discard, export_to_temporary
from jikimi.evidence.schemas import CustodyEntry, EvidenceDetail, EvidenceSummary

router = APIRouter(prefix="/api/v1", tags=["evidence"])
CaseCode = Annotated[str, Path(min_length=3, max_length=40)]
ItemId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Reason = Annotated[str, Query(max_length=1000)]


class CaptureIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=1, max_length=4000)
    reason: str = Field("", max_length=1000)
    screenshot: bool = Field(True, description="take a screenshot in Chromium (unless the "
                             "installation disables it with JIKIMI_EVIDENCE_SCREENSHOT=0)")


class MatchCaptureIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field("", max_length=1000)


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=1000)


class ExportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    hashes_only: bool = False
    reason: str = Field("", max_length=1000)


def _options(screenshot: bool) -> CaptureOptions:
    options = CaptureOptions.from_env()
    return options if screenshot else dataclasses.replace(options, screenshot=False)


@router.get("/cases/{code}/evidence", response_model=list[EvidenceSummary])
def list_evidence(code: CaseCode, ctx: StaffContext, reason: Reason = ""
                  ) -> list[EvidenceSummary]:
    """The case's evidence items (counsellors of the case, investigators, admins)."""
    return service.list_evidence(ctx, code, via="api", reason=reason)


@router.post("/cases/{code}/evidence", response_model=EvidenceDetail, status_code=201)
def capture(code: CaseCode, body: CaptureIn, ctx: StaffContext) -> EvidenceDetail:
    """Capture a URL as evidence for the case (investigators and admins; needs the victim's
    evidence-capture consent)."""
    return service.capture_url(ctx, code, body.url, reason=body.reason,
                               options=_options(body.screenshot), via="api")


@router.post("/matches/{match_id}/evidence", response_model=EvidenceDetail, status_code=201)
def capture_match(match_id: ItemId, body: MatchCaptureIn, ctx: StaffContext
                  ) -> EvidenceDetail:
    """Capture the web item of a confirmed match for the match's case."""
    return service.capture_from_match(ctx, match_id, reason=body.reason,
                                      options=_options(True), via="api")


@router.post("/cases/{code}/evidence/package", response_class=FileResponse,
             responses={200: {"content": {"application/zip": {}}}})
def export(code: CaseCode, body: ExportIn, ctx: StaffContext,
           background: BackgroundTasks) -> FileResponse:
    """The case's evidence package (ZIP): items or only hashes, signed manifest, custody log,
    Korean report. Verify it with ``jikimi evidence verify`` and the centre's public key."""
    result = export_to_temporary(ctx, code, hashes_only=body.hashes_only, reason=body.reason,
                                 via="api")
    background.add_task(discard, result)
    suffix = "-hashes" if body.hashes_only else ""
    return FileResponse(result.path, media_type="application/zip",
                        filename=f"{result.case_code}-evidence{suffix}.zip",
                        headers={"X-Package-SHA256": result.sha256})


@router.get("/evidence/{item_id}", response_model=EvidenceDetail)
def show(item_id: ItemId, ctx: StaffContext, reason: Reason = "") -> EvidenceDetail:
    return service.get_evidence(ctx, item_id, via="api", reason=reason)


@router.get("/evidence/{item_id}/custody", response_model=list[CustodyEntry])
def custody(item_id: ItemId, ctx: StaffContext) -> list[CustodyEntry]:
    """The item's chain of custody, oldest first (this read is recorded in it too)."""
    return service.custody_log(ctx, item_id, via="api")


_PNG: dict[int | str, dict[str, Any]] = {200: {"content": {"image/png": {}}},
                                         204: {"description": "no screenshot"}}


@router.get("/evidence/{item_id}/preview", response_class=Response, responses=_PNG)
def preview(item_id: ItemId, ctx: StaffContext) -> Response:
    """The screenshot, small, blurred and greyscale."""
    png = service.preview(ctx, item_id, via="api")
    if png is None:
        return Response(status_code=204)
    return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})


@router.post("/evidence/{item_id}/unblur", response_class=Response, responses=_PNG)
def unblur(item_id: ItemId, body: ReasonIn, ctx: StaffContext) -> Response:
    """The screenshot as captured: a deliberate, recorded act (investigators and admins)."""
    png = service.preview(ctx, item_id, clear=True, reason=body.reason, via="api")
    if png is None:
        return Response(status_code=204)
    return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})


@router.post("/evidence/{item_id}/content", response_class=Response,
             responses={200: {"content": {"application/warc": {}}}})
def content(item_id: ItemId, body: ReasonIn, ctx: StaffContext) -> Response:
    """The item's WARC file, decrypted (investigators and admins, with a reason)."""
    data = service.open_content(ctx, item_id, reason=body.reason, via="api")
    return Response(data, media_type="application/warc", headers={
        "Cache-Control": "no-store",
        "Content-Disposition": f'attachment; filename="evidence-{item_id}.warc.gz"'})


@router.post("/evidence/{item_id}/destroy", response_model=EvidenceDetail)
def destroy(item_id: ItemId, body: ReasonIn, ctx: StaffContext) -> EvidenceDetail:
    """Destroy the item on a recorded retention decision (admins)."""
    return service.destroy(ctx, item_id, reason=body.reason, via="api")
