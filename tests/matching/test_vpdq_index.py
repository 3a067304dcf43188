"""vPDQ matching: the frame-index search equals the brute-force matcher and Meta's own."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from threatexchange.extensions.vpdq.vpdq_brute_matcher import match_VPDQ_hash_brute
from threatexchange.extensions.vpdq.vpdq_util import VpdqCompactFeature

from jikimi.errors import InvalidInput
from jikimi.matching.vpdq_match import VpdqIndex, match_vpdq, prepare_frames


def near(rng: np.random.Generator, centre: bytes, flips: int) -> str:
    u8 = bytearray(centre)
    for b in rng.choice(256, flips, replace=False):
        u8[b // 8] ^= 1 << (b % 8)
    return bytes(u8).hex()


def make_videos(seed: int, count: int) -> list[list[tuple[str, int]]]:
    """Videos drawn from a few shared scenes, so that frames match across videos."""
    rng = np.random.default_rng(seed)
    scenes = [rng.bytes(32) for _ in range(6)]
    videos = []
    for _ in range(count):
        frames = []
        for _ in range(int(rng.integers(1, 12))):
            scene = scenes[int(rng.integers(0, len(scenes)))]
            frames.append((near(rng, scene, int(rng.integers(0, 40))), int(rng.integers(0, 101))))
        if rng.random() < 0.3 and frames:
            frames.append(frames[0])  # a repeated frame counts once
        videos.append(frames)
    return videos


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10_000))
def test_index_equals_brute_force_and_meta(seed: int) -> None:
    videos = make_videos(seed, 8)
    index = VpdqIndex()
    registered = {}
    for vid, frames in enumerate(videos[:6]):
        if prepare_frames(frames):
            index.add(vid, frames)
            registered[vid] = frames
    if 2 in registered:  # removal keeps shared frames of other videos
        index.remove(2)
        del registered[2]
    for query in videos[5:]:
        if not prepare_frames(query):
            assert index.query(query, query_match_threshold_pct=0.0) == []
            continue
        got = {
            m.video_id: (m.query_match_percent, m.compared_match_percent)
            for m in index.query(query, query_match_threshold_pct=0.0)
        }
        for vid, frames in registered.items():
            q_pct, c_pct = match_vpdq(query, frames)
            if q_pct > 0:
                assert got[vid] == pytest.approx((q_pct, c_pct))
            else:
                assert vid not in got
            meta = match_VPDQ_hash_brute(
                [VpdqCompactFeature(h, q, 0.0) for h, q in query],
                [VpdqCompactFeature(h, q, 0.0) for h, q in frames],
                50,
                31,
            )
            assert (q_pct, c_pct) == pytest.approx(
                (meta.query_match_percent, meta.compared_match_percent)
            )


def test_default_thresholds_and_bad_frames() -> None:
    frames = [("00" * 32, 100), ("ff" * 32, 90), ("0f" * 32, 10)]
    index = VpdqIndex()
    index.add(1, frames)
    assert [m.video_id for m in index.query(frames[:2])] == [1]
    assert index.query([("00" * 32, 100), ("aa" * 32, 100)]) == []  # 50 % < 80 %
    with pytest.raises(InvalidInput, match="no frame of quality"):
        index.add(2, [("00" * 32, 10)])
    with pytest.raises(InvalidInput, match="quality"):
        index.add(2, [("00" * 32, 101)])
    with pytest.raises(InvalidInput, match="hex"):
        index.add(2, [("zz" * 32, 100)])
    with pytest.raises(InvalidInput, match="pair"):
        index.add(2, ["00" * 32])  # type: ignore[list-item]
    assert index.remove(1) and not index.remove(1) and len(index) == 0
