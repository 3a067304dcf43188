"""Where the flat-window rule (jikimi.matching.acceptance) comes from: how close unrelated
pairs of hashes come at each quality floor, and what each (floor, distance) pair would find.

The corpus of ``bench_robustness.py``. ``--registered`` photos of good PDQ quality are
registered as `jikimi banks add` registers them (``fingerprint_bytes(with_variants=True)``,
``entries_for_fingerprints``: PDQ, its variants, the region hashes); every photo of the corpus
(unaltered) and the altered copies of the registered ones (the alterations where flat windows
cost recall) are looked up as every door looks found media up (``media_lookups``). Every
lookup is compared with every registered entry, whatever the qualities, so the numbers cover
the hits the matcher reports as unreliable too. Pairs of a lookup and another photo are the
unrelated pairs.

    .venv/bin/python benchmarks/bench_flat_rule.py [--registered 120] [--workers 2]
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor

import numpy as np
from bench_robustness import (
    ALTERATIONS,
    distinct,
    encode,
    face_photos,
    load_images,
    shrink,
    wallpapers,
)
from PIL import Image

from jikimi import matching
from jikimi.hashing import fingerprint_bytes
from jikimi.matching.acceptance import FLAT_MATCH_DISTANCE, FLAT_QUALITY_FLOOR

FLAT_ALTERATIONS = ("crop 20% (centred)", "crop 15% (one corner)", "crop 7% left + 4% top",
                    "crop 12% right + 8% bottom", "rotate +2.5°", "rotate +5°", "rotate -5°",
                    "rotate +10°", "rotate -8°", "rotate -5° + resize 0.6x",
                    "corner logo (bottom right)", "caption bar over the bottom",
                    "crop 10% (one corner) + resize 0.6x")
SIGNALS = ("pdq", "pdq_region")
Hashes = list[tuple[str, str, str, int]]  # signal, variant, value, quality


def _register(img: Image.Image) -> Hashes:
    fp = fingerprint_bytes(encode(img), with_variants=True)
    return [(e.signal_type, e.variant, e.value, 100 if e.quality is None else e.quality)
            for e in matching.entries_for_fingerprints(fp) if e.signal_type in SIGNALS]


def _look(job: tuple[Image.Image, str | None]) -> Hashes:
    img, alteration = job
    if alteration is not None:
        img = ALTERATIONS[alteration][1](img)
    _fp, lookups = matching.media_lookups(encode(img, 88))
    return [(q.signal_type, q.variant, q.value, 100 if q.quality is None else q.quality)
            for q in lookups if q.signal_type in SIGNALS]


def _bits(values: list[str]) -> np.ndarray:
    return np.unpackbits(np.frombuffer(bytes.fromhex("".join(values)), np.uint8)
                         ).reshape(len(values), 256).astype(bool)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--registered", type=int, default=120)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    started = time.perf_counter()
    photos = [(n, shrink(i)) for n, i in load_images(0) + wallpapers() + face_photos()]
    kept, _dropped, _low = distinct(photos)
    order = np.random.default_rng(14).permutation(len(kept))
    registered = [kept[i] for i in order if kept[i][2]][:args.registered]
    names = [n for n, _i, _ok in registered]
    with ProcessPoolExecutor(args.workers) as pool:
        entries = list(pool.map(_register, [img for _n, img, _ok in registered], chunksize=2))
        jobs = [(img, a) for _n, img, _ok in registered for a in FLAT_ALTERATIONS]
        owners = [n for n, _img, _ok in registered for _a in FLAT_ALTERATIONS]
        jobs += [(img, None) for _n, img, _ok in kept]
        owners += [n for n, _img, _ok in kept]
        looks = list(pool.map(_look, jobs, chunksize=4))
    # all entries of one signal as one bit matrix, with their content and quality
    table: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    for signal in SIGNALS:
        rows = [(c, v, q) for c, hashes in enumerate(entries)
                for s, _var, v, q in hashes if s == signal]
        table[signal] = (_bits([v for _c, v, _q in rows]), np.array([c for c, _v, _q in rows]),
                         np.array([q for _c, _v, q in rows]))
    floors = (0, 10, 15, 20, 25, 30, 50)
    nearest: dict[tuple[str, int], int] = defaultdict(lambda: 256)
    found: dict[tuple[str, int, int], list[bool]] = defaultdict(list)  # alteration, floor, d
    pairs = 0
    for owner, alteration, hashes in zip(owners, [a for _i, a in jobs], looks, strict=True):
        own = names.index(owner) if owner in names else -1
        pairs += len(names) - (own >= 0)
        # per content, per quality floor: the closest lookup/entry pair of each signal
        best = {(s, f): np.full(len(names), 256) for s in SIGNALS for f in floors}
        for signal in SIGNALS:
            bits, content, quality = table[signal]
            mine = [(v, q) for s, _var, v, q in hashes if s == signal]
            if not mine:
                continue
            d = (_bits([v for v, _q in mine])[:, None, :] ^ bits[None, :, :]).sum(axis=2)
            low = np.minimum(np.array([q for _v, q in mine])[:, None], quality[None, :])
            for f in floors:
                masked = np.where(low >= f, d, 256).min(axis=0)
                np.minimum.at(best[(signal, f)], content, masked)
        for (signal, f), b in best.items():
            others = np.delete(b, own) if own >= 0 else b
            nearest[(signal, f)] = min(nearest[(signal, f)], int(others.min()))
        if alteration is not None and own >= 0:
            reliable = bool(best[("pdq", 50)][own] <= 31 or best[("pdq_region", 50)][own] <= 31)
            for f in (15, 20, 25, 30):
                for t in (16, 20, 24, 28):
                    found[(alteration, f, t)].append(
                        reliable or bool(best[("pdq_region", f)][own] <= t))
            found[(alteration, 101, 0)].append(reliable)
    print(f"{len(kept)} distinct pictures, {len(names)} registered; {pairs:,} unrelated pairs "
          f"(every lookup of {len(looks):,} against every other registered photo)\n")
    print("| quality floor (both hashes) | nearest unrelated pair, pdq | pdq_region |")
    print("|---:|---:|---:|")
    for f in floors:
        print(f"| {f} | {nearest[('pdq', f)]} | {nearest[('pdq_region', f)]} |")
    print("\nrecall of the altered copies: quality >= 50 within 31 bits, or region hashes of "
          "quality >= floor within t bits")
    print("| alteration | >= 50 only | " + " | ".join(
        f"{f}/{t}" for f in (15, 20, 25, 30) for t in (16, 20, 24, 28)) + " |")
    print("|---|---:|" + "---:|" * 16)
    for a in FLAT_ALTERATIONS:
        cells = [f"{np.mean(found[(a, f, t)]):.2f}" for f in (15, 20, 25, 30)
                 for t in (16, 20, 24, 28)]
        print(f"| {a} | {np.mean(found[(a, 101, 0)]):.2f} | " + " | ".join(cells) + " |")
    print(f"\nchosen (jikimi.matching.acceptance): quality >= {FLAT_QUALITY_FLOOR} within "
          f"{FLAT_MATCH_DISTANCE} bits ({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
