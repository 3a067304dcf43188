"""PDQ of many windows of one picture from one luma array, for lookups.

PDQ (Meta's ``pdqhashing.cpp``) turns a picture into luma (``0.299 R + 0.587 G + 0.114 B`` in
float), blurs it with a Jarosz tent filter (two box passes along the rows and two along the
columns, each box ``(n + 127) // 128`` wide and a mean over the part of the box inside the
picture), keeps the 64 x 64 samples at rows and columns ``int((i + 0.5) * n / 64)``, takes the
16 x 16 low frequencies of their DCT and sets a bit where a coefficient exceeds the median.

The blur and the sampling are, along each axis, one linear map from ``n`` values to 64 whose
rows have at most ``2 * box - 1`` non-zero weights (:func:`axis_map`, cached per length). A
window of the picture is therefore hashed without blurring it as a whole: gather ~5 rows per
sample, weigh them, then the same along the columns, from the window's own slice of the one
luma array (each window is its own picture, with its own edges, exactly as ``pdqhash.compute``
on the cropped pixels). The result equals ``pdqhash.compute`` up to float rounding (the
reference sums in float32 with a running sum, here float64): a coefficient within rounding of
the median can flip, which was measured as rare (see ``docs/benchmarks.md``).

Lookups only. What is *registered* is hashed by ``pdqhash`` itself (and ``pdq.js`` in the
victim's browser), bit for bit as Meta's reference.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from jikimi.hashing.pdq import PdqHash, bits_to_hex

FloatArray = npt.NDArray[np.float64]
MIN_HASHABLE_DIM = 5
"""The reference gives an all-zero hash of quality 0 below this many rows or columns."""
_OUT = 64
_LUMA = (np.float32(0.299), np.float32(0.587), np.float32(0.114))


def _dct_matrix() -> FloatArray:
    i = np.arange(1, 17, dtype=np.float64)[:, None]
    j = np.arange(64, dtype=np.float64)[None, :]
    scale = np.float32(np.sqrt(2.0 / 64.0))
    return (scale * np.cos((np.pi / 2.0 / 64.0) * i * (2 * j + 1))).astype(np.float32).astype(
        np.float64)


_DCT = _dct_matrix()


def _luma_table(coefficient: np.float32) -> npt.NDArray[np.float32]:
    return np.arange(256, dtype=np.float32) * coefficient


# coefficient * value for every 8-bit value: the products the reference rounds to float32
_LUMA_TABLES = tuple(_luma_table(c) for c in _LUMA)
_GREY_TABLE = ((_LUMA_TABLES[0] + _LUMA_TABLES[1]) + _LUMA_TABLES[2]).astype(np.float64)


def luma_of_rgb(rgb: npt.NDArray[np.uint8]) -> FloatArray:
    """PDQ's luma of an H x W x 3 uint8 array, as the reference computes it in float32:
    ``(0.299 R + 0.587 G) + 0.114 B`` (products from tables: the same float32 values)."""
    red, green, blue = _LUMA_TABLES
    luma = red[rgb[..., 0]] + green[rgb[..., 1]]
    luma += blue[rgb[..., 2]]
    out: FloatArray = luma.astype(np.float64)
    return out


def _box_matrix(n: int, full: int) -> FloatArray:
    """One pass of the reference's ``box1DFloat`` as an n x n matrix (edge-truncated mean)."""
    half = (full + 2) // 2
    position = np.arange(n)
    lo = np.maximum(position - (full - half), 0)
    hi = np.minimum(position + half - 1, n - 1)
    cols = np.arange(n)[None, :]
    inside = (cols >= lo[:, None]) & (cols <= hi[:, None])
    out: FloatArray = inside / (hi - lo + 1)[:, None].astype(np.float64)
    return out


@dataclass(frozen=True, slots=True)
class AxisMap:
    """Blur-and-sample along one axis of length ``n``: sample ``i`` is
    ``sum(weights[i, k] * values[index[i, k]])``."""

    index: npt.NDArray[np.intp]
    weights: FloatArray


@lru_cache(maxsize=256)
def axis_map(n: int) -> AxisMap:
    """The 64 x ``n`` blur-and-sample map of PDQ along an axis of ``n`` pixels (``n >= 5``)."""
    full = (n + 2 * _OUT - 1) // (2 * _OUT)
    box = _box_matrix(n, full)
    rows = ((np.arange(_OUT) + 0.5) * n / _OUT).astype(np.intp)
    dense = box[rows] @ box  # two passes, then the samples the reference keeps
    nonzero = dense != 0
    first = nonzero.argmax(axis=1)
    last = n - 1 - nonzero[:, ::-1].argmax(axis=1)
    width = int((last - first).max()) + 1
    index = np.minimum(first[:, None] + np.arange(width)[None, :], n - 1)
    weights = np.take_along_axis(dense, index, axis=1)
    weights[first[:, None] + np.arange(width)[None, :] > n - 1] = 0.0
    return AxisMap(index, weights)


def downsample(luma: FloatArray) -> FloatArray:
    """PDQ's 64 x 64 buffer of a luma array (any slice of a larger one)."""
    rows, cols = axis_map(luma.shape[0]), axis_map(luma.shape[1])
    gathered = luma[rows.index]  # 64 x K x W
    along_rows = np.einsum("ik,ikw->iw", rows.weights, gathered)
    out: FloatArray = np.einsum("jk,ijk->ij", cols.weights, along_rows[:, cols.index])
    return out


def quality_of(buffer: FloatArray) -> int:
    """The reference's image-domain quality metric of a 64 x 64 buffer."""
    b = buffer.astype(np.float32)
    scale, norm = np.float32(100), np.float32(255)
    vertical = np.abs(np.trunc((b[:-1, :] - b[1:, :]) * scale / norm)).sum()
    horizontal = np.abs(np.trunc((b[:, :-1] - b[:, 1:]) * scale / norm)).sum()
    return min(int(vertical + horizontal) // 90, 100)


def dct16(buffer: FloatArray) -> FloatArray:
    """The 16 x 16 low-frequency DCT coefficients of a 64 x 64 buffer."""
    out: FloatArray = _DCT @ buffer @ _DCT.T
    return out


def _bits(coefficients: FloatArray) -> str:
    flat = coefficients.reshape(256)
    median = np.partition(flat, 127)[127]  # the reference's Torben median (lower median)
    # bit i*16+j is coefficient (i, j); the hex string starts with bit 255
    return bits_to_hex((flat > median)[::-1])


def _dihedral(c: FloatArray) -> tuple[FloatArray, ...]:
    """The coefficients of the 8 dihedral transforms, in ``DIHEDRAL_NAMES`` order (the sign
    patterns of the reference's ``dct16OriginalTo*``)."""
    i = np.arange(16)[:, None]
    j = np.arange(16)[None, :]
    odd_j = np.where(j % 2 == 1, 1.0, -1.0)
    odd_i = np.where(i % 2 == 1, 1.0, -1.0)
    even_ij = np.where((i + j) % 2 == 1, -1.0, 1.0)
    return (
        c,
        (c * odd_j).T,  # rot90
        c * even_ij,  # rot180
        (c * odd_i).T,  # rot270
        c * odd_i,  # flip_v
        c * odd_j,  # flip_h
        c.T,  # transpose
        (c * even_ij).T,  # transverse
    )


def pdq_of_luma(luma: FloatArray) -> PdqHash:
    """PDQ of a luma array (equal to ``pdqhash.compute`` up to float rounding)."""
    if min(luma.shape) < MIN_HASHABLE_DIM:
        return PdqHash("0" * 64, 0)
    buffer = downsample(luma)
    return PdqHash(_bits(dct16(buffer)), quality_of(buffer))


def dihedral_of_luma(luma: FloatArray) -> tuple[PdqHash, ...]:
    """PDQ and its 7 DCT-domain dihedral hashes, as ``pdqhash.compute_dihedral``."""
    if min(luma.shape) < MIN_HASHABLE_DIM:
        return tuple(PdqHash("0" * 64, 0) for _ in range(8))
    buffer = downsample(luma)
    quality = quality_of(buffer)
    return tuple(PdqHash(_bits(c), quality) for c in _dihedral(dct16(buffer)))


def grey_luma(grey: npt.NDArray[np.uint8]) -> FloatArray:
    """PDQ's luma of a grey picture, as the reference computes it for R = G = B = ``grey``."""
    out: FloatArray = _GREY_TABLE[grey]
    return out
