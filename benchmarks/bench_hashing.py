"""Hashing speed, decode included: jikimi vs plain pdqhash vs python-threatexchange's PdqSignal.

Benign generated scenes encoded as JPEG at phone size (4000x3000, 12 MP) and web size
(1152x864, ~1 MP). Every method starts from the file's bytes. Also measures how far a more
aggressive JPEG draft (decode straight to >= 512 px) lands from the reference on the PDQ
reference images, to decide whether jikimi may use it, and how far the scan path's hashes
(luma decode, window PDQ) land from the exact ones on real photographs (``--corpus``: the
PDQ reference images and Debian's wallpapers, see bench_robustness.py).

    .venv/bin/python benchmarks/bench_hashing.py [--phone 6] [--web 40] [--repeat 5] [--corpus 300]
"""

from __future__ import annotations

import argparse
import csv
import io
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pdqhash
from PIL import Image
from threatexchange.signal_type.pdq.signal import PdqSignal

from jikimi.hashing import ImageFingerprints, fingerprint_bytes, hamming_distance
from jikimi.hashing.pdq import bits_to_hex, hash_array, rgb_array
from jikimi.hashing.regions import CENTRE_WINDOW, KEEP_WINDOWS, query_regions, window_box
from jikimi.matching import media_lookups

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
PHOTO_DIRS = (SHARED / "pdq-reference" / "images", Path("/usr/share/backgrounds"),
              Path("/usr/share/wallpapers"))


def scene(seed: int, size: tuple[int, int]) -> Image.Image:
    """A benign scene: gradient, random rectangles and ellipses, noise (drawn small, upscaled)."""
    from PIL import ImageDraw

    rng = np.random.default_rng(seed)
    w, h = size[0] // 4, size[1] // 4
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    c0, c1 = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
    t = (x / w + y / h) / 2
    img = Image.fromarray((c0 * (1 - t[..., None]) + c1 * t[..., None]).astype(np.uint8), "RGB")
    d = ImageDraw.Draw(img)
    for _ in range(10):
        x0, y0 = int(rng.integers(0, w)), int(rng.integers(0, h))
        box = (x0, y0, x0 + int(rng.integers(8, w // 2)), y0 + int(rng.integers(8, h // 2)))
        fill = tuple(int(v) for v in rng.integers(0, 256, 3))
        (d.ellipse if rng.random() < 0.5 else d.rectangle)(box, fill=fill)
    big = np.asarray(img.resize(size, Image.Resampling.BICUBIC), dtype=np.int16)
    big = big + rng.integers(-8, 9, big.shape, dtype=np.int16)
    return Image.fromarray(np.clip(big, 0, 255).astype(np.uint8), "RGB")


def jpeg_bytes(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90)
    return buf.getvalue()


def jikimi_full(data: bytes) -> str:
    fp = fingerprint_bytes(data)
    return str(getattr(fp, "pdq", ""))


def reference_pipeline(data: bytes) -> str:
    img = Image.open(io.BytesIO(data))
    img.thumbnail((512, 512))
    bits, _ = pdqhash.compute(np.asarray(img.convert("RGB")))
    return bits_to_hex(bits)


def aggressive_draft(data: bytes) -> str:
    img = Image.open(io.BytesIO(data))
    img.draft("RGB", (512, 512))
    img.thumbnail((512, 512))
    bits, _ = pdqhash.compute(np.asarray(img.convert("RGB")))
    return bits_to_hex(bits)


def plain_full_image(data: bytes) -> str:
    img = Image.open(io.BytesIO(data)).convert("RGB")
    bits, _ = pdqhash.compute(np.asarray(img))
    return bits_to_hex(bits)


def threatexchange_signal(data: bytes) -> str:
    return str(PdqSignal.hash_from_bytes(data))


def jikimi_scan_path(data: bytes) -> str:
    """What every door does with found media: fingerprints and lookups (PDQ and its DCT
    dihedral in one pass, frames looked for, region hashes, SHA-256, MD5)."""
    fp, _lookups = media_lookups(data)
    return str(getattr(fp, "pdq", ""))


METHODS: dict[str, Callable[[bytes], str]] = {
    "jikimi scan path (matching.media_lookups)": jikimi_scan_path,
    "jikimi fingerprint_bytes (PDQ + 8 dihedral + SHA-256 + MD5)": jikimi_full,
    "reference pipeline (thumbnail 512, pdqhash)": reference_pipeline,
    "aggressive JPEG draft to 512 (not used)": aggressive_draft,
    "plain pdqhash on the full image": plain_full_image,
    "python-threatexchange PdqSignal.hash_from_bytes": threatexchange_signal,
}


def interleaved(methods: dict[str, Callable[[bytes], str]], files: list[bytes], rounds: int
                ) -> dict[str, list[float]]:
    """Images per second of each method over ``rounds`` rounds; in each round every method
    runs once over all files, in an order that rotates, so that load on the machine falls on
    all methods alike."""
    names = list(methods)
    rates: dict[str, list[float]] = {n: [] for n in names}
    for r in range(rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:
            start = time.perf_counter()
            for data in files:
                methods[name](data)
            rates[name].append(len(files) / (time.perf_counter() - start))
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phone", type=int, default=6)
    parser.add_argument("--web", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=5, help="interleaved rounds")
    parser.add_argument("--corpus", type=int, default=300,
                        help="JPEG photographs for the agreement check (0: skip)")
    args = parser.parse_args()
    sets = {
        "phone 12 MP JPEG": [jpeg_bytes(scene(s, (4000, 3000))) for s in range(args.phone)],
        "web ~1 MP JPEG": [jpeg_bytes(scene(100 + s, (1152, 864))) for s in range(args.web)],
    }
    print(f"{args.repeat} interleaved rounds; images/s as median (min-max)\n")
    print(f"| method | {' | '.join(f'{k} (images/s)' for k in sets)} | max bits from reference |")
    print(f"|---|{'---:|' * len(sets)}---:|")
    results = {k: interleaved(METHODS, files, args.repeat) for k, files in sets.items()}
    for name, fn in METHODS.items():
        cells = []
        for k in sets:
            r = sorted(results[k][name])
            cells.append(f"{statistics.median(r):.1f} ({r[0]:.1f}-{r[-1]:.1f})")
        hashes = [(fn(d), reference_pipeline(d)) for files in sets.values() for d in files]
        worst = max((hamming_distance(a, b) for a, b in hashes if a), default=0)
        empty = sum(1 for a, _ in hashes if not a)
        note = f" ({empty} files gave no hash)" if empty else ""
        print(f"| {name} | {' | '.join(cells)} | {worst}{note} |")
    print()
    for k in sets:
        ratio = sorted(a / b for a, b in zip(results[k][next(iter(METHODS))],
                                             results[k]["reference pipeline (thumbnail 512, "
                                                        "pdqhash)"], strict=True))
        print(f"scan path / reference, {k}: median {statistics.median(ratio):.2f}x "
              f"(rounds {ratio[0]:.2f}-{ratio[-1]:.2f}x)")
    print()

    rows = list(csv.DictReader((SHARED / "pdq-reference" / "expected.csv").open()))
    jpegs = [r for r in rows if r["path"].endswith(".jpg")]
    diffs = [
        hamming_distance(aggressive_draft((SHARED / "pdq-reference" / r["path"]).read_bytes()),
                         r["pdq_hex"])
        for r in jpegs
    ]  # fmt: skip
    exact = sum(
        jikimi_full((SHARED / "pdq-reference" / r["path"]).read_bytes()) == r["pdq_hex"]
        for r in rows
    )
    print()
    print(f"PDQ reference images: jikimi bit-exact on {exact}/{len(rows)}; aggressive draft "
          f"differs on {sum(d > 0 for d in diffs)}/{len(jpegs)} JPEGs (max {max(diffs)} bits); "
          "see the last column above for phone photos.")  # fmt: skip
    if args.corpus:
        agreement(args.corpus)


def _summary(values: list[int]) -> str:
    if not values:
        return "none"
    v = np.asarray(values)
    return (f"median {np.median(v):.0f}, mean {v.mean():.2f}, 99th percentile "
            f"{np.percentile(v, 99):.0f}, max {v.max()}; equal on {int((v == 0).sum())}/{len(v)}")


def agreement(limit: int) -> None:
    """How far the scan path's hashes are from the exact ones, on real JPEG photographs.

    - window PDQ vs pdqhash: the 7 lookup windows of the reference thumbnail hashed by
      ``jikimi.hashing.window_pdq`` (through ``query_regions``) and by ``pdqhash.compute`` of
      the cropped pixels (how registrations hash them);
    - scan path vs exact: ``media_lookups`` (luma decode + window PDQ) against
      ``fingerprint_bytes`` (the reference pipeline) for the picture's PDQ and its dihedral
      hashes, and against pdqhash of the windows of the reference thumbnail.
    Reliable hashes (quality >= 50), and the windows of quality 20-49 apart (a region hit of
    that quality counts within 20 bits)."""
    files = sorted(p for d in PHOTO_DIRS if d.exists() for p in d.rglob("*")
                   if p.suffix.lower() in (".jpg", ".jpeg"))
    step = max(1, len(files) // limit)
    files = files[::step][:limit]
    windows = [*KEEP_WINDOWS, ("centre70", CENTRE_WINDOW)]
    algo: list[int] = []
    algo_low: list[int] = []
    path_windows: list[int] = []
    path_low: list[int] = []
    whole: list[int] = []
    dihedral: list[int] = []
    quality: list[int] = []
    for path in files:
        data = path.read_bytes()
        exact = fingerprint_bytes(data)
        found, _ = media_lookups(data)
        if not isinstance(exact, ImageFingerprints) or not isinstance(found, ImageFingerprints):
            continue
        if exact.reliable:
            whole.append(hamming_distance(exact.pdq, found.pdq))
            dihedral += [hamming_distance(a, b) for a, b in zip(exact.dihedral, found.dihedral,
                                                                 strict=True)]
            quality.append(abs(exact.quality - found.quality))
        img = Image.open(io.BytesIO(data))
        img.thumbnail((512, 512))
        rgb = rgb_array(img)
        h, w = rgb.shape[:2]
        fast = query_regions(rgb)
        for (_name, window), by_window, by_path in zip(windows, fast, found.region_lookups,
                                                       strict=True):
            left, top, right, bottom = window_box((w, h), window)
            reference = hash_array(np.ascontiguousarray(rgb[top:bottom, left:right]))
            if reference.reliable:
                algo.append(hamming_distance(reference.hex, by_window.hex))
                path_windows.append(hamming_distance(reference.hex, by_path.hex))
            elif reference.quality >= 20:  # region hits of quality 20-49 count within 20 bits
                algo_low.append(hamming_distance(reference.hex, by_window.hex))
                path_low.append(hamming_distance(reference.hex, by_path.hex))
    print(f"\nAgreement on {len(files)} JPEG photographs (bits; reliable hashes only):")
    print(f"- window PDQ vs pdqhash, same thumbnail, 7 windows each: {_summary(algo)}")
    print(f"- scan path vs exact, picture's PDQ: {_summary(whole)}")
    print(f"- scan path vs exact, 8 dihedral hashes: {_summary(dihedral)}")
    print(f"- scan path vs exact, 7 windows: {_summary(path_windows)}")
    print(f"- scan path vs exact, quality (points): {_summary(quality)}")
    print(f"- windows of quality 20-49, window PDQ vs pdqhash: {_summary(algo_low)}")
    print(f"- windows of quality 20-49, scan path vs exact: {_summary(path_low)}")


if __name__ == "__main__":
    main()
