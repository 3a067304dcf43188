"""Bad input: no face, many faces, huge dimensions, corrupt and non-image files."""

from __future__ import annotations

import io
import struct
import time
import zlib
from pathlib import Path

import numpy as np
import pytest
from faces_media import FACES, background, jpeg, photo_paths, subject
from PIL import Image

from jikimi.errors import CorruptMedia, MediaTooLarge, UnsupportedMedia
from jikimi.faces import MAX_FACES, DetectedFace, detect_faces
from jikimi.hashing import DecodeLimits


def test_no_face_in_a_generated_landscape() -> None:
    rng = np.random.default_rng(3)
    img = background(1400, 900, seed=3)
    sky = np.asarray(img).copy()
    sky[:300] = (rng.normal(0, 6, (300, 1400, 3)) + np.array([135, 185, 235])).clip(0, 255)
    assert detect_faces(jpeg(Image.fromarray(sky.astype(np.uint8)))) == []
    assert detect_faces(jpeg(Image.new("RGB", (64, 48), "green"))) == []
    assert detect_faces(jpeg(Image.new("L", (1, 1)))) == []


@pytest.fixture(scope="module")
def tiled() -> tuple[bytes, list[Path]]:
    """Twelve photos of ten people (one of each, two people twice) tiled 4 x 3."""
    chosen = [p for p in photo_paths() if p.name == "01.jpg"]
    chosen += [FACES / "obama" / "02.jpg", FACES / "df_angelina" / "02.jpg"]
    tile = 420
    canvas = Image.new("RGB", (4 * tile, 3 * tile), "white")
    for k, path in enumerate(chosen):
        with Image.open(path) as img:
            img = img.convert("RGB")
            img.thumbnail((tile, tile))
            canvas.paste(img, ((k % 4) * tile, (k // 4) * tile))
    return jpeg(canvas), chosen


def test_many_faces_are_all_found(
    tiled: tuple[bytes, list[Path]], detected: dict[str, list[DetectedFace]]
) -> None:
    data, chosen = tiled
    faces = detect_faces(data)
    assert len(faces) == len(chosen) == 12
    scores = [f.detection_score for f in faces]
    assert scores == sorted(scores, reverse=True)
    # each face matches the photo in its tile
    for face in faces:
        col, row = face.box[0] // 420, face.box[1] // 420
        source = chosen[row * 4 + col]
        reference = subject(detected[f"{source.parent.name}/{source.name}"])
        assert float(np.linalg.norm(face.embedding - reference.embedding)) < 0.3, source


def test_many_faces_are_capped(tiled: tuple[bytes, list[Path]]) -> None:
    data, _ = tiled
    all_faces = detect_faces(data)
    top = detect_faces(data, max_faces=3)
    assert [f.box for f in top] == [f.box for f in all_faces[:3]]
    assert MAX_FACES == 50


def _png_header(width: int, height: int) -> bytes:
    """A PNG that declares width x height (one tiny IDAT): a decompression-bomb-like header."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    body = zlib.compress(b"\x00" * 64)
    return (b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(ihdr)) + chunk
            + struct.pack(">I", zlib.crc32(chunk)) + struct.pack(">I", len(body)) + b"IDAT"
            + body + struct.pack(">I", zlib.crc32(b"IDAT" + body)) + b"\x00\x00\x00\x00IEND"
            + struct.pack(">I", zlib.crc32(b"IEND")))


def _jpeg_declaring(width: int, height: int) -> bytes:
    """A small real JPEG whose frame header is patched to declare width x height."""
    data = bytearray(jpeg(Image.new("RGB", (16, 16), "grey")))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


@pytest.mark.parametrize("make", [_png_header, _jpeg_declaring])
def test_20000_square_is_refused_by_the_decode_limits(make: object) -> None:
    assert callable(make)
    with pytest.raises(MediaTooLarge, match="decompression bomb"):
        detect_faces(make(20_000, 20_000))


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_huge_jpeg_under_raised_limits_is_decoded_small() -> None:
    """With jikimi's limit raised, 20,000 x 20,000 is still refused (Pillow's own bomb guard,
    179 MP); 12,000 x 12,000 passes both and is decoded by libjpeg at 1/8 scale (1,500 px
    square, 7 MB), never 430 MB of RGB. This one's scan data stops at once (libjpeg fills the
    rest with grey), so it has no face."""
    limits = DecodeLimits(max_pixels=500_000_000)
    with pytest.raises(MediaTooLarge):
        detect_faces(_jpeg_declaring(20_000, 20_000), limits=limits)
    start = time.perf_counter()
    assert detect_faces(_jpeg_declaring(12_000, 12_000), limits=limits) == []
    assert time.perf_counter() - start < 10
    with pytest.raises(MediaTooLarge):
        detect_faces(Image.new("1", (20_000, 20_000)))  # a decoded frame is checked too


def test_corrupt_and_foreign_files(tmp_path: Path) -> None:
    photo = (FACES / "obama" / "01.jpg").read_bytes()
    with pytest.raises(CorruptMedia):
        detect_faces(photo[: len(photo) // 3])
    with pytest.raises(CorruptMedia):
        detect_faces(photo[:200])
    with pytest.raises(UnsupportedMedia):
        detect_faces(b"")
    with pytest.raises(UnsupportedMedia):
        detect_faces(np.random.default_rng(0).bytes(4096))
    with pytest.raises(UnsupportedMedia):
        detect_faces(b"<!doctype html><html><body>not found</body></html>")
    with pytest.raises(UnsupportedMedia, match="video"):
        detect_faces(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64)
    with pytest.raises(UnsupportedMedia, match="directory"):
        detect_faces(tmp_path)
    with pytest.raises(CorruptMedia):
        detect_faces(tmp_path / "missing.jpg")
    big = tmp_path / "big.jpg"
    big.write_bytes(photo)
    with pytest.raises(MediaTooLarge):
        detect_faces(big, limits=DecodeLimits(max_bytes=1000))


def test_a_png_with_a_corrupt_body() -> None:
    buf = io.BytesIO()
    background(300, 200, seed=1).save(buf, "PNG")
    data = bytearray(buf.getvalue())
    data[100:140] = b"\xff" * 40
    with pytest.raises(CorruptMedia):
        detect_faces(bytes(data))
