"""Helpers for the face tests: where the reference photos are, and generated images (scenes
with no face, composites). The photos are read in place from ../shared/data/faces and only
ever modified in memory."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from jikimi.faces import DetectedFace

FACES = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "faces"


def photo_paths() -> list[Path]:
    return sorted(FACES.glob("*/*.jpg"))


def person_of(path: Path) -> str:
    return path.parent.name


def label(path: Path) -> str:
    return f"{person_of(path)}/{path.name}"


def subject(faces: list[DetectedFace]) -> DetectedFace:
    """The largest face (the reference set's README: the largest face is the subject)."""
    return max(faces, key=lambda f: (f.box[2] - f.box[0]) * (f.box[3] - f.box[1]))


def background(width: int, height: int, seed: int) -> Image.Image:
    """An unrelated generated scene: a colour gradient with random shapes, no face."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    c0, c1 = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
    t = ((x / width + y / height) / 2)[..., None]
    pixels = (c0 * (1 - t) + c1 * t).astype(np.uint8)
    img = Image.fromarray(pixels, "RGB")
    draw = ImageDraw.Draw(img)
    for _ in range(25):
        x0, y0 = int(rng.integers(0, width)), int(rng.integers(0, height))
        x1, y1 = x0 + int(rng.integers(20, width // 3)), y0 + int(rng.integers(20, height // 3))
        colour = tuple(int(v) for v in rng.integers(0, 256, 3))
        if rng.random() < 0.5:
            draw.rectangle([x0, y0, x1, y1], fill=colour)
        else:
            draw.ellipse([x0, y0, x1, y1], fill=colour)
    return img


def composite(photo: Path, seed: int, scale: float = 0.6) -> bytes:
    """The photo scaled and pasted into a larger generated scene, as JPEG bytes."""
    with Image.open(photo) as src:
        src = src.convert("RGB")
        rng = np.random.default_rng(seed)
        canvas = background(int(src.width * 1.6), int(src.height * 1.4), seed)
        small = src.resize((int(src.width * scale), int(src.height * scale)),
                           Image.Resampling.LANCZOS)
        x = int(rng.integers(0, canvas.width - small.width))
        y = int(rng.integers(0, canvas.height - small.height))
        canvas.paste(small, (x, y))
    return jpeg(canvas)


def jpeg(img: Image.Image, **kwargs: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90, **kwargs)
    return buf.getvalue()
