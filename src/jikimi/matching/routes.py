"""HTTP API: fingerprint an upload (nothing stored), match files or fingerprints, manage banks."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Path, Query, Request, Response, UploadFile
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.datastructures import UploadFile as StarletteUploadFile

from jikimi.accounts import StaffContext, read_upload
from jikimi.errors import InvalidInput
from jikimi.hashing import ImageFingerprints, VideoFingerprints, fingerprint_bytes
from jikimi.matching import service
from jikimi.matching.lookup import media_lookups
from jikimi.matching.matcher import Matcher, image_queries
from jikimi.matching.matcher import Query as LookupQuery
from jikimi.matching.schemas import AddedEntries, BankOut, EntryOut, MatchResult, PicturesOut
from jikimi.matching.service import NewEntry
from jikimi.matching.signal_types import SIGNAL_TYPES

router = APIRouter(prefix="/api/v1")

BankName = Annotated[str, Path(min_length=1, max_length=120)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BankIn(Strict):
    name: str = Field(min_length=1, max_length=120)
    purpose: str = Field("", max_length=200)
    negative: bool = False
    pdq_threshold: int = Field(31, ge=0, le=31)


class EntryIn(Strict):
    signal_type: str = Field(max_length=20, description="pdq, vpdq, sha256 or md5")
    value: str = Field(max_length=2_000_000)
    quality: int | None = Field(None, ge=0, le=100)
    variant: str = Field("original", max_length=30)
    content_id: str = Field("", max_length=64)
    label: str = Field("", max_length=200)


class EntriesIn(Strict):
    entries: list[EntryIn] = Field(min_length=1, max_length=10_000)


class FingerprintQuery(Strict):
    """Fingerprints to match (any of them), as ``jikimi hash`` prints them."""

    pdq: str | None = Field(None, max_length=64)
    quality: int | None = Field(None, ge=0, le=100)
    dihedral: list[Annotated[str, Field(max_length=64)]] | None = Field(None, max_length=8)
    sha256: str | None = Field(None, max_length=64)
    md5: str | None = Field(None, max_length=32)
    vpdq: list[dict[str, Any]] | None = Field(None, max_length=20_000)
    threshold: int | None = Field(None, ge=0, le=31)
    use_dihedral: bool = False


def _matcher(request: Request) -> Matcher:
    matcher: Matcher = request.app.state.matcher
    return matcher


def _fingerprints(request: Request, file: UploadFile, *, with_variants: bool = False
                  ) -> ImageFingerprints | VideoFingerprints:
    return fingerprint_bytes(read_upload(request, file), with_variants=with_variants)


@router.post("/hash", tags=["matching"])
def hash_upload(request: Request, ctx: StaffContext, file: Annotated[UploadFile, File()],
                variants: bool = False) -> dict[str, Any]:
    """Fingerprint an uploaded image or video. Nothing is stored."""
    fp = _fingerprints(request, file, with_variants=variants)
    ctx.audit("media.hash", "media", fp.sha256[:16], centre_id=ctx.actor.centre_id)
    return fp.to_json()


_MATCH_BODY = {
    "requestBody": {"content": {
        "application/json": {"schema": FingerprintQuery.model_json_schema()},
        "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
            "file": {"type": "string", "format": "binary"}}}},
    }, "required": True},
}


async def match_input(request: Request) -> FingerprintQuery | bytes:
    """The body of a match request: a multipart ``file`` (bytes) or fingerprints as JSON."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        form = await request.form(max_files=1, max_fields=10)
        upload = form.get("file")
        if not isinstance(upload, StarletteUploadFile):
            raise InvalidInput("send the file in a multipart field named 'file'")
        limit = request.app.state.runtime.settings.max_upload_bytes
        data = await upload.read(limit + 1)
        if len(data) > limit:
            raise InvalidInput(f"the file is larger than {limit} bytes", code="media_too_large")
        return data
    try:
        return FingerprintQuery.model_validate_json(await request.body())
    except ValidationError as exc:
        raise InvalidInput("the body must be fingerprints as JSON (pdq, sha256, md5, vpdq) or a "
                           "multipart file: " + str(exc.errors()[0]["msg"]),
                           code="invalid_request") from exc


@router.post("/match", response_model=MatchResult, tags=["matching"], openapi_extra=_MATCH_BODY)
def match(request: Request, ctx: StaffContext,
          source: Annotated[FingerprintQuery | bytes, Depends(match_input)],
          threshold: Annotated[int | None, Query(ge=0, le=31)] = None,
          dihedral: bool = False) -> MatchResult:
    """Match an uploaded file (multipart ``file``) or fingerprints (JSON) against every bank.
    A file is looked up as every door looks up found media (mirrored, rotated, framed,
    overlaid, cropped and tilted copies; ``dihedral`` is kept for old clients)."""
    if isinstance(source, FingerprintQuery):
        queries = _queries(source)
        threshold = source.threshold if source.threshold is not None else threshold
    else:
        _fp, queries = media_lookups(source)
    return service.match_queries(ctx, _matcher(request), queries, threshold=threshold)


def _queries(q: FingerprintQuery) -> list[LookupQuery]:
    pdq = SIGNAL_TYPES["pdq"].normalise(q.pdq) if q.pdq else None
    dihedral = [SIGNAL_TYPES["pdq"].normalise(d) for d in q.dihedral] if q.dihedral else None
    sha = SIGNAL_TYPES["sha256"].normalise(q.sha256) if q.sha256 else None
    md5 = SIGNAL_TYPES["md5"].normalise(q.md5) if q.md5 else None
    queries = image_queries(pdq, q.quality, dihedral, sha, md5, use_dihedral=q.use_dihedral)
    if q.vpdq:
        queries.append(LookupQuery("vpdq", SIGNAL_TYPES["vpdq"].normalise(json.dumps(q.vpdq))))
    if not queries:
        raise InvalidInput("give at least one fingerprint: pdq, sha256, md5 or vpdq")
    return queries


@router.get("/banks", response_model=list[BankOut], tags=["banks"])
def list_banks(ctx: StaffContext) -> list[BankOut]:
    return service.list_banks(ctx)


@router.post("/banks", response_model=BankOut, status_code=201, tags=["banks"])
def create_bank(body: BankIn, ctx: StaffContext) -> BankOut:
    return service.create_bank(ctx, body.name, purpose=body.purpose, negative=body.negative,
                               pdq_threshold=body.pdq_threshold)


@router.get("/banks/{name}", response_model=BankOut, tags=["banks"])
def get_bank(name: BankName, ctx: StaffContext) -> BankOut:
    return service.get_bank(ctx, name)


@router.get("/banks/{name}/entries", response_model=list[EntryOut], tags=["banks"])
def list_entries(name: BankName, ctx: StaffContext,
                 limit: Annotated[int, Query(ge=1, le=1000)] = 200,
                 offset: Annotated[int, Query(ge=0, le=10**9)] = 0) -> list[EntryOut]:
    return service.list_entries(ctx, name, limit=limit, offset=offset)


@router.get("/banks/{name}/pictures", response_model=PicturesOut, tags=["banks"])
def list_pictures(name: BankName, ctx: StaffContext,
                  limit: Annotated[int, Query(ge=1, le=200)] = 50,
                  offset: Annotated[int, Query(ge=0, le=10**9)] = 0) -> PicturesOut:
    """The bank's registered pictures: one per file, with its fingerprints counted by type."""
    return service.list_pictures(ctx, name, limit=limit, offset=offset)


@router.post("/banks/{name}/entries", response_model=AddedEntries, status_code=201,
             tags=["banks"])
def add_entries(name: BankName, body: EntriesIn, ctx: StaffContext) -> AddedEntries:
    """Add fingerprints (never media) to a bank."""
    return service.add_entries(ctx, name, [NewEntry(**e.model_dump()) for e in body.entries])


@router.post("/banks/{name}/files", response_model=AddedEntries, status_code=201,
             tags=["banks"])
def add_file(name: BankName, request: Request, ctx: StaffContext,
             file: Annotated[UploadFile, File()], label: str = "") -> AddedEntries:
    """Fingerprint an uploaded file and add its fingerprints; the file itself is discarded."""
    fp = _fingerprints(request, file, with_variants=True)
    return service.add_entries(ctx, name, service.entries_for_fingerprints(
        fp, label=label[:200] or (file.filename or "")[:200]))


@router.delete("/bank-entries/{entry_id}", status_code=204, tags=["banks"])
def remove_entry(entry_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
                 ctx: StaffContext) -> Response:
    service.remove_entry(ctx, entry_id)
    return Response(status_code=204)
