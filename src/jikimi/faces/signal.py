"""Face embeddings as a signal type, so banks, scans and matching handle faces like PDQ.

Value: the 128 float32 components, little-endian, base64-encoded (standard alphabet, with
padding): 684 characters, canonical (one encoding per vector), and exact (no rounding).

Distance: :class:`jikimi.matching.SignalIndex` reports ``int`` distances, so a face distance
is the Euclidean distance in **thousandths**, rounded: 0.482 becomes 482. Thresholds are in the
same unit (``STRICT_THRESHOLD`` 0.50 is 500).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from jikimi.errors import InvalidInput
from jikimi.faces.index import EMBEDDING_DIM, MAX_SEARCH_THRESHOLD, FaceIndex, parse_embeddings
from jikimi.faces.thresholds import REVIEW_THRESHOLD
from jikimi.matching import SignalIndex, SignalType

__all__ = [
    "DISTANCE_SCALE",
    "FaceIndexAdapter",
    "FaceSignal",
    "embedding_from_value",
    "embedding_value",
    "from_signal_distance",
    "to_signal_distance",
]

DISTANCE_SCALE = 1000
"""Signal distances and thresholds are Euclidean distances times this, rounded."""

_VALUE_BYTES = EMBEDDING_DIM * 4
_LE_F32 = np.dtype("<f4")


def embedding_value(embedding: npt.ArrayLike) -> str:
    """The canonical signal value of one embedding."""
    vector = parse_embeddings(embedding)
    if vector.shape[0] != 1:
        raise InvalidInput("a face signal value holds one embedding", code="bad_hash")
    vector = vector + np.float32(0.0)  # -0.0 becomes 0.0: one encoding per vector
    return base64.b64encode(vector.astype(_LE_F32).tobytes()).decode("ascii")


def embedding_from_value(value: str) -> npt.NDArray[np.float32]:
    """The ``(128,)`` float32 embedding of a signal value; ``InvalidInput`` if malformed."""
    text = value.strip() if isinstance(value, str) else ""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput("a face signal value is base64 of 128 little-endian float32",
                           code="bad_hash") from exc
    if len(raw) != _VALUE_BYTES:
        raise InvalidInput(
            f"a face signal value decodes to {_VALUE_BYTES} bytes (128 float32), not {len(raw)}",
            code="bad_hash",
        )
    vector = np.frombuffer(raw, dtype=_LE_F32).astype(np.float32)
    if not np.isfinite(vector).all():
        raise InvalidInput("a face embedding must be finite (no NaN or infinity)",
                           code="bad_hash")
    return vector


def to_signal_distance(distance: float) -> int:
    """Euclidean distance to the signal's integer unit (thousandths)."""
    return round(distance * DISTANCE_SCALE)


def from_signal_distance(distance: int) -> float:
    """The signal's integer unit (thousandths) back to a Euclidean distance."""
    return distance / DISTANCE_SCALE


class FaceIndexAdapter:
    """A :class:`FaceIndex` behind the :class:`SignalIndex` interface (values and distances in
    the signal's units)."""

    def __init__(self, index: FaceIndex | None = None) -> None:
        self.index = index if index is not None else FaceIndex()

    def add(self, ids: Sequence[int], values: Sequence[str]) -> None:
        if len(ids) != len(values):
            raise InvalidInput(f"got {len(ids)} ids for {len(values)} face values")
        if ids:
            self.index.add(list(ids), np.stack([embedding_from_value(v) for v in values]))

    def remove(self, ids: Sequence[int]) -> None:
        if ids:
            self.index.remove(list(ids))

    def search(self, value: str, threshold: int) -> list[tuple[int, int]]:
        if isinstance(threshold, bool) or not isinstance(threshold, int):
            raise InvalidInput("a face threshold is an integer in thousandths",
                               code="bad_threshold")
        threshold = min(threshold, FaceSignal.max_threshold)
        if threshold < 0:
            return []
        # A hit counts when its distance, rounded to thousandths, is within the threshold.
        limit = min((threshold + 0.5) / DISTANCE_SCALE, MAX_SEARCH_THRESHOLD)
        hits = self.index.search(embedding_from_value(value), limit)
        return [(i, to_signal_distance(d)) for i, d in hits if to_signal_distance(d) <= threshold]

    def __len__(self) -> int:
        return len(self.index)

    def __getstate__(self) -> dict[str, Any]:
        return {"index": self.index}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.index = state["index"]


class FaceSignal(SignalType):
    """dlib's 128-d face embedding; distance = Euclidean distance in thousandths.

    The default threshold is the review threshold: a face match is never acted on by itself,
    it goes to a human; distances up to ``STRICT_THRESHOLD`` are the strong ones.
    """

    name = "face"
    encrypted_at_rest = True
    default_threshold = to_signal_distance(REVIEW_THRESHOLD)
    max_threshold = to_signal_distance(MAX_SEARCH_THRESHOLD)

    @classmethod
    def normalise(cls, value: str) -> str:
        return embedding_value(embedding_from_value(value))

    @classmethod
    def distance(cls, a: str, b: str) -> int:
        d = float(np.linalg.norm(
            embedding_from_value(a).astype(np.float64) - embedding_from_value(b)))
        return to_signal_distance(d) if math.isfinite(d) else cls.max_threshold + 1

    @classmethod
    def new_index(cls) -> SignalIndex:
        return FaceIndexAdapter()

    @classmethod
    def value_key(cls, value: str) -> str:
        return hashlib.sha256(value.encode("ascii")).hexdigest()
