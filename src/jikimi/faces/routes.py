"""HTTP API for consented face enrolment and search (uploads are embedded and discarded)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Path, Query, Request, UploadFile
from pydantic import BaseModel

from jikimi.accounts import StaffContext, read_upload
from jikimi.faces import service
from jikimi.faces.thresholds import REVIEW_THRESHOLD

router = APIRouter(prefix="/api/v1")
CaseCode = Annotated[str, Path(min_length=3, max_length=40)]


class EnrolledOut(BaseModel):
    case_code: str
    photos: int
    faces: int
    skipped: list[str]


class FaceMatchOut(BaseModel):
    case: str | None
    distance: float
    strict: bool


class FoundFaceOut(BaseModel):
    box: tuple[int, int, int, int]
    label: str = "possible deepfake or new material: a person must review it"
    matches: list[FaceMatchOut]


class ErasedOut(BaseModel):
    removed: int


@router.post("/cases/{code}/faces", response_model=EnrolledOut, status_code=201,
             tags=["faces"])
def enroll(code: CaseCode, request: Request, ctx: StaffContext,
           files: Annotated[list[UploadFile], File()]) -> EnrolledOut:
    """Enrol reference photos (needs face-search consent). Only embeddings are kept."""
    photos = [(f.filename or f"photo-{n}", read_upload(request, f)) for n, f in enumerate(files)]
    result = service.enroll(ctx, code, photos)
    return EnrolledOut(case_code=result.case_code, photos=result.photos, faces=result.faces,
                       skipped=result.skipped)


@router.delete("/cases/{code}/faces", response_model=ErasedOut, tags=["faces"])
def erase(code: CaseCode, ctx: StaffContext) -> ErasedOut:
    return ErasedOut(removed=service.erase(ctx, code))


@router.post("/faces/search", response_model=list[FoundFaceOut], tags=["faces"])
def search(request: Request, ctx: StaffContext, file: Annotated[UploadFile, File()],
           threshold: Annotated[float, Query(gt=0, le=1.2)] = REVIEW_THRESHOLD
           ) -> list[FoundFaceOut]:
    """Faces in an uploaded image and the enrolled faces close to each (never automatic:
    every match is for a person to review)."""
    found = service.search_image(ctx, request.app.state.matcher, read_upload(request, file),
                                 threshold=threshold)
    return [FoundFaceOut(box=f.box, matches=[FaceMatchOut(case=m.case, distance=m.distance,
                                                          strict=m.strict)
                                             for m in f.matches]) for f in found]
