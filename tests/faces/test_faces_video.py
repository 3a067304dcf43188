"""Faces in sampled video frames: times, sampling, and bad videos (no face, corrupt, huge,
hostile headers, too slow). Clips are generated in a temporary directory for each test run."""

from __future__ import annotations

import struct
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
from faces_media import FACES, face_clip, subject

from jikimi.errors import CorruptMedia, MediaTooLarge, UnsupportedMedia
from jikimi.faces import (
    DetectedFace,
    MediaFaces,
    VideoSampling,
    detect_media_faces,
    detect_video_faces,
    frame_time,
    frame_variant,
)
from jikimi.faces.video import _frame_times
from jikimi.hashing import DecodeLimits, MediaKind


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("clips")
    return {
        "obama": face_clip(out / "obama.mp4", FACES / "obama" / "02.jpg"),
        "none": face_clip(out / "none.mp4", None, seconds=2.0),
    }


def test_face_found_in_the_frames_that_show_it(
    clips: dict[str, Path], detected: dict[str, list[DetectedFace]]
) -> None:
    found = detect_media_faces(clips["obama"])  # shown from 1.0 s to 2.5 s of 3 s
    assert isinstance(found, MediaFaces) and found.kind is MediaKind.VIDEO
    assert found.frames == 3 and found.interval == 1.0
    assert found.duration == pytest.approx(3.0, abs=0.05)
    assert [f.time for f in found.faces] == [1.0, 2.0]
    reference = subject(detected["obama/01.jpg"]).embedding
    for face in found.faces:
        assert float(np.linalg.norm(face.face.embedding - reference)) < 0.5
        left, top, right, bottom = face.box
        assert 0 <= left < right <= 480 and 0 <= top < bottom <= 360
    # the same from the bytes (written to a private temporary file)
    again = detect_video_faces(clips["obama"].read_bytes())
    assert [(f.time, f.box) for f in again.faces] == [(f.time, f.box) for f in found.faces]


def test_video_without_a_face(clips: dict[str, Path]) -> None:
    found = detect_media_faces(clips["none"])
    assert found.kind is MediaKind.VIDEO and found.frames == 2 and found.faces == []


def test_sampling_spans_a_long_video_and_calls_the_hook(clips: dict[str, Path]) -> None:
    seen: list[tuple[float | None, tuple[int, int]]] = []
    found = detect_video_faces(clips["obama"], sampling=VideoSampling(max_frames=2,
                                                                     long_side=240),
                               frame_hook=lambda t, img: seen.append((t, img.size)))
    assert found.interval == pytest.approx(1.5, abs=0.02) and found.frames == 2
    assert [t for t, _ in seen] == [0.0, 1.6]  # the first frame at or after 1.5 s (5 fps)
    assert all(size == (240, 180) for _, size in seen)  # scaled down, aspect kept
    assert [f.time for f in found.faces] == [1.6]
    with pytest.raises(ValueError):
        VideoSampling(seconds_per_frame=0)
    with pytest.raises(ValueError):
        VideoSampling(max_frames=0)


def test_frame_variant_round_trip() -> None:
    for seconds in (0.0, 1.5, 12.345, 3599.999, 1e9):
        variant = frame_variant(seconds)
        assert len(variant) <= 30 and frame_time(variant) == pytest.approx(seconds, abs=5e-4)
    assert frame_variant(-3) == "frame@0.000s"
    assert frame_time("original") is None and frame_time("frame@x s") is None


def test_frame_times_from_the_log_or_the_nominal_times() -> None:
    line = b"[Parsed_showinfo_2 @ 0x5581] n:%3d pts:  %d pts_time:%s   duration:1\n"
    log = b"".join(line % (n, n, t) for n, t in enumerate([b"0", b"1.2", b"2.4"]))
    assert _frame_times(log, 3, 1.0) == [0.0, 1.2, 2.4]
    # missing, repeated or forged lines (e.g. in a title tag) give the nominal times
    assert _frame_times(log, 4, 1.5) == [0.0, 1.5, 3.0, 4.5]
    forged = b"    title: " + line % (0, 0, b"99") + log
    assert _frame_times(forged, 3, 1.0) == [0.0, 1.2, 2.4]
    assert _frame_times(log + log, 3, 1.0) == [0.0, 1.2, 2.4]
    assert _frame_times(b"garbage\n", 2, 1.0) == [0.0, 1.0]


def _mjpeg_declaring(path: Path, width: int, height: int) -> Path:
    """A tiny MJPEG AVI whose frame and container headers are patched to declare
    width x height (a decompression-bomb-like video header)."""
    small = path.with_suffix(".small.avi")
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                    "color=c=gray:s=64x48:r=5", "-t", "1", "-c:v", "mjpeg", str(small)],
                   check=True)
    data = bytearray(small.read_bytes())
    at = data.find(b"\xff\xc0")
    while at >= 0:
        data[at + 5 : at + 9] = struct.pack(">HH", height, width)
        at = data.find(b"\xff\xc0", at + 2)
    at = data.find(struct.pack("<II", 64, 48))
    while at >= 0:
        data[at : at + 8] = struct.pack("<II", width, height)
        at = data.find(struct.pack("<II", 64, 48), at + 8)
    path.write_bytes(bytes(data))
    return path


def test_huge_video_dimensions(tmp_path: Path, clips: dict[str, Path]) -> None:
    # declared 12,000 x 12,000 (144 MP): refused from the probe, before any frame is decoded
    with pytest.raises(MediaTooLarge, match="pixels"):
        detect_media_faces(_mjpeg_declaring(tmp_path / "big.avi", 12_000, 12_000))
    # declared 20,000 x 20,000: FFmpeg itself refuses the size; a clear error, no crash
    with pytest.raises(CorruptMedia, match="could be decoded"):
        detect_media_faces(_mjpeg_declaring(tmp_path / "huge.avi", 20_000, 20_000))
    # a real 480 x 360 clip under a smaller pixel limit
    with pytest.raises(MediaTooLarge, match="pixels"):
        detect_media_faces(clips["obama"], limits=DecodeLimits(max_pixels=100_000))


def test_corrupt_and_foreign_videos(tmp_path: Path, clips: dict[str, Path]) -> None:
    data = clips["obama"].read_bytes()
    with pytest.raises(CorruptMedia):
        detect_media_faces(data[: len(data) // 3])  # truncated: the index (moov) is lost
    with pytest.raises(CorruptMedia):
        detect_media_faces(b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"
                           + bytes(range(256)) * 20)
    audio = tmp_path / "voice.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                    "sine=frequency=440:duration=1", "-c:a", "aac", str(audio)], check=True)
    with pytest.raises(UnsupportedMedia, match="no video stream"):
        detect_media_faces(audio)
    with pytest.raises(UnsupportedMedia, match="not a video"):
        detect_video_faces((FACES / "obama" / "01.jpg").read_bytes())
    with pytest.raises(UnsupportedMedia, match="directory"):
        detect_media_faces(tmp_path)
    with pytest.raises(CorruptMedia):
        detect_media_faces(tmp_path / "missing.mp4")
    with pytest.raises(MediaTooLarge):
        detect_media_faces(clips["obama"], limits=DecodeLimits(max_bytes=1000))
    with pytest.raises(MediaTooLarge, match="frames"):
        detect_media_faces(clips["obama"], limits=DecodeLimits(max_frames=5))


def test_decoding_is_stopped_at_the_time_limit(clips: dict[str, Path]) -> None:
    started = time.monotonic()
    with pytest.raises(MediaTooLarge, match="longer than"):
        detect_media_faces(clips["obama"], limits=DecodeLimits(decode_timeout_seconds=0.01))
    assert time.monotonic() - started < 2
