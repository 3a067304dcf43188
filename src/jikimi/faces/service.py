"""Consented face enrolment and search, on the same bank and match plumbing as fingerprints.

Enrolment needs a face-search consent in force on the case. Reference photos are embedded and
discarded; only embeddings are kept, encrypted at rest, in the case's face bank. Withdrawal of
the consent, or erasure of the case, removes them from the database and from every index at
once (the matcher follows the removal before its next search).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from PIL import Image
from sqlalchemy import select

from jikimi.cases import (
    ConsentPurpose,
    case_ref,
    get_case,
    lock_case,
    on_case_erased,
    on_consent_withdrawn,
)
from jikimi.core.context import ServiceContext
from jikimi.errors import ConfigurationError, Forbidden, InvalidInput
from jikimi.faces.embedding import detect_faces
from jikimi.faces.signal import embedding_value, from_signal_distance, to_signal_distance
from jikimi.faces.synthetic import DetectorStatus, SyntheticScore, detector_status, load_model
from jikimi.faces.thresholds import REVIEW_THRESHOLD, STRICT_THRESHOLD
from jikimi.faces.video import detect_media_faces
from jikimi.hashing import DEFAULT_LIMITS, DecodeLimits
from jikimi.matching import (
    Bank,
    Matcher,
    NewEntry,
    Query,
    add_entries,
    create_bank,
    may_see_hit,
    remove_case_entries,
)

MAX_ENROL_PHOTOS = 20


@dataclass(frozen=True)
class Enrolled:
    case_code: str
    photos: int
    faces: int
    skipped: list[str]


@dataclass(frozen=True)
class FaceMatch:
    case: str | None
    bank: str
    entry_id: int
    distance: float
    strict: bool


@dataclass(frozen=True)
class FoundFace:
    box: tuple[int, int, int, int]
    matches: list[FaceMatch]
    time: float | None = None
    """Seconds from the start, for a face in a sampled video frame."""


@dataclass(frozen=True)
class MediaSearch:
    """What a face search of one file found."""

    kind: str
    """``image`` or ``video``."""
    faces: list[FoundFace]
    frames: int
    """Frames searched (1 for an image)."""
    synthetic: SyntheticScore | None
    """The configured model's score (None when no usable model is configured)."""
    detector: DetectorStatus

    def to_json(self) -> dict[str, object]:
        """The search as JSON (the API's answer, and the CLI's line without the path); a
        face's ``time`` is given for video frames only."""
        detector = self.detector
        return {
            "kind": self.kind,
            "frames": self.frames,
            "faces": [
                {"box": list(f.box), **({"time": f.time} if f.time is not None else {}),
                 "matches": [{"case": m.case, "distance": round(m.distance, 4),
                              "strict": m.strict} for m in f.matches]}
                for f in self.faces],
            "synthetic": None if self.synthetic is None else {
                **self.synthetic.to_json(), "note": detector.note},
            "detector": {
                "configured": detector.configured, "model": detector.model,
                "evaluated": detector.evaluated,
                "evaluation": detector.evaluation.to_json() if detector.evaluation else None,
                "error": detector.error, "note": detector.note},
        }


def face_bank_name(case_code: str) -> str:
    return f"faces {case_code}"


def enroll(ctx: ServiceContext, case_code: str, photos: Sequence[tuple[str, bytes]]) -> Enrolled:
    """Embed the face in each reference photo and keep only the embeddings (encrypted).

    Each photo must show exactly one face; others are skipped and named. Refused without a
    face-search consent in force.
    """
    detail = get_case(ctx, case_code)
    if ConsentPurpose.FACE_SEARCH not in detail.consents:
        raise Forbidden(f"case {detail.code} has no face-search consent: record it first",
                        code="consent_required")
    if not detail.permissions.get("record_consent") and ctx.actor.is_staff:
        raise Forbidden("only the assigned counsellor enrols a victim's face")
    if not photos or len(photos) > MAX_ENROL_PHOTOS:
        raise InvalidInput(f"enrol 1 to {MAX_ENROL_PHOTOS} photos")
    entries: list[NewEntry] = []
    skipped: list[str] = []
    for label, data in photos:
        faces = detect_faces(data)
        if len(faces) != 1:
            skipped.append(f"{label}: {len(faces)} faces (needs exactly one)")
            continue
        entries.append(NewEntry("face", embedding_value(faces[0].embedding), None, "original",
                                "", ""))
    if not entries:
        raise InvalidInput("no photo showed exactly one face: " + "; ".join(skipped),
                           code="no_face")
    # consent again, with the case locked: a withdrawal (or an erasure) while the photos
    # were read either went first (refused here) or comes after and removes these
    lock_case(ctx, detail.code, consent=ConsentPurpose.FACE_SEARCH)
    name = face_bank_name(detail.code)
    if ctx.session.scalar(select(Bank.id).where(Bank.name == name)) is None:
        create_bank(ctx, name, purpose="face search (consented)", case=case_ref(ctx, detail.code),
                    owner_kind="case", case_access_checked=True)
    added = add_entries(ctx, name, entries, case_access_checked=True)
    ctx.audit("faces.enroll", "case", detail.code, centre_id=detail.centre_id,
              details={"faces": added.added, "skipped": len(skipped)})
    return Enrolled(detail.code, len(photos), added.added, skipped)


def search_media(ctx: ServiceContext, matcher: Matcher, media: bytes | Path, *,
                 threshold: float = REVIEW_THRESHOLD,
                 limits: DecodeLimits = DEFAULT_LIMITS) -> MediaSearch:
    """Faces in an image, or in the sampled frames of a video, and the enrolled faces within
    ``threshold`` of each; with the configured synthetic-media model's score, if any."""
    if not 0 < threshold <= 1.2:
        raise InvalidInput("the face threshold is a Euclidean distance between 0 and 1.2")
    detector = detector_status(ctx.settings.synthetic_media_model)
    model = load_model(ctx.settings.synthetic_media_model) if (
        detector.usable and ctx.settings.synthetic_media_model is not None) else None
    scores: list[tuple[float, float | None]] = []
    failures: list[str] = []

    def score_frame(seconds: float | None, image: Image.Image) -> None:
        if model is not None and not failures:
            try:
                scores.append((model.score(image), seconds))
            except ConfigurationError as exc:  # the face search goes on without a score
                failures.append(exc.message)

    media_faces = detect_media_faces(media, limits=limits, frame_hook=score_frame)
    matcher.sync(ctx.session)
    found = []
    strict = to_signal_distance(STRICT_THRESHOLD)
    for item in media_faces.faces:
        hits = matcher.search(ctx.session, [Query("face", embedding_value(item.face.embedding))],
                              None)
        matches = [
            FaceMatch(h.bank.case_code, h.bank.name, h.entry_id,
                      from_signal_distance(h.distance), h.distance <= strict)
            for h in hits if h.signal_type == "face"
            and h.distance <= to_signal_distance(threshold) and may_see_hit(ctx, h)
        ]
        found.append(FoundFace(item.box, matches, item.time))
    synthetic = None
    if failures:
        detector = replace(detector, error=failures[0])
    elif model is not None and scores:
        best, at = max(scores, key=lambda s: s[0])
        synthetic = SyntheticScore(best, model.name, detector.evaluated, at)
    ctx.audit("faces.search", "media", "*", centre_id=ctx.actor.centre_id,
              details={"kind": str(media_faces.kind), "frames": media_faces.frames,
                       "faces": len(found), "matches": sum(len(f.matches) for f in found)})
    return MediaSearch(str(media_faces.kind), found, media_faces.frames, synthetic, detector)


def erase(ctx: ServiceContext, case_code: str) -> int:
    """Remove a case's face embeddings at once (on request, withdrawal or erasure)."""
    case_id, code = case_ref(ctx, case_code)
    removed = remove_case_entries(ctx, case_id, signal_type="face", reason="faces erased")
    ctx.audit("faces.erase", "case", code, centre_id=ctx.actor.centre_id,
              details={"removed": removed})
    return removed


def _on_withdrawn(ctx: ServiceContext, case_id: int, purpose: ConsentPurpose) -> None:
    if purpose is ConsentPurpose.FACE_SEARCH:
        remove_case_entries(ctx, case_id, signal_type="face", reason="consent withdrawn")


def _on_erased(ctx: ServiceContext, case_id: int) -> None:
    remove_case_entries(ctx, case_id, reason="case erased")


on_consent_withdrawn(_on_withdrawn)
on_case_erased(_on_erased)
