"""Bytes or a file in, fingerprints out: the one entry point the rest of jikimi calls."""

from __future__ import annotations

import hashlib
import math
import os
import tempfile
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt
from PIL import Image

from jikimi.errors import CorruptMedia, MediaError, UnsupportedMedia
from jikimi.hashing.decode import (
    DecodeLimits,
    MediaFormat,
    MediaKind,
    check_size,
    decoding,
    open_image,
    reserving,
    sniff_format,
    to_rgb,
    too_many_pixels,
)
from jikimi.hashing.pdq import (
    _CONVERT_BEFORE_RESIZE,
    LOW_QUALITY_THRESHOLD,
    THUMBNAIL_SIZE,
    dihedral_hashes,
    reference_thumbnail,
    rgb_array,
)
from jikimi.hashing.regions import (
    LUMA_FRAME_TOLERANCE,
    line_is_one_colour,
    may_have_frame,
    query_regions,
    registration_regions,
)
from jikimi.hashing.variants import (
    PdqVariant,
    Source,
    query_variants_of_thumbnail,
    unframed_variants,
    variants_of_thumbnail,
)
from jikimi.hashing.video import VideoFrameHash, check_seconds_per_hash, vpdq_frames
from jikimi.hashing.window_pdq import dihedral_of_luma, grey_luma, luma_of_rgb

DEFAULT_LIMITS = DecodeLimits()
_SNIFF_BYTES = 512
_CHUNK = 1 << 20
# Animated formats FFmpeg can decode as video (it cannot decode animated WebP).
_VIDEO_DECODABLE_ANIMATIONS = {"gif", "png"}


@dataclass(frozen=True, slots=True)
class ImageFingerprints:
    """Fingerprints of one image: PDQ (reference-exact), its 8 dihedral variants, file hashes."""

    format: str
    width: int
    """Width as stored (before any EXIF rotation, which jikimi never applies)."""
    height: int
    pdq: str
    quality: int
    dihedral: tuple[str, ...]
    """PDQ's 8 dihedral hashes, in :data:`jikimi.hashing.DIHEDRAL_NAMES` order."""
    sha256: str
    md5: str
    animated: bool = False
    """True for an animation (GIF, APNG, WebP); ``pdq`` is then its first frame."""
    variants: tuple[PdqVariant, ...] = ()
    """Registration variants, when asked for (``with_variants=True``)."""
    regions: tuple[PdqVariant, ...] = ()
    """Region hashes to register (``pdq_region``), when asked for (``with_variants=True``)."""
    unframed: tuple[PdqVariant, ...] = ()
    """Lookups (``for_lookup=True``): PDQ of the picture inside a border, letterbox or screen."""
    region_lookups: tuple[PdqVariant, ...] = ()
    """Lookups (``for_lookup=True``): region hashes of the found picture (``pdq_region``)."""

    kind: Literal["image"] = "image"

    @property
    def reliable(self) -> bool:
        """False when quality < 50: kept, but never claims a match on its own."""
        return self.quality >= LOW_QUALITY_THRESHOLD

    def to_json(self) -> dict[str, object]:
        """A JSON-ready dict (the ``jikimi hash`` line without its path)."""
        out: dict[str, object] = {
            "kind": self.kind,
            "pdq": self.pdq,
            "quality": self.quality,
            "reliable": self.reliable,
            "sha256": self.sha256,
            "md5": self.md5,
            "dihedral": list(self.dihedral),
            "format": self.format,
            "width": self.width,
            "height": self.height,
            "animated": self.animated,
        }
        if self.variants:
            out["variants"] = [v.to_json() for v in self.variants]
        if self.regions:
            out["regions"] = [v.to_json() for v in self.regions]
        if self.unframed:
            out["unframed"] = [v.to_json() for v in self.unframed]
        if self.region_lookups:
            out["region_lookups"] = [v.to_json() for v in self.region_lookups]
        return out


@dataclass(frozen=True, slots=True)
class VideoFingerprints:
    """Fingerprints of one video (or animation hashed as a video): vPDQ and file hashes."""

    format: str
    width: int
    height: int
    duration_seconds: float
    frame_count: int
    """Frames in the file (all are decoded; only the sampled ones are hashed)."""
    seconds_per_hash: float
    frames: tuple[VideoFrameHash, ...]
    sha256: str
    md5: str

    kind: Literal["video"] = "video"

    def to_json(self) -> dict[str, object]:
        """A JSON-ready dict (the ``jikimi hash`` line without its path)."""
        return {
            "kind": self.kind,
            "pdq": None,
            "quality": None,
            "sha256": self.sha256,
            "md5": self.md5,
            "dihedral": None,
            "format": self.format,
            "width": self.width,
            "height": self.height,
            "duration_seconds": round(self.duration_seconds, 3),
            "frame_count": self.frame_count,
            "seconds_per_hash": self.seconds_per_hash,
            "vpdq": [f.to_json() for f in self.frames],
        }


Fingerprints = ImageFingerprints | VideoFingerprints


def _image_fingerprints(
    data: bytes, fmt: MediaFormat, limits: DecodeLimits, with_variants: bool,
    for_lookup: bool = False,
) -> ImageFingerprints:
    img = open_image(data, fmt, limits)
    with reserving(img):  # the decode budget, for the thumbnail and the full-size variants
        return _image_fingerprints_of(img, data, fmt, limits, with_variants, for_lookup)


def _image_fingerprints_of(
    img: Image.Image, data: bytes, fmt: MediaFormat, limits: DecodeLimits, with_variants: bool,
    for_lookup: bool,
) -> ImageFingerprints:
    width, height = img.size
    animated = bool(getattr(img, "is_animated", False))
    thumb: Image.Image | None = None
    decoded = _lookup_luma(img, fmt) if for_lookup and not with_variants else None
    luma: npt.NDArray[np.float64] | None = None
    if decoded is not None:  # lookups of a colour or grey JPEG: luma straight from the decoder
        luma, framed = decoded
        dihedral = dihedral_of_luma(luma)
    else:
        thumb = reference_thumbnail(img, fmt)
        pixels = rgb_array(thumb)
        dihedral = dihedral_hashes(pixels)  # its first hash is PDQ itself: one pass, not two
        if for_lookup:
            luma = luma_of_rgb(pixels)
            framed = may_have_frame(luma)
    main = dihedral[0]
    unframed: tuple[PdqVariant, ...] = ()
    if luma is not None and framed:
        if thumb is None:  # frames are searched in colour, on the reference thumbnail
            thumb = reference_thumbnail(open_image(data, fmt, limits), fmt)
        unframed = unframed_variants(thumb, _source(data, fmt, limits))
    return ImageFingerprints(
        format=fmt.name,
        width=width,
        height=height,
        pdq=main.hex,
        quality=main.quality,
        dihedral=tuple(h.hex for h in dihedral),
        sha256=hashlib.sha256(data).hexdigest(),
        md5=hashlib.md5(data, usedforsecurity=False).hexdigest(),
        animated=animated,
        variants=(variants_of_thumbnail(thumb, _source(data, fmt, limits))
                  if with_variants and thumb is not None else ()),
        regions=registration_regions(thumb) if with_variants and thumb is not None else (),
        unframed=unframed,
        region_lookups=query_regions(luma) if luma is not None else (),
    )


def _lookup_luma(img: Image.Image, fmt: MediaFormat
                 ) -> tuple[npt.NDArray[np.float64], bool] | None:
    """PDQ's luma of the reference thumbnail, for lookups of a JPEG, and whether a frame may be
    around the picture. The JPEG is decoded straight to its Y channel (JPEG's luma uses PDQ's
    coefficients) at the reference's draft scale and resized to the reference's size and box,
    one channel instead of three; the frame look reads the outer lines of the decoded luma
    (:data:`jikimi.hashing.regions.LUMA_FRAME_TOLERANCE`). ``None`` (nothing decoded) when the
    file is not a JPEG that decodes to RGB or grey: the caller then takes the reference
    thumbnail. The hashes land within a few bits of the reference's (measured in
    ``docs/benchmarks.md``); registrations never come this way."""
    tiles = getattr(img, "tile", None) or []
    raw = tiles[0][3] if len(tiles) == 1 else None
    if fmt.name != "jpeg" or not isinstance(raw, tuple) or raw[:1] not in (("RGB",), ("L",)):
        return None  # e.g. CMYK: Pillow's draft cannot give its luma
    final = _thumbnail_size(img.size)
    with decoding(fmt, img):
        drafted = img.draft("L", (THUMBNAIL_SIZE * 2, THUMBNAIL_SIZE * 2) if final else None)
        if drafted is None or img.mode != "L":
            raise CorruptMedia("The JPEG decoder did not honour a grey draft.")  # never seen
        img.load()
        w, h = img.size
        lines = [np.asarray(img.crop(box), dtype=np.uint8).reshape(-1)
                 for box in ((0, 0, w, 1), (0, h - 1, w, h), (0, 0, 1, h), (w - 1, 0, w, h))]
        framed = any(line_is_one_colour(line, LUMA_FRAME_TOLERANCE) for line in lines)
        if final is not None and img.size != final:
            grey = img.resize(final, Image.Resampling.BICUBIC, box=drafted[1], reducing_gap=2.0)
        else:
            grey = img
        y = np.asarray(grey, dtype=np.uint8)
    return grey_luma(y), framed


def _thumbnail_size(size: tuple[int, int]) -> tuple[int, int] | None:
    """The size Pillow's ``thumbnail((512, 512))`` gives a ``size`` picture (None: unchanged),
    with Pillow's own rounding."""
    w, h = size
    x = y = THUMBNAIL_SIZE
    if x >= w and y >= h:
        return None
    aspect = w / h

    def round_aspect(number: float, key: Callable[[int], float]) -> int:
        return max(min(math.floor(number), math.ceil(number), key=key), 1)

    if x / y >= aspect:
        x = round_aspect(y * aspect, key=lambda n: abs(aspect - n / y))
    else:
        y = round_aspect(x / aspect, key=lambda n: 0 if n == 0 else abs(aspect - x / n))
    return x, y


def _source(data: bytes, fmt: MediaFormat, limits: DecodeLimits) -> Source:
    """Decodes the full-size RGB image when called (the unframed variants are cut from it)."""

    def decode() -> Image.Image:
        img = open_image(data, fmt, limits)
        with decoding(fmt, img):
            rgb = _full_rgb(img)
            rgb.load()
        return rgb

    return decode


def _full_rgb(img: Image.Image) -> Image.Image:
    """The full-size image in RGB, converted as the reference thumbnail converts it."""
    if img.mode in _CONVERT_BEFORE_RESIZE:
        img = img.convert(_CONVERT_BEFORE_RESIZE[img.mode])
    return to_rgb(img)


def _is_animation(data: bytes, fmt: MediaFormat, limits: DecodeLimits) -> bool:
    if fmt.name not in ("gif", "png", "webp"):
        return False
    return bool(getattr(open_image(data, fmt, limits), "is_animated", False))


def _video_fingerprints(
    path: Path,
    fmt: MediaFormat,
    limits: DecodeLimits,
    seconds_per_hash: float,
    sha256: str,
    md5: str,
) -> VideoFingerprints:
    probe, frames = vpdq_frames(path, fmt, limits, seconds_per_hash)
    return VideoFingerprints(
        format=fmt.name,
        width=probe.width,
        height=probe.height,
        duration_seconds=probe.duration_seconds,
        frame_count=probe.frame_count,
        seconds_per_hash=seconds_per_hash,
        frames=frames,
        sha256=sha256,
        md5=md5,
    )


def _video_from_bytes(
    data: bytes, fmt: MediaFormat, limits: DecodeLimits, seconds_per_hash: float
) -> VideoFingerprints:
    if fmt.kind is MediaKind.IMAGE and fmt.name not in _VIDEO_DECODABLE_ANIMATIONS:
        raise UnsupportedMedia(
            f"Animated {fmt.name.upper()} cannot be hashed as a video (FFmpeg does not decode "
            "it); hash it as an image (its first frame) instead."
        )
    suffix = {"png": ".apng"}.get(fmt.name, "." + fmt.name)
    with tempfile.TemporaryDirectory(prefix="jikimi-video-") as tmp:
        path = Path(tmp) / ("media" + suffix)
        path.write_bytes(data)
        return _video_fingerprints(
            path,
            fmt,
            limits,
            seconds_per_hash,
            hashlib.sha256(data).hexdigest(),
            hashlib.md5(data, usedforsecurity=False).hexdigest(),
        )


def fingerprint_bytes(
    data: bytes,
    *,
    limits: DecodeLimits = DEFAULT_LIMITS,
    seconds_per_hash: float = 1.0,
    animated_as_video: bool = False,
    with_variants: bool = False,
    for_lookup: bool = False,
) -> Fingerprints:
    """Fingerprint an image or video given as bytes; the format is read from the bytes.

    Images get PDQ exactly as Meta's reference computes it, with its dihedral variants and
    SHA-256/MD5; videos get vPDQ (one frame every ``seconds_per_hash`` seconds, 0 = every
    frame). With ``animated_as_video``, an animated GIF or APNG is hashed as a video instead of
    by its first frame. With ``with_variants``, images also carry their registration variants
    and region hashes; with ``for_lookup``, what found media is looked up by (the unframed
    picture when a frame is seen, region hashes): see :mod:`jikimi.matching.lookup`.
    Raises ``UnsupportedMedia``, ``MediaTooLarge`` or ``CorruptMedia``.
    """
    check_seconds_per_hash(seconds_per_hash)
    check_size(len(data), limits)
    fmt = sniff_format(data[:_SNIFF_BYTES])
    if fmt.kind is MediaKind.VIDEO or (animated_as_video and _is_animation(data, fmt, limits)):
        return _video_from_bytes(data, fmt, limits, seconds_per_hash)
    return _image_fingerprints(data, fmt, limits, with_variants, for_lookup)


def fingerprint_file(
    path: str | os.PathLike[str],
    *,
    limits: DecodeLimits = DEFAULT_LIMITS,
    seconds_per_hash: float = 1.0,
    animated_as_video: bool = False,
    with_variants: bool = False,
    for_lookup: bool = False,
) -> Fingerprints:
    """Fingerprint a file on disk; as :func:`fingerprint_bytes`, but videos are not read
    into memory (they are streamed for the file hashes and decoded from their path)."""
    check_seconds_per_hash(seconds_per_hash)
    p = Path(path)
    try:
        size = p.stat().st_size
        check_size(size, limits)
        with p.open("rb") as fh:
            head = fh.read(_SNIFF_BYTES)
            fmt = sniff_format(head)
            if fmt.kind is MediaKind.IMAGE:
                data = head + fh.read()
            else:
                sha, md5 = hashlib.sha256(head), hashlib.md5(head, usedforsecurity=False)
                while chunk := fh.read(_CHUNK):
                    sha.update(chunk)
                    md5.update(chunk)
    except MediaError:
        raise
    except IsADirectoryError as exc:
        raise UnsupportedMedia(f"{p} is a directory, not a file.") from exc
    except OSError as exc:
        raise CorruptMedia(f"{p} cannot be read ({exc.strerror or exc}).") from exc
    if fmt.kind is MediaKind.VIDEO:
        return _video_fingerprints(
            p, fmt, limits, seconds_per_hash, sha.hexdigest(), md5.hexdigest()
        )
    return fingerprint_bytes(
        data,
        limits=limits,
        seconds_per_hash=seconds_per_hash,
        animated_as_video=animated_as_video,
        with_variants=with_variants,
        for_lookup=for_lookup,
    )


def _reserved_for(image: bytes | Image.Image, limits: DecodeLimits) -> AbstractContextManager[None]:
    """The decode budget for one full decode of ``image`` (read from its header)."""
    if isinstance(image, Image.Image):
        return reserving(image)
    check_size(len(image), limits)
    fmt = sniff_format(image[:_SNIFF_BYTES])
    if fmt.kind is not MediaKind.IMAGE:
        return nullcontext()
    return reserving(open_image(image, fmt, limits))


def _thumbnail(image: bytes | Image.Image, limits: DecodeLimits) -> tuple[Image.Image, Source]:
    """The reference thumbnail and the full-size image it was made from (or its decoder)."""
    if isinstance(image, Image.Image):
        fmt = MediaFormat((image.format or "image").lower(), MediaKind.IMAGE, image.format)
        w, h = image.size
        if w * h > limits.max_pixels:
            raise too_many_pixels(w, h, limits)
        return reference_thumbnail(image.copy(), fmt), lambda: _full_rgb(image)
    check_size(len(image), limits)
    fmt = sniff_format(image[:_SNIFF_BYTES])
    if fmt.kind is not MediaKind.IMAGE:
        raise UnsupportedMedia(
            f"Registration variants are for images; this is a {fmt.name} video (use vPDQ)."
        )
    return reference_thumbnail(open_image(image, fmt, limits), fmt), _source(image, fmt, limits)


def registration_variants(
    image: bytes | Image.Image, *, limits: DecodeLimits = DEFAULT_LIMITS
) -> tuple[PdqVariant, ...]:
    """PDQ hashes to register for an image so that re-uploads still match.

    In this order: ``original``; the 7 other dihedral transforms of the pixels (``rot90``,
    ``rot180``, ``rot270``, ``flip_v``, ``flip_h``, ``transpose``, ``transverse``);
    the unframed variants (``unframed``, ``unframed_bands``, ``unframed_ui``,
    ``unframed_ui2``) when a border, letterbox or screenshot frame is found; centred crops
    ``crop5``, ``crop10``, ``crop15``, ``crop20``. See :mod:`jikimi.hashing.variants` for the
    exact arithmetic (the browser portal re-implements it).
    """
    with _reserved_for(image, limits):
        return variants_of_thumbnail(*_thumbnail(image, limits))


def query_variants(
    image: bytes | Image.Image, *, limits: DecodeLimits = DEFAULT_LIMITS
) -> tuple[PdqVariant, ...]:
    """PDQ hashes to look up for a found image: ``original`` and, if framed, the unframed
    variants (as in :func:`registration_variants`)."""
    with _reserved_for(image, limits):
        return query_variants_of_thumbnail(*_thumbnail(image, limits))
