"""PDQ exactly as Meta's reference computes it, plus its dihedral variants and distances.

The reference (``pdq/python/pdqhashing``, ``PDQHasher().fromFile``) opens the file with Pillow as
stored, calls ``img.thumbnail((512, 512))`` (which lets Pillow's JPEG decoder use its draft
mode to reach at least 1024 px), converts to RGB and hashes. Doing the same steps here keeps our
hashes bit-for-bit equal to the reference and to partners who use it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pdqhash
from PIL import Image

from jikimi.hashing.decode import MediaFormat, decoding, to_rgb

THUMBNAIL_SIZE = 512
"""Longest side after the reference's ``thumbnail`` step."""
LOW_QUALITY_THRESHOLD = 50
"""Meta's recommendation: hashes below this quality are near-flat and never match alone."""
MATCH_THRESHOLD = 31
"""Meta's recommended Hamming distance for a PDQ match."""
PDQ_HEX_LENGTH = 64

DIHEDRAL_NAMES: tuple[str, ...] = (
    "original",
    "rot90",
    "rot180",
    "rot270",
    "flip_v",
    "flip_h",
    "transpose",
    "transverse",
)
"""Names of the 8 dihedral transforms, in ``pdqhash.compute_dihedral`` order.

Measured on the reference's dihedral images: ``rot90`` is a quarter turn counter-clockwise
(Pillow's ``ROTATE_90``), ``flip_v`` mirrors top-bottom (the reference's "flipx"), ``flip_h``
mirrors left-right (the reference's "flipy", what people call a mirror), ``transpose`` mirrors
about the main diagonal ("flip-plus-1") and ``transverse`` about the other ("flip-minus-1").
"""

RGBArray = npt.NDArray[np.uint8]
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
# Modes Pillow resizes wrongly (PA loses its palette, I;16B its byte order) or not at all
# (premultiplied La, RGBa): converted first. JPEG and 8-bit PNG never open in these modes, so
# the reference vectors are unaffected.
_CONVERT_BEFORE_RESIZE = {
    "La": "LA",
    "RGBa": "RGBA",
    "PA": "RGBA",
    "I;16": "I",
    "I;16L": "I",
    "I;16B": "I",
    "I;16N": "I",
}


@dataclass(frozen=True, slots=True)
class PdqHash:
    """One PDQ hash with its quality (0-100)."""

    hex: str
    quality: int

    @property
    def reliable(self) -> bool:
        """False when quality < 50: the image is too flat for this hash to claim a match."""
        return self.quality >= LOW_QUALITY_THRESHOLD


def reference_thumbnail(img: Image.Image, fmt: MediaFormat) -> Image.Image:
    """Steps 2-3 of the reference: ``thumbnail((512, 512))`` in place, then RGB.

    ``img`` must be freshly opened (not yet loaded) so that JPEG draft mode applies as in the
    reference.
    """
    with decoding(fmt, img):
        if img.mode in _CONVERT_BEFORE_RESIZE:
            img = img.convert(_CONVERT_BEFORE_RESIZE[img.mode])
        img.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE))
        rgb = to_rgb(img)
        rgb.load()
    return rgb


def rgb_array(img: Image.Image) -> RGBArray:
    """The H x W x 3 uint8 array pdqhash expects (contiguous)."""
    if img.mode != "RGB":
        img = img.convert("RGB")
    return np.ascontiguousarray(np.asarray(img, dtype=np.uint8))


def bits_to_hex(bits: npt.NDArray[np.integer]) -> str:
    """256 bits (first bit most significant) as 64 lower-case hex digits, as the reference."""
    return np.packbits(np.asarray(bits, dtype=np.uint8)).tobytes().hex()


def hash_array(pixels: RGBArray) -> PdqHash:
    """PDQ of an RGB array."""
    bits, quality = pdqhash.compute(pixels)
    return PdqHash(bits_to_hex(bits), int(quality))


def dihedral_hashes(pixels: RGBArray) -> tuple[PdqHash, ...]:
    """PDQ's own 8 dihedral variants (one pass), in :data:`DIHEDRAL_NAMES` order.

    These are computed from the DCT, not from flipped pixels, and sit some 16-18 bits away from
    the hash of a really flipped image; :func:`jikimi.hashing.registration_variants` hashes the
    flipped pixels instead.
    """
    hashes, qualities = pdqhash.compute_dihedral(pixels)
    q = int(qualities) if np.ndim(qualities) == 0 else None
    return tuple(
        PdqHash(bits_to_hex(bits), q if q is not None else int(qualities[i]))
        for i, bits in enumerate(hashes)
    )


def parse_hex(value: str) -> int:
    """A PDQ hash as an integer; ``ValueError`` unless it is 64 hex digits."""
    if len(value) != PDQ_HEX_LENGTH:
        raise ValueError(f"a PDQ hash has {PDQ_HEX_LENGTH} hex digits, got {len(value)}")
    if not _HEX_DIGITS.issuperset(value):  # int() would accept spaces, "0x" and underscores
        raise ValueError(f"not a hexadecimal PDQ hash: {value!r}")
    return int(value, 16)


def hamming_distance(a_hex: str, b_hex: str) -> int:
    """Number of differing bits between two PDQ hashes (0-256); case-insensitive."""
    return (parse_hex(a_hex) ^ parse_hex(b_hex)).bit_count()
