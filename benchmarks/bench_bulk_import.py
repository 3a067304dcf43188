"""Data volume (issue 16): import, first lookup, feed lag, snapshot, start-up and memory.

For each database (SQLite and/or PostgreSQL) this builds an installation in a temporary
directory through the product's own commands and services only: ``jikimi db upgrade``, a
centre, a counsellor, a case with sharing consent and its bank, and a partner key (services).
Then, with ``--servers`` (2) ``jikimi serve`` processes running, each following the change
log on its own, and a thread per server sending lookups of unknown hashes one after another:

1. ``jikimi banks import`` of ``--files`` files of ``--per-file`` random PDQ hashes each into
   the consenting case's bank (each import timed, end to end: the process, the bulk writes,
   the feed's bookkeeping before the commit);
2. right after each import returns: whether the feed is current (``partners.feed_is_current``)
   and the latency of the first ``POST /api/v1/partner/lookup``; then, in every server, how
   long until 100 imported hashes spread over the file (5 bits flipped, one lookup of 100
   fingerprints) all match, then ``--verify`` more imported hashes asked in each; and the
   latency of the other lookups before, during the import and while the servers catch up;
3. ``jikimi worker --once`` writes the snapshot (timed), and the running servers map it
   (time until their private memory drops by half the new rows' size);
4. ``jikimi serve --workers N`` restarted from the snapshot for each ``--workers`` count:
   start-up until every worker answers (and, in-process, ``Matcher.load(mmap=True)``: the
   part of a start that grows with the index), then Rss and Pss of each worker process
   (``/proc/PID/smaps_rollup``) after 300 lookups.

    .venv/bin/python benchmarks/bench_bulk_import.py --files 1 --per-file 1000000 \\
        [--postgres postgresql+psycopg://postgres@127.0.0.1:55432/postgres] [--skip-sqlite]
"""

from __future__ import annotations

import argparse
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx
import numpy as np

HERE = Path(__file__).resolve()
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(ROOT / "src"))

from bench_partner_lookup import consenting_case_bank  # noqa: E402

from jikimi import matching, partners  # noqa: E402
from jikimi.core.actors import cli_actor  # noqa: E402


def cli(env: dict[str, str], *args: str) -> tuple[str, float]:
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "jikimi.cli.app", *args], env=env,
                            capture_output=True, text=True)
    took = time.perf_counter() - started
    if result.returncode:
        raise RuntimeError(f"jikimi {' '.join(args)}: {result.stdout}{result.stderr}")
    return result.stdout, took


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found += [int(x) for x in text]
    return found


def worker_pids(proc: subprocess.Popen[bytes], workers: int) -> list[int]:
    """The processes that serve: the main one (one worker) or uvicorn's worker children
    (multiprocessing's helper processes hold no index and are left out)."""
    if workers == 1:
        return [proc.pid]
    pids = [p for p in children(proc.pid)
            if "jikimi" in Path(f"/proc/{p}/cmdline").read_bytes().decode(errors="replace")
            or "multiprocessing" in Path(f"/proc/{p}/cmdline").read_bytes().decode(
                errors="replace")]
    sized = sorted(pids, key=lambda p: -memory(p)["Rss"])
    return sized[:workers]


def memory(pid: int) -> dict[str, int]:
    """Rss, Pss, Shared_Clean, Private_* of a process in kB (smaps_rollup)."""
    out: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        match = re.match(r"^(\w+):\s+(\d+) kB", line)
        if match:
            out[match.group(1)] = int(match.group(2))
    return out


def serve(env: dict[str, str], port: int, workers: int, log: Path
          ) -> tuple[subprocess.Popen[bytes], float]:
    """Start ``jikimi serve``; returns it and the seconds until every worker answered."""
    command = [sys.executable, "-m", "jikimi.cli.app", "serve", "--port", str(port),
               "--no-migrate", "--workers", str(workers)]
    started = time.perf_counter()
    proc = subprocess.Popen(command, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    while True:
        text = log.read_text()
        ready = text.count("Application startup complete")
        if ready >= workers:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1
                             ).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
        if proc.poll() is not None or time.perf_counter() - started > 1800:
            proc.kill()
            raise RuntimeError(text[-3000:])
        time.sleep(0.05)
    return proc, time.perf_counter() - started


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    proc.wait(300)


def flip(value: str, bits: int, rng: np.random.Generator) -> str:
    number = int(value, 16)
    for bit in rng.choice(256, size=bits, replace=False):
        number ^= 1 << int(bit)
    return f"{number:064x}"


def lookup(client: httpx.Client, value: str) -> tuple[bool, float]:
    started = time.perf_counter()
    answer = client.post("/api/v1/partner/lookup", json={
        "fingerprints": [{"signal_type": "pdq", "value": value}]})
    took = time.perf_counter() - started
    answer.raise_for_status()
    return bool(answer.json()["matched"]), took


def matched_queries(client: httpx.Client, values: list[str]) -> int:
    """How many of up to 100 fingerprints, asked in one lookup, matched."""
    answer = client.post("/api/v1/partner/lookup", json={
        "fingerprints": [{"signal_type": "pdq", "value": value} for value in values]})
    answer.raise_for_status()
    return len({match["query"] for match in answer.json()["matches"]})


TIMEOUT = 60.0
"""Seconds the background lookups wait for an answer (a longer one counts as failed)."""


class Load:
    """Lookups of random (unknown) hashes, one after another, against each server, from
    threads of this process: their latency before, during and after the catch-up."""

    def __init__(self, urls: list[str], key: str) -> None:
        self.samples: list[tuple[int, float, float]] = []  # server, sent at, seconds
        self.failed: list[float] = []  # sent at, of lookups that failed or timed out
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(number, url), daemon=True)
                         for number, url in enumerate(urls)]
        self._key = key
        for thread in self._threads:
            thread.start()

    def _run(self, number: int, url: str) -> None:
        rng = np.random.default_rng(1000 + number)
        with httpx.Client(base_url=url, timeout=TIMEOUT,
                          headers={"Authorization": f"Bearer {self._key}"}) as client:
            while not self._stop.is_set():
                value = rng.integers(0, 256, 32, dtype=np.uint8).tobytes().hex()
                sent = time.perf_counter()
                try:
                    _, took = lookup(client, value)
                except httpx.HTTPError:
                    self.failed.append(sent)
                    continue
                self.samples.append((number, sent, took))
                time.sleep(0.02)

    def window(self, begin: float, end: float) -> str:
        took = np.array([t for _, sent, t in self.samples if begin <= sent < end]) * 1000
        failed = sum(1 for sent in self.failed if begin <= sent < end)
        failures = f"; {failed} failed or timed out ({TIMEOUT:.0f} s)" if failed else ""
        if not took.size:
            return "no lookups" + failures
        return (f"{took.size:,} lookups: p50 {np.median(took):.1f} ms, p99 "
                f"{np.percentile(took, 99):.1f} ms, max {took.max():.0f} ms{failures}")

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(120)


def private_mib(pid: int) -> float:
    mem = memory(pid)
    return (mem.get("Private_Clean", 0) + mem.get("Private_Dirty", 0)) / 1024


def bench(name: str, url: str, directory: Path, args: argparse.Namespace) -> list[str]:
    env, runtime, bank = consenting_case_bank(directory, url)
    if args.product_src:  # the commands (import, serve, worker) from another tree
        env["PYTHONPATH"] = str(Path(args.product_src).resolve())
    with runtime.context(cli_actor("bench")) as ctx:
        key = partners.add_partner(ctx, "Bench Platform", rate_per_minute=100_000).key
    rng = np.random.default_rng(2026)
    rows: list[str] = []
    ports = [free_port() for _ in range(args.servers)]
    servers = [serve(env, port, 1, directory / f"serve-import-{k}.log")[0]
               for k, port in enumerate(ports)]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    clients = [httpx.Client(base_url=u, timeout=600, headers={"Authorization": f"Bearer {key}"})
               for u in urls]
    load = Load(urls, key)
    total = 0
    try:
        for number in range(args.files):
            raw = rng.integers(0, 256, size=(args.per_file, 32), dtype=np.uint8)
            hashes = [row.tobytes().hex() for row in raw]
            listing = directory / f"hashes-{number}.txt"
            listing.write_text("\n".join(hashes) + "\n")
            del raw
            time.sleep(5)  # lookups before the import: the baseline
            load_average = " ".join(Path("/proc/loadavg").read_text().split()[:3])
            began = time.perf_counter()
            out, took = cli(env, "banks", "import", bank, str(listing))
            returned = time.perf_counter()
            first = (lookup(clients[0], flip(hashes[0], 5, rng))[1] if clients
                     else float("nan"))
            with runtime.sessions() as session:
                current = partners.feed_is_current(session)
                counts = partners.feed_counts(session)
            # 100 imported hashes spread over the file (the first and the last included),
            # 5 bits flipped, in one lookup: "visible" once all 100 match in a server
            spread = np.linspace(0, len(hashes) - 1, 100).astype(int)
            probes = [flip(hashes[int(k)], 5, rng) for k in spread]
            some: dict[int, float] = {}
            visible: dict[int, float] = {}
            while len(visible) < len(servers):
                for k, client in enumerate(clients):
                    if k in visible:
                        continue
                    found = matched_queries(client, probes)
                    now = time.perf_counter() - returned
                    if found and k not in some:
                        some[k] = now
                    if found == len(probes):
                        visible[k] = now
                if time.perf_counter() - returned > 1800:
                    raise RuntimeError("the imported hashes never reached the lookups")
                time.sleep(0.05)
            caught_up = returned + max(visible.values(), default=0.0)
            # then a sample of the others, 100 a lookup, in every server
            sample = rng.choice(len(hashes), size=min(args.verify, len(hashes)), replace=False)
            missing = 0
            for client in clients:
                for start in range(0, sample.size, 100):
                    chunk = [flip(hashes[int(k)], 5, rng) for k in sample[start:start + 100]]
                    missing += len(chunk) - matched_queries(client, chunk)
            total += args.per_file
            listing.unlink()
            print(f"{name}: import {number + 1}: {out.strip()} in {took:.1f} s", flush=True)
            rows.append(f"| {name} | import of {args.per_file:,} (total {total:,}) | "
                        f"{took:.1f} s | first lookup {first * 1000:.0f} ms; feed current "
                        f"when the import returned: {'yes' if current else 'NO'} "
                        f"({counts['active_items']:,} items) | load {load_average} |")
            rows.append(f"| {name} | all 100 probes answer in each of {len(servers)} `serve` "
                        f"processes | {', '.join(f'{visible[k]:.1f} s' for k in sorted(visible))}"
                        f" after the import returned | the first probe answered at "
                        f"{', '.join(f'{some[k]:.1f} s' for k in sorted(some))}; then "
                        f"{sample.size:,} more imported hashes asked in each: "
                        f"{missing} not found | |")
            rows.append(f"| {name} | lookups of unknown hashes, {len(servers)} clients, one "
                        f"at a time | before the import: {load.window(began - 5, began)} | "
                        f"during the import: {load.window(began, returned)} | while catching "
                        f"up: {load.window(returned, caught_up)} |")
            for row in rows[-3:]:
                print(row, flush=True)
        before = [private_mib(server.pid) for server in servers]
        out, took = cli(env, "worker", "--once")
        written = time.perf_counter()
        rows.append(f"| {name} | `jikimi worker --once` (snapshot of {total:,}) | {took:.1f} s "
                    f"| {out.strip().splitlines()[-1] if out.strip() else ''} | |")
        print(rows[-1], flush=True)
        # the running servers adopt it: their private copy of the new rows is let go
        adopted: dict[int, float] = {}
        after = before
        while len(adopted) < len(servers) and time.perf_counter() - written < 120:
            after = [private_mib(server.pid) for server in servers]
            for k, (old, new) in enumerate(zip(before, after, strict=True)):
                if k not in adopted and new < old - 0.5 * total * 140 / 2**20:
                    adopted[k] = time.perf_counter() - written
            time.sleep(0.2)
        rows.append(f"| {name} | running `serve` processes map the new snapshot | "
                    f"{', '.join(f'{adopted[k]:.1f} s' for k in sorted(adopted)) or 'not seen'}"
                    f" after the worker returned | private memory per process "
                    f"{', '.join(f'{b:,.0f}' for b in before)} MiB before, "
                    f"{', '.join(f'{a:,.0f}' for a in after)} MiB after | |")
        print(rows[-1], flush=True)
        rows.append(f"| {name} | lookups during the adoption | "
                    f"{load.window(written, written + max(adopted.values(), default=0))} | | |")
        print(rows[-1], flush=True)
    finally:
        load.stop()
        for client in clients:
            client.close()
        for server in servers:
            stop(server)
    for _ in range(2):  # mapping the snapshot in-process: the part of a start that grows
        began = time.perf_counter()
        with runtime.sessions() as session:
            loaded = matching.Matcher.load(directory / "index", session, runtime.keys,
                                           mmap=True)
        mapped = time.perf_counter() - began
    rows.append(f"| {name} | `Matcher.load(mmap=True)` from the snapshot, in-process | "
                f"{mapped:.2f} s | {len(loaded.indexes['pdq']):,} PDQ hashes, snapshot of "
                f"change {loaded.snapshot_seq:,} | |")
    print(rows[-1], flush=True)
    del loaded
    runtime.close()
    sizes = sum(p.stat().st_size for p in (directory / "index").glob("*.index"))
    for workers in args.workers:
        port = free_port()
        proc, started = serve(env, port, workers, directory / f"serve-{workers}.log")
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60,
                              headers={"Authorization": f"Bearer {key}"}) as warm:
                latencies = [lookup(warm, bytes(rng.integers(0, 256, 32, dtype=np.uint8))
                                    .hex())[1] for _ in range(300)]
            pids = worker_pids(proc, workers)
            mems = [memory(pid) for pid in pids]
        finally:
            stop(proc)
        rss = sum(m["Rss"] for m in mems) / 1024
        pss = sum(m["Pss"] for m in mems) / 1024
        private = sum(m.get("Private_Clean", 0) + m.get("Private_Dirty", 0) for m in mems) / 1024
        rows.append(f"| {name} | `serve --workers {workers}` from the snapshot "
                    f"({sizes / 2**20:,.0f} MiB of index files) | start-up {started:.1f} s | "
                    f"Rss {rss:,.0f} MiB, Pss {pss:,.0f} MiB, private {private:,.0f} MiB "
                    f"(all workers) | p50 lookup {np.median(latencies) * 1000:.1f} ms | "
                    f"per worker Rss {', '.join(str(m['Rss'] // 1024) for m in mems)} MiB |")
        print(rows[-1], flush=True)
    return rows


MAP_CHILD = r"""
import os, sys, time
sys.path.insert(0, sys.argv[2])
from jikimi.matching.pdq_index import PdqIndex
began = time.perf_counter()
index = PdqIndex.load(sys.argv[1], mmap=True)
took = time.perf_counter() - began
index.search("0" * 64, 31)
print(f"{took:.3f} {len(index)}", flush=True)
sys.stdin.read()
"""


def map_only(size: int) -> list[str]:
    """A ``size``-hash PDQ index built in-process (random hashes, not through the product's
    import: only the file's size matters here), saved as a snapshot file, then mapped by one
    and by two fresh processes: the load time and their Rss and Pss."""
    from jikimi.matching.pdq_index import PdqIndex

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "pdq.index"
        rng = np.random.default_rng(7)
        index = PdqIndex()
        for start in range(0, size, 1_000_000):
            count = min(1_000_000, size - start)
            index.add(np.arange(start, start + count),
                      rng.integers(0, 256, size=(count, 32), dtype=np.uint8))
        index.compact()
        began = time.perf_counter()
        index.save(path)
        saved = time.perf_counter() - began
        del index
        subprocess.run(["sync"], check=False)
        for count in (1, 2):
            procs = [subprocess.Popen([sys.executable, "-c", MAP_CHILD, str(path),
                                       str(ROOT / "src")], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, text=True) for _ in range(count)]
            loads = [p.stdout.readline().split() for p in procs]  # type: ignore[union-attr]
            mems = [memory(p.pid) for p in procs]
            for p in procs:
                p.communicate("")
            rows.append(
                f"| index file only | {count} process(es) mapping {size:,} hashes "
                f"({path.stat().st_size / 2**20:,.0f} MiB; save took {saved:.1f} s) | load "
                f"{', '.join(f'{float(x[0]):.2f} s' for x in loads)} | Rss "
                f"{sum(m['Rss'] for m in mems) / 1024:,.0f} MiB, Pss "
                f"{sum(m['Pss'] for m in mems) / 1024:,.0f} MiB (all) | |")
            print(rows[-1], flush=True)
    return rows


def tail_only(size: int, tails: list[int], rounds: int = 5) -> list[str]:
    """No database: one query's search time (threshold 31, in-process) on ``size`` random
    hashes in one segment plus k hashes in the brute-forced tail, against the same k built
    into a segment (``fold_tail``), interleaved in rounds; and what the fold costs."""
    from jikimi.matching.pdq_index import PdqIndex

    rng = np.random.default_rng(8)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "base.index"
        base = PdqIndex()
        base.add(np.arange(size), rng.integers(0, 2**64, (size, 4), dtype=np.uint64))
        base.compact()
        base.save(path)
        del base
        queries = rng.integers(0, 2**64, (400, 4), dtype=np.uint64)
        variants: dict[tuple[int, str], PdqIndex] = {}
        folds: dict[int, float] = {}
        for k in tails:
            extra = rng.integers(0, 2**64, (k, 4), dtype=np.uint64)
            for form in ("tail", "segment"):
                index = PdqIndex.load(path, mmap=True)
                index._tail_capacity = max(k, 1)  # keep the k in the tail
                index.add(np.arange(size, size + k), extra)
                if form == "segment":
                    began = time.perf_counter()
                    index.fold_tail()
                    folds[k] = time.perf_counter() - began
                variants[(k, form)] = index
        timings: dict[tuple[int, str], list[float]] = {key: [] for key in variants}
        for _ in range(rounds):
            for key, index in variants.items():
                began = time.perf_counter()
                for q in queries:
                    index.search_arrays(q, 31)
                timings[key].append((time.perf_counter() - began) / len(queries) * 1e6)
        load_average = " ".join(Path("/proc/loadavg").read_text().split()[:3])
        for k in tails:
            tail_us = np.median(timings[(k, "tail")])
            seg_us = np.median(timings[(k, "segment")])
            rows.append(f"| {size:,} + {k:,} | {tail_us:.0f} µs | {seg_us:.0f} µs | "
                        f"{folds[k] * 1000:.1f} ms | {load_average} |")
            print(rows[-1], flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=1)
    parser.add_argument("--per-file", type=int, default=1_000_000)
    parser.add_argument("--workers", type=lambda s: [int(x) for x in s.split(",")],
                        default=[1, 2])
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL server: a fresh "
                        "database is created on it and dropped afterwards")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--servers", type=int, default=2, help="`jikimi serve` processes "
                        "running during the import (each follows the change log)")
    parser.add_argument("--verify", type=int, default=10_000, help="imported hashes asked in "
                        "every server once the probes answer")
    parser.add_argument("--product-src", metavar="DIR", help="run the commands (import, "
                        "serve, worker) from another tree's src, e.g. the code before a change")
    parser.add_argument("--keep", metavar="DIR", help="build in DIR and keep it")
    parser.add_argument("--map-only", type=int, metavar="N", help="no database: time mapping "
                        "a snapshot file of N hashes by 1 and 2 processes, and their memory")
    parser.add_argument("--tail-only", type=int, metavar="N", help="no database: search time "
                        "with hashes in the brute-forced tail of an N-hash index, against "
                        "the same hashes folded into a segment")
    args = parser.parse_args()
    if args.tail_only:
        print("| index + new hashes | search, new ones in the tail | search, new ones folded "
              "into a segment | fold | load average |")
        print("|---|---|---|---|---|")
        tail_only(args.tail_only, [0, 512, 1024, 2048, 4096, 8192, 16384])
        return
    if args.map_only:
        for row in map_only(args.map_only):
            print(row)
        return
    backends: list[tuple[str, str | None]] = []
    if not args.skip_sqlite:
        backends.append(("SQLite", None))
    if args.postgres:
        backends.append(("PostgreSQL", args.postgres))
    rows: list[str] = []
    for name, server in backends:
        with tempfile.TemporaryDirectory(dir=args.keep) as tmp:
            directory = Path(tmp)
            database = None
            admin = ""
            if server is None:
                url = f"sqlite:///{directory / 'jikimi.sqlite3'}"
            else:
                import psycopg

                database = f"bench_bulk_{uuid.uuid4().hex[:8]}"
                admin = server.replace("postgresql+psycopg://", "postgresql://")
                with psycopg.connect(admin, autocommit=True) as conn:
                    conn.execute(f'CREATE DATABASE "{database}"')
                url = server.rsplit("/", 1)[0] + f"/{database}"
            try:
                rows += bench(name, url, directory, args)
            finally:
                if database is not None:
                    import psycopg

                    with psycopg.connect(admin, autocommit=True) as conn:
                        conn.execute(f'DROP DATABASE "{database}" WITH (FORCE)')
    print("\n| database | step | time | result | |")
    print("|---|---|---|---|---|")
    for row in rows:
        print(row)


if __name__ == "__main__":
    main()
