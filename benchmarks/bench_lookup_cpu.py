"""CPU time a serving process spends per partner lookup: robust to a loaded machine.

Wall-clock throughput on a shared machine swings with everyone else's load; the CPU time the
server process itself burns per answered request does not (much). This builds one
installation through the product's own commands and services (as
``bench_partner_lookup.build``: ``jikimi db upgrade``, services, ``jikimi banks import``),
starts one ``jikimi serve`` (one worker) per version under test against the same database,
and drives ``POST /api/v1/partner/lookup`` with Debian's ``wrk`` in interleaved rounds
(version A, B, A, B, ...). Per round: the server's user+system CPU (``/proc/PID/stat``, all its
threads, audit writer and follower included) divided by the requests wrk completed. Reported:
median and range of CPU µs per lookup per version, requests/s in the rounds, and the
in-process ``PdqIndex.search`` CPU µs per query on an index of the same size.

Half the queries are stored hashes with 0-12 bits flipped (they match: entries resolved,
answer built), half random (no match).

    .venv/bin/python benchmarks/bench_lookup_cpu.py --size 100000
    # against the code of another commit (extracted with git archive):
    git archive HEAD~3 src | tar -x -C /tmp/before
    .venv/bin/python benchmarks/bench_lookup_cpu.py --compare before=/tmp/before/src
    # only extracted versions (the working tree holds other people's unfinished changes):
    .venv/bin/python benchmarks/bench_lookup_cpu.py --only-compared \
        --compare before=/tmp/before/src --compare after=/tmp/after/src
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve()
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(ROOT / "src"))

from bench_partner_lookup import (  # noqa: E402
    DOORS,
    LUA,
    build,
    check_answers,
    cpu_seconds,
    flip,
    free_port,
    run_wrk,
    serve,
    stop,
)

from jikimi.matching import PdqIndex  # noqa: E402


def in_process_search_us(size: int, rng: np.random.Generator) -> float:
    raw = rng.integers(0, 256, size=(size, 32), dtype=np.uint8)
    hashes = [row.tobytes().hex() for row in raw]
    index = PdqIndex()
    index.add(list(range(size)), hashes)
    sample = [flip(hashes[i], int(rng.integers(0, 13)), rng) for i in range(1000)] + [
        bytes(rng.integers(0, 256, 32, dtype=np.uint8)).hex() for _ in range(1000)]
    began = time.process_time()
    for query in sample:
        index.search(query, 31)
    return (time.process_time() - began) / len(sample) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--compare", action="append", default=[], metavar="NAME=SRC",
                        help="another version's src directory to serve beside this one")
    parser.add_argument("--only-compared", action="store_true",
                        help="serve only the --compare versions, not this tree's src")
    parser.add_argument("--server-cpus", default="0")
    parser.add_argument("--client-cpus", default="1")
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL server: a fresh "
                        "database is created on it and dropped afterwards")
    args = parser.parse_args()
    rng = np.random.default_rng(2026)
    versions = [] if args.only_compared else [("this tree", str(ROOT / "src"))]
    versions += [tuple(spec.split("=", 1)) for spec in args.compare]  # type: ignore[misc]
    if not versions:
        parser.error("--only-compared needs at least one --compare")
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        database = admin = None
        if args.postgres:
            import psycopg

            database = f"bench_cpu_{uuid.uuid4().hex[:8]}"
            admin = args.postgres.replace("postgresql+psycopg://", "postgresql://")
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{database}"')
            url = args.postgres.rsplit("/", 1)[0] + f"/{database}"
        else:
            url = f"sqlite:///{directory / 'jikimi.sqlite3'}"
        servers = []
        try:
            env, key, hashes, _ = build(directory, url, args.size, rng)
            picks = rng.choice(len(hashes), size=1000, replace=False)
            hits = [flip(hashes[int(i)], int(rng.integers(0, 13)), rng) for i in picks]
            misses = [bytes(rng.integers(0, 256, 32, dtype=np.uint8)).hex()
                      for _ in range(1000)]
            order = rng.permutation(2000)
            queries = [(hits + misses)[int(i)] for i in order]
            expected = [int(i) < len(hits) for i in order]
            script = directory / "lookup.lua"
            path, lua_body, _body = DOORS["lookup"]
            script.write_text(LUA % {"queries": ",".join(f'"{q}"' for q in queries),
                                     "key": key, "path": path, "body": lua_body})
            for name, src in versions:
                port = free_port()
                proc, _ = serve({**env, "PYTHONPATH": src}, port, 1, args.server_cpus,
                                directory / f"serve-{port}.log")
                servers.append((name, port, proc))
                run_wrk(port, script, 2, 4, 1, args.client_cpus)  # warm-up
                wrong = check_answers(port, key, queries[:200], expected[:200])
                if wrong:
                    raise RuntimeError(f"{name}: {wrong} of 200 answers wrong")
            cpu: dict[str, list[float]] = {name: [] for name, _, _ in servers}
            rate: dict[str, list[float]] = {name: [] for name, _, _ in servers}
            for _round in range(args.rounds):
                for name, port, proc in servers:
                    before = cpu_seconds(proc.pid)[0]  # the serving process (its tree)
                    result = run_wrk(port, script, args.seconds, args.connections, 1,
                                     args.client_cpus)
                    used = cpu_seconds(proc.pid)[0] - before
                    errors = (result["non2xx"] + result["connect"] + result["read"]
                              + result["write"] + result["timeout"])
                    if errors:
                        raise RuntimeError(f"{name}: {errors} errors in a round")
                    cpu[name].append(used / result["requests"] * 1e6)
                    rate[name].append(result["requests"] / result["seconds"])
        finally:
            for _name, _port, proc in servers:
                stop(proc)
            if database is not None and admin is not None:
                import psycopg

                with psycopg.connect(admin, autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE "{database}" WITH (FORCE)')
    search = in_process_search_us(args.size, rng)
    backend = "PostgreSQL" if args.postgres else "SQLite"
    print(f"\n{backend}, {args.size:,} shared hashes, {args.rounds} interleaved rounds of "
          f"{args.seconds:.0f} s, wrk -c{args.connections} (server cpus {args.server_cpus}, "
          f"client cpus {args.client_cpus}), load average "
          f"{' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    print("| version | server CPU µs per lookup, median (range) | lookups/s in the rounds, "
          "median (range) | × in-process search |")
    print("|---|---|---|---|")
    for name in cpu:
        med = statistics.median(cpu[name])
        print(f"| {name} | {med:,.0f} ({min(cpu[name]):,.0f}–{max(cpu[name]):,.0f}) | "
              f"{statistics.median(rate[name]):,.0f} ({min(rate[name]):,.0f}–"
              f"{max(rate[name]):,.0f}) | {med / search:.1f}× |")
    print(f"\nin-process PdqIndex.search, same size: {search:,.0f} CPU µs a query")


if __name__ == "__main__":
    main()
