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
    time: float | None = None
    """Seconds from the start of the video (faces in sampled video frames)."""
    label: str = "possible deepfake or new material: a person must review it"
    matches: list[FaceMatchOut]


class SyntheticOut(BaseModel):
    score: float
    model: str
    evaluated: bool
    time: float | None
    note: str


class DetectorOut(BaseModel):
    configured: bool
    model: str | None
    evaluated: bool
    evaluation: dict[str, object] | None
    error: str | None
    note: str


class FaceSearchOut(BaseModel):
    kind: str
    frames: int
    faces: list[FoundFaceOut]
    synthetic: SyntheticOut | None
    """The configured model's score; null when no usable model is configured."""
    detector: DetectorOut


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


@router.post("/faces/search", response_model=FaceSearchOut, tags=["faces"])
def search(request: Request, ctx: StaffContext, file: Annotated[UploadFile, File()],
           threshold: Annotated[float, Query(gt=0, le=1.2)] = REVIEW_THRESHOLD
           ) -> FaceSearchOut:
    """Faces in an uploaded image, or in sampled frames of a video, and the enrolled faces
    close to each (never automatic: every match is for a person to review)."""
    found = service.search_media(ctx, request.app.state.matcher, read_upload(request, file),
                                 threshold=threshold)
    return FaceSearchOut(**found.to_json())
