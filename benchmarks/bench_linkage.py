"""Linkage: how long :func:`jikimi.investigation.link` takes for a centre's worth of sightings.

Synthetic sightings (no database): ``n`` items spread over ``n / 50`` channels; a quarter
re-post an earlier item's exact bytes, a quarter a re-encoded copy (PDQ flipped by 0-20 bits),
the rest unique content; every PDQ carries 8 dihedral variants as the scans store them.

Reference in the same run: the obvious way, a union-find over every pair of sightings compared
by SHA-256 and Hamming distance (``O(n²)``), on the sizes where it finishes in reasonable
time; both give the same content groups (checked).

    .venv/bin/python benchmarks/bench_linkage.py
    .venv/bin/python benchmarks/bench_linkage.py --sizes 1000 10000 100000 --brute-max 3000
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import time

from jikimi.investigation import Place, Poster, Sighting, link

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _flip(value: int, rnd: random.Random, bits: int) -> int:
    for b in rnd.sample(range(256), bits):
        value ^= 1 << b
    return value


def sightings(n: int, seed: int = 1) -> list[Sighting]:
    rnd = random.Random(seed)
    channels = [Place(f"telegram:{i}", "telegram", f"channel {i}") for i in range(max(2, n // 50))]
    posters = [Poster(f"telegram:user{i}", f"user {i}") for i in range(max(2, n // 20))]
    out: list[Sighting] = []
    pdqs: list[int] = []
    for i in range(n):
        roll = rnd.random()
        if out and roll < 0.25:
            j = rnd.randrange(len(out))
            sha, pdq = out[j].sha256, pdqs[j]
        elif out and roll < 0.5:
            j = rnd.randrange(len(out))
            sha, pdq = f"{rnd.getrandbits(256):064x}", _flip(pdqs[j], rnd, rnd.randrange(21))
        else:
            sha, pdq = f"{rnd.getrandbits(256):064x}", rnd.getrandbits(256)
        pdqs.append(pdq)
        variants = tuple(f"{_flip(pdq, rnd, 128):064x}" for _ in range(7))
        out.append(Sighting(
            ref=f"v{i}", sha256=sha, place=rnd.choice(channels),
            at=T0 + dt.timedelta(minutes=i), at_kind="posted", locator=f"m{i}",
            pdq=f"{pdq:064x}", pdq_variants=(f"{pdq:064x}", *variants),
            poster=rnd.choice(posters)))
    return out


def brute_groups(items: list[Sighting], threshold: int) -> set[frozenset[str]]:
    parent = list(range(len(items)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    values = [[int(h, 16) for h in (s.pdq or "", *s.pdq_variants)] for s in items]
    for i in range(len(items)):
        for j in range(i + 1, len(items)):
            same = items[i].sha256 == items[j].sha256 or any(
                (v ^ values[j][0]).bit_count() <= threshold for v in values[i]) or any(
                (v ^ values[i][0]).bit_count() <= threshold for v in values[j])
            if same:
                parent[find(i)] = find(j)
    groups: dict[int, set[str]] = {}
    for i, s in enumerate(items):
        groups.setdefault(find(i), set()).add(s.ref)
    return {frozenset(g) for g in groups.values()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 50_000])
    parser.add_argument("--brute-max", type=int, default=2000)
    args = parser.parse_args()
    print(f"{'sightings':>10} {'places':>7} {'contents':>9} {'clusters':>9} "
          f"{'link() s':>9} {'brute force s':>14}")
    for n in args.sizes:
        items = sightings(n)
        start = time.perf_counter()
        result = link(items)
        took = time.perf_counter() - start
        brute = "-"
        if n <= args.brute_max:
            start = time.perf_counter()
            expected = brute_groups(items, 31)
            brute = f"{time.perf_counter() - start:.2f}"
            got = {frozenset(s.ref for s in c.sightings) for c in result.contents}
            assert got == expected, "link() and brute force disagree"
        print(f"{n:>10} {len(result.places):>7} {len(result.contents):>9} "
              f"{len(result.clusters):>9} {took:>9.2f} {brute:>14}")


if __name__ == "__main__":
    main()
