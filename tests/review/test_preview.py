"""Previews and platform mapping as pure functions: greyscale, small, blurred unless asked,
deterministic; hostile bytes give clear media errors; videos show a blurred first frame."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image
from tests.scans.conftest import encode, scene

from jikimi.errors import CorruptMedia, MediaTooLarge, UnsupportedMedia
from jikimi.hashing.decode import DecodeLimits
from jikimi.review import make_preview, placeholder, render
from jikimi.review.preview import PREVIEW_SIZE, PreviewTarget, video_frame
from jikimi.review.service import _item_platform
from jikimi.takedown import load_directory


def pixels(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


def edge_energy(img: Image.Image) -> int:
    grey = np.asarray(img.convert("L"), dtype=np.int32)
    return int(np.abs(np.diff(grey, axis=1)).sum())


def test_preview_is_small_grey_and_blurred_by_default() -> None:
    original = encode(scene(7, (1600, 1200)), "PNG")
    blurred, clear = make_preview(original), make_preview(original, blurred=False)
    assert blurred == make_preview(original)  # deterministic: the tests compare bytes
    for data in (blurred, clear):
        img = pixels(data)
        assert img.format == "JPEG" and img.mode == "L"
        assert max(img.size) == PREVIEW_SIZE
    assert edge_energy(pixels(blurred)) * 5 < edge_energy(pixels(clear))


def bomb_png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body)))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 1024)) + chunk(b"IEND", b""))


def test_hostile_bytes_give_media_errors() -> None:
    good = encode(scene(3), "PNG")
    with pytest.raises(CorruptMedia):
        make_preview(good[: len(good) // 2])
    with pytest.raises(MediaTooLarge):
        make_preview(bomb_png(60_000, 60_000))
    with pytest.raises(UnsupportedMedia):
        make_preview(b"<html><body>login</body></html>")
    with pytest.raises(UnsupportedMedia):
        make_preview(b"")


def test_videos_show_a_blurred_first_frame(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A video's preview is its first frame, greyscale and blurred by default (clear only on
    request); a video whose frames cannot be read, and a bare header, get the placeholder."""
    import subprocess

    mp4_head = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64
    assert make_preview(mp4_head) == placeholder()
    folder = tmp_path / "seized"
    folder.mkdir()
    clip = folder / "clip.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc=size=320x240:rate=5:duration=2", "-pix_fmt", "yuv420p",
                    str(clip)], check=True, timeout=60)
    (folder / "broken.mp4").write_bytes(clip.read_bytes()[:600])

    def target(name: str) -> PreviewTarget:
        path = folder / name
        return PreviewTarget(match_id=1, source_type="archive",
                             source_config={"path": str(folder)}, item_key=str(path),
                             locator=str(path), sha256="0" * 64, kind="video")

    blurred = render(target("clip.mp4"), blurred=True)
    clear = render(target("clip.mp4"), blurred=False)
    assert not blurred.placeholder and blurred.media_type == "image/jpeg"
    for shown in (blurred, clear):
        img = Image.open(io.BytesIO(shown.content))
        assert img.mode == "L" and max(img.size) <= 320
    # the clear frame has the test pattern's sharp edges; the blurred one has none
    def sharp_edges(data: bytes) -> int:
        """Pixels next to a jump of more than 24 grey levels."""
        grey = np.asarray(Image.open(io.BytesIO(data)), dtype=np.int16)
        return int((np.abs(np.diff(grey, axis=1)) > 24).sum())

    assert sharp_edges(clear.content) > 500 and sharp_edges(blurred.content) == 0
    broken = render(target("broken.mp4"), blurred=True)
    assert broken.placeholder and broken.media_type == "image/png"
    assert video_frame(b"not a video at all") is None
    with pytest.raises(MediaTooLarge):
        video_frame(clip.read_bytes(), DecodeLimits(max_bytes=1000))


def test_items_map_to_platforms() -> None:
    directory = load_directory()

    def platform_of(url: str) -> tuple[str, str] | None:
        found = directory.platform_for_url(url)
        return (found.id, found.name) if found else None

    assert _item_platform(platform_of, "urls", "https://pbs.x.com/media/a.jpg", {})[0] == "x"
    assert _item_platform(platform_of, "crawl", "https://cdn.example.net/a.jpg",
                          {"page_url": "https://www.reddit.com/r/a/1"})[0] == "reddit"
    assert _item_platform(platform_of, "telegram", "/exports/chat/photo.jpg", {})[0] == \
        "telegram"
    assert _item_platform(platform_of, "archive", "/seized/a.zip!b.jpg", {}) is None
    assert _item_platform(platform_of, "urls", "https://notyoutube.com/a.jpg", {}) is None
