"""Window PDQ for lookups (jikimi.hashing.window_pdq) against pdqhash, and the lookup path's
luma decode against the reference pipeline."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pdqhash
import pytest
from hashing_media import PDQ_REFERENCE, encode, scene
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageOps

from jikimi.hashing import ImageFingerprints, fingerprint_bytes, hamming_distance
from jikimi.hashing.fingerprints import _thumbnail_size
from jikimi.hashing.pdq import dihedral_hashes, hash_array, rgb_array
from jikimi.hashing.regions import (
    CENTRE_WINDOW,
    KEEP_WINDOWS,
    may_have_frame,
    query_regions,
    window_box,
)
from jikimi.hashing.window_pdq import (
    axis_map,
    dihedral_of_luma,
    grey_luma,
    luma_of_rgb,
    pdq_of_luma,
)
from jikimi.matching import media_lookups


def _box1d(values: list[float], full: int) -> list[float]:
    """A literal port of the reference's box1DFloat (running sum, four phases)."""
    n = len(values)
    half = (full + 2) // 2
    out = [0.0] * n
    total, size, ri, li, oi = 0.0, 0, 0, 0, 0
    for _ in range(half - 1):
        total += values[ri]
        size += 1
        ri += 1
    for _ in range(full - half + 1):
        total += values[ri]
        size += 1
        out[oi] = total / size
        ri += 1
        oi += 1
    for _ in range(n - full):
        total += values[ri] - values[li]
        out[oi] = total / size
        li += 1
        ri += 1
        oi += 1
    for _ in range(half - 1):
        total -= values[li]
        size -= 1
        out[oi] = total / size
        li += 1
        oi += 1
    return out


@settings(max_examples=60, deadline=None)
@given(n=st.integers(5, 700), seed=st.integers(0, 2**32 - 1))
def test_axis_map_is_two_box_passes_then_the_reference_samples(n: int, seed: int) -> None:
    values = np.random.default_rng(seed).uniform(0, 255, n).tolist()
    full = (n + 127) // 128
    blurred = _box1d(_box1d(values, full), full)
    expected = [blurred[int((i + 0.5) * n / 64)] for i in range(64)]
    m = axis_map(n)
    got = (m.weights * np.asarray(values)[m.index]).sum(axis=1)
    assert np.allclose(got, expected, rtol=0, atol=1e-9)


def _random_rgb(seed: int, h: int, w: int) -> np.ndarray:
    img = scene(seed, (w, h))
    return rgb_array(img)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), h=st.integers(40, 512), w=st.integers(40, 512),
       box=st.tuples(*[st.floats(0, 0.3)] * 4))
def test_window_pdq_agrees_with_pdqhash_on_the_cropped_pixels(
        seed: int, h: int, w: int, box: tuple[float, float, float, float]) -> None:
    rgb = _random_rgb(seed, h, w)
    left, top = int(box[0] * w), int(box[1] * h)
    right, bottom = w - int(box[2] * w), h - int(box[3] * h)
    crop = np.ascontiguousarray(rgb[top:bottom, left:right])
    expected = hash_array(crop)
    got = pdq_of_luma(luma_of_rgb(rgb)[top:bottom, left:right])
    assert got.quality == expected.quality
    if expected.reliable:  # near-flat hashes may flip on float rounding; they never match alone
        assert hamming_distance(got.hex, expected.hex) <= 2


def test_luma_is_the_reference_float32_luma() -> None:
    rgb = _random_rgb(3, 64, 80)
    px = rgb.astype(np.float32)
    expected = (np.float32(0.299) * px[..., 0] + np.float32(0.587) * px[..., 1]
                + np.float32(0.114) * px[..., 2])
    assert np.array_equal(luma_of_rgb(rgb), expected.astype(np.float64))
    grey = rgb[..., 0]
    assert np.array_equal(grey_luma(grey), luma_of_rgb(np.stack([grey] * 3, axis=-1)))


def test_small_pictures_hash_as_the_reference_does() -> None:
    rgb = _random_rgb(5, 4, 30)
    got = pdq_of_luma(luma_of_rgb(rgb))
    bits, quality = pdqhash.compute(rgb)
    assert (got.hex, got.quality) == ("0" * 64, int(quality)) and not np.any(bits)


def _reference_images() -> list[Path]:
    if not PDQ_REFERENCE.exists():  # pragma: no cover
        pytest.skip("reference data not found at ../shared/data")
    return sorted(p for p in (PDQ_REFERENCE / "images").rglob("*")
                  if p.suffix.lower() in (".jpg", ".png"))


def test_dihedral_and_windows_match_pdqhash_on_the_reference_images() -> None:
    checked = 0
    for path in _reference_images():
        img = Image.open(path)
        img.thumbnail((512, 512))
        rgb = rgb_array(img)
        luma = luma_of_rgb(rgb)
        expected = dihedral_hashes(rgb)
        got = dihedral_of_luma(luma)
        for e, g in zip(expected, got, strict=True):
            assert g.quality == e.quality
            if e.reliable:
                assert g.hex == e.hex, path
        h, w = rgb.shape[:2]
        windows = [*KEEP_WINDOWS, ("centre70", CENTRE_WINDOW)]
        for variant, (name, window) in zip(query_regions(rgb), windows, strict=True):
            left, top, right, bottom = window_box((w, h), window)
            exact = hash_array(np.ascontiguousarray(rgb[top:bottom, left:right]))
            assert variant.name == name and variant.quality == exact.quality
            if exact.reliable:
                assert hamming_distance(variant.hex, exact.hex) <= 2, (path, name)
                checked += 1
    assert checked > 50


@settings(max_examples=80, deadline=None)
@given(w=st.integers(1, 9000), h=st.integers(1, 9000))
def test_thumbnail_size_is_pillows(w: int, h: int) -> None:
    img = Image.new("L", (w, h))
    img.thumbnail((512, 512))
    size = _thumbnail_size((w, h))
    assert (size or (w, h)) == img.size


def _lookup(data: bytes) -> ImageFingerprints:
    fp, _ = media_lookups(data)
    assert isinstance(fp, ImageFingerprints)
    return fp


@pytest.mark.parametrize("size", [(2400, 1800), (1152, 864), (900, 1300), (400, 300)])
def test_lookups_of_a_jpeg_stay_within_a_few_bits_of_the_reference(
        size: tuple[int, int]) -> None:
    data = encode(scene(7, size), "JPEG", quality=85)
    reference = fingerprint_bytes(data)
    assert isinstance(reference, ImageFingerprints)
    fp = _lookup(data)
    assert (fp.sha256, fp.md5, fp.width, fp.height) == (
        reference.sha256, reference.md5, reference.width, reference.height)
    assert hamming_distance(fp.pdq, reference.pdq) <= 4
    assert abs(fp.quality - reference.quality) <= 2
    for a, b in zip(fp.dihedral, reference.dihedral, strict=True):
        assert hamming_distance(a, b) <= 4
    img = Image.open(io.BytesIO(data))
    img.thumbnail((512, 512))
    rgb = rgb_array(img)
    exact = {v.name: v for v in query_regions(rgb)}
    assert [v.name for v in fp.region_lookups] == [v.name for v in exact.values()]
    for v in fp.region_lookups:
        if exact[v.name].reliable:
            assert hamming_distance(v.hex, exact[v.name].hex) <= 6


def test_lookups_of_a_grey_jpeg_are_the_reference_hashes() -> None:
    data = encode(scene(8, (1400, 1000)).convert("L"), "JPEG", quality=90)
    reference = fingerprint_bytes(data)
    assert isinstance(reference, ImageFingerprints)
    fp = _lookup(data)
    assert (fp.pdq, fp.quality, fp.dihedral) == (
        reference.pdq, reference.quality, reference.dihedral)


@pytest.mark.parametrize("fmt,mode", [("PNG", "RGB"), ("JPEG", "CMYK"), ("WEBP", "RGB")])
def test_lookups_of_other_pictures_take_the_reference_thumbnail(fmt: str, mode: str) -> None:
    data = encode(scene(9, (900, 700)).convert(mode), fmt)
    reference = fingerprint_bytes(data)
    assert isinstance(reference, ImageFingerprints)
    fp = _lookup(data)
    assert fp.format == reference.format
    assert hamming_distance(fp.pdq, reference.pdq) <= 2
    assert len(fp.region_lookups) == 7


def test_registration_fingerprints_stay_exact_pdqhash() -> None:
    data = encode(scene(10, (1600, 1200)), "JPEG", quality=80)
    fp = fingerprint_bytes(data, with_variants=True)
    assert isinstance(fp, ImageFingerprints)
    img = Image.open(io.BytesIO(data))
    img.thumbnail((512, 512))
    assert fp.pdq == hash_array(rgb_array(img)).hex
    assert fp.region_lookups == () and fp.unframed == ()


def test_a_bordered_jpeg_is_looked_up_unframed() -> None:
    photo = scene(11, (1000, 750))
    data = encode(ImageOps.expand(photo, border=60, fill=(255, 255, 255)), "JPEG", quality=40)
    fp = _lookup(data)
    assert fp.unframed
    plain = _lookup(encode(photo, "JPEG", quality=90))
    assert min(hamming_distance(v.hex, plain.pdq) for v in fp.unframed) <= 8


def test_the_luma_frame_look_sees_a_border_and_not_noise() -> None:
    rgb = _random_rgb(12, 300, 400)
    framed = np.full((340, 440, 3), 250, dtype=np.uint8)
    framed[20:320, 20:420] = rgb
    assert may_have_frame(luma_of_rgb(framed))
    noise = np.random.default_rng(1).integers(0, 256, (300, 400, 3), dtype=np.uint8)
    assert not may_have_frame(luma_of_rgb(noise))
