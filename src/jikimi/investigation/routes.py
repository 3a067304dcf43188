"""JSON API of jikimi.investigation: linkage (JSON, CSV, GraphML) and litigation documents."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from jikimi.accounts import StaffContext
from jikimi.investigation import service
from jikimi.investigation.documents import DocumentFormat, DocumentKind
from jikimi.investigation.exports import CsvTable, ExportFormat
from jikimi.investigation.schemas import LinkageOut

_DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
router = APIRouter(prefix="/api/v1/investigation", tags=["investigation"])

CaseCode = Annotated[str, Path(min_length=1, max_length=40)]
MinShared = Annotated[int, Query(ge=1, le=1000, description="fewest shared contents that "
                                 "join two places in a cluster")]
Threshold = Annotated[int, Query(ge=0, le=31, description="PDQ bits for 'the same content'")]


def file_response(file: service.ExportFile) -> Response:
    """A download: the file's bytes with its type and name."""
    return Response(file.content, media_type=file.media_type, headers={
        "Content-Disposition": f'attachment; filename="{file.filename}"',
        "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})


@router.get("/linkage", response_model=LinkageOut)
def centre_linkage(ctx: StaffContext, min_shared: MinShared = 1,
                   pdq_threshold: Threshold = 31) -> LinkageOut:
    """Linkage across every source of the caller's centre (investigators, administrators)."""
    return service.centre_linkage(ctx, min_shared=min_shared, pdq_threshold=pdq_threshold)


@router.get("/linkage/export", response_class=Response,
            responses={200: {"content": {"text/csv": {}, "application/graphml+xml": {},
                                         "application/json": {}}}})
def centre_linkage_export(ctx: StaffContext, format: ExportFormat = ExportFormat.csv,
                          table: CsvTable = CsvTable.sightings, min_shared: MinShared = 1,
                          pdq_threshold: Threshold = 31) -> Response:
    """The centre's linkage as a file: one CSV table, GraphML, or JSON."""
    return file_response(service.export_linkage(
        ctx, None, format, table=table, min_shared=min_shared, pdq_threshold=pdq_threshold))


@router.get("/cases/{code}/linkage", response_model=LinkageOut)
def case_linkage(code: CaseCode, ctx: StaffContext, min_shared: MinShared = 1,
                 pdq_threshold: Threshold = 31) -> LinkageOut:
    """Where a case's content spread: places, clusters, posters, timeline."""
    return service.case_linkage(ctx, code, min_shared=min_shared, pdq_threshold=pdq_threshold)


@router.get("/cases/{code}/linkage/export", response_class=Response,
            responses={200: {"content": {"text/csv": {}, "application/graphml+xml": {},
                                         "application/json": {}}}})
def case_linkage_export(code: CaseCode, ctx: StaffContext,
                        format: ExportFormat = ExportFormat.csv,
                        table: CsvTable = CsvTable.sightings, min_shared: MinShared = 1,
                        pdq_threshold: Threshold = 31) -> Response:
    """A case's linkage as a file (investigators and administrators)."""
    return file_response(service.export_linkage(
        ctx, code, format, table=table, min_shared=min_shared, pdq_threshold=pdq_threshold))


@router.get("/cases/{code}/documents/{kind}", response_class=Response,
            responses={200: {"content": {"application/pdf": {}, _DOCX: {}}}})
def litigation_document(code: CaseCode, kind: DocumentKind, ctx: StaffContext,
                        format: DocumentFormat = DocumentFormat.pdf,
                        basis: Annotated[list[str] | None, Query(
                            max_length=30, description="article ids of legal.json, e.g. "
                            "sexual_crimes_act:14-2 (default: by document and case)")] = None
                        ) -> Response:
    """A litigation document in Korean: ``complaint-evidence-list`` (증거목록, to attach to a
    criminal complaint) or ``damages-summary`` (for a damages claim), as PDF or DOCX."""
    return file_response(service.litigation_document(ctx, code, kind, format, basis=basis))
