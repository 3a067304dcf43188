"""Every format people send and every Pillow mode hashes, and agrees with the RGB original."""

from __future__ import annotations

import io

import numpy as np
import pillow_heif
import pytest
from hashing_media import encode, scene
from PIL import Image

from jikimi.hashing import ImageFingerprints, fingerprint_bytes, hamming_distance, sniff_format

pillow_heif.register_heif_opener()

SCENE = scene(7, (800, 600))
REFERENCE = fingerprint_bytes(encode(SCENE, "PNG"))
assert isinstance(REFERENCE, ImageFingerprints)

FORMATS = [
    ("jpeg", "JPEG", {"quality": 92}),
    ("png", "PNG", {}),
    ("webp", "WEBP", {"quality": 92}),
    ("webp", "WEBP", {"lossless": True}),
    ("gif", "GIF", {}),
    ("bmp", "BMP", {}),
    ("tiff", "TIFF", {}),
    ("tiff", "TIFF", {"compression": "tiff_lzw"}),
    ("heif", "HEIF", {"quality": 90}),
    ("avif", "AVIF", {"quality": 90}),
]


@pytest.mark.parametrize(
    ("name", "pillow", "params"), FORMATS, ids=[f"{f[1]}{f[2]}" for f in FORMATS]
)
def test_format_is_sniffed_and_hashed(name: str, pillow: str, params: dict[str, object]) -> None:
    data = encode(SCENE, pillow, **params)
    assert sniff_format(data[:64]).name == name
    fp = fingerprint_bytes(data)
    assert isinstance(fp, ImageFingerprints)
    assert fp.format == name and (fp.width, fp.height) == (800, 600)
    # GIF quantises to 256 colours; everything else is near-lossless at these settings
    assert hamming_distance(fp.pdq, REFERENCE.pdq) <= (40 if name == "gif" else 20)
    assert fp.reliable


MODES = [
    "1",
    "L",
    "LA",
    "La",
    "P",
    "PA",
    "RGB",
    "RGBA",
    "RGBa",
    "RGBX",
    "CMYK",
    "YCbCr",
    "LAB",
    "HSV",
    "I",
    "I;16",
    "I;16B",
    "F",
]


def _in_mode(mode: str) -> Image.Image:
    rgb = SCENE
    grey = np.asarray(rgb.convert("L"), dtype=np.float64)
    if mode in ("I", "I;16", "I;16B"):
        wide = (grey * 257).astype(np.uint16)
        if mode == "I;16B":
            return Image.frombytes(mode, rgb.size, wide.astype(">u2").tobytes())
        return Image.fromarray(wide).convert(mode)
    if mode == "F":
        return Image.fromarray((grey / 255.0).astype(np.float32), "F")
    if mode == "LAB":
        from PIL import ImageCms

        to_lab = ImageCms.buildTransform(
            ImageCms.createProfile("sRGB"), ImageCms.createProfile("LAB"), "RGB", "LAB"
        )
        out = ImageCms.applyTransform(rgb, to_lab)
        assert out is not None
        return out
    if mode in ("La", "RGBa", "PA"):
        base = rgb.convert("RGBA") if mode != "La" else rgb.convert("LA")
        return base.convert(mode) if mode != "PA" else rgb.convert("P").convert("PA")
    return rgb.convert(mode)


@pytest.mark.parametrize("mode", MODES)
def test_every_pillow_mode_hashes(mode: str) -> None:
    img = _in_mode(mode)
    assert img.mode == mode
    # through the in-memory path (modes that no file format stores) and, where possible, a file
    from jikimi.hashing import registration_variants

    variants = registration_variants(img)
    assert variants[0].name == "original"
    limit = 90 if mode == "1" else 40  # 1-bit dithering changes the picture
    assert hamming_distance(variants[0].hex, REFERENCE.pdq) <= limit, mode
    for fmt in ("TIFF", "PNG"):
        try:
            data = encode(img, fmt)
        except (OSError, ValueError, KeyError):
            continue
        fp = fingerprint_bytes(data)
        assert isinstance(fp, ImageFingerprints)
        assert hamming_distance(fp.pdq, REFERENCE.pdq) <= limit, (mode, fmt)
        break


def test_sixteen_bit_grey_png_is_scaled_not_clipped() -> None:
    grey = np.asarray(SCENE.convert("L"), dtype=np.uint16) * 257
    data = encode(Image.fromarray(grey), "PNG")
    fp = fingerprint_bytes(data)
    assert isinstance(fp, ImageFingerprints)
    assert fp.quality >= 50  # clipping to 255 would make it flat white
    assert hamming_distance(fp.pdq, REFERENCE.pdq) <= 20


def test_exif_orientation_is_not_applied() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 on display
    plain = fingerprint_bytes(encode(SCENE, "JPEG", quality=95))
    tagged = fingerprint_bytes(encode(SCENE, "JPEG", quality=95, exif=exif.tobytes()))
    assert isinstance(plain, ImageFingerprints) and isinstance(tagged, ImageFingerprints)
    assert plain.pdq == tagged.pdq  # hashed as stored, like the reference


def test_animated_gif_first_frame_and_as_video() -> None:
    frames = [scene(s, (160, 120)) for s in range(20)]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:], duration=200, loop=0)
    data = buf.getvalue()
    image = fingerprint_bytes(data)
    assert isinstance(image, ImageFingerprints) and image.animated
    from jikimi.hashing import VideoFingerprints

    video = fingerprint_bytes(data, animated_as_video=True, seconds_per_hash=1.0)
    assert isinstance(video, VideoFingerprints)
    assert video.frame_count == 20
    assert [f.timestamp for f in video.frames] == [0.0, 1.0, 2.0, 3.0]
    first = fingerprint_bytes(encode(frames[0], "GIF"))
    assert isinstance(first, ImageFingerprints)
    assert hamming_distance(video.frames[0].pdq, first.pdq) <= 31


def test_animated_png_as_video() -> None:
    frames = [scene(s, (160, 120)) for s in range(6)]
    buf = io.BytesIO()
    frames[0].save(buf, "PNG", save_all=True, append_images=frames[1:], duration=500)
    from jikimi.hashing import VideoFingerprints

    video = fingerprint_bytes(buf.getvalue(), animated_as_video=True, seconds_per_hash=0)
    assert isinstance(video, VideoFingerprints)
    assert len(video.frames) == 6


def test_small_and_odd_sizes() -> None:
    for size in [(1, 1), (3, 700), (700, 3), (64, 64), (513, 512)]:
        fp = fingerprint_bytes(encode(scene(3, size), "PNG"))
        assert isinstance(fp, ImageFingerprints)
        assert len(fp.pdq) == 64 and 0 <= fp.quality <= 100


@pytest.mark.parametrize("container", ["mp4", "webm", "avi", "mkv", "mov", "ts", "flv"])
def test_video_containers(tmp_path, container: str) -> None:  # type: ignore[no-untyped-def]
    from hashing_media import ffmpeg

    from jikimi.hashing import VideoFingerprints, fingerprint_file

    codec = {"webm": ["-c:v", "libvpx"], "avi": ["-c:v", "mpeg4"], "flv": ["-c:v", "flv"]}.get(
        container, ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    )
    out = tmp_path / f"clip.{container}"
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=160x120:rate=10", "-t", "3", *codec, str(out))
    fp = fingerprint_file(out)
    assert isinstance(fp, VideoFingerprints)
    assert fp.frame_count == 30 and (fp.width, fp.height) == (160, 120)
    assert [f.timestamp for f in fp.frames] == [0.0, 1.0, 2.0]
