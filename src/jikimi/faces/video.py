"""Faces in videos: sampled frames, decoded by FFmpeg, then :func:`detect_faces` on each.

Why sample: a deepfake video shows the same face for seconds on end, so one frame per second
finds it; detection costs about 0.1-0.5 s of CPU per frame, so a cap on the frames bounds the
time a long video can take. When the video is longer than ``max_frames`` seconds, the interval
grows so that the samples still span the whole video.

How, for untrusted files: the video is first probed with ``ffprobe``
(:func:`jikimi.hashing.decode.probe_video`: frame size, frame count and duration checked
against :class:`DecodeLimits`, exactly as for vPDQ), then ``ffmpeg`` (file protocol only, no
audio, subtitles or data streams) selects one frame per interval, scales it down to at most
``FRAME_LONG_SIDE`` px and writes it as PPM into a private temporary directory; probe and
decoding share the wall-clock budget ``limits.decode_timeout_seconds``. Frames are read back
one at a time (memory: one frame), and each frame's time comes from FFmpeg's own timestamps.

A sampled frame's time is recorded with a match as its query variant (:func:`frame_variant`,
e.g. ``frame@12.000s``), so a reviewer can jump to it.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from jikimi.errors import CorruptMedia, MediaTooLarge, UnsupportedMedia
from jikimi.faces.embedding import MAX_FACES, DetectedFace, detect_faces, faces_in, load_detail
from jikimi.hashing import DEFAULT_LIMITS, DecodeLimits, MediaKind, sniff_format
from jikimi.hashing.decode import VideoProbe, check_size, probe_video

__all__ = [
    "FRAME_LONG_SIDE",
    "MAX_VIDEO_FRAMES",
    "SECONDS_PER_FRAME",
    "FaceInMedia",
    "FrameHook",
    "MediaFaces",
    "VideoSampling",
    "detect_media_faces",
    "detect_video_faces",
    "frame_time",
    "frame_variant",
    "sample_frames",
]

SECONDS_PER_FRAME = 1.0
"""One frame per second by default."""
MAX_VIDEO_FRAMES = 60
"""At most this many frames per video (a longer video is sampled more sparsely)."""
FRAME_LONG_SIDE = 1280
"""Frames are scaled down to this many pixels on the long side (never up): a 1080p frame keeps
faces of about 60 px, and a frame is at most 5 MB while it is read."""

_SNIFF_BYTES = 512
_SHOWINFO = re.compile(
    rb"^\[Parsed_showinfo_\d+ @ 0x[0-9a-fA-F]+\] n: *(\d+) pts: *-?\d+ "
    rb"pts_time:(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)\s")
_VARIANT = re.compile(r"^frame@(\d+(?:\.\d+)?)s$")


@dataclass(frozen=True, slots=True)
class VideoSampling:
    """Which frames of a video are searched for faces."""

    seconds_per_frame: float = SECONDS_PER_FRAME
    max_frames: int = MAX_VIDEO_FRAMES
    long_side: int = FRAME_LONG_SIDE

    def __post_init__(self) -> None:
        if not (math.isfinite(self.seconds_per_frame) and self.seconds_per_frame > 0):
            raise ValueError("seconds_per_frame must be a positive number")
        if self.max_frames < 1 or self.long_side < 16:
            raise ValueError("max_frames must be at least 1 and long_side at least 16")

    def interval(self, duration: float) -> float:
        """Seconds between samples for a video this long (samples span the whole video)."""
        if not math.isfinite(duration) or duration <= 0:
            return self.seconds_per_frame
        return max(self.seconds_per_frame, duration / self.max_frames)


DEFAULT_SAMPLING = VideoSampling()


@dataclass(frozen=True, slots=True)
class FaceInMedia:
    """One face found in an image or in a sampled video frame."""

    face: DetectedFace
    time: float | None = None
    """Seconds from the start of the video (FFmpeg's timestamp of the frame); None in images."""

    @property
    def box(self) -> tuple[int, int, int, int]:
        return self.face.box


@dataclass(frozen=True, slots=True)
class MediaFaces:
    """Every face in one file: an image, or the sampled frames of a video."""

    kind: MediaKind
    faces: list[FaceInMedia] = field(default_factory=list)
    frames: int = 1
    """Frames searched (1 for an image)."""
    interval: float | None = None
    """Seconds between sampled frames (videos)."""
    duration: float | None = None
    """The video's duration in seconds, as probed (videos)."""


def frame_variant(seconds: float) -> str:
    """How a match records the frame it was found in: ``frame@12.345s`` (at most 30 chars)."""
    return f"frame@{max(0.0, min(seconds, 9.99e9)):.3f}s"


def frame_time(variant: str) -> float | None:
    """The frame time of a variant written by :func:`frame_variant`, else None."""
    found = _VARIANT.match(variant or "")
    return float(found.group(1)) if found else None


def _ffmpeg_path() -> str:
    path = shutil.which("ffmpeg")
    if path is None:
        raise UnsupportedMedia(
            "Face search in videos needs FFmpeg, which is not installed on this machine "
            "(apt-get install ffmpeg)."
        )
    return path


def sample_frames(
    path: Path,
    *,
    limits: DecodeLimits = DEFAULT_LIMITS,
    sampling: VideoSampling = DEFAULT_SAMPLING,
) -> Iterator[tuple[float, Image.Image]]:
    """``(seconds, RGB frame)`` for the sampled frames of the video at ``path``, in order.

    Raises ``UnsupportedMedia`` (not a video FFmpeg reads, no video stream), ``MediaTooLarge``
    (frame size, frame count, duration or time over the limits) or ``CorruptMedia``; all of
    them before the first frame is yielded.
    """
    with _decoded(path, limits, sampling) as (_probe, _interval, frames):
        yield from _read_frames(frames)


def _read_frames(frames: list[tuple[float, Path]]) -> Iterator[tuple[float, Image.Image]]:
    for seconds, file in frames:
        with Image.open(file, formats=["PPM"]) as img:
            frame = img.convert("RGB")
        file.unlink()
        yield seconds, frame


@contextmanager
def _decoded(path: Path, limits: DecodeLimits, sampling: VideoSampling
             ) -> Iterator[tuple[VideoProbe, float, list[tuple[float, Path]]]]:
    """Probe the video and decode its sampled frames into a temporary directory (removed on
    exit): the probe, the sampling interval and ``(seconds, frame file)`` pairs."""
    fmt = sniff_format(_read_head(path, limits))
    if fmt.kind is not MediaKind.VIDEO:
        raise UnsupportedMedia(f"{path.name} is a {fmt.name} image, not a video.")
    deadline = time.monotonic() + limits.decode_timeout_seconds
    probe = probe_video(path, fmt, limits, limits.decode_timeout_seconds)
    interval = sampling.interval(probe.duration_seconds)
    side = sampling.long_side
    video_filter = (
        f"select='isnan(prev_selected_t)+gte(t-prev_selected_t\\,{interval:.6f})',"
        f"scale=w='min(iw\\,{side})':h='min(ih\\,{side})':force_original_aspect_ratio=decrease,"
        "showinfo"
    )
    with tempfile.TemporaryDirectory(prefix="jikimi-frames-") as tmp:
        out = Path(tmp)
        cmd = [
            _ffmpeg_path(), "-hide_banner", "-nostdin", "-nostats", "-loglevel", "info",
            "-protocol_whitelist", "file", "-i", str(path), "-map", "0:v:0", "-an", "-sn",
            "-dn", "-vf", video_filter, "-fps_mode", "passthrough",
            "-frames:v", str(sampling.max_frames), "-f", "image2", "-c:v", "ppm",
            str(out / "%05d.ppm"),
        ]  # fmt: skip
        remaining = deadline - time.monotonic()
        try:
            if remaining <= 0:
                raise subprocess.TimeoutExpired(cmd, 0)
            done = subprocess.run(  # noqa: S603 - fixed argv, no shell
                cmd, capture_output=True, timeout=remaining, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise MediaTooLarge(
                f"Decoding the {fmt.name} video's frames for face search took longer than "
                f"{limits.decode_timeout_seconds:g} s and was stopped. Try again on a less "
                "busy machine, or sample fewer frames."
            ) from exc
        files = sorted(out.glob("*.ppm"))
        if done.returncode != 0 or not files:
            detail = [line for line in done.stderr.decode(errors="replace").splitlines()
                      if line.strip() and "Parsed_showinfo" not in line]
            raise CorruptMedia(
                f"No frame of the {fmt.name} video could be decoded for face search "
                f"({detail[-1].strip()[:200] if detail else 'no details'}). It is damaged or "
                "incomplete: fetch it again."
            )
        times = _frame_times(done.stderr, len(files), interval)
        yield probe, interval, list(zip(times, files, strict=True))


def _read_head(path: Path, limits: DecodeLimits) -> bytes:
    """The first bytes of a file (to sniff its format), after its size is checked."""
    try:
        check_size(path.stat().st_size, limits)
        with path.open("rb") as fh:
            return fh.read(_SNIFF_BYTES)
    except IsADirectoryError as exc:
        raise UnsupportedMedia(f"{path} is a directory, not a file.") from exc
    except OSError as exc:
        raise CorruptMedia(f"{path} cannot be read ({exc.strerror or exc}).") from exc


def _frame_times(log: bytes, count: int, interval: float) -> list[float]:
    """The frames' timestamps from FFmpeg's showinfo lines; if they cannot be read
    unambiguously (one line per frame, numbered in order), the nominal sampling times."""
    times: list[float] = []
    for line in log.splitlines():
        found = _SHOWINFO.match(line)
        if found:
            if int(found.group(1)) != len(times):
                break
            times.append(round(max(0.0, float(found.group(2))), 3))
    if len(times) != count or not all(math.isfinite(t) for t in times):
        return [round(k * interval, 3) for k in range(count)]
    return times


FrameHook = Callable[[float | None, Image.Image], None]
"""Called with each searched picture before its faces are detected: ``(seconds, frame)`` for
a video frame, ``(None, image)`` for an image (upright RGB, at most 1600 px)."""


def detect_video_faces(
    video: bytes | str | os.PathLike[str],
    *,
    limits: DecodeLimits = DEFAULT_LIMITS,
    sampling: VideoSampling = DEFAULT_SAMPLING,
    max_faces: int = MAX_FACES,
    frame_hook: FrameHook | None = None,
) -> MediaFaces:
    """Every face in the sampled frames of a video (``max_faces`` per frame at most)."""
    if isinstance(video, bytes):
        check_size(len(video), limits)
        fmt = sniff_format(video[:_SNIFF_BYTES])
        if fmt.kind is not MediaKind.VIDEO:
            raise UnsupportedMedia(f"This is a {fmt.name} image, not a video.")
        with tempfile.TemporaryDirectory(prefix="jikimi-video-") as tmp:
            path = Path(tmp) / f"media.{fmt.name}"
            path.write_bytes(video)
            return detect_video_faces(path, limits=limits, sampling=sampling,
                                      max_faces=max_faces, frame_hook=frame_hook)
    found: list[FaceInMedia] = []
    with _decoded(Path(video), limits, sampling) as (probe, interval, frames):
        for seconds, frame in _read_frames(frames):
            if frame_hook is not None:
                frame_hook(seconds, frame)
            found.extend(FaceInMedia(face, seconds)
                         for face in detect_faces(frame, limits=limits, max_faces=max_faces))
    return MediaFaces(MediaKind.VIDEO, found, len(frames), interval, probe.duration_seconds)


def detect_media_faces(
    media: bytes | str | os.PathLike[str],
    *,
    limits: DecodeLimits = DEFAULT_LIMITS,
    sampling: VideoSampling = DEFAULT_SAMPLING,
    max_faces: int = MAX_FACES,
    frame_hook: FrameHook | None = None,
) -> MediaFaces:
    """Faces in an image, or in the sampled frames of a video (the kind is read from the
    bytes). Bad files raise ``UnsupportedMedia``, ``MediaTooLarge`` or ``CorruptMedia``."""
    if isinstance(media, bytes):
        head = media[:_SNIFF_BYTES]
    else:
        head = _read_head(Path(media), limits)
    if sniff_format(head).kind is MediaKind.VIDEO:
        return detect_video_faces(media, limits=limits, sampling=sampling, max_faces=max_faces,
                                  frame_hook=frame_hook)
    if max_faces < 1:
        raise ValueError("max_faces must be at least 1")
    detail, scale = load_detail(media, limits)
    if frame_hook is not None:
        frame_hook(None, detail)
    faces = faces_in(detail, scale, max_faces)
    return MediaFaces(MediaKind.IMAGE, [FaceInMedia(face) for face in faces])
