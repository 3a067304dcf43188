"""Helpers for jikimi.hashing tests: reference data location and benign generated media.

Everything generated here is benign: gradients, shapes and noise.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
PDQ_REFERENCE = SHARED_DATA / "pdq-reference"
VPDQ_REFERENCE = SHARED_DATA / "vpdq-reference"


def scene(seed: int, size: tuple[int, int] = (640, 480)) -> Image.Image:
    """A benign synthetic 'photo': a colour gradient, a few shapes, some noise."""
    rng = np.random.default_rng(seed)
    w, h = size
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    c0, c1 = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
    angle = rng.uniform(0, np.pi)
    t = (np.cos(angle) * x / w + np.sin(angle) * y / h + 1) / 2
    base = (c0[None, None, :] * (1 - t[..., None]) + c1[None, None, :] * t[..., None]).astype(
        np.uint8
    )
    img = Image.fromarray(base, "RGB")
    draw = ImageDraw.Draw(img)
    for _ in range(int(rng.integers(5, 12))):
        x0, y0 = int(rng.integers(0, w)), int(rng.integers(0, h))
        x1 = x0 + int(rng.integers(w // 10, w // 2 + 2))
        y1 = y0 + int(rng.integers(h // 10, h // 2 + 2))
        colour = tuple(int(v) for v in rng.integers(0, 256, 3))
        if rng.random() < 0.5:
            draw.ellipse((x0, y0, x1, y1), fill=colour)
        else:
            draw.rectangle((x0, y0, x1, y1), fill=colour)
    noisy = np.asarray(img, dtype=np.int16) + rng.integers(-12, 13, (h, w, 3))
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8), "RGB")


def encode(img: Image.Image, fmt: str, **params: object) -> bytes:
    """Encode an image with Pillow (HEIF through pillow-heif)."""
    buf = io.BytesIO()
    img.save(buf, fmt, **params)
    return buf.getvalue()


def ffmpeg(*args: str) -> None:
    """Run ffmpeg quietly; the test is skipped if it is not installed."""
    exe = shutil.which("ffmpeg")
    if exe is None:
        pytest.skip("ffmpeg is not installed")
    subprocess.run([exe, "-v", "error", "-y", *args], check=True, timeout=60)
