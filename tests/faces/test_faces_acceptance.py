"""Issue 8's acceptance scenario at the pure level: enrol one person from one photo, search a
folder of her other photos, the same photos composited onto unrelated scenes, and everyone
else's photos; exactly her photos match at the strict threshold. Withdrawal (remove) takes
effect at once."""

from __future__ import annotations

from pathlib import Path

import pytest
from faces_media import FACES, composite, label, person_of, subject

from jikimi.faces import STRICT_THRESHOLD, DetectedFace, FaceIndex, detect_faces

ENROLLED_ID = 8_000_000_001


def scan(index: FaceIndex, faces: list[DetectedFace]) -> list[tuple[int, float]]:
    return [hit for face in faces for hit in index.search(face.embedding, STRICT_THRESHOLD)]


@pytest.mark.parametrize("person", ["obama", "df_angelina", "alex_lacamoire"])
def test_enrolled_person_is_found_exactly(
    person: str, photos: list[Path], detected: dict[str, list[DetectedFace]]
) -> None:
    index = FaceIndex()
    reference = subject(detected[f"{person}/01.jpg"])
    index.add([ENROLLED_ID], reference.embedding)
    others = [p for p in photos if label(p) != f"{person}/01.jpg"]
    found = {label(p) for p in others if scan(index, detected[label(p)])}
    expected = {label(p) for p in others if person_of(p) == person}
    assert found == expected


def test_composited_photos_are_found(detected: dict[str, list[DetectedFace]]) -> None:
    """Her other photos, scaled into a larger generated scene (as a deepfake's face sits in an
    unrelated picture), still match; an unrelated person's composite does not."""
    index = FaceIndex()
    index.add([ENROLLED_ID], subject(detected["obama/01.jpg"]).embedding)
    for seed, name in enumerate(["02.jpg", "03.jpg", "04.jpg"]):
        faces = detect_faces(composite(FACES / "obama" / name, seed))
        assert faces, name
        hits = scan(index, faces)
        assert [h[0] for h in hits] == [ENROLLED_ID], name
    stranger = detect_faces(composite(FACES / "rose_leslie" / "01.jpg", 7))
    assert stranger and scan(index, stranger) == []


def test_withdrawal_removes_at_once(detected: dict[str, list[DetectedFace]]) -> None:
    index = FaceIndex()
    index.add([ENROLLED_ID, 2], [subject(detected["obama/01.jpg"]).embedding,
                                 subject(detected["rose_leslie/01.jpg"]).embedding])
    probe = subject(detected["obama/02.jpg"]).embedding
    assert [h[0] for h in index.search(probe, STRICT_THRESHOLD)] == [ENROLLED_ID]
    assert index.remove([ENROLLED_ID]) == 1
    assert index.search(probe, STRICT_THRESHOLD) == []
    assert len(index) == 1
