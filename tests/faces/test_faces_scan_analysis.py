"""What a scan worker does with faces (no database): face queries from images and from a
video's sampled frames (the frame time as the query variant), and a face search that fails
on an item whose fingerprints are fine."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Self

import pytest
from faces_media import FACES, face_clip, subject

from jikimi.errors import CorruptMedia
from jikimi.faces import DetectedFace, embedding_value
from jikimi.matching import Matcher
from jikimi.matching.signal_types import SIGNAL_TYPES
from jikimi.scans import analysis
from jikimi.scans.analysis import PendingItem, analyse_item
from jikimi.sources import ItemError, Source, SourceItem


class Files(Source):
    type = "test-files"

    def __init__(self, files: Mapping[str, bytes]) -> None:
        self.files = dict(files)

    def enumerate(self) -> Iterator[SourceItem | ItemError]:
        raise NotImplementedError

    def fetch(self, item: SourceItem) -> bytes:
        return self.files[item.key]

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Self:
        raise NotImplementedError

    def to_config(self) -> dict[str, Any]:
        return {}


@pytest.fixture
def matcher(detected: dict[str, list[DetectedFace]]) -> Matcher:
    """A matcher whose face index holds one enrolled face (entry 7: obama/01.jpg)."""
    index = SIGNAL_TYPES["face"].new_index()
    index.add([7], [embedding_value(subject(detected["obama/01.jpg"]).embedding)])
    return Matcher(indexes={"face": index})


def _pending(key: str) -> PendingItem:
    return PendingItem(scan_item_id=1, key=key, locator=key, kind_hint=None, context={})


def test_video_faces_become_queries_with_the_frame_time(tmp_path: Path,
                                                        matcher: Matcher) -> None:
    clip = face_clip(tmp_path / "clip.mp4", FACES / "obama" / "04.jpg").read_bytes()
    photo = (FACES / "obama" / "02.jpg").read_bytes()
    source = Files({"clip.mp4": clip, "photo.jpg": photo})
    video = analyse_item(source, _pending("clip.mp4"), matcher)
    assert video.ok and video.kind == "video", video.error_reason
    faces = [c for c in video.candidates if c.query.signal_type == "face"]
    assert {c.query.variant for c in faces} == {"frame@1.000s", "frame@2.000s"}
    assert {c.entry_id for c in faces} == {7} and all(c.distance < 550 for c in faces)
    image = analyse_item(source, _pending("photo.jpg"), matcher)
    assert [(c.query.variant, c.entry_id) for c in image.candidates
            if c.query.signal_type == "face"] == [("original", 7)]


def test_a_failed_face_search_keeps_the_fingerprints(monkeypatch: pytest.MonkeyPatch,
                                                      matcher: Matcher) -> None:
    def broken(data: bytes, **_: object) -> None:
        raise CorruptMedia("frames could not be decoded")

    monkeypatch.setattr(analysis, "detect_media_faces", broken)
    source = Files({"photo.jpg": (FACES / "obama" / "02.jpg").read_bytes()})
    result = analyse_item(source, _pending("photo.jpg"), matcher)
    assert result.ok and result.fingerprints["pdq"]
    assert result.fingerprints["face_search_error"] == {
        "code": "corrupt_media", "message": "frames could not be decoded"}
    # no face enrolled: no face search at all
    calls: list[bytes] = []
    monkeypatch.setattr(analysis, "detect_media_faces", lambda data, **_: calls.append(data))
    assert analyse_item(source, _pending("photo.jpg"), Matcher()).ok and calls == []
