"""Every decoder error path, each with a real broken or hostile file built here."""

from __future__ import annotations

import struct
import time
import zlib
from pathlib import Path

import pytest
from hashing_media import VPDQ_REFERENCE, encode, ffmpeg, scene

from jikimi.errors import CorruptMedia, MediaError, MediaTooLarge, UnsupportedMedia
from jikimi.hashing import (
    DecodeLimits,
    ImageFingerprints,
    fingerprint_bytes,
    fingerprint_file,
    registration_variants,
)


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_bomb(width: int, height: int, *, real_data: bool) -> bytes:
    """A greyscale PNG of the given size; with real_data, all of its (zero) rows compressed."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    if real_data:
        comp = zlib.compressobj(9)
        row = b"\x00" * (width + 1)
        idat = b"".join(comp.compress(row) for _ in range(height)) + comp.flush()
    else:
        idat = zlib.compress(b"\x00" * (width + 1))
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


def gif_with_frames(n: int) -> bytes:
    """A 1x1 GIF with n frames of 10 ms each, written byte by byte (Pillow would be slow)."""
    head = b"GIF89a" + struct.pack("<HHBBB", 1, 1, 0x80, 0, 0) + b"\x00\x00\x00\xff\xff\xff"
    loop = b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
    frame = (
        b"\x21\xf9\x04\x00\x01\x00\x00\x00"  # graphic control: 10 ms
        + b"\x2c" + struct.pack("<HHHHB", 0, 0, 1, 1, 0)  # image descriptor
        + b"\x02\x02\x44\x01\x00"  # LZW: one pixel of colour 0
    )  # fmt: skip
    return head + loop + frame * n + b"\x3b"


# --- wrong type, empty --------------------------------------------------------------------------
def test_zero_byte_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    with pytest.raises(UnsupportedMedia, match="empty"):
        fingerprint_file(empty)
    with pytest.raises(UnsupportedMedia):
        fingerprint_bytes(b"")


def test_html_named_jpg(tmp_path: Path) -> None:
    page = tmp_path / "photo.jpg"
    page.write_text("<!DOCTYPE html><html><body>Access denied</body></html>")
    with pytest.raises(UnsupportedMedia, match="HTML") as info:
        fingerprint_file(page)
    assert info.value.code == "unsupported_media"


@pytest.mark.parametrize(
    "data",
    [b"%PDF-1.7\n...", b"PK\x03\x04" + b"\x00" * 40, b"#EXTM3U\n#EXT-X-VERSION:3\n", b"\x00" * 64],
    ids=["pdf", "zip", "hls-playlist", "zeros"],
)
def test_other_non_media(data: bytes) -> None:
    with pytest.raises(UnsupportedMedia):
        fingerprint_bytes(data)


def test_directory_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedMedia):
        fingerprint_file(tmp_path)
    with pytest.raises(CorruptMedia):
        fingerprint_file(tmp_path / "missing.png")


# --- truncated and damaged images ---------------------------------------------------------------
def test_truncated_jpeg(photo_jpeg: bytes) -> None:
    with pytest.raises(CorruptMedia, match="truncated"):
        fingerprint_bytes(photo_jpeg[: len(photo_jpeg) // 2])


def test_jpeg_cut_inside_header(photo_jpeg: bytes) -> None:
    with pytest.raises(CorruptMedia):
        fingerprint_bytes(photo_jpeg[:40])


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "GIF", "TIFF", "BMP", "HEIF", "AVIF"])
def test_truncated_images(fmt: str) -> None:
    data = encode(scene(2, (400, 300)), fmt)
    with pytest.raises(MediaError):
        fingerprint_bytes(data[: len(data) // 2])


def test_garbage_after_jpeg_magic() -> None:
    with pytest.raises(CorruptMedia):
        fingerprint_bytes(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8)


# --- bombs and huge dimensions ------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_png_decompression_bomb_is_refused_before_decoding() -> None:
    bomb = png_bomb(11_000, 10_000, real_data=True)  # 110 MP of zeros in ~110 kB
    assert len(bomb) < 1_000_000
    started = time.monotonic()
    with pytest.raises(MediaTooLarge, match="decompression bomb"):
        fingerprint_bytes(bomb)
    assert time.monotonic() - started < 2


def test_png_declaring_absurd_dimensions() -> None:
    with pytest.raises(MediaTooLarge):
        fingerprint_bytes(png_bomb(100_000, 100_000, real_data=False))


def test_pixel_limit_is_configurable() -> None:
    data = encode(scene(2, (400, 300)), "PNG")
    with pytest.raises(MediaTooLarge):
        fingerprint_bytes(data, limits=DecodeLimits(max_pixels=100_000))
    with pytest.raises(MediaTooLarge):
        registration_variants(data, limits=DecodeLimits(max_pixels=100_000))


def test_jpeg_with_huge_declared_dimensions(photo_jpeg: bytes) -> None:
    data = bytearray(photo_jpeg)
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", 65_000, 65_000)
    with pytest.raises(MediaTooLarge):
        fingerprint_bytes(bytes(data))


def test_byte_limit(photo_jpeg: bytes, tmp_path: Path) -> None:
    with pytest.raises(MediaTooLarge, match="max_bytes"):
        fingerprint_bytes(photo_jpeg, limits=DecodeLimits(max_bytes=1000))
    path = tmp_path / "big.jpg"
    path.write_bytes(photo_jpeg)
    with pytest.raises(MediaTooLarge):
        fingerprint_file(path, limits=DecodeLimits(max_bytes=1000))


def test_invalid_limits_are_rejected() -> None:
    with pytest.raises(ValueError):
        DecodeLimits(max_pixels=0)
    with pytest.raises(ValueError):
        fingerprint_bytes(b"\xff\xd8\xff", seconds_per_hash=-1)


# --- animations ---------------------------------------------------------------------------------
def test_gif_with_100000_frames() -> None:
    gif = gif_with_frames(100_000)
    started = time.monotonic()
    # as an image: only the first frame is read, so it is quick (and flagged: it is flat)
    image = fingerprint_bytes(gif)
    assert isinstance(image, ImageFingerprints) and image.animated and not image.reliable
    assert time.monotonic() - started < 3
    # as a video: refused by the frame limit after counting, never decoded
    with pytest.raises(MediaTooLarge, match="frames"):
        fingerprint_bytes(gif, animated_as_video=True)
    assert time.monotonic() - started < 15


# --- videos -------------------------------------------------------------------------------------
def test_video_that_goes_on_for_100_hours(tmp_path: Path) -> None:
    long = tmp_path / "endless.mp4"
    ffmpeg("-f", "lavfi", "-i", "color=c=gray:s=32x32:r=0.01", "-t", "360000",
           "-c:v", "libx264", "-preset", "ultrafast", str(long))  # fmt: skip
    assert long.stat().st_size < 200_000
    with pytest.raises(MediaTooLarge, match="lasts"):
        fingerprint_file(long)


def test_headerless_stream_with_too_many_frames(tmp_path: Path) -> None:
    """A raw MPEG-TS stream declares no length: its frames are counted."""
    stream = tmp_path / "stream.ts"
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=32x32:rate=25", "-t", "40",
           "-c:v", "libx264", "-preset", "ultrafast", "-f", "mpegts", str(stream))  # fmt: skip
    with pytest.raises(MediaTooLarge, match="frames"):
        fingerprint_file(stream, limits=DecodeLimits(max_frames=500))


def test_video_decode_timeout() -> None:
    video = VPDQ_REFERENCE / "doorknob-hd-no-bar.mp4"
    if not video.exists():
        pytest.skip("reference data not found")
    started = time.monotonic()
    with pytest.raises(MediaTooLarge, match="longer than"):
        fingerprint_file(video, seconds_per_hash=0, limits=DecodeLimits(decode_timeout_seconds=0.3))
    assert time.monotonic() - started < 2


def test_truncated_video(tmp_path: Path) -> None:
    video = VPDQ_REFERENCE / "doorknob-hd-no-bar.mp4"
    if not video.exists():
        pytest.skip("reference data not found")
    data = video.read_bytes()
    with pytest.raises(CorruptMedia):
        fingerprint_bytes(data[: len(data) // 3])


def test_garbage_after_mp4_magic() -> None:
    with pytest.raises(CorruptMedia):
        fingerprint_bytes(
            b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + bytes(range(256)) * 20
        )


def test_audio_only_file(tmp_path: Path) -> None:
    audio = tmp_path / "voice.mp4"
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "aac", str(audio))
    with pytest.raises(UnsupportedMedia, match="no video stream"):
        fingerprint_file(audio)


def test_video_with_huge_frames(tmp_path: Path) -> None:
    video = tmp_path / "wide.mp4"
    ffmpeg("-f", "lavfi", "-i", "color=c=gray:s=1024x768:r=5", "-t", "1",
           "-c:v", "libx264", "-preset", "ultrafast", str(video))  # fmt: skip
    with pytest.raises(MediaTooLarge, match="pixels"):
        fingerprint_file(video, limits=DecodeLimits(max_pixels=500_000))
