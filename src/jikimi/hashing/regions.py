"""Region hashes: PDQ of parts of a picture, for overlays, off-centre crops and small tilts.

Plain PDQ (and the ``pdq`` registration variants of :mod:`jikimi.hashing.variants`) describe
the whole picture, so a logo stamped in a corner, a caption bar drawn over the bottom, a crop
that is not centred or a tilt of a few degrees moves the hash past any safe threshold. Region
hashes are PDQ hashes of fixed *windows* of the reference thumbnail ``T`` (Pillow's
``thumbnail((512, 512))``, RGB), kept as their own signal type (``pdq_region``) with their own
threshold, so that partner feeds and the StopNCII-shaped API keep serving plain PDQ.

Windows are cut from ``T`` itself: cutting them from ``T`` at half size (the rounded mean of
2 x 2 blocks) was measured four times cheaper to hash but lost a sixth of the off-centre crops
(PDQ's blur is then half as wide, so a shifted window aliases more). A window is given by
what it removes from each side, in per mille of ``T``'s width ``w`` and height ``h``:
``(l, t, r, b)`` is the box ``(w*l//1000, h*t//1000, w - w*r//1000, h - h*b//1000)``.
Integer arithmetic only, so that the victim portal (``pdq.js``) computes the same pixels, and
PDQ of the same pixels is the same hash there.

Registered (:func:`registration_regions`), in this order:

1. ``keep_tl``, ``keep_tr``, ``keep_bl``, ``keep_br``: the 80 % x 80 % window in each corner
   (the other 20 % of each side removed); ``keep_top`` and ``keep_bottom``: the top and the
   bottom 40 % of the picture. An overlay in one corner, along one side or across the middle
   (a logo, a caption bar, a watermark line) is outside at least one of them.
2. ``offcrop_LLL_TTT_RRR_BBB``: off-centre crops. On each axis one side keeps everything and
   the other loses 0, 2.5, 5, ... or 15 % (:data:`OFFCROP_STEPS`), every combination but the
   whole picture (168 windows). A copy cropped that way hashes (as a whole) near one of them.
   The grid is 2.5 % because PDQ moves about 16 bits when a window is 1 % off on one axis
   (9 at 0.5 %): on a 5 % grid a crop between two steps (7 % + 4 %) was found at 0.23-0.40,
   on the 2.5 % grid at 0.9 (docs/benchmarks.md). Entries registered with the 5 % grid
   (48 windows) keep matching: their names and windows are a subset of these.
3. ``centred_012``, ``centred_037``, ``centred_062``, ``centred_087``: centred crops between
   the ``pdq`` variants ``crop5`` ... ``crop20`` (which remove 25, 50, 75, 100 per mille a side).
4. ``tilt_m10`` ... ``tilt_m1``, ``centre70``, ``tilt_p1`` ... ``tilt_p10``: the centre window
   ``(150, 150, 150, 150)`` of ``T`` turned by -10 ... +10 degrees, one degree apart
   (``centre70`` is not turned; half a degree off costs about 12 bits, one degree about 20).
   Each output pixel ``(x, y)`` of the window samples ``T`` at the rotated point, in 16.16
   fixed point with the integer constants of :data:`TILTS` (``C = round(cos a * 65536)``,
   ``S = round(sin a * 65536)``): with ``dx = 2x + 1 - w``, ``dy = 2y + 1 - h``,
   ``X = dx*C - dy*S + (w-1)*65536`` and ``Y = dx*S + dy*C + (h-1)*65536`` (both in units of
   1/131072 pixel), ``ix = X >> 17``, ``fx = (X & 0x1FFFF) >> 9`` (0-255), the same for y;
   neighbours are clamped to the picture; per channel ``top = p00*(256-fx) + p01*fx``,
   ``bottom = p10*(256-fx) + p11*fx``, value ``(top*(256-fy) + bottom*fy + 32768) >> 16``.
   The centre of a copy tilted by up to 10 degrees (without enlarging the canvas) is inside the
   picture for aspect ratios up to 2:1, so its own ``centre70`` is near one of these.

Looked up for found media (:func:`query_regions`): the six ``keep_*`` windows and
``centre70``; the picture's own PDQ is looked up among the region hashes too. They are
computed from the found copy's reference thumbnail with the same windows and the same PDQ.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from PIL import Image

from jikimi.hashing.pdq import hash_array, rgb_array
from jikimi.hashing.variants import PdqVariant
from jikimi.hashing.window_pdq import luma_of_rgb, pdq_of_luma

Window = tuple[int, int, int, int]
"""Per mille removed from the left, top, right and bottom."""

KEEP_WINDOWS: tuple[tuple[str, Window], ...] = (
    ("keep_tl", (0, 0, 200, 200)),
    ("keep_tr", (200, 0, 0, 200)),
    ("keep_bl", (0, 200, 200, 0)),
    ("keep_br", (200, 200, 0, 0)),
    ("keep_top", (0, 0, 0, 600)),
    ("keep_bottom", (0, 600, 0, 0)),
)
OFFCROP_STEPS: tuple[int, ...] = (25, 50, 75, 100, 125, 150)
CENTRED_WINDOWS: tuple[tuple[str, Window], ...] = tuple(
    (f"centred_{r:03d}", (r, r, r, r)) for r in (12, 37, 62, 87))
CENTRE_WINDOW: Window = (150, 150, 150, 150)


@dataclass(frozen=True, slots=True)
class Tilt:
    """A rotation of the centre window, with its fixed-point cosine and sine."""

    name: str
    degrees: int
    cos: int
    sin: int


TILTS: tuple[Tilt, ...] = (
    Tilt("tilt_m10", -10, 64540, -11380),
    Tilt("tilt_m9", -9, 64729, -10252),
    Tilt("tilt_m8", -8, 64898, -9121),
    Tilt("tilt_m7", -7, 65048, -7987),
    Tilt("tilt_m6", -6, 65177, -6850),
    Tilt("tilt_m5", -5, 65287, -5712),
    Tilt("tilt_m4", -4, 65376, -4572),
    Tilt("tilt_m3", -3, 65446, -3430),
    Tilt("tilt_m2", -2, 65496, -2287),
    Tilt("tilt_m1", -1, 65526, -1144),
    Tilt("centre70", 0, 65536, 0),
    Tilt("tilt_p1", 1, 65526, 1144),
    Tilt("tilt_p2", 2, 65496, 2287),
    Tilt("tilt_p3", 3, 65446, 3430),
    Tilt("tilt_p4", 4, 65376, 4572),
    Tilt("tilt_p5", 5, 65287, 5712),
    Tilt("tilt_p6", 6, 65177, 6850),
    Tilt("tilt_p7", 7, 65048, 7987),
    Tilt("tilt_p8", 8, 64898, 9121),
    Tilt("tilt_p9", 9, 64729, 10252),
    Tilt("tilt_p10", 10, 64540, 11380),
)


def _axis_options() -> list[tuple[int, int]]:
    """(first side, second side) removals on one axis: one side only, 0 to 15 %."""
    out = [(0, 0)]
    out += [(s, 0) for s in OFFCROP_STEPS]
    out += [(0, s) for s in OFFCROP_STEPS]
    return out


def offcrop_windows() -> tuple[tuple[str, Window], ...]:
    """The 168 off-centre crop windows, named ``offcrop_LLL_TTT_RRR_BBB``."""
    out = []
    for top, bottom in _axis_options():
        for left, right in _axis_options():
            if left == top == right == bottom == 0:
                continue
            out.append((f"offcrop_{left:03d}_{top:03d}_{right:03d}_{bottom:03d}",
                        (left, top, right, bottom)))
    return tuple(out)


OFFCROP_WINDOWS = offcrop_windows()


def window_box(size: tuple[int, int], window: Window) -> tuple[int, int, int, int]:
    """The pixel box ``(left, top, right, bottom)`` of ``window`` on a ``size`` picture."""
    w, h = size
    left, top, right, bottom = window
    return (w * left // 1000, h * top // 1000, w - w * right // 1000, h - h * bottom // 1000)


def _hash(name: str, pixels: npt.NDArray[np.uint8]) -> PdqVariant:
    h = hash_array(np.ascontiguousarray(pixels))
    return PdqVariant(name, h.hex, h.quality)


def _crop(rgb: npt.NDArray[np.uint8], window: Window) -> npt.NDArray[np.uint8]:
    h, w = rgb.shape[:2]
    left, top, right, bottom = window_box((w, h), window)
    return rgb[top:bottom, left:right]


def tilted_centre(rgb: npt.NDArray[np.uint8], tilt: Tilt) -> npt.NDArray[np.uint8]:
    """The centre window of ``rgb`` turned by ``tilt`` (module docstring, step 3)."""
    if tilt.sin == 0:
        return _crop(rgb, CENTRE_WINDOW)
    h, w = rgb.shape[:2]
    left, top, right, bottom = window_box((w, h), CENTRE_WINDOW)
    ys, xs = np.mgrid[top:bottom, left:right].astype(np.int64)
    dx = 2 * xs + 1 - w
    dy = 2 * ys + 1 - h
    x_fixed = dx * tilt.cos - dy * tilt.sin + (w - 1) * 65536
    y_fixed = dx * tilt.sin + dy * tilt.cos + (h - 1) * 65536
    ix, iy = x_fixed >> 17, y_fixed >> 17
    fx = ((x_fixed & 0x1FFFF) >> 9)[..., None]
    fy = ((y_fixed & 0x1FFFF) >> 9)[..., None]
    x0, x1 = np.clip(ix, 0, w - 1), np.clip(ix + 1, 0, w - 1)
    y0, y1 = np.clip(iy, 0, h - 1), np.clip(iy + 1, 0, h - 1)
    px = rgb.astype(np.int64)
    top_row = px[y0, x0] * (256 - fx) + px[y0, x1] * fx
    bottom_row = px[y1, x0] * (256 - fx) + px[y1, x1] * fx
    out: npt.NDArray[np.uint8] = ((top_row * (256 - fy) + bottom_row * fy + 32768) >> 16
                                  ).astype(np.uint8)
    return out


def registration_regions(thumb: Image.Image) -> tuple[PdqVariant, ...]:
    """The region hashes to register for a reference thumbnail, in the documented order."""
    rgb = rgb_array(thumb)
    out = [_hash(name, _crop(rgb, window)) for name, window in KEEP_WINDOWS]
    out += [_hash(name, _crop(rgb, window)) for name, window in OFFCROP_WINDOWS]
    out += [_hash(name, _crop(rgb, window)) for name, window in CENTRED_WINDOWS]
    out += [_hash(t.name, tilted_centre(rgb, t)) for t in TILTS]
    return tuple(out)


def query_regions(thumb: Image.Image | npt.NDArray[np.uint8] | npt.NDArray[np.float64]
                  ) -> tuple[PdqVariant, ...]:
    """The region hashes to look up for found media: the ``keep_*`` windows and ``centre70``
    (the whole picture's PDQ, computed anyway, meets the registered crop windows).

    ``thumb`` is the reference thumbnail (a Pillow image or its RGB array) or PDQ's luma of it
    (a 2-D float array, :func:`jikimi.hashing.window_pdq.luma_of_rgb`). Each window is hashed
    as its own picture, with its own edges, as the registered windows are, but from one luma
    array without blurring each window in full (:mod:`jikimi.hashing.window_pdq`): equal to
    ``pdqhash.compute`` of the cropped pixels up to float rounding. (An approximation that
    filters the whole thumbnail once and samples each window was 4-10 bits off.)"""
    if not isinstance(thumb, np.ndarray):
        luma = luma_of_rgb(rgb_array(thumb))
    elif thumb.ndim == 2:
        luma = thumb.astype(np.float64, copy=False)
    else:
        luma = luma_of_rgb(thumb.astype(np.uint8, copy=False))
    h, w = luma.shape
    out = []
    for name, window in (*KEEP_WINDOWS, ("centre70", CENTRE_WINDOW)):
        left, top, right, bottom = window_box((w, h), window)
        found = pdq_of_luma(luma[top:bottom, left:right])
        out.append(PdqVariant(name, found.hex, found.quality))
    return tuple(out)


def may_have_frame(pixels: npt.NDArray[np.uint8] | npt.NDArray[np.float64],
                   tolerance: int | None = None, percent: int = 90) -> bool:
    """A cheap first look for a border, letterbox or screen around the picture: is any of the
    four outermost lines (nearly) one colour? Only then are frames searched for in full
    (:func:`jikimi.hashing.variants.frame_boxes`). Lookups only; registration always searches.

    ``pixels`` is the RGB thumbnail (each channel within ``tolerance``, default 16, of the
    line's median) or a luma picture, 2-D (default tolerance :data:`LUMA_FRAME_TOLERANCE`)."""
    if tolerance is None:
        tolerance = LUMA_FRAME_TOLERANCE if pixels.ndim == 2 else 16
    lines = (pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1])
    return any(line_is_one_colour(line, tolerance, percent) for line in lines)


LUMA_FRAME_TOLERANCE = 2
"""The luma look's tolerance. Lookups of a JPEG look at the outer lines of its decoded luma
(before the thumbnail is made: resizing smooths a photo's edge until it looks flat); measured
on 120 photographs, that look at 2 saw every white, coloured or thin border, black bar and
screenshot frame added to them (saved as JPEG at quality 20-60, some resized), fired on 17 of
the plain photographs (the colour look on the thumbnail at 16, used before: 38) and on none
of 50 generated scenes. The same luma look on the thumbnail fired on 10 of 20 scenes: a
smooth edge whose colour changes at one brightness looks flat in luma. A false alarm costs a
full frame search, several times the whole reference pipeline."""


def line_is_one_colour(line: npt.NDArray[np.uint8] | npt.NDArray[np.float64], tolerance: int,
                       percent: int = 90) -> bool:
    """Whether ``percent`` % of a line's pixels (n x channels, or n luma values) are within
    ``tolerance`` of the line's median on every channel."""
    values = line.astype(np.int16)
    if values.ndim == 1:
        values = values[:, None]
    median = np.sort(values, axis=0)[values.shape[0] // 2]
    near = np.all(np.abs(values - median) <= tolerance, axis=1)
    return bool(int(near.sum()) * 100 >= percent * values.shape[0])
