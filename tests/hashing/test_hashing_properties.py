"""Property tests for the pure parts: distances, hex round-trips, vPDQ comparison, variants."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from jikimi.hashing import VideoFrameHash, compare_vpdq, hamming_distance
from jikimi.hashing.pdq import bits_to_hex, parse_hex
from jikimi.hashing.variants import crop_box, frame_box

hashes = st.integers(min_value=0, max_value=2**256 - 1).map(lambda v: f"{v:064x}")


@given(hashes, hashes, hashes)
def test_hamming_distance_is_a_metric(a: str, b: str, c: str) -> None:
    assert hamming_distance(a, a) == 0
    assert hamming_distance(a, b) == hamming_distance(b, a)
    assert 0 <= hamming_distance(a, b) <= 256
    assert hamming_distance(a, c) <= hamming_distance(a, b) + hamming_distance(b, c)
    assert hamming_distance(a.upper(), b) == hamming_distance(a, b)


@given(hashes, st.sets(st.integers(0, 255), max_size=40))
def test_flipping_k_bits_gives_distance_k(a: str, positions: set[int]) -> None:
    flipped = parse_hex(a)
    for p in positions:
        flipped ^= 1 << p
    assert hamming_distance(a, f"{flipped:064x}") == len(positions)


@given(st.lists(st.integers(0, 1), min_size=256, max_size=256))
def test_bits_to_hex_round_trips(bits: list[int]) -> None:
    hex_ = bits_to_hex(np.array(bits))
    assert len(hex_) == 64 and hex_ == hex_.lower()
    value = parse_hex(hex_)
    assert [(value >> (255 - i)) & 1 for i in range(256)] == bits  # first bit most significant


@pytest.mark.parametrize("bad", ["", "0" * 63, "0" * 65, "g" * 64, " " + "0" * 63])
def test_malformed_hashes_are_rejected(bad: str) -> None:
    with pytest.raises(ValueError):
        hamming_distance(bad, "0" * 64)


frames = st.lists(
    st.builds(
        VideoFrameHash,
        frame=st.integers(0, 1000),
        timestamp=st.floats(0, 100),
        quality=st.integers(0, 100),
        pdq=st.sampled_from([f"{v:064x}" for v in (0, 1, 3, 2**255, 2**256 - 1, 0xFFFF << 100)])
        | hashes,
    ),
    max_size=12,
)


@settings(max_examples=200)
@given(frames, frames, st.integers(0, 256), st.integers(0, 101))
def test_vpdq_comparison_is_symmetric_and_bounded(
    a: list[VideoFrameHash], b: list[VideoFrameHash], distance: int, quality: int
) -> None:
    ab = compare_vpdq(a, b, distance_threshold=distance, quality_threshold=quality)
    ba = compare_vpdq(b, a, distance_threshold=distance, quality_threshold=quality)
    assert (ab.query_match_percent, ab.target_match_percent) == (
        ba.target_match_percent,
        ba.query_match_percent,
    )
    assert 0 <= ab.query_match_percent <= 100 and 0 <= ab.target_match_percent <= 100


@given(frames)
def test_vpdq_of_itself_is_full_unless_all_low_quality(a: list[VideoFrameHash]) -> None:
    m = compare_vpdq(a, a)
    if any(f.quality >= 50 for f in a):
        assert m.query_match_percent == m.target_match_percent == 100.0
    else:
        assert m.query_match_percent == m.target_match_percent == 0.0


def test_vpdq_duplicates_and_low_quality_are_ignored() -> None:
    good, other = "0" * 64, "f" * 64
    q = [VideoFrameHash(0, 0.0, 100, good), VideoFrameHash(1, 1.0, 100, good),
         VideoFrameHash(2, 2.0, 10, other)]  # fmt: skip
    t = [VideoFrameHash(0, 0.0, 90, good), VideoFrameHash(1, 1.0, 90, other)]
    m = compare_vpdq(q, t)
    assert m.query_match_percent == 100.0  # the duplicate counts once, the flat frame not at all
    assert m.target_match_percent == 50.0
    assert m.is_match()


@given(st.integers(1, 2000), st.integers(1, 2000), st.integers(0, 99))
def test_crop_box_is_centred_and_inside(w: int, h: int, p: int) -> None:
    left, top, right, bottom = crop_box((w, h), p)
    assert 0 <= left <= right <= w and 0 <= top <= bottom <= h
    assert left == w - right and top == h - bottom


@settings(max_examples=40, deadline=None)
@given(
    st.integers(64, 300), st.integers(64, 300), st.integers(0, 40), st.integers(0, 40),
    st.integers(0, 40), st.integers(0, 40), st.integers(0, 255),
)  # fmt: skip
def test_frame_box_finds_a_solid_border_around_noise(
    w: int, h: int, left: int, top: int, right: int, bottom: int, colour: int
) -> None:
    rng = np.random.default_rng(w * 1000 + h)
    content = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    canvas = np.full((h + top + bottom, w + left + right, 3), colour, dtype=np.uint8)
    canvas[top : top + h, left : left + w] = content
    box = frame_box(Image.fromarray(canvas))
    W, H = canvas.shape[1], canvas.shape[0]
    if box is None:  # only when the border is too thin to bother
        assert (w * h) * 100 > 97 * W * H
    else:
        assert box == (left, top, left + w, top + h)
