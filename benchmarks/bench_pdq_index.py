"""PDQ index at threshold 31: jikimi's PdqIndex vs python-threatexchange's PDQIndex vs brute force.

One run prints two tables. Build, snapshot and memory: every contender in its own subprocess,
so that its peak RSS is its own. Query speed: every contender in ONE process, interleaved in
rounds whose order rotates (median and range over the rounds), so that a busy shared machine
slows them alike and the ratios are of one run; the brute-force column is numpy's fastest
form (four contiguous uint64 columns, XOR and popcount into preallocated buffers). In the
first table, "one core" runs are pinned to CPU 0 with faiss/BLAS on one thread, and
threatexchange is also measured with faiss on its default threads (HMA's situation: one
query at a time, faiss free to use every core). Recall is against numpy brute force on the
first ``--recall-queries`` queries (brute force at 10M does ~10 queries/s).

Data: ``random`` = uniform 256-bit hashes; ``clustered`` = families of 10 near-duplicates,
each member 0..8 random bits from its family's centre (real banks hold many edits of one
image). Queries: half are a stored hash (random) or a family centre (clustered) with 0..40
random bits flipped, so that matches sit on both sides of the threshold; half are random.

    .venv/bin/python benchmarks/bench_pdq_index.py --size 1000000 --kind random
    .venv/bin/python benchmarks/bench_pdq_index.py --size 10000000 --kind random --queries 2000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve()
THRESHOLD = 31
REPEAT = 3  # timings: best of three runs


# --- data ------------------------------------------------------------------------------------
def flip_random_bits(u8: np.ndarray, counts: np.ndarray, rng: np.random.Generator) -> None:
    """In place: flip ``counts[i]`` distinct-ish random bits of row ``i`` of a (n, 32) array."""
    rows = np.arange(u8.shape[0])
    for j in range(int(counts.max(initial=0))):
        sel = rows[counts > j]
        pos = rng.integers(0, 256, sel.shape[0])
        u8[sel, pos // 8] ^= (1 << (pos % 8)).astype(np.uint8)


def make_data(size: int, kind: str, queries: int, seed: int, out: Path) -> None:
    rng = np.random.default_rng(seed)
    if kind == "random":
        hashes = rng.integers(0, 256, (size, 32), dtype=np.uint8)
        centres = hashes
    else:
        family = 10
        centres = rng.integers(0, 256, (-(-size // family), 32), dtype=np.uint8)
        hashes = np.repeat(centres, family, axis=0)[:size]
        flip_random_bits(hashes, rng.integers(0, 9, size), rng)
    near = queries // 2
    q = np.empty((queries, 32), dtype=np.uint8)
    q[:near] = centres[rng.integers(0, centres.shape[0], near)]
    flip_random_bits(q[:near], rng.integers(0, 41, near), rng)
    q[near:] = rng.integers(0, 256, (queries - near, 32), dtype=np.uint8)
    q = q[rng.permutation(queries)]
    ids = np.arange(size, dtype=np.int64) * 3 + 1000  # database-like ids, not row numbers
    np.save(out / "hashes.npy", hashes)
    np.save(out / "ids.npy", ids)
    np.save(out / "queries.npy", q)


# --- workers (each in its own process) -------------------------------------------------------
def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def one_core() -> None:
    os.sched_setaffinity(0, {0})
    import faiss

    faiss.omp_set_num_threads(1)


def timed_single(search: Any, queries: list[Any], budget_s: float) -> tuple[float, list[Any]]:
    """Best of ``REPEAT`` runs (the machine is shared), each stopped after its share of budget."""
    best, results = 0.0, []
    for _ in range(REPEAT):
        out = []
        start = time.perf_counter()
        for q in queries:
            out.append(search(q))
            if time.perf_counter() - start > budget_s / REPEAT:
                break
        rate = len(out) / (time.perf_counter() - start)
        if rate > best:
            best, results = rate, out
    return best, results


def timed_batches(search_many: Any, queries: Any, batch: int) -> tuple[float, list[Any]]:
    """Best of ``REPEAT`` runs over every query, ``batch`` queries per call."""
    best, results = 0.0, []
    for _ in range(REPEAT):
        out: list[Any] = []
        start = time.perf_counter()
        for s in range(0, len(queries), batch):
            out.extend(search_many(queries[s : s + batch]))
        best = max(best, len(queries) / (time.perf_counter() - start))
        results = out
    return best, results


def worker_jikimi_build(work: Path, args: argparse.Namespace) -> dict[str, Any]:
    one_core()
    from jikimi.matching.pdq_index import PdqIndex

    hashes = np.load(work / "hashes.npy")
    ids = np.load(work / "ids.npy")
    before = rss_mb()
    start = time.perf_counter()
    index = PdqIndex()
    index.add(ids, hashes)
    build = time.perf_counter() - start
    del hashes, ids
    start = time.perf_counter()
    index.save(work / "jikimi.idx")
    save = time.perf_counter() - start
    seg = index.stats()["segments"][0]
    return {
        "build_s": build,
        "save_s": save,
        "build_peak_mb": peak_mb(),
        "build_peak_over_inputs_mb": peak_mb() - before,
        "index_mb": index.memory_bytes() / 2**20,
        "snapshot_mb": (work / "jikimi.idx").stat().st_size / 2**20,
        "layout": f"{seg['chunks']}x{seg['chunk_bits']} bits",
        "bucket_max": seg["bucket_max"],
        "bucket_mean": seg["bucket_mean"],
    }


def worker_jikimi_query(work: Path, args: argparse.Namespace) -> dict[str, Any]:
    one_core()
    from jikimi.matching.pdq_index import PdqIndex

    queries = np.load(work / "queries.npy")
    base = rss_mb()
    start = time.perf_counter()
    index = PdqIndex.load(work / "jikimi.idx")
    load = time.perf_counter() - start
    loaded_rss = rss_mb() - base
    hexes = [bytes(q).hex() for q in queries]  # callers hold hex strings
    index.search(hexes[0], THRESHOLD)  # warm-up (probe tables)
    single, res = timed_single(lambda h: index.search(h, THRESHOLD), hexes, args.budget)
    batch, bres = timed_batches(lambda qs: index.search_many(qs, THRESHOLD), hexes, args.batch)
    assert bres[: len(res)] == res, "batch and single results differ"
    return {
        "load_s": load,
        "rss_after_load_mb": loaded_rss,
        "query_peak_mb": peak_mb(),
        "single_qps": single,
        "batch_qps": batch,
        "results": [sorted(i for i, _ in r) for r in bres[: args.recall_queries]],
        "matches": sum(len(r) for r in bres),
    }


def worker_te(work: Path, args: argparse.Namespace) -> dict[str, Any]:
    """threatexchange PDQIndex, as HMA builds and calls it (hex strings, one query a time)."""
    import faiss
    from threatexchange.signal_type.pdq.pdq_index import PDQIndex

    default_threads = faiss.omp_get_max_threads()
    hashes = np.load(work / "hashes.npy")
    ids = np.load(work / "ids.npy").tolist()
    queries = [bytes(q).hex() for q in np.load(work / "queries.npy")]
    entries = [bytes(h).hex() for h in hashes]
    del hashes
    before = rss_mb()
    faiss.omp_set_num_threads(1)
    start = time.perf_counter()
    index = PDQIndex(zip(entries, ids, strict=True))
    build = time.perf_counter() - start
    del entries
    out: dict[str, Any] = {
        "build_s": build,
        "build_peak_mb": peak_mb(),
        "build_peak_over_inputs_mb": peak_mb() - before,
    }
    if args.te_snapshot:
        start = time.perf_counter()
        with open(work / "te.pickle", "wb") as f:
            index.serialize(f)
        out["save_s"] = time.perf_counter() - start
        out["snapshot_mb"] = (work / "te.pickle").stat().st_size / 2**20

    def query(h: str) -> list[Any]:
        return list(index.query(h))

    def many(qs: list[str]) -> list[list[int]]:  # the batch API under PDQIndex
        found = index.index.search_with_distance_in_result(qs, THRESHOLD)
        return [[index.local_id_to_entry[i][1] for i, _, _ in found[q]] for q in qs]

    os.sched_setaffinity(0, {0})  # one core, one faiss thread
    query(queries[0])
    single, res = timed_single(query, queries, args.budget)
    out["single_qps"] = single
    out["batch_qps"], bres = timed_batches(many, queries, args.batch)
    out["results"] = [sorted(m.metadata for m in r) for r in res[: args.recall_queries]]
    out["matches"] = sum(len(r) for r in bres)
    os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))  # HMA: default threads
    faiss.omp_set_num_threads(default_threads)
    out["default_threads"] = default_threads
    out["single_qps_default"], _ = timed_single(query, queries, args.budget)
    out["batch_qps_default"], _ = timed_batches(many, queries, args.batch)
    return out


def worker_te_load(work: Path, args: argparse.Namespace) -> dict[str, Any]:
    from threatexchange.signal_type.pdq.pdq_index import PDQIndex

    base = rss_mb()
    start = time.perf_counter()
    with open(work / "te.pickle", "rb") as f:
        PDQIndex.deserialize(f)
    return {"load_s": time.perf_counter() - start, "rss_after_load_mb": rss_mb() - base}


def worker_brute(work: Path, args: argparse.Namespace) -> dict[str, Any]:
    """numpy brute force (the oracle), one core: XOR + popcount over every stored hash."""
    one_core()
    hashes = np.load(work / "hashes.npy").view(np.uint64)
    ids = np.load(work / "ids.npy")
    queries = np.load(work / "queries.npy").view(np.uint64)[: args.recall_queries]
    results = []
    start = time.perf_counter()
    for q in queries:
        d = np.bitwise_count(hashes ^ q).sum(axis=1, dtype=np.uint16)
        results.append(sorted(ids[d <= THRESHOLD].tolist()))
    return {
        "single_qps": len(queries) / (time.perf_counter() - start),
        "query_peak_mb": peak_mb(),
        "results": results,
    }


def brute_columns(hashes_u8: np.ndarray) -> list[np.ndarray]:
    """The stored hashes as four contiguous uint64 columns (column-wise XOR/popcount)."""
    words = hashes_u8.view(np.uint64)
    return [np.ascontiguousarray(words[:, k]) for k in range(4)]


def brute_column_search(columns: list[np.ndarray], ids: np.ndarray, query_u8: np.ndarray,
                        scratch: tuple[np.ndarray, np.ndarray, np.ndarray]) -> list[int]:
    """Brute force as fast as numpy allows: per 64-bit column one XOR and one popcount into
    preallocated buffers, summed in uint8 (a distance fits), no temporaries per query."""
    xored, counted, total = scratch
    q = query_u8.view(np.uint64)
    np.bitwise_xor(columns[0], q[0], out=xored)
    np.bitwise_count(xored, out=total)
    for k in range(1, 4):
        np.bitwise_xor(columns[k], q[k], out=xored)
        np.bitwise_count(xored, out=counted)
        np.add(total, counted, out=total)
    return sorted(ids[total <= THRESHOLD].tolist())


def worker_interleaved(work: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Query speed of every contender in one process, one core, interleaved in rounds (the
    order rotates each round), so that a busy neighbour slows them all alike: medians and
    ranges are comparable, ratios are of one run."""
    one_core()
    from jikimi.matching.pdq_index import PdqIndex

    hashes = np.load(work / "hashes.npy")
    ids = np.load(work / "ids.npy")
    queries = np.load(work / "queries.npy")
    hexes = [bytes(q).hex() for q in queries]
    index = PdqIndex.load(work / "jikimi.idx")
    columns = brute_columns(hashes)
    scratch = (np.empty(len(ids), np.uint64), np.empty(len(ids), np.uint8),
               np.empty(len(ids), np.uint8))
    contenders: dict[str, tuple[Any, int]] = {
        "jikimi": (lambda n: index.search(hexes[n], THRESHOLD), args.round_queries),
        "brute": (lambda n: brute_column_search(columns, ids, queries[n], scratch),
                  max(3, args.round_queries // 50)),
    }
    if "te" not in args.skip_set:
        import faiss
        from threatexchange.signal_type.pdq.pdq_index import PDQIndex

        faiss.omp_set_num_threads(1)
        te_index = PDQIndex(zip([bytes(h).hex() for h in hashes], ids.tolist(), strict=True))
        contenders["te"] = (lambda n: te_index.query(hexes[n]), args.round_queries)
    del hashes
    for search, _count in contenders.values():
        search(0)  # warm-up
    rates: dict[str, list[float]] = {name: [] for name in contenders}
    names = list(contenders)
    offset = 0
    for round_number in range(args.rounds):
        order = names[round_number % len(names):] + names[:round_number % len(names)]
        for name in order:
            search, count = contenders[name]
            start = time.perf_counter()
            for n in range(offset, offset + count):
                search(n % len(hexes))
            rates[name].append(count / (time.perf_counter() - start))
        offset += args.round_queries
    truth = [brute_column_search(columns, ids, queries[n], scratch)
             for n in range(args.recall_queries)]
    return {"rates": rates, "truth": truth}


WORKERS = {
    "interleaved": worker_interleaved,
    "jikimi-build": worker_jikimi_build,
    "jikimi-query": worker_jikimi_query,
    "te": worker_te,
    "te-load": worker_te_load,
    "brute": worker_brute,
}


def run_worker(name: str, work: Path, argv: list[str]) -> dict[str, Any]:
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    if name == "te":
        env.pop("OMP_NUM_THREADS")  # it measures faiss's default threads too
    print(f"  running {name} ...", file=sys.stderr, flush=True)
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, str(HERE), *argv, "--worker", name, "--work", str(work)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"worker {name} failed:\n{proc.stderr}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    print(f"  {name} done in {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)
    return result


def recall(truth: list[list[int]], got: list[list[int]]) -> tuple[float, int]:
    """Recall over the queries both ran, and the number of false matches (must be 0)."""
    found = total = false = 0
    for t, g in zip(truth, got, strict=False):
        ts, gs = set(t), set(g)
        total += len(ts)
        found += len(ts & gs)
        false += len(gs - ts)
    return (found / total if total else 1.0), false


def fmt(v: Any, digits: int = 1) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:,.{digits}f}"
    return str(v)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--size", type=int, default=1_000_000)
    p.add_argument("--kind", choices=["random", "clustered"], default="random")
    p.add_argument("--queries", type=int, default=2000)
    p.add_argument("--batch", type=int, default=256, help="queries per batch call")
    p.add_argument("--recall-queries", type=int, default=100, help="checked against brute force")
    p.add_argument("--budget", type=float, default=30.0, help="max seconds per single-query run")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--skip", default="", help="comma-separated: te,te-load,brute")
    p.add_argument("--te-snapshot", action="store_true", help="also pickle/unpickle TE's index")
    p.add_argument("--work", type=Path, default=None, help="directory for data and snapshots")
    p.add_argument("--rounds", type=int, default=7, help="interleaved rounds")
    p.add_argument("--round-queries", type=int, default=200,
                   help="queries per contender per round (brute force: a fiftieth)")
    p.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = p.parse_args()
    args.skip_set = set(filter(None, args.skip.split(",")))

    if args.worker:
        result = WORKERS[args.worker](args.work, args)
        print(json.dumps(result))
        return

    skip = set(filter(None, args.skip.split(",")))
    with tempfile.TemporaryDirectory(dir=args.work) as tmp:
        work = Path(tmp)
        start = time.perf_counter()
        make_data(args.size, args.kind, args.queries, args.seed, work)
        print(f"data: {time.perf_counter() - start:.0f} s", file=sys.stderr)
        argv = [
            f"--batch={args.batch}",
            f"--recall-queries={args.recall_queries}",
            f"--budget={args.budget}",
            f"--rounds={args.rounds}",
            f"--round-queries={args.round_queries}",
            f"--skip={args.skip}",
            *(["--te-snapshot"] if args.te_snapshot else []),
        ]
        jb = run_worker("jikimi-build", work, argv)
        jq = run_worker("jikimi-query", work, argv)
        te = run_worker("te", work, argv) if "te" not in skip else {}
        tl = (
            run_worker("te-load", work, argv)
            if args.te_snapshot and "te-load" not in skip and te
            else {}
        )
        bf = run_worker("brute", work, argv) if "brute" not in skip else {}
        inter = run_worker("interleaved", work, argv)
        truth = inter["truth"]
    rows: list[tuple[str, list[Any]]] = []

    def row(label: str, *vals: Any) -> None:
        rows.append((label, list(vals)))

    jr = recall(truth, jq["results"]) if truth else (None, None)
    tr = recall(truth, te["results"]) if truth and te else (None, None)
    row("build (s)", jb["build_s"], te.get("build_s"), None, "—")
    row("build peak RSS (MB)", jb["build_peak_mb"], te.get("build_peak_mb"), None, None)
    row(
        "  of which index build (MB)",
        jb["build_peak_over_inputs_mb"],
        te.get("build_peak_over_inputs_mb"),
        None,
        None,
    )
    row("snapshot save (s)", jb["save_s"], te.get("save_s"), None, None)
    row("snapshot size (MB)", jb["snapshot_mb"], te.get("snapshot_mb"), None, None)
    row("restart: load snapshot (s)", jq["load_s"], tl.get("load_s"), None, None)
    row("RSS after load (MB)", jq["rss_after_load_mb"], tl.get("rss_after_load_mb"), None, None)
    row("index arrays (MB)", jb["index_mb"], None, None, args.size * 40 / 2**20)
    row(
        "single queries/s",
        jq["single_qps"],
        te.get("single_qps"),
        te.get("single_qps_default"),
        bf.get("single_qps"),
    )
    row(
        f"batch ({args.batch}) queries/s",
        jq["batch_qps"],
        te.get("batch_qps"),
        te.get("batch_qps_default"),
        None,
    )
    row(
        f"recall vs brute force ({args.recall_queries} q)",
        jr[0],
        tr[0],
        tr[0],
        1.0 if truth else None,
    )
    row("false matches", jr[1], tr[1], tr[1], 0 if truth else None)
    row("matches over all queries", jq["matches"], te.get("matches"), te.get("matches"), None)

    head = [
        "",
        "jikimi PdqIndex (1 core)",
        "threatexchange PDQIndex (1 thread)",
        f"threatexchange PDQIndex (default {te.get('default_threads', '?')} threads)",
        "numpy brute force (1 core)",
    ]
    print(
        f"\n{args.size:,} hashes, {args.kind}, threshold {THRESHOLD}, {args.queries} queries; "
        f"jikimi layout {jb['layout']}, bucket mean {jb['bucket_mean']:.2f} max {jb['bucket_max']}"
    )
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for label, vals in rows:
        digits = 4 if "recall" in label else 1
        print("| " + " | ".join([label, *(fmt(v, digits) for v in vals)]) + " |")
    rates = inter["rates"]
    print(f"\ninterleaved in one process, one core, {args.rounds} rounds ({args.round_queries} "
          "queries per contender per round, brute force a fiftieth): queries/s, median "
          "[min–max]; load average at the end: "
          + " ".join(Path("/proc/loadavg").read_text().split()[:3]))
    print("| contender | median queries/s | range | vs brute force (median ratio) |")
    print("|---|---|---|---|")
    brute_median = float(np.median(rates["brute"]))
    labels = {"jikimi": "jikimi PdqIndex", "te": "threatexchange PDQIndex (1 thread)",
              "brute": "numpy brute force, column-wise XOR/popcount"}
    for name, values in rates.items():
        median = float(np.median(values))
        print(f"| {labels[name]} | {median:,.1f} | {min(values):,.1f}–{max(values):,.1f} "
              f"| {median / brute_median:,.1f}× |")


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parents[1] / "src"))
    main()
