"""Consented face enrolment and search, on the same bank and match plumbing as fingerprints.

Enrolment needs a face-search consent in force on the case. Reference photos are embedded and
discarded; only embeddings are kept, encrypted at rest, in the case's face bank. Withdrawal of
the consent, or erasure of the case, removes them from the database and from every index at
once (the matcher follows the removal before its next search).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select

from jikimi.cases import ConsentPurpose, case_ref, get_case, on_case_erased, on_consent_withdrawn
from jikimi.core.context import ServiceContext
from jikimi.errors import Forbidden, InvalidInput
from jikimi.faces.embedding import detect_faces
from jikimi.faces.signal import embedding_value, from_signal_distance, to_signal_distance
from jikimi.faces.thresholds import REVIEW_THRESHOLD, STRICT_THRESHOLD
from jikimi.matching import (
    Bank,
    Matcher,
    NewEntry,
    Query,
    add_entries,
    create_bank,
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
    name = face_bank_name(detail.code)
    if ctx.session.scalar(select(Bank.id).where(Bank.name == name)) is None:
        create_bank(ctx, name, purpose="face search (consented)", case=case_ref(ctx, detail.code),
                    owner_kind="case", case_access_checked=True)
    added = add_entries(ctx, name, entries, case_access_checked=True)
    ctx.audit("faces.enroll", "case", detail.code, centre_id=detail.centre_id,
              details={"faces": added.added, "skipped": len(skipped)})
    return Enrolled(detail.code, len(photos), added.added, skipped)


def search_image(ctx: ServiceContext, matcher: Matcher, data: bytes, *,
                 threshold: float = REVIEW_THRESHOLD) -> list[FoundFace]:
    """Faces in an image and the enrolled faces within ``threshold`` of each."""
    if not 0 < threshold <= 1.2:
        raise InvalidInput("the face threshold is a Euclidean distance between 0 and 1.2")
    matcher.sync(ctx.session)
    found = []
    for face in detect_faces(data):
        hits = matcher.search(ctx.session, [Query("face", embedding_value(face.embedding))],
                              None)
        matches = [
            FaceMatch(h.bank.case_code, h.bank.name, h.entry_id,
                      from_signal_distance(h.distance), h.distance <= to_signal_distance(
                          STRICT_THRESHOLD))
            for h in hits if h.signal_type == "face"
            and h.distance <= to_signal_distance(threshold)
        ]
        found.append(FoundFace(face.box, matches))
    ctx.audit("faces.search", "media", "*", centre_id=ctx.actor.centre_id,
              details={"faces": len(found), "matches": sum(len(f.matches) for f in found)})
    return found


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
