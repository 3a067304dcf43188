"""vPDQ: Meta's video fingerprint (a PDQ hash per sampled frame) and its comparison.

Decoding untrusted video is the riskiest thing jikimi does, so it happens in a child process
(:mod:`jikimi.hashing._vpdq_child`) with a wall-clock limit, after ``ffprobe`` has checked the
frame size, frame count and duration (:func:`jikimi.hashing.decode.probe_video`).
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from jikimi.errors import CorruptMedia, MediaTooLarge
from jikimi.hashing.decode import DecodeLimits, MediaFormat, VideoProbe, probe_video
from jikimi.hashing.pdq import LOW_QUALITY_THRESHOLD, MATCH_THRESHOLD, hamming_distance

_CHILD = Path(__file__).with_name("_vpdq_child.py")


@dataclass(frozen=True, slots=True)
class VideoFrameHash:
    """The PDQ hash of one sampled video frame."""

    frame: int
    """Frame number in decoding order, from 0."""
    timestamp: float
    """Seconds from the start, rounded to milliseconds (as Meta's tools write them)."""
    quality: int
    pdq: str

    @property
    def reliable(self) -> bool:
        """False when quality < 50: such frames are skipped by vPDQ comparison."""
        return self.quality >= LOW_QUALITY_THRESHOLD

    def to_json(self) -> dict[str, object]:
        """A JSON-ready dict: ``{frame, timestamp, quality, pdq}``."""
        return {
            "frame": self.frame,
            "timestamp": self.timestamp,
            "quality": self.quality,
            "pdq": self.pdq,
        }


def check_seconds_per_hash(seconds_per_hash: float) -> None:
    """``ValueError`` unless it is a finite number >= 0 (0 means every frame)."""
    if not math.isfinite(seconds_per_hash) or seconds_per_hash < 0:
        raise ValueError("seconds_per_hash must be a finite number >= 0 (0 = every frame)")


def vpdq_frames(
    path: Path, fmt: MediaFormat, limits: DecodeLimits, seconds_per_hash: float
) -> tuple[VideoProbe, tuple[VideoFrameHash, ...]]:
    """Probe ``path``, then hash one frame every ``seconds_per_hash`` seconds in a child process.

    The probe and the hashing share one budget of ``limits.decode_timeout_seconds``.
    """
    check_seconds_per_hash(seconds_per_hash)
    deadline = time.monotonic() + limits.decode_timeout_seconds
    probe = probe_video(path, fmt, limits, limits.decode_timeout_seconds)
    remaining = deadline - time.monotonic()
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    cmd = [sys.executable, "-I", str(_CHILD), str(path), repr(float(seconds_per_hash))]
    try:
        if remaining <= 0:
            raise subprocess.TimeoutExpired(cmd, 0)
        done = subprocess.run(  # noqa: S603 - fixed argv, no shell
            cmd, capture_output=True, timeout=remaining, check=False, env=env
        )
    except subprocess.TimeoutExpired as exc:
        raise MediaTooLarge(
            f"Decoding the {fmt.name} video took longer than "
            f"{limits.decode_timeout_seconds:g} s and was stopped. Try again on a less busy "
            "machine, hash fewer frames (a larger seconds_per_hash), or raise "
            "DecodeLimits.decode_timeout_seconds for this job."
        ) from exc
    if done.returncode != 0:
        detail = done.stderr.decode(errors="replace").strip().splitlines()
        raise CorruptMedia(
            f"The {fmt.name} video cannot be decoded ({detail[-1] if detail else 'no details'}"
            f"; exit status {done.returncode}). It is damaged or incomplete: fetch it again."
        )
    rows = json.loads(done.stdout)
    frames = tuple(VideoFrameHash(int(n), float(ts), int(q), str(h)) for n, ts, q, h in rows)
    if not frames:
        raise CorruptMedia(
            f"No frame of the {fmt.name} video could be decoded. It is damaged: fetch it again."
        )
    return probe, frames


# --- comparison -------------------------------------------------------------------------------
class FrameLike(Protocol):
    """Anything with a PDQ hash and a quality: a VideoFrameHash, a stored row..."""

    @property
    def pdq(self) -> str: ...

    @property
    def quality(self) -> int: ...


@dataclass(frozen=True, slots=True)
class VpdqMatch:
    """How much of each video is found in the other, in percent (0-100)."""

    query_match_percent: float
    target_match_percent: float

    def is_match(self, query_percent: float = 80.0, target_percent: float = 0.0) -> bool:
        """Meta's default decision: >= 80 % of the query's frames found in the target."""
        return (
            self.query_match_percent >= query_percent
            and self.target_match_percent >= target_percent
        )


def _unique_good(frames: Sequence[FrameLike], quality_threshold: int) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for f in frames:
        h = f.pdq.lower()
        if f.quality >= quality_threshold and h not in seen:
            seen.add(h)
            out.append(h)
    return out


def _matched_count(a: list[str], b: list[str], distance_threshold: int) -> int:
    return sum(any(hamming_distance(x, y) <= distance_threshold for y in b) for x in a)


def compare_vpdq(
    query: Sequence[FrameLike],
    target: Sequence[FrameLike],
    *,
    distance_threshold: int = MATCH_THRESHOLD,
    quality_threshold: int = LOW_QUALITY_THRESHOLD,
) -> VpdqMatch:
    """Meta's vPDQ comparison (python-threatexchange's ``match_VPDQ_hash_brute``).

    On each side, frames below ``quality_threshold`` are dropped and the rest de-duplicated by
    hash (the order of python-threatexchange's ``prepare_vpdq_feature``; its brute matcher
    de-duplicates first, which can drop a good frame behind a flat one); then the share of
    one side's frames that are within ``distance_threshold`` bits of some frame of the other
    side, in each direction. A side with no frame left scores 0 (Meta's code divides by zero
    there).
    """
    q = _unique_good(query, quality_threshold)
    t = _unique_good(target, quality_threshold)
    if not q or not t:
        return VpdqMatch(0.0, 0.0)
    return VpdqMatch(
        _matched_count(q, t, distance_threshold) * 100 / len(q),
        _matched_count(t, q, distance_threshold) * 100 / len(t),
    )
