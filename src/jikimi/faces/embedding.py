"""Faces in an image: detection, 5-point alignment and 128-d embeddings with dlib.

Why dlib, called directly: its ResNet face embedder is small, runs on a CPU, and its weights
ship in ``face_recognition_models`` (a wheel), with dlib itself from ``dlib-bin`` (prebuilt).
The ``face_recognition`` package is not used (its ``dlib`` dependency compiles for minutes and
its import breaks on current setuptools), nor is the 68-point landmark model (its licence
excludes commercial use): the 5-point shape predictor aligns the face chips.

How: the untrusted bytes go through :mod:`jikimi.hashing.decode` (format sniffed from the
bytes, size and pixel limits checked before any pixel is decoded). The image is decoded at a
reduced size when possible (JPEG draft mode), rotated upright by its EXIF orientation, and kept
at most ``DETAIL_LONG_SIDE`` px on the long side (the *detail* image, where landmarks are
found and face chips are cut, so small faces keep their pixels). Detection runs on a copy of
at most ``DETECTION_LONG_SIDE`` px with dlib's HOG frontal detector; only if that finds no
face, or a small one, it runs again with one level of upsampling (faces down to about
40 px at 800 px). Boxes are reported in the pixels of the original image, upright.

Memory: a 100-megapixel JPEG is decoded at 1/4 or 1/8 scale by libjpeg; other formats are
decoded in full only within ``DecodeLimits.max_pixels`` (a 20,000 x 20,000 image is refused
with ``MediaTooLarge`` before decoding under the default limits).

Thread-safety: the dlib models are not shared between threads (each thread loads its own on
first use, about 30 MB and half a second), so :func:`detect_faces` may be called from many
threads at once.
"""

from __future__ import annotations

import math
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dlib  # type: ignore[import-untyped]
import face_recognition_models  # type: ignore[import-untyped]
import numpy as np
import numpy.typing as npt
from PIL import Image

from jikimi.errors import CorruptMedia, MediaError, MediaTooLarge, UnsupportedMedia
from jikimi.faces.index import EMBEDDING_DIM
from jikimi.hashing import DEFAULT_LIMITS, DecodeLimits, MediaKind, sniff_format
from jikimi.hashing.decode import check_size, decoding, open_image, to_rgb, too_many_pixels

__all__ = [
    "DETAIL_LONG_SIDE",
    "DETECTION_LONG_SIDE",
    "EMBEDDING_DIM",
    "MAX_FACES",
    "SMALL_FACE_PX",
    "DetectedFace",
    "detect_faces",
]

DETECTION_LONG_SIDE = 800
"""Images are downscaled to this many pixels on the long side before detection."""
DETAIL_LONG_SIDE = 1600
"""Landmarks and face chips come from a copy at most this large, so small faces stay sharp."""
SMALL_FACE_PX = 100
"""If no face is found at ``DETECTION_LONG_SIDE``, or any face found is narrower than this,
detection runs again with the image upsampled once (about 4x the time): HOG's smallest face is
about 80 px, so a photo with faces this small likely has smaller ones that were missed."""
MAX_FACES = 50
"""At most this many faces per image (the most confident ones): bounds the time a crowd
photo, a collage or an adversarial pattern can take (about 30 ms of CPU per face)."""

_SNIFF_BYTES = 512
_ORIENTATION_TAG = 0x0112
_SWAPPING_ORIENTATIONS = {5, 6, 7, 8}

Embedding = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class DetectedFace:
    """One face found in an image."""

    box: tuple[int, int, int, int]
    """(left, top, right, bottom) in pixels of the original image, upright (EXIF applied)."""
    embedding: Embedding
    """dlib ResNet embedding, float32 of shape (128,); same person: Euclidean distance < ~0.6."""
    detection_score: float
    """HOG detector score (0 is the detector's own threshold; higher is more confident)."""


class _Models(threading.local):
    """dlib's models, loaded once per thread on first use."""

    def __init__(self) -> None:
        self.detector: Any = dlib.get_frontal_face_detector()
        self.shape_predictor: Any = dlib.shape_predictor(
            face_recognition_models.pose_predictor_five_point_model_location()
        )
        self.encoder: Any = dlib.face_recognition_model_v1(
            face_recognition_models.face_recognition_model_location()
        )


_models_lock = threading.Lock()
_models: _Models | None = None


def _get_models() -> _Models:
    global _models
    if _models is None:
        with _models_lock:
            if _models is None:
                _models = _Models()
    return _models


ImageSource = bytes | str | os.PathLike[str] | Image.Image


def detect_faces(
    image: ImageSource,
    *,
    limits: DecodeLimits = DEFAULT_LIMITS,
    max_faces: int = MAX_FACES,
) -> list[DetectedFace]:
    """Every face in an image with its embedding, most confident first (at most ``max_faces``).

    ``image`` is the file's bytes, a path, or an already decoded Pillow image (e.g. a video
    frame). No face gives an empty list. Bad files raise ``jikimi.errors.UnsupportedMedia``,
    ``MediaTooLarge`` or ``CorruptMedia`` (videos are ``UnsupportedMedia``: sample frames and
    pass them as images).
    """
    if max_faces < 1:
        raise ValueError("max_faces must be at least 1")
    detail, scale = load_detail(image, limits)
    return faces_in(detail, scale, max_faces)


# --- decoding ------------------------------------------------------------------------------
def load_detail(image: ImageSource, limits: DecodeLimits) -> tuple[Image.Image, float]:
    """The upright RGB detail image and its scale (original pixels per detail pixel)."""
    if isinstance(image, Image.Image):
        w, h = image.size
        if w <= 0 or h <= 0:
            raise CorruptMedia(f"The image is empty ({w}x{h}).")
        if w * h > limits.max_pixels:
            raise too_many_pixels(w, h, limits)
        rgb = to_rgb(image)
        if max(w, h) > DETAIL_LONG_SIDE:
            rgb = rgb.copy()
            rgb.thumbnail((DETAIL_LONG_SIDE, DETAIL_LONG_SIDE), Image.Resampling.BILINEAR)
        return rgb, w / rgb.width
    data = image if isinstance(image, bytes) else _read_file(Path(image), limits)
    check_size(len(data), limits)
    fmt = sniff_format(data[:_SNIFF_BYTES])
    if fmt.kind is not MediaKind.IMAGE:
        raise UnsupportedMedia(
            f"Face detection reads images; this is a {fmt.name} video. Sample its frames and "
            "pass each frame as an image."
        )
    img = open_image(data, fmt, limits)
    with decoding(fmt, img):
        width, height = img.size
        orientation = int(img.getexif().get(_ORIENTATION_TAG, 1) or 1)
        factor = min(1.0, DETAIL_LONG_SIDE / max(width, height))
        if factor < 1.0 and fmt.name == "jpeg":  # let libjpeg decode at 1/2, 1/4 or 1/8
            img.draft(None, (math.ceil(width * factor), math.ceil(height * factor)))
        rgb = to_rgb(img)
        rgb.load()
        if orientation in range(2, 9):
            rgb = _apply_orientation(rgb, orientation)
        if max(rgb.size) > DETAIL_LONG_SIDE:
            rgb.thumbnail((DETAIL_LONG_SIDE, DETAIL_LONG_SIDE), Image.Resampling.BILINEAR)
    upright_width = height if orientation in _SWAPPING_ORIENTATIONS else width
    return rgb, upright_width / rgb.width


def _apply_orientation(img: Image.Image, orientation: int) -> Image.Image:
    """Rotate/flip pixels as EXIF orientation 2..8 says (the image's EXIF may be gone)."""
    method = {
        2: Image.Transpose.FLIP_LEFT_RIGHT,
        3: Image.Transpose.ROTATE_180,
        4: Image.Transpose.FLIP_TOP_BOTTOM,
        5: Image.Transpose.TRANSPOSE,
        6: Image.Transpose.ROTATE_270,
        7: Image.Transpose.TRANSVERSE,
        8: Image.Transpose.ROTATE_90,
    }[orientation]
    return img.transpose(method)


def _read_file(path: Path, limits: DecodeLimits) -> bytes:
    try:
        check_size(path.stat().st_size, limits)
        return path.read_bytes()
    except MediaError:
        raise
    except IsADirectoryError as exc:
        raise UnsupportedMedia(f"{path} is a directory, not a file.") from exc
    except OSError as exc:
        raise CorruptMedia(f"{path} cannot be read ({exc.strerror or exc}).") from exc


# --- detection and embedding ---------------------------------------------------------------
def faces_in(detail: Image.Image, scale: float, max_faces: int) -> list[DetectedFace]:
    models = _get_models()
    work = detail
    if max(detail.size) > DETECTION_LONG_SIDE:
        work = detail.copy()
        work.thumbnail((DETECTION_LONG_SIDE, DETECTION_LONG_SIDE), Image.Resampling.BILINEAR)
    work_scale = detail.width / work.width  # detail pixels per work pixel
    work_pixels = np.ascontiguousarray(np.asarray(work, dtype=np.uint8))
    try:
        rects, scores, _kinds = models.detector.run(work_pixels, 0, 0.0)
        if not rects or min(r.width() for r in rects) < SMALL_FACE_PX:
            rects, scores, _kinds = models.detector.run(work_pixels, 1, 0.0)
    except MemoryError as exc:
        raise MediaTooLarge("Face detection needs more memory than is available.") from exc
    if not rects:
        return []
    ranked = sorted(zip(scores, range(len(rects)), strict=True), reverse=True)[:max_faces]
    detail_pixels = np.ascontiguousarray(np.asarray(detail, dtype=np.uint8))
    out = []
    for score, k in ranked:
        r = rects[k]
        rect = dlib.rectangle(
            round(r.left() * work_scale),
            round(r.top() * work_scale),
            round(r.right() * work_scale),
            round(r.bottom() * work_scale),
        )
        shape = models.shape_predictor(detail_pixels, rect)
        vector = np.asarray(
            models.encoder.compute_face_descriptor(detail_pixels, shape), dtype=np.float32
        )
        out.append(DetectedFace(_box(rect, scale, detail.size), vector, float(score)))
    return out


def _box(
    rect: Any, scale: float, size: tuple[int, int]
) -> tuple[int, int, int, int]:
    """A detail-image rectangle in original pixels, clipped to the image."""
    width, height = round(size[0] * scale), round(size[1] * scale)
    left = min(max(0, round(rect.left() * scale)), width)
    top = min(max(0, round(rect.top() * scale)), height)
    right = min(max(left, round((rect.right() + 1) * scale)), width)
    bottom = min(max(top, round((rect.bottom() + 1) * scale)), height)
    return left, top, right, bottom
