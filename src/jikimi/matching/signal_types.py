"""One interface for every kind of fingerprint, so that banks, indexes, scans and partner
feeds never branch on "is this PDQ or MD5" (as python-threatexchange's ``SignalType``).

A signal type knows how to check and normalise a value, how far apart two values are, what
threshold counts as a match by default, and how to build an index of many values. Adding a
signal type (face embeddings, later) means adding a class here and nothing in the callers.
"""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar, Protocol

from jikimi.errors import InvalidInput
from jikimi.hashing import LOW_QUALITY_THRESHOLD, MATCH_THRESHOLD, compare_vpdq, hamming_distance
from jikimi.hashing.video import VideoFrameHash
from jikimi.matching.pdq_index import PdqIndex

REGION_MATCH_THRESHOLD = 31
"""Largest distance between region hashes that counts as a match (see PdqRegionSignal)."""
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_HEX32 = re.compile(r"^[0-9a-f]{32}$")


class SignalIndex(Protocol):
    """An in-memory index of one signal type: add and remove by entry id, search by value."""

    def add(self, ids: Sequence[int], values: Sequence[str]) -> None: ...

    def remove(self, ids: Sequence[int]) -> None: ...

    def search(self, value: str, threshold: int) -> list[tuple[int, int]]: ...

    def __len__(self) -> int: ...


class SignalType(ABC):
    """A kind of fingerprint."""

    name: ClassVar[str]
    default_threshold: ClassVar[int]
    max_threshold: ClassVar[int]
    indexed_in_database: ClassVar[bool] = False
    """Exact signals are looked up in the database's own index instead of memory."""
    encrypted_at_rest: ClassVar[bool] = False
    """Values are stored encrypted (face embeddings); indexes decrypt them in memory only."""

    @classmethod
    @abstractmethod
    def normalise(cls, value: str) -> str:
        """Check ``value`` and return its canonical form; raise InvalidInput if malformed."""

    @classmethod
    @abstractmethod
    def distance(cls, a: str, b: str) -> int:
        """How far apart two canonical values are (0 = identical)."""

    @classmethod
    @abstractmethod
    def new_index(cls) -> SignalIndex:
        """An empty index for this signal type."""

    @classmethod
    def value_key(cls, value: str) -> str:
        """A short lookup key of a canonical value (64 characters at most)."""
        return value


# --- PDQ -------------------------------------------------------------------------------------
class PdqIndexAdapter:
    """The PDQ index behind the :class:`SignalIndex` interface."""

    def __init__(self) -> None:
        self.index = PdqIndex()

    def add(self, ids: Sequence[int], values: Sequence[str]) -> None:
        if ids:
            self.index.add(list(ids), list(values))

    def remove(self, ids: Sequence[int]) -> None:
        if ids:
            self.index.remove(list(ids))

    def search(self, value: str, threshold: int) -> list[tuple[int, int]]:
        return [(int(i), int(d)) for i, d in self.index.search(value, threshold)]

    def __len__(self) -> int:
        return len(self.index)

    def __getstate__(self) -> dict[str, bytes]:
        """Pickled as its snapshot bytes (how the index travels to scan workers)."""
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "pdq.index"
            self.index.save(path)
            return {"snapshot": path.read_bytes()}

    def __setstate__(self, state: dict[str, bytes]) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "pdq.index"
            path.write_bytes(state["snapshot"])
            self.index = PdqIndex.load(path)


class PdqSignal(SignalType):
    """Meta's PDQ: 256-bit perceptual hash, Hamming distance, match at <= 31 bits."""

    name = "pdq"
    default_threshold = MATCH_THRESHOLD
    max_threshold = 31

    @classmethod
    def normalise(cls, value: str) -> str:
        text = value.strip().lower() if isinstance(value, str) else ""
        if not _HEX64.match(text):
            raise InvalidInput("a PDQ hash is 64 hexadecimal digits", code="bad_hash")
        return text

    @classmethod
    def distance(cls, a: str, b: str) -> int:
        return hamming_distance(a, b)

    @classmethod
    def new_index(cls) -> SignalIndex:
        return PdqIndexAdapter()


class PdqRegionSignal(PdqSignal):
    """Region hashes (:mod:`jikimi.hashing.regions`): PDQ of windows of a picture (corners
    kept, off-centre crops, the centre turned by a few degrees), so overlays, off-centre crops
    and tilts match. Their own signal type, with a threshold chosen from the false matches
    measured on unrelated photographs (docs/benchmarks.md); never shared with partners."""

    name = "pdq_region"
    default_threshold = REGION_MATCH_THRESHOLD
    max_threshold = REGION_MATCH_THRESHOLD


# --- exact file hashes -----------------------------------------------------------------------
class _ExactSignal(SignalType):
    default_threshold = 0
    max_threshold = 0
    indexed_in_database = True
    pattern: ClassVar[re.Pattern[str]]
    description: ClassVar[str]

    @classmethod
    def normalise(cls, value: str) -> str:
        text = value.strip().lower() if isinstance(value, str) else ""
        if not cls.pattern.match(text):
            raise InvalidInput(f"a {cls.name.upper()} digest is {cls.description}",
                               code="bad_hash")
        return text

    @classmethod
    def distance(cls, a: str, b: str) -> int:
        return 0 if a == b else 1

    @classmethod
    def new_index(cls) -> SignalIndex:
        raise NotImplementedError("exact digests are looked up in the database")


class Sha256Signal(_ExactSignal):
    name = "sha256"
    pattern = _HEX64
    description = "64 hexadecimal digits"


class Md5Signal(_ExactSignal):
    name = "md5"
    pattern = _HEX32
    description = "32 hexadecimal digits"


# --- vPDQ ------------------------------------------------------------------------------------
MAX_VPDQ_FRAMES = 20_000


def parse_vpdq(value: str) -> list[VideoFrameHash]:
    """Frames from the canonical vPDQ value: a JSON list of [frame, timestamp, quality, pdq]."""
    try:
        raw = json.loads(value)
    except (ValueError, TypeError) as exc:
        raise InvalidInput("a vPDQ value is a JSON list of frames", code="bad_hash") from exc
    if not isinstance(raw, list) or not raw or len(raw) > MAX_VPDQ_FRAMES:
        raise InvalidInput(f"a vPDQ value has 1 to {MAX_VPDQ_FRAMES} frames", code="bad_hash")
    frames = []
    for item in raw:
        if isinstance(item, dict):
            item = [item.get("frame"), item.get("timestamp"), item.get("quality"),
                    item.get("pdq")]
        if (not isinstance(item, list) or len(item) != 4 or not isinstance(item[0], int)
                or isinstance(item[0], bool) or not isinstance(item[1], int | float)
                or not isinstance(item[2], int) or not isinstance(item[3], str)
                or not 0 <= item[2] <= 100 or item[0] < 0 or item[1] < 0):
            raise InvalidInput("each vPDQ frame is {frame, timestamp, quality 0-100, pdq}",
                               code="bad_hash")
        frames.append(VideoFrameHash(frame=item[0], timestamp=float(item[1]), quality=item[2],
                                     pdq=PdqSignal.normalise(item[3])))
    return frames


def vpdq_value(frames: Sequence[VideoFrameHash]) -> str:
    """The canonical vPDQ value of frames."""
    return json.dumps([[f.frame, round(f.timestamp, 3), f.quality, f.pdq] for f in frames],
                      separators=(",", ":"))


class VpdqIndex:
    """vPDQ as Meta matches it: a frame index finds candidate videos (any good frame within
    31 bits), then the full comparison computes the share of frames matched each way."""

    def __init__(self) -> None:
        self._frames = PdqIndex()
        self._videos: dict[int, list[VideoFrameHash]] = {}
        self._frame_owner: dict[int, int] = {}
        self._next_frame_id = 1
        self._lock = threading.Lock()

    def add(self, ids: Sequence[int], values: Sequence[str]) -> None:
        with self._lock:
            for entry_id, value in zip(ids, values, strict=True):
                frames = parse_vpdq(value)
                self._videos[entry_id] = frames
                good = [f for f in frames if f.quality >= LOW_QUALITY_THRESHOLD]
                frame_ids = list(range(self._next_frame_id, self._next_frame_id + len(good)))
                self._next_frame_id += len(good)
                for fid in frame_ids:
                    self._frame_owner[fid] = entry_id
                if good:
                    self._frames.add(frame_ids, [f.pdq for f in good])

    def remove(self, ids: Sequence[int]) -> None:
        with self._lock:
            doomed = set(ids)
            frame_ids = [fid for fid, owner in self._frame_owner.items() if owner in doomed]
            if frame_ids:
                self._frames.remove(frame_ids)
            for fid in frame_ids:
                del self._frame_owner[fid]
            for entry_id in doomed:
                self._videos.pop(entry_id, None)

    def search(self, value: str, threshold: int) -> list[tuple[int, int]]:
        """Entries whose videos match; the distance is 100 minus the query's match percent."""
        query = parse_vpdq(value)
        candidates: set[int] = set()
        for frame in {f.pdq for f in query if f.quality >= LOW_QUALITY_THRESHOLD}:
            for fid, _d in self._frames.search(frame, MATCH_THRESHOLD):
                owner = self._frame_owner.get(int(fid))
                if owner is not None:
                    candidates.add(owner)
        results = []
        for entry_id in sorted(candidates):
            target = self._videos.get(entry_id)
            if target is None:
                continue
            match = compare_vpdq(query, target)
            distance = round(100 - match.query_match_percent)
            if distance <= threshold:
                results.append((entry_id, distance))
        return results

    def __len__(self) -> int:
        return len(self._videos)

    def __getstate__(self) -> dict[str, list[tuple[int, str]]]:
        return {"videos": [(i, vpdq_value(f)) for i, f in self._videos.items()]}

    def __setstate__(self, state: dict[str, list[tuple[int, str]]]) -> None:
        self.__init__()  # type: ignore[misc]
        videos = state["videos"]
        self.add([i for i, _ in videos], [v for _, v in videos])


class VpdqSignal(SignalType):
    """Meta's vPDQ: PDQ per sampled frame. A match shares >= 80 % of the query's frames
    (distance = 100 - percent of query frames found, so the default threshold is 20)."""

    name = "vpdq"
    default_threshold = 20
    max_threshold = 100

    @classmethod
    def normalise(cls, value: str) -> str:
        return vpdq_value(parse_vpdq(value))

    @classmethod
    def distance(cls, a: str, b: str) -> int:
        match = compare_vpdq(parse_vpdq(a), parse_vpdq(b))
        return round(100 - match.query_match_percent)

    @classmethod
    def new_index(cls) -> SignalIndex:
        return VpdqIndex()

    @classmethod
    def value_key(cls, value: str) -> str:
        return hashlib.sha256(value.encode()).hexdigest()


SIGNAL_TYPES: dict[str, type[SignalType]] = {
    s.name: s for s in (PdqSignal, PdqRegionSignal, VpdqSignal, Sha256Signal, Md5Signal)
}


def register_signal_type(kind: type[SignalType]) -> None:
    """Plug in a signal type defined in a higher capability (faces), so that banks, indexes,
    scans and feeds handle it like the built-in ones."""
    SIGNAL_TYPES[kind.name] = kind


def signal_type(name: str) -> type[SignalType]:
    """The signal type called ``name``; InvalidInput names the known ones otherwise."""
    try:
        return SIGNAL_TYPES[name]
    except KeyError:
        known = ", ".join(sorted(SIGNAL_TYPES))
        raise InvalidInput(f"unknown signal type {name!r} (known: {known})",
                           code="bad_signal_type") from None
