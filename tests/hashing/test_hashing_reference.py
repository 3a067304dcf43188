"""Conformance with Meta's reference PDQ and vPDQ on the vectors in ../shared/data."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hashing_media import PDQ_REFERENCE, VPDQ_REFERENCE

from jikimi.hashing import (
    ImageFingerprints,
    VideoFingerprints,
    VideoFrameHash,
    compare_vpdq,
    fingerprint_bytes,
    fingerprint_file,
    hamming_distance,
    registration_variants,
)

if not PDQ_REFERENCE.exists():  # pragma: no cover
    pytest.skip("reference data not found at ../shared/data", allow_module_level=True)

EXPECTED = list(csv.DictReader((PDQ_REFERENCE / "expected.csv").open()))
DIH = PDQ_REFERENCE / "images" / "reg-test-input" / "dih"


def test_all_reference_images_are_listed() -> None:
    assert len(EXPECTED) == 19


@pytest.mark.parametrize("row", EXPECTED, ids=[r["path"].rsplit("/", 1)[-1] for r in EXPECTED])
def test_pdq_is_bit_exact_with_reference(row: dict[str, str]) -> None:
    fp = fingerprint_file(PDQ_REFERENCE / row["path"])
    assert isinstance(fp, ImageFingerprints)
    assert fp.pdq == row["pdq_hex"]
    assert fp.quality == int(row["quality"])
    assert fp.reliable is (int(row["quality"]) >= 50)
    assert fp.dihedral[0] == fp.pdq and len(fp.dihedral) == 8


def test_bytes_and_file_agree() -> None:
    path = PDQ_REFERENCE / EXPECTED[0]["path"]
    a, b = fingerprint_file(path), fingerprint_bytes(path.read_bytes())
    assert a == b


# bridge files: the same photograph rotated and mirrored, by name -> our variant name
DIHEDRAL_FILES = {
    "bridge-1-original.jpg": "original",
    "bridge-2-rotate-90.jpg": "rot90",
    "bridge-3-rotate-180.jpg": "rot180",
    "bridge-4-rotate-270.jpg": "rot270",
    "bridge-5-flipx.jpg": "flip_v",
    "bridge-6-flipy.jpg": "flip_h",
    "bridge-7-flip-plus-1.jpg": "transpose",
    "bridge-8-flip-minus-1.jpg": "transverse",
}


def test_pdq_dihedral_variants_come_close_to_the_real_transforms() -> None:
    original = fingerprint_file(DIH / "bridge-1-original.jpg")
    assert isinstance(original, ImageFingerprints)
    for i, name in enumerate(DIHEDRAL_FILES):
        real = fingerprint_file(DIH / name)
        assert isinstance(real, ImageFingerprints)
        assert hamming_distance(original.dihedral[i], real.pdq) <= 31, name


def test_registration_variants_match_the_real_transforms_closely() -> None:
    variants = {
        v.name: v for v in registration_variants((DIH / "bridge-1-original.jpg").read_bytes())
    }
    for name, variant in DIHEDRAL_FILES.items():
        real = fingerprint_file(DIH / name)
        assert isinstance(real, ImageFingerprints)
        # physically transformed pixels: within a few bits (PDQ's own variants: up to 18)
        assert hamming_distance(variants[variant].hex, real.pdq) <= 4, name


# --- vPDQ ---------------------------------------------------------------------------------------
VIDEOS = ["pattern-sd-grey-bar", "doorknob-hd-no-bar"]


def _reference_frames(name: str) -> list[VideoFrameHash]:
    rows = [
        line.strip().split(",") for line in (VPDQ_REFERENCE / f"{name}.txt").open() if line.strip()
    ]
    return [VideoFrameHash(int(n), round(float(ts), 3), int(q), h) for n, q, h, ts in rows]


def _check_against_reference(fp: VideoFingerprints, ref: list[VideoFrameHash]) -> None:
    by_ts = {f.timestamp: f for f in ref}
    for frame in fp.frames:
        r = by_ts[frame.timestamp]  # every sampled timestamp is a reference timestamp
        assert frame.frame == r.frame
        if frame.reliable and r.reliable:
            assert hamming_distance(frame.pdq, r.pdq) <= 31, (frame, r)


@pytest.mark.parametrize("name", VIDEOS)
def test_vpdq_every_frame_matches_reference(name: str) -> None:
    ref = _reference_frames(name)
    fp = fingerprint_file(VPDQ_REFERENCE / f"{name}.mp4", seconds_per_hash=0)
    assert isinstance(fp, VideoFingerprints)
    assert len(fp.frames) == len(ref) == fp.frame_count
    assert [f.timestamp for f in fp.frames] == [f.timestamp for f in ref]
    assert [f.frame for f in fp.frames] == [f.frame for f in ref]
    _check_against_reference(fp, ref)
    match = compare_vpdq(fp.frames, ref)
    assert match.query_match_percent == 100.0
    assert match.target_match_percent == 100.0


@pytest.mark.parametrize("name", VIDEOS)
def test_vpdq_default_rate_samples_agree_with_reference(name: str) -> None:
    ref = _reference_frames(name)
    fp = fingerprint_file(VPDQ_REFERENCE / f"{name}.mp4")
    assert isinstance(fp, VideoFingerprints)
    assert fp.seconds_per_hash == 1.0
    assert [f.timestamp for f in fp.frames] == [float(s) for s in range(len(fp.frames))]
    _check_against_reference(fp, ref)
    assert compare_vpdq(fp.frames, ref).query_match_percent == 100.0


def test_vpdq_from_bytes_equals_from_file() -> None:
    path: Path = VPDQ_REFERENCE / "pattern-sd-grey-bar.mp4"
    assert fingerprint_bytes(path.read_bytes()) == fingerprint_file(path)
