"""Safe decoding: the one place where untrusted bytes become pixels.

Every file goes through :func:`sniff_format` (the format comes from the bytes, never from the
name), then :func:`open_image` or :func:`probe_video`, which enforce :class:`DecodeLimits`.
Anything wrong becomes one of ``UnsupportedMedia``, ``MediaTooLarge`` or ``CorruptMedia`` with a
message that says what to do next, so a batch can log the file and carry on.

Images are decoded in this process: their cost is bounded by ``max_pixels`` (checked from the
header before any pixel is decoded), and every decode first reserves its estimated memory from
one process-wide :class:`DecodeBudget` (``JIKIMI_DECODE_MEMORY_MB``, default 1024), so that
concurrent uploads, scans and previews together never hold more than the budget: a decode that
does not fit waits, and after its wait (short for web requests, long for the CLI and scans)
fails with ``Busy`` (HTTP 503 with ``Retry-After``), never with the out-of-memory killer.
Videos and animations are decoded in a child process with a
time limit (see :mod:`jikimi.hashing.video`), after ``ffprobe`` has checked their size, frame
count and duration.
"""

from __future__ import annotations

import io
import json
import math
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import pillow_heif
from PIL import Image, ImageCms

from jikimi.errors import Busy, CorruptMedia, JikimiError, MediaTooLarge, UnsupportedMedia

pillow_heif.register_heif_opener()


@dataclass(frozen=True, slots=True)
class DecodeLimits:
    """Limits applied to every file before and while it is decoded.

    The defaults suit interactive use (the API, the CLI, the victim portal): phone photos up to
    100 MP and videos up to an hour. Bulk scans of long videos should pass larger values.
    """

    max_bytes: int = 512 * 1024 * 1024
    """Largest file accepted, in bytes."""
    max_pixels: int = 100_000_000
    """Largest image or video frame, in pixels (width x height); stops decompression bombs."""
    max_frames: int = 50_000
    """Most frames a video or animation may have (all frames are decoded, even when sampling)."""
    max_duration_seconds: float = 3600.0
    """Longest video or animation accepted."""
    decode_timeout_seconds: float = 180.0
    """Wall-clock budget for probing and decoding one video or animation (child process)."""

    def __post_init__(self) -> None:
        for name in ("max_bytes", "max_pixels", "max_frames"):
            if getattr(self, name) <= 0:
                raise ValueError(f"DecodeLimits.{name} must be positive")
        if self.max_duration_seconds <= 0 or self.decode_timeout_seconds <= 0:
            raise ValueError("DecodeLimits durations must be positive")


class MediaKind(StrEnum):
    """Whether a format is hashed with PDQ (image) or vPDQ (video)."""

    IMAGE = "image"
    VIDEO = "video"


@dataclass(frozen=True, slots=True)
class MediaFormat:
    """A format recognised from a file's first bytes."""

    name: str
    """Short lower-case name: jpeg, png, gif, webp, bmp, tiff, heif, avif, mp4, matroska..."""
    kind: MediaKind
    pillow_format: str | None = None
    """The Pillow plugin that must read it (images only), so no other plugin guesses."""


_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
_AVIF_BRANDS = {b"avif", b"avis"}
_QUICKTIME_ATOMS = {b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"}


def _ftyp_brands(head: bytes) -> list[bytes]:
    """Major and compatible brands of an ISO base media ``ftyp`` box."""
    size = int.from_bytes(head[0:4], "big")
    end = min(max(size, 16), len(head))
    brands = [head[8:12]]
    brands += [head[i : i + 4] for i in range(16, end - 3, 4)]
    return brands


def sniff_format(head: bytes) -> MediaFormat:
    """Recognise the format from the first bytes of a file (64 are enough).

    Raises ``UnsupportedMedia`` for anything that is not an image or video jikimi reads, with a
    hint when the bytes look like something common (HTML, text, PDF, ZIP).
    """
    if len(head) == 0:
        raise UnsupportedMedia(
            "The file is empty (0 bytes). Check that the upload or copy completed, then try again."
        )
    if head.startswith(b"\xff\xd8\xff"):
        return MediaFormat("jpeg", MediaKind.IMAGE, "JPEG")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return MediaFormat("png", MediaKind.IMAGE, "PNG")
    if head.startswith((b"GIF87a", b"GIF89a")):
        return MediaFormat("gif", MediaKind.IMAGE, "GIF")
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return MediaFormat("webp", MediaKind.IMAGE, "WEBP")
    if head.startswith(b"RIFF") and head[8:12] == b"AVI ":
        return MediaFormat("avi", MediaKind.VIDEO)
    if head.startswith(b"BM") and len(head) >= 14:
        return MediaFormat("bmp", MediaKind.IMAGE, "BMP")
    if head.startswith((b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")):
        return MediaFormat("tiff", MediaKind.IMAGE, "TIFF")
    if head[4:8] == b"ftyp":
        major, brands = head[8:12], _ftyp_brands(head)
        if major in _AVIF_BRANDS:
            return MediaFormat("avif", MediaKind.IMAGE, "AVIF")
        if major in _HEIF_BRANDS and any(b in _AVIF_BRANDS for b in brands):
            if not any(b in (b"heic", b"heix", b"hevc", b"hevx") for b in brands):
                return MediaFormat("avif", MediaKind.IMAGE, "AVIF")
        if major in _HEIF_BRANDS or any(b in _HEIF_BRANDS for b in brands):
            return MediaFormat("heif", MediaKind.IMAGE, "HEIF")
        if head[8:10] == b"qt":
            return MediaFormat("mov", MediaKind.VIDEO)
        return MediaFormat("mp4", MediaKind.VIDEO)
    if head[4:8] in _QUICKTIME_ATOMS:
        return MediaFormat("mov", MediaKind.VIDEO)
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return MediaFormat("matroska", MediaKind.VIDEO)
    if head.startswith(b"FLV\x01"):
        return MediaFormat("flv", MediaKind.VIDEO)
    if head.startswith(b"\x30\x26\xb2\x75\x8e\x66\xcf\x11"):
        return MediaFormat("asf", MediaKind.VIDEO)
    if head.startswith(b"\x00\x00\x01\xba"):
        return MediaFormat("mpeg", MediaKind.VIDEO)
    if head.startswith(b"OggS"):
        return MediaFormat("ogg", MediaKind.VIDEO)
    if head[0:1] == b"\x47" and len(head) > 188 and head[188:189] == b"\x47":
        return MediaFormat("mpegts", MediaKind.VIDEO)
    raise UnsupportedMedia(_describe_unknown(head))


def _describe_unknown(head: bytes) -> str:
    text = head[:64].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<?xml", b"<svg")):
        what = "an HTML or XML page (often an error or login page saved instead of the media)"
    elif text.startswith(b"%pdf"):
        what = "a PDF document"
    elif text.startswith(b"pk\x03\x04"):
        what = "a ZIP archive (extract it and hash the files inside)"
    elif text.startswith(b"#extm3u"):
        what = "a streaming playlist (download the stream itself)"
    elif all(32 <= c < 127 or c in (9, 10, 13) for c in head[:64]):
        what = "a text file"
    else:
        what = "a format jikimi does not read"
    return (
        f"The file is not an image or video: it looks like {what}. Supported: JPEG, PNG, GIF, "
        "WebP, BMP, TIFF, HEIC/HEIF, AVIF, MP4/MOV, WebM/MKV, AVI, FLV, WMV, MPEG, Ogg."
    )


def check_size(size: int, limits: DecodeLimits) -> None:
    """Reject a file larger than ``limits.max_bytes`` before reading it."""
    if size > limits.max_bytes:
        raise MediaTooLarge(
            f"The file is {size:,} bytes, more than the limit of {limits.max_bytes:,}. "
            "Trim or re-encode it, or raise DecodeLimits.max_bytes for this job."
        )


def too_many_pixels(width: int, height: int, limits: DecodeLimits) -> MediaTooLarge:
    return MediaTooLarge(
        f"The image is {width}x{height} pixels ({width * height:,}), more than the limit of "
        f"{limits.max_pixels:,}. If it is a genuine photo, downscale it or raise "
        "DecodeLimits.max_pixels; otherwise it may be a decompression bomb."
    )


def open_image(data: bytes, fmt: MediaFormat, limits: DecodeLimits) -> Image.Image:
    """Open an image as stored (no EXIF rotation) and check its pixel count before decoding.

    The returned image is positioned on its first frame and not yet decoded, so that the caller
    can let Pillow's ``thumbnail`` pick a JPEG draft scale exactly as the PDQ reference does.
    """
    assert fmt.kind is MediaKind.IMAGE and fmt.pillow_format is not None
    try:
        img = Image.open(io.BytesIO(data), formats=[fmt.pillow_format])
    except Image.DecompressionBombError as exc:
        raise MediaTooLarge(
            f"The image declares more pixels than Pillow allows ({exc}). It is probably a "
            "decompression bomb; if it is a genuine photo, downscale it first."
        ) from exc
    except Exception as exc:
        raise CorruptMedia(
            f"The file starts like a {fmt.name.upper()} image but its header cannot be read "
            f"({type(exc).__name__}: {exc}). It is damaged or incomplete: fetch it again."
        ) from exc
    width, height = img.size
    if width <= 0 or height <= 0:
        raise CorruptMedia(
            f"The {fmt.name.upper()} header declares an empty image ({width}x{height})."
        )
    if width * height > limits.max_pixels:
        raise too_many_pixels(width, height, limits)
    return img


# --- the process-wide decode memory budget -------------------------------------------------------
DEFAULT_DECODE_MEMORY_MB = 1024
MB = 1024 * 1024
# How long a decode waits for room: web requests a few seconds (then 503), the rest minutes.
INTERACTIVE_WAIT_SECONDS = 5.0
BATCH_WAIT_SECONDS = 600.0

_wait_seconds: ContextVar[float] = ContextVar("decode_wait_seconds", default=BATCH_WAIT_SECONDS)
_held: ContextVar[int] = ContextVar("decode_bytes_held", default=0)


class DecodeBudget:
    """Bytes of decoded pixels this process may hold at once, shared by every decode.

    :meth:`reserve` blocks until the bytes fit (first come, first served), or raises ``Busy``
    after the wait. A reservation made inside another one by the same task only takes what it
    needs beyond what is already held, so nested decodes of the same image are not counted
    twice. One image may take at most the whole budget (more is ``MediaTooLarge``).
    """

    def __init__(self, limit_bytes: int) -> None:
        if limit_bytes <= 0:
            raise ValueError("the decode budget must be positive")
        self.limit = limit_bytes
        self.used = 0
        self.peak = 0
        self._cond = threading.Condition()
        self._queue: list[object] = []

    @contextmanager
    def reserve(self, nbytes: int, *, wait_seconds: float | None = None) -> Iterator[None]:
        """Hold ``nbytes`` (beyond what this task already holds) for the ``with`` block."""
        held = _held.get()
        extra = max(0, nbytes - held)
        if extra == 0:
            yield
            return
        if nbytes > self.limit:
            raise MediaTooLarge(
                f"Decoding this image needs about {nbytes / MB:,.0f} MB, more than the decode "
                f"memory budget of {self.limit / MB:,.0f} MB (JIKIMI_DECODE_MEMORY_MB). "
                "Downscale it, or raise the budget on a machine with more memory.",
                code="media_too_large_for_memory")
        wait = _wait_seconds.get() if wait_seconds is None else wait_seconds
        self._acquire(extra, wait)
        token = _held.set(held + extra)
        try:
            yield
        finally:
            _held.reset(token)
            with self._cond:
                self.used -= extra
                self._cond.notify_all()

    def _acquire(self, extra: int, wait: float) -> None:
        deadline = time.monotonic() + wait
        ticket = object()
        with self._cond:
            self._queue.append(ticket)
            try:
                # First come, first served: a large decode is not starved by small ones.
                while self._queue[0] is not ticket or self.used + extra > self.limit:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise Busy(
                            f"The server is decoding as many images as its memory budget "
                            f"allows ({self.limit / MB:,.0f} MB); this one waited "
                            f"{wait:.0f} s. Try again in a moment.",
                            code="decode_busy", retry_after=max(1, math.ceil(min(wait, 30))))
                    self._cond.wait(remaining)
                self.used += extra
                self.peak = max(self.peak, self.used)
            finally:
                self._queue.remove(ticket)
                self._cond.notify_all()


def _return_freed_pixels_to_the_os() -> bool:
    """Make glibc hand large allocations (Pillow's 16 MB pixel blocks) to ``mmap`` always.

    Without this, glibc raises its mmap threshold after the first large free, and from then on
    keeps freed pixel memory in each thread's heap: every worker thread that once decoded a
    100 MP image keeps ~400 MB resident for good, and the budget would bound the decodes but
    not the process. With a fixed threshold, freed pixels go back to the system at once.
    """
    try:
        import ctypes
        import ctypes.util

        name = ctypes.util.find_library("c")
        if not name:
            return False
        libc = ctypes.CDLL(name)
        m_mmap_threshold = -3
        return bool(libc.mallopt(m_mmap_threshold, 4 * MB))
    except (OSError, AttributeError):
        return False  # not glibc: its allocator decides


RETURNS_FREED_PIXELS = _return_freed_pixels_to_the_os()


def _budget_from_environment() -> DecodeBudget:
    raw = os.environ.get("JIKIMI_DECODE_MEMORY_MB", "")
    try:
        megabytes = int(raw) if raw.strip() else DEFAULT_DECODE_MEMORY_MB
    except ValueError:
        megabytes = DEFAULT_DECODE_MEMORY_MB
    return DecodeBudget(max(1, megabytes) * MB)


_budget: DecodeBudget | None = None
_budget_lock = threading.Lock()


def decode_budget() -> DecodeBudget:
    """This process's budget (from ``JIKIMI_DECODE_MEMORY_MB`` until configured)."""
    global _budget
    with _budget_lock:
        if _budget is None:
            _budget = _budget_from_environment()
        return _budget


def configure_decode_budget(megabytes: int) -> DecodeBudget:
    """Set this process's budget (the runtime does, from its settings)."""
    global _budget
    with _budget_lock:
        if _budget is None or _budget.limit != megabytes * MB:
            _budget = DecodeBudget(max(1, megabytes) * MB)
        return _budget


@contextmanager
def decode_wait(seconds: float) -> Iterator[None]:
    """How long decodes in this block wait for room before ``Busy`` (web requests: short)."""
    token = _wait_seconds.set(seconds)
    try:
        yield
    finally:
        _wait_seconds.reset(token)


def _pixel_bytes(mode: str) -> int:
    """Bytes per pixel Pillow stores for a mode (multi-band modes take 4)."""
    if mode in ("1", "L", "P"):
        return 1
    if mode.startswith("I;16"):
        return 2
    return 4


def decoded_bytes(img: Image.Image) -> int:
    """Memory one full decode of ``img`` takes at its peak: the pixels as stored, plus the RGB
    copy when it has to be converted, plus Pillow's and the hashers' working copies (about
    a tenth) — measured against the RSS of real 100-megapixel decodes (bench_decode_budget)."""
    width, height = img.size
    pixels = width * height
    stored = pixels * _pixel_bytes(img.mode)
    converted = 0 if img.mode == "RGB" else pixels * 4
    return int((stored + converted) * 1.1) + 8 * MB


@contextmanager
def reserving(img: Image.Image) -> Iterator[None]:
    """Hold the decode budget for one full decode of ``img`` during the block."""
    with decode_budget().reserve(decoded_bytes(img)):
        yield


@contextmanager
def decoding(fmt: MediaFormat, img: Image.Image | None = None) -> Iterator[None]:
    """Turn every failure while Pillow decodes pixels into one of jikimi's media errors; with
    ``img``, first reserve its decoded size from the process's decode budget."""
    if img is not None:
        with reserving(img), decoding(fmt):
            yield
        return
    try:
        yield
    except JikimiError:
        raise  # already one of ours (Busy, MediaTooLarge...)
    except Image.DecompressionBombError as exc:
        raise MediaTooLarge(f"The image expands beyond Pillow's pixel limit ({exc}).") from exc
    except MemoryError as exc:
        raise MediaTooLarge("The image needs more memory to decode than is available.") from exc
    except Exception as exc:
        raise CorruptMedia(
            f"The {fmt.name.upper()} image cannot be decoded ({type(exc).__name__}: {exc}). "
            "It is truncated or damaged: fetch the original again."
        ) from exc


_SRGB_FROM_LAB: ImageCms.ImageCmsTransform | None = None


def to_rgb(img: Image.Image) -> Image.Image:
    """Convert any Pillow mode to 8-bit RGB.

    8-bit modes go through Pillow's own ``convert("RGB")`` (as the PDQ reference does). Modes
    where that conversion clips or misreads values get a faithful conversion instead: 16- and
    32-bit integer images are scaled to 8 bits, float images in 0..1 are scaled to 0..255, and
    CIELAB is converted to sRGB with LittleCMS.
    """
    global _SRGB_FROM_LAB
    mode = img.mode
    if mode == "RGB":
        return img
    if mode.startswith("I;16") or mode == "I":
        img = img.convert("I") if mode != "I" else img
        _lo, hi = img.getextrema()
        assert isinstance(hi, (int, float))
        scale = 255.0 / 65535.0 if hi > 255 else 1.0
        return img.point(lambda v: v * scale).convert("L").convert("RGB")
    if mode == "F":
        _lo, hi = img.getextrema()
        assert isinstance(hi, (int, float))
        if not math.isfinite(float(hi)) or hi <= 1.0:
            img = img.point(lambda v: v * 255.0)
        return img.convert("L").convert("RGB")
    if mode == "LAB":
        if _SRGB_FROM_LAB is None:
            _SRGB_FROM_LAB = ImageCms.buildTransform(
                ImageCms.createProfile("LAB"), ImageCms.createProfile("sRGB"), "LAB", "RGB"
            )
        out = ImageCms.applyTransform(img, _SRGB_FROM_LAB)
        assert out is not None
        return out
    try:
        return img.convert("RGB")
    except ValueError:
        # Premultiplied modes (La, RGBa) and other rarities: go through RGBA.
        return img.convert("RGBA").convert("RGB")


# --- video probing ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class VideoProbe:
    """What ``ffprobe`` found in a video, after the limits were checked."""

    width: int
    height: int
    frame_count: int
    duration_seconds: float
    codec: str
    container: str


def ffprobe_path() -> str:
    """The ffprobe executable, or ``UnsupportedMedia`` if FFmpeg is not installed."""
    path = shutil.which("ffprobe")
    if path is None:
        raise UnsupportedMedia(
            "Videos need FFmpeg's ffprobe, which is not installed on this machine "
            "(apt-get install ffmpeg)."
        )
    return path


def _number(value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 0.0
    return number if math.isfinite(number) and number > 0 else 0.0


def _rate(value: Any) -> float:
    if not isinstance(value, str) or "/" not in value:
        return _number(value)
    num, _, den = value.partition("/")
    d = _number(den)
    return _number(num) / d if d else 0.0


def probe_video(path: Path, fmt: MediaFormat, limits: DecodeLimits, timeout: float) -> VideoProbe:
    """Probe a video with ffprobe (every packet counted) and enforce the limits.

    Counting packets demuxes the whole file without decoding it, so a header that lies about
    the length cannot hide a stream that goes on and on.
    """
    cmd = [
        ffprobe_path(), "-v", "error", "-hide_banner", "-protocol_whitelist", "file",
        "-count_packets", "-select_streams", "v:0",
        "-show_entries",
        "stream=codec_name,width,height,nb_read_packets,avg_frame_rate,r_frame_rate,duration"
        ":format=duration,format_name",
        "-of", "json", str(path),
    ]  # fmt: skip
    try:
        done = subprocess.run(  # noqa: S603 - fixed argv, no shell
            cmd, capture_output=True, timeout=max(timeout, 0.001), check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise MediaTooLarge(
            f"Reading the {fmt.name} video's structure took longer than {timeout:.1f} s. "
            "It is very long or hostile; raise DecodeLimits.decode_timeout_seconds only if you "
            "trust it."
        ) from exc
    try:
        info = json.loads(done.stdout or b"{}")
    except json.JSONDecodeError:
        info = {}
    streams = info.get("streams") or []
    if done.returncode != 0 and not streams:
        raise CorruptMedia(
            f"The file starts like a {fmt.name} video but FFmpeg cannot read it "
            f"({done.stderr.decode(errors='replace').strip()[:200] or 'no details'}). "
            "It is damaged or incomplete: fetch it again."
        )
    if not streams:
        raise UnsupportedMedia(
            f"The {fmt.name} file has no video stream (audio only?). Only images and videos "
            "can be fingerprinted."
        )
    stream = streams[0]
    width, height = int(_number(stream.get("width"))), int(_number(stream.get("height")))
    frames = int(_number(stream.get("nb_read_packets")))
    rate = _rate(stream.get("avg_frame_rate")) or _rate(stream.get("r_frame_rate"))
    duration = max(
        _number(stream.get("duration")),
        _number((info.get("format") or {}).get("duration")),
        frames / rate if rate else 0.0,
    )
    if width * height > limits.max_pixels:
        raise too_many_pixels(width, height, limits)
    if frames > limits.max_frames:
        raise MediaTooLarge(
            f"The video has {frames:,} frames, more than the limit of {limits.max_frames:,}. "
            "Cut it into parts, or raise DecodeLimits.max_frames for this job."
        )
    if duration > limits.max_duration_seconds:
        raise MediaTooLarge(
            f"The video lasts {duration:,.0f} s, longer than the limit of "
            f"{limits.max_duration_seconds:,.0f} s. Cut it into parts, or raise "
            "DecodeLimits.max_duration_seconds for this job."
        )
    if frames == 0:
        raise CorruptMedia(
            f"The {fmt.name} video contains no frames. It is damaged or incomplete: fetch it again."
        )
    return VideoProbe(
        width=width,
        height=height,
        frame_count=frames,
        duration_seconds=duration,
        codec=str(stream.get("codec_name") or "unknown"),
        container=str((info.get("format") or {}).get("format_name") or fmt.name),
    )
