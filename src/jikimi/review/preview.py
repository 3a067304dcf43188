"""Previews for reviewers: made on the fly from the item's place, never stored.

Least exposure: a preview is small, greyscale and blurred unless the reviewer deliberately asks
for the clear one (the service audits that). The bytes are fetched through the item's own
source (its HTTP client for web sources, its folder or archive for local ones, with the
source's limits), decoded with the one safe decoder, shrunk, and thrown away after the response.
Videos show their first sampled frame, treated like an image (greyscale, blurred by default);
the video is written to a private temporary directory only while FFmpeg reads that frame. A
video whose frame cannot be read gets a neutral placeholder.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import tempfile
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

from jikimi.core.perimeter import NetworkGuard
from jikimi.errors import MediaError
from jikimi.hashing.decode import (
    DecodeLimits,
    MediaKind,
    check_size,
    decoding,
    open_image,
    sniff_format,
    to_rgb,
)
from jikimi.sources import WEB_SOURCE_TYPES, FetchPolicy, HttpClient, SourceItem, build_source
from jikimi.sources.base import ConfigReader

PREVIEW_SIZE = 320
"""Longest side of a preview, in pixels."""
BLUR_RADIUS = 14
"""Gaussian blur radius (on the 320-pixel preview) of the default view; shapes stay, detail
does not."""
PREVIEW_LIMITS = DecodeLimits(max_bytes=64 * 1024 * 1024, max_pixels=60_000_000)
PREVIEW_FETCH_SECONDS = 20.0


@dataclass(frozen=True)
class PreviewTarget:
    """Where an item's bytes are, as the scan found it (checked for access by the service)."""

    match_id: int
    source_type: str
    source_config: dict[str, object]
    item_key: str
    locator: str
    sha256: str
    kind: str
    guard: NetworkGuard | None = None
    """Which addresses a web item may be fetched from (default: this process's settings)."""


@dataclass(frozen=True)
class Preview:
    content: bytes
    media_type: str
    blurred: bool
    placeholder: bool
    changed: bool
    """True when the place now holds other bytes than the matched version."""


def make_preview(data: bytes, *, blurred: bool = True,
                 limits: DecodeLimits = PREVIEW_LIMITS) -> bytes:
    """A small greyscale JPEG of an image (blurred by default); deterministic for given bytes.

    Raises ``UnsupportedMedia``/``MediaTooLarge``/``CorruptMedia`` like every decode."""
    check_size(len(data), limits)
    fmt = sniff_format(data[:64])
    if fmt.kind is not MediaKind.IMAGE:
        return placeholder()
    img = open_image(data, fmt, limits)
    with decoding(fmt, img):
        img.draft("RGB", (PREVIEW_SIZE, PREVIEW_SIZE))
        small = to_rgb(img)
        small.thumbnail((PREVIEW_SIZE, PREVIEW_SIZE), Image.Resampling.BILINEAR)
    grey = small.convert("L")
    if blurred:
        # Pixelate, then blur: no edge survives that would let a face be recognised.
        w, h = grey.size
        tiny = grey.resize((max(1, w // 16), max(1, h // 16)), Image.Resampling.BOX)
        grey = tiny.resize((w, h), Image.Resampling.BILINEAR).filter(
            ImageFilter.GaussianBlur(BLUR_RADIUS))
    out = io.BytesIO()
    grey.save(out, "JPEG", quality=70)
    return out.getvalue()


def video_frame(data: bytes, limits: DecodeLimits = PREVIEW_LIMITS) -> bytes | None:
    """The first frame of a video as PNG bytes (None when no frame can be read); the video's
    bytes sit in a private temporary directory only while FFmpeg reads the frame."""
    from jikimi.faces.video import VideoSampling, sample_frames

    check_size(len(data), limits)
    sampling = VideoSampling(max_frames=1, long_side=PREVIEW_SIZE * 2)
    with tempfile.TemporaryDirectory(prefix="jikimi-preview-") as tmp:
        path = Path(tmp) / "item"
        path.write_bytes(data)
        path.chmod(0o600)
        try:
            for _seconds, frame in sample_frames(path, limits=limits, sampling=sampling):
                out = io.BytesIO()
                frame.save(out, "PNG")
                return out.getvalue()
        except MediaError:
            return None
    return None


def placeholder() -> bytes:
    """A neutral grey card with a "play" triangle, for videos (no frame is shown)."""
    img = Image.new("L", (PREVIEW_SIZE, PREVIEW_SIZE * 9 // 16), 150)
    draw = ImageDraw.Draw(img)
    cx, cy = img.width // 2, img.height // 2
    draw.polygon([(cx - 22, cy - 28), (cx - 22, cy + 28), (cx + 30, cy)], fill=230)
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def fetch_item(target: PreviewTarget) -> bytes:
    """The item's current bytes, read through its source (no database, no storage)."""
    client: HttpClient | None = None
    config = dict(target.source_config)
    if target.source_type in WEB_SOURCE_TYPES:
        policy = FetchPolicy.from_config(_reader(target.source_type, config))
        client = HttpClient(dataclasses.replace(
            policy, min_host_interval=0.0,
            total_timeout=min(policy.total_timeout, PREVIEW_FETCH_SECONDS),
            read_timeout=min(policy.read_timeout, PREVIEW_FETCH_SECONDS),
            max_bytes=min(policy.max_bytes, PREVIEW_LIMITS.max_bytes)), guard=target.guard)
    try:
        with build_source(target.source_type, config, client=client) as source:
            return source.fetch(SourceItem(key=target.item_key, locator=target.locator,
                                           kind_hint=target.kind))
    finally:
        if client is not None:
            client.close()


def _reader(source_type: str, config: dict[str, object]) -> ConfigReader:
    return ConfigReader(source_type, {"http": config.get("http") or {}})


def render(target: PreviewTarget, *, blurred: bool) -> Preview:
    """Fetch and shrink one item; a video shows its first frame (a placeholder when none can
    be read)."""
    data = fetch_item(target)
    changed = hashlib.sha256(data).hexdigest() != target.sha256
    kind = sniff_format(data[:64]).kind
    if kind is MediaKind.VIDEO:
        frame = video_frame(data)
        if frame is None:
            return Preview(placeholder(), "image/png", blurred, True, changed)
        return Preview(make_preview(frame, blurred=blurred), "image/jpeg", blurred, False,
                       changed)
    if kind is not MediaKind.IMAGE:
        return Preview(placeholder(), "image/png", blurred, True, changed)
    return Preview(make_preview(data, blurred=blurred), "image/jpeg", blurred, False, changed)
