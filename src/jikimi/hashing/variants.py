"""Extra PDQ hashes that make re-uploads match: flips, rotations, unframing, centred crops.

PDQ tolerates recompression and resizing but not mirroring, rotation, added borders or crops.
Instead of hoping the query looks like the original, we register several hashes of the
original, and hash queries both as they are and with their frame stripped.

Everything here works on the *reference thumbnail* ``T`` (the image as stored, Pillow's
``thumbnail((512, 512))``, RGB: see :mod:`jikimi.hashing.pdq`), with integer arithmetic only,
so that the victim portal can compute the same variants in JavaScript on a canvas:

1. ``original``: PDQ of ``T``.
2. the 7 other dihedral transforms of ``T``'s pixels (exact pixel permutations), hashed the
   same way: ``rot90`` (counter-clockwise), ``rot180``, ``rot270``, ``flip_v`` (top-bottom),
   ``flip_h`` (left-right mirror), ``transpose`` (about the main diagonal: pixel (x, y) goes
   to (y, x)), ``transverse`` (about the other diagonal).
3. ``unframed``: PDQ of ``T`` cropped to :func:`frame_box` (borders, letterbox bars, the
   screen around a screenshot), only when a frame was found.
4. ``crop5``, ``crop10``, ``crop15``, ``crop20``: PDQ of the centred crop of ``T`` that
   removes p % of the width and of the height: with ``w, h = T.size``,
   ``dx = w * p // 200``, ``dy = h * p // 200``, box ``(dx, dy, w - dx, h - dy)``.

Queries use :func:`query_variants` (``original`` and ``unframed``), so a bordered copy of a
registered image is compared by its content.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from PIL import Image

from jikimi.hashing.pdq import LOW_QUALITY_THRESHOLD, hash_array, rgb_array

DIHEDRAL_TRANSFORMS: tuple[tuple[str, Image.Transpose | None], ...] = (
    ("original", None),
    ("rot90", Image.Transpose.ROTATE_90),
    ("rot180", Image.Transpose.ROTATE_180),
    ("rot270", Image.Transpose.ROTATE_270),
    ("flip_v", Image.Transpose.FLIP_TOP_BOTTOM),
    ("flip_h", Image.Transpose.FLIP_LEFT_RIGHT),
    ("transpose", Image.Transpose.TRANSPOSE),
    ("transverse", Image.Transpose.TRANSVERSE),
)
CROP_PERCENTS: tuple[int, ...] = (5, 10, 15, 20)

# frame_box parameters (see its docstring).
FRAME_TOLERANCE = 8
FLAT_PERCENT = 90
MIN_REMOVED_PERCENT = 3


@dataclass(frozen=True, slots=True)
class PdqVariant:
    """A PDQ hash of one transformed version of an image, labelled by the transform."""

    name: str
    hex: str
    quality: int

    @property
    def reliable(self) -> bool:
        """False when quality < 50: never claims a match on its own."""
        return self.quality >= LOW_QUALITY_THRESHOLD

    def to_json(self) -> dict[str, object]:
        """A JSON-ready dict."""
        return {"name": self.name, "pdq": self.hex, "quality": self.quality}


Box = tuple[int, int, int, int]


def _flat_lines(pixels: npt.NDArray[np.int16]) -> npt.NDArray[np.bool_]:
    """For each row of ``pixels`` (n x m x 3): is it one colour, give or take?

    A row is flat when at least FLAT_PERCENT % of its pixels are within FRAME_TOLERANCE (on
    every channel) of the row's median colour, the median of each channel being the element at
    index ``m // 2`` of that channel's sorted values.
    """
    m = pixels.shape[1]
    median = np.sort(pixels, axis=1)[:, m // 2, :]
    near = np.all(np.abs(pixels - median[:, None, :]) <= FRAME_TOLERANCE, axis=2)
    return near.sum(axis=1) * 100 >= FLAT_PERCENT * m  # type: ignore[no-any-return]


def _content_start(flat: npt.NDArray[np.bool_], run: int) -> int | None:
    """Index of the first run of ``run`` consecutive non-flat lines, or None."""
    count = 0
    for i, is_flat in enumerate(flat.tolist()):
        count = 0 if is_flat else count + 1
        if count == run:
            return i - run + 1
    return None


def _content_span(pixels: npt.NDArray[np.int16]) -> tuple[int, int] | None:
    """[start, end) of the rows between the frame lines at the top and at the bottom."""
    n = pixels.shape[0]
    run = max(2, n // 16)
    flat = _flat_lines(pixels)
    start = _content_start(flat, run)
    end = _content_start(flat[::-1], run)
    if start is None or end is None:
        return None
    return start, n - end


def frame_box(img: Image.Image) -> Box | None:
    """The box of ``img`` inside borders, letterbox bars or a screenshot's surroundings.

    Lines (rows or columns) that are nearly one colour are frame; so are short interruptions
    (status-bar text, captions, icons) shorter than ``run = max(2, n // 16)`` lines, where n
    is the number of lines. From each side the content starts at the first run of ``run``
    non-flat lines. Passes, in this order: rows over the full width; columns over the rows
    kept; rows again over the columns kept. Returns None when nothing sensible is found: the
    whole image is flat, the box is smaller than a quarter of a side, or it removes less than
    MIN_REMOVED_PERCENT % of the area.
    """
    rgb = rgb_array(img).astype(np.int16)
    h, w = rgb.shape[:2]
    rows = _content_span(rgb)
    if rows is None:
        return None
    top, bottom = rows
    cols = _content_span(rgb[top:bottom].transpose(1, 0, 2))
    if cols is None:
        return None
    left, right = cols
    rows = _content_span(rgb[:, left:right])
    if rows is None:
        return None
    top, bottom = rows
    bw, bh = right - left, bottom - top
    if bw * 4 < w or bh * 4 < h or bw < 16 or bh < 16:
        return None
    if bw * bh * 100 > (100 - MIN_REMOVED_PERCENT) * w * h:
        return None
    return (left, top, right, bottom)


def crop_box(size: tuple[int, int], percent: int) -> Box:
    """Centred crop removing ``percent`` % of each side length (integer arithmetic)."""
    w, h = size
    dx, dy = w * percent // 200, h * percent // 200
    return (dx, dy, w - dx, h - dy)


def _variant(name: str, img: Image.Image) -> PdqVariant:
    h = hash_array(rgb_array(img))
    return PdqVariant(name, h.hex, h.quality)


def variants_of_thumbnail(thumb: Image.Image) -> tuple[PdqVariant, ...]:
    """All registration variants of a reference thumbnail, in the documented order."""
    out = [
        _variant(name, thumb if op is None else thumb.transpose(op))
        for name, op in DIHEDRAL_TRANSFORMS
    ]
    box = frame_box(thumb)
    if box is not None:
        out.append(_variant("unframed", thumb.crop(box)))
    for p in CROP_PERCENTS:
        out.append(_variant(f"crop{p}", thumb.crop(crop_box(thumb.size, p))))
    return tuple(out)


def query_variants_of_thumbnail(thumb: Image.Image) -> tuple[PdqVariant, ...]:
    """The hashes to look up for a query: ``original`` and, if framed, ``unframed``."""
    out = [_variant("original", thumb)]
    box = frame_box(thumb)
    if box is not None:
        out.append(_variant("unframed", thumb.crop(box)))
    return tuple(out)
