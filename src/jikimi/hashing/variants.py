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
3. the *unframed* variants (borders, letterbox bars, the screen around a screenshot, caption
   bars): :func:`frame_boxes` finds up to four candidate content boxes on ``T``; each
   distinct, sensible one is cut from the full-size decoded image ``S`` (RGB) and hashed. The
   box ``(l, t, r, b)`` in ``T``'s pixels maps to ``S`` rounded inwards:
   ``(ceil(l*W/w), ceil(t*H/h), floor(r*W/w), floor(b*H/h))`` with ``w, h = T.size``,
   ``W, H = S.size``; the crop is then shrunk with Pillow's ``thumbnail((512, 512))`` (when
   ``S`` is ``T``, the box is cut from ``T`` directly). Cutting from ``S`` avoids hashing a
   re-downscaled copy (a letterboxed picture's content is only about half of ``T``).
   Candidates, in this order (a box equal to an earlier one is skipped):

   - ``unframed``: *flat lines*. A line (row or column) is flat when >= 90 % of its pixels are
     within 8 (every channel) of the line's median colour (per channel, element ``m // 2`` of
     the sorted values). From each side, the content starts at the first run of
     ``max(2, n // 16)`` non-flat lines (n = number of lines). Rows over the full width, then
     columns over the rows kept, then rows over the columns kept.
   - ``unframed_bands``: *edge-coloured bands*. For a side, the band colour ``c`` is the
     median colour of its outermost line; a pixel is near ``c`` when every channel is within
     FRAME_TOLERANCE = 16 of it (JPEG noise); a line is a band line when >= 95 % of its pixels
     are near ``c``. Strip the leading band lines of each side (none when the outermost line
     itself is not a band line). Rows, then columns, then rows, each pass on the box left by
     the previous one. Unlike ``unframed``, the band must be the colour of the edge, so a flat
     but differently coloured part of the picture stops it.
   - ``unframed_ui``: as ``unframed_bands``, but the first (rows) pass is *loose*, for
     screenshots and caption bars: the outermost row must still be a 95 % band line, then a
     row counts as band when >= 50 % of it is near ``c`` and the frame only ends before the
     first run of ``max(2, n // 16)`` consecutive non-band rows (status bars, titles, text,
     buttons are skipped). Columns and the last rows pass are strict.
   - ``unframed_ui2``: the loose rows pass then the strict columns pass only.

   A pass that would keep fewer than n // 8 lines strips nothing. A box is sensible when it
   keeps at least 1/8 of the width and of the height, at least 16 px each way, and removes
   at least 3 % of the area.
4. ``crop5``, ``crop10``, ``crop15``, ``crop20``: PDQ of the centred crop of ``T`` that
   removes p % of the width and of the height: with ``w, h = T.size``,
   ``dx = w * p // 200``, ``dy = h * p // 200``, box ``(dx, dy, w - dx, h - dy)``.

A picture whose own edge is the bars' colour (a night sky in black bars) is stripped further
than the bars, but the same lines are stripped when its original is registered, so the two
unframed hashes still meet. Everything is deterministic integer arithmetic on 8-bit pixels.

Queries use :func:`query_variants` (``original`` and the unframed variants, computed the same
way), so a bordered, letterboxed or screenshotted copy of a registered image is compared by its
content.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from PIL import Image

from jikimi.hashing.pdq import LOW_QUALITY_THRESHOLD, THUMBNAIL_SIZE, hash_array, rgb_array

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

# frame detection parameters (see frame_boxes).
FLAT_TOLERANCE = 8
FLAT_PERCENT = 90
FRAME_TOLERANCE = 16
STRICT_PERCENT = 95
LOOSE_PERCENT = 50
MIN_REMOVED_PERCENT = 3
MIN_SIDE = 16
GAP_DIVISOR = 16
MIN_KEPT_DIVISOR = 8


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
Source = Image.Image | Callable[[], Image.Image]


def _flat_lines(pixels: npt.NDArray[np.int16]) -> npt.NDArray[np.bool_]:
    """For each row of ``pixels`` (n x m x 3): is it one colour, give or take?

    A row is flat when at least FLAT_PERCENT % of its pixels are within FLAT_TOLERANCE (on
    every channel) of the row's median colour, the median of each channel being the element at
    index ``m // 2`` of that channel's sorted values.
    """
    m = pixels.shape[1]
    median = np.sort(pixels, axis=1)[:, m // 2, :]
    near = np.all(np.abs(pixels - median[:, None, :]) <= FLAT_TOLERANCE, axis=2)
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


def _flat_box(rgb: npt.NDArray[np.int16]) -> Box | None:
    """The ``unframed`` box: flat lines and short interruptions, rows, columns, rows."""
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
    return (left, top, right, bottom)


def _band_depth(lines: npt.NDArray[np.int16], percent: int, gap: int) -> int:
    """How many lines of ``lines`` (n x m x 3, line 0 the outermost) belong to the frame.

    The frame colour ``c`` is the median of line 0 (per channel, the element at index
    ``m // 2`` of its sorted values). A pixel is *near* ``c`` when every channel differs from
    ``c`` by at most FRAME_TOLERANCE; a line is a *band* line when ``near * 100 >= percent *
    m``. Scanning from line 0, the frame ends before the first run of ``gap`` consecutive
    non-band lines; the depth is 1 + the index of the last band line before that run (0 when
    line 0 is not a band line). With ``gap == 1`` this is the number of leading band lines.
    """
    m = lines.shape[1]
    colour = np.sort(lines[0], axis=0)[m // 2]
    near = np.all(np.abs(lines - colour) <= FRAME_TOLERANCE, axis=2).sum(axis=1)
    if near[0] * 100 < STRICT_PERCENT * m:
        return 0  # the outermost line is not one colour: no frame on this side
    depth = run = 0
    for i, band in enumerate((near * 100 >= percent * m).tolist()):
        if band:
            depth, run = i + 1, 0
        else:
            run += 1
            if run == gap:
                break
    return depth


def _strip(rgb: npt.NDArray[np.int16], loose: bool, passes: int) -> Box:
    """The box left when the frame is stripped: rows, columns, rows (the first ``passes``)."""
    h, w = rgb.shape[:2]
    left, top, right, bottom = 0, 0, w, h
    for step in range(passes):
        lines_are = "rows" if step % 2 == 0 else "columns"
        region = rgb[top:bottom, left:right]
        if lines_are == "columns":
            region = region.transpose(1, 0, 2)
        n = region.shape[0]
        if loose and step == 0:
            percent, gap = LOOSE_PERCENT, max(2, n // GAP_DIVISOR)
        else:
            percent, gap = STRICT_PERCENT, 1
        first = _band_depth(region, percent, gap)
        last = _band_depth(region[::-1], percent, gap)
        if (n - first - last) * MIN_KEPT_DIVISOR < n:
            continue  # would leave (almost) nothing: this pass strips nothing
        if lines_are == "rows":
            top, bottom = top + first, bottom - last
        else:
            left, right = left + first, right - last
    return (left, top, right, bottom)


def _sensible(box: Box | None, size: tuple[int, int]) -> bool:
    if box is None:
        return False
    w, h = size
    bw, bh = box[2] - box[0], box[3] - box[1]
    if bw * MIN_KEPT_DIVISOR < w or bh * MIN_KEPT_DIVISOR < h or bw < MIN_SIDE or bh < MIN_SIDE:
        return False
    return bw * bh * 100 <= (100 - MIN_REMOVED_PERCENT) * w * h


def frame_boxes(img: Image.Image) -> tuple[tuple[str, Box], ...]:
    """The candidate content boxes of ``img`` (a reference thumbnail), named, in order.

    See the module docstring (step 3): ``unframed``, ``unframed_bands``, ``unframed_ui``,
    ``unframed_ui2``; boxes that are not sensible or equal an earlier one are left out.
    """
    rgb = rgb_array(img).astype(np.int16)
    h, w = rgb.shape[:2]
    candidates = [
        ("unframed", _flat_box(rgb)),
        ("unframed_bands", _strip(rgb, loose=False, passes=3)),
        ("unframed_ui", _strip(rgb, loose=True, passes=3)),
        ("unframed_ui2", _strip(rgb, loose=True, passes=2)),
    ]
    out: list[tuple[str, Box]] = []
    seen: set[Box] = set()
    for name, box in candidates:
        if box is None or box in seen or not _sensible(box, (w, h)):
            continue
        out.append((name, box))
        seen.add(box)
    return tuple(out)


def frame_box(img: Image.Image) -> Box | None:
    """The first candidate content box of ``img`` (see :func:`frame_boxes`), or None."""
    boxes = frame_boxes(img)
    return boxes[0][1] if boxes else None


def source_box(box: Box, thumb_size: tuple[int, int], source_size: tuple[int, int]) -> Box:
    """``box`` (in thumbnail pixels) in the source image's pixels, rounded inwards."""
    w, h = thumb_size
    sw, sh = source_size
    left, top, right, bottom = box
    return (
        (left * sw + w - 1) // w,
        (top * sh + h - 1) // h,
        right * sw // w,
        bottom * sh // h,
    )


def _framed_crop(thumb: Image.Image, box: Box, source: Source | None) -> Image.Image:
    """The content inside ``box``: cut from the full-size source and thumbnailed, if given."""
    if source is None:
        return thumb.crop(box)
    full = source() if callable(source) else source
    if full.size == thumb.size:
        return thumb.crop(box)
    if full.mode != "RGB":
        full = full.convert("RGB")
    crop = full.crop(source_box(box, thumb.size, full.size))
    crop.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE))
    return crop


def crop_box(size: tuple[int, int], percent: int) -> Box:
    """Centred crop removing ``percent`` % of each side length (integer arithmetic)."""
    w, h = size
    dx, dy = w * percent // 200, h * percent // 200
    return (dx, dy, w - dx, h - dy)


def _variant(name: str, img: Image.Image) -> PdqVariant:
    h = hash_array(rgb_array(img))
    return PdqVariant(name, h.hex, h.quality)


def unframed_variants(thumb: Image.Image, source: Source | None) -> tuple[PdqVariant, ...]:
    """PDQ of the content inside each frame box found on ``thumb`` (none if no frame)."""
    boxes = frame_boxes(thumb)
    if boxes and callable(source):
        source = source()  # decoded once, only when a frame was found
    return tuple(_variant(name, _framed_crop(thumb, box, source)) for name, box in boxes)


def variants_of_thumbnail(
    thumb: Image.Image, source: Source | None = None
) -> tuple[PdqVariant, ...]:
    """All registration variants of a reference thumbnail, in the documented order.

    ``source`` is the full-size image (or a function that decodes it) that ``thumb`` was made
    from; the unframed variants are cut from it. Without it they are cut from ``thumb``.
    """
    out = [
        _variant(name, thumb if op is None else thumb.transpose(op))
        for name, op in DIHEDRAL_TRANSFORMS
    ]
    out.extend(unframed_variants(thumb, source))
    for p in CROP_PERCENTS:
        out.append(_variant(f"crop{p}", thumb.crop(crop_box(thumb.size, p))))
    return tuple(out)


def query_variants_of_thumbnail(
    thumb: Image.Image, source: Source | None = None
) -> tuple[PdqVariant, ...]:
    """The hashes to look up for a query: ``original``, then the unframed variants
    (``unframed``, ``unframed_bands``, ``unframed_ui``, ``unframed_ui2``) found
    (``source`` as for :func:`variants_of_thumbnail`)."""
    return (_variant("original", thumb), *unframed_variants(thumb, source))
