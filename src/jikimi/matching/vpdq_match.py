"""vPDQ video matching as Meta defines it (python-threatexchange's vpdq extension).

A video is a list of frames ``(pdq_hex, quality)``. Frames below the quality threshold (50)
are dropped and identical frame hashes are counted once. Two videos match in proportion:
the share of the query's frames that have some frame of the other video within 31 bits, and
the share of the other video's frames that have some query frame within 31 bits. Meta's
default decision: a match when at least 80 % of the query's frames match (and >= 0 % of the
registered video's).

``VpdqIndex`` finds them among many registered videos with one ``PdqIndex`` over every unique
frame hash as the prefilter (Meta's ``VPDQIndex`` does the same with faiss), so a query costs
one batched PDQ search, not a comparison with every video. Mutations and queries share a lock.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from jikimi.errors import InvalidInput
from jikimi.matching.pdq_index import MAX_THRESHOLD, PdqIndex, parse_hashes

__all__ = [
    "VPDQ_DISTANCE_THRESHOLD",
    "VPDQ_QUALITY_THRESHOLD",
    "VPDQ_QUERY_MATCH_THRESHOLD_PERCENT",
    "VideoMatch",
    "VpdqIndex",
    "match_vpdq",
    "prepare_frames",
]

VPDQ_QUALITY_THRESHOLD = 50
VPDQ_DISTANCE_THRESHOLD = 31
VPDQ_QUERY_MATCH_THRESHOLD_PERCENT = 80.0
VPDQ_INDEX_MATCH_THRESHOLD_PERCENT = 0.0

Frame = tuple[str, int]
"""One vPDQ frame: (PDQ hex, quality 0..100)."""


@dataclass(frozen=True)
class VideoMatch:
    """How much of the query and of a registered video matched each other, in percent."""

    video_id: int
    query_match_percent: float
    compared_match_percent: float


def prepare_frames(
    frames: Iterable[Frame], quality_threshold: int = VPDQ_QUALITY_THRESHOLD
) -> list[str]:
    """Quality-filter and dedupe frames (as Meta's ``prepare_vpdq_feature``): unique hex, in order.

    Hex is normalised to lower case, so that the same hash written twice counts once.
    """
    seen: set[str] = set()
    out: list[str] = []
    for k, frame in enumerate(frames):
        try:
            pdq_hex, quality = frame
        except (TypeError, ValueError) as exc:
            raise InvalidInput(f"vPDQ frame #{k} must be a (pdq_hex, quality) pair") from exc
        if isinstance(quality, bool) or not isinstance(quality, int | np.integer):
            raise InvalidInput(f"vPDQ frame #{k} has a non-integer quality {quality!r}")
        if not 0 <= int(quality) <= 100:
            raise InvalidInput(f"vPDQ frame #{k} has quality {quality}; expected 0..100")
        parse_hashes(pdq_hex)  # raises InvalidInput on bad hex
        h = pdq_hex.lower()
        if int(quality) >= quality_threshold and h not in seen:
            seen.add(h)
            out.append(h)
    return out


def _matched_rows(a: list[str], b: list[str], distance: int) -> tuple[int, int]:
    """How many of ``a`` have a frame of ``b`` within ``distance``, and vice versa."""
    if not a or not b:
        return 0, 0
    ha, hb = parse_hashes(a), parse_hashes(b)
    d = np.bitwise_count(ha[:, None, :] ^ hb[None, :, :]).sum(axis=2, dtype=np.int32)
    close = d <= distance
    return int(close.any(axis=1).sum()), int(close.any(axis=0).sum())


def match_vpdq(
    query: Iterable[Frame],
    compared: Iterable[Frame],
    *,
    quality_threshold: int = VPDQ_QUALITY_THRESHOLD,
    distance_threshold: int = VPDQ_DISTANCE_THRESHOLD,
) -> tuple[float, float]:
    """(query match %, compared match %) of two videos by brute force, as Meta's brute matcher.

    A video with no frame left after the quality filter matches 0 %.
    """
    q = prepare_frames(query, quality_threshold)
    c = prepare_frames(compared, quality_threshold)
    q_hit, c_hit = _matched_rows(q, c, distance_threshold)
    return (
        100.0 * q_hit / len(q) if q else 0.0,
        100.0 * c_hit / len(c) if c else 0.0,
    )


class VpdqIndex:
    """Registered videos (int64 ids), searchable by a query video's frames."""

    def __init__(self, *, quality_threshold: int = VPDQ_QUALITY_THRESHOLD) -> None:
        self.quality_threshold = quality_threshold
        self._frames = PdqIndex()  # frame id -> unique frame hash
        self._frame_id: dict[str, int] = {}
        self._frame_hex: dict[int, str] = {}
        self._frame_videos: dict[int, set[int]] = {}
        self._video_frames: dict[int, list[int]] = {}
        self._next_frame_id = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        """Number of registered videos."""
        return len(self._video_frames)

    def add(self, video_id: int, frames: Iterable[Frame]) -> None:
        """Register (or replace) a video. ``InvalidInput`` if no frame passes the quality filter."""
        hexes = prepare_frames(frames, self.quality_threshold)
        if not hexes:
            raise InvalidInput(
                f"video {video_id} has no frame of quality >= {self.quality_threshold}; "
                "it cannot be matched reliably and is not indexed"
            )
        with self._lock:
            self._remove_one(video_id)
            new_ids: list[int] = []
            new_hex: list[str] = []
            frame_ids = []
            for h in hexes:
                fid = self._frame_id.get(h)
                if fid is None:
                    fid = self._next_frame_id
                    self._next_frame_id += 1
                    self._frame_id[h] = fid
                    self._frame_hex[fid] = h
                    self._frame_videos[fid] = set()
                    new_ids.append(fid)
                    new_hex.append(h)
                self._frame_videos[fid].add(video_id)
                frame_ids.append(fid)
            if new_ids:
                self._frames.add(new_ids, new_hex)
            self._video_frames[video_id] = frame_ids

    def remove(self, video_id: int) -> bool:
        """Unregister a video; False if it was not registered."""
        with self._lock:
            return self._remove_one(video_id)

    def _remove_one(self, video_id: int) -> bool:
        frame_ids = self._video_frames.pop(video_id, None)
        if frame_ids is None:
            return False
        orphans = []
        for fid in frame_ids:
            holders = self._frame_videos[fid]
            holders.discard(video_id)
            if not holders:
                orphans.append(fid)
                del self._frame_videos[fid]
        if orphans:
            self._frames.remove(orphans)
            for fid in orphans:
                del self._frame_id[self._frame_hex.pop(fid)]
        return True

    def query(
        self,
        frames: Iterable[Frame],
        *,
        distance_threshold: int = VPDQ_DISTANCE_THRESHOLD,
        query_match_threshold_pct: float = VPDQ_QUERY_MATCH_THRESHOLD_PERCENT,
        index_match_threshold_pct: float = VPDQ_INDEX_MATCH_THRESHOLD_PERCENT,
    ) -> list[VideoMatch]:
        """Registered videos that match the query enough in both directions, best first."""
        if not 0 <= distance_threshold <= MAX_THRESHOLD:
            raise InvalidInput(f"distance_threshold must be between 0 and {MAX_THRESHOLD}")
        hexes = prepare_frames(frames, self.quality_threshold)
        if not hexes:
            return []
        with self._lock:
            qi, fids, _ = self._frames.search_arrays(hexes, distance_threshold)
            query_hits: dict[int, set[int]] = {}
            video_hits: dict[int, set[int]] = {}
            for q, fid in zip(qi.tolist(), fids.tolist(), strict=True):
                for vid in self._frame_videos[fid]:
                    query_hits.setdefault(vid, set()).add(q)
                    video_hits.setdefault(vid, set()).add(fid)
            out = []
            for vid, qs in query_hits.items():
                q_pct = 100.0 * len(qs) / len(hexes)
                c_pct = 100.0 * len(video_hits[vid]) / len(self._video_frames[vid])
                if q_pct >= query_match_threshold_pct and c_pct >= index_match_threshold_pct:
                    out.append(VideoMatch(vid, q_pct, c_pct))
        out.sort(key=lambda m: (-m.query_match_percent, -m.compared_match_percent, m.video_id))
        return out
