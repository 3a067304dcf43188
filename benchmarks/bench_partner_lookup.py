"""Partner lookup over HTTP against a feed of one million shared PDQ hashes.

Builds an installation in a temporary directory (SQLite): one case that consented to sharing,
whose bank holds ``--size`` random PDQ hashes, all in the partner feed (rows inserted in bulk
with SQL: building a million-entry feed item by item is not what is measured here). Starts
``jikimi serve`` in its own process (the in-memory index is built from the database at
start-up, timed), issues a partner key, and drives ``POST /api/v1/partner/lookup`` from an
async httpx loop on 127.0.0.1 with ``--concurrency`` requests in flight, bounded by
``--requests`` and ``--seconds``. Half the queries are stored hashes with 0-12 bits flipped
(they must match), half are random (they must not). Every call is authenticated, rate-limited
and audited, as in production.

References in the same run: the same queries against the same index in-process (no HTTP, no
database: what the service adds), and numpy brute force over all hashes.

    .venv/bin/python benchmarks/bench_partner_lookup.py
    .venv/bin/python benchmarks/bench_partner_lookup.py --size 100000 --requests 500
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

HERE = Path(__file__).resolve()
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sqlalchemy import text  # noqa: E402

from jikimi import accounts, cases, matching, partners  # noqa: E402
from jikimi.cases import ConsentPurpose, IntakeChannel  # noqa: E402
from jikimi.core.actors import Role, cli_actor  # noqa: E402
from jikimi.core.config import Settings  # noqa: E402
from jikimi.core.database import upgrade_database  # noqa: E402
from jikimi.core.runtime import Runtime  # noqa: E402
from jikimi.matching import PdqIndex, brute_force_search  # noqa: E402


def build(directory: Path, size: int, rng: np.random.Generator, url: str
          ) -> tuple[Runtime, list[str]]:
    upgrade_database(url)
    sqlite = url.startswith("sqlite")
    token = "lower(hex(randomblob(12)))" if sqlite else "md5(random()::text || id::text)"
    true = "1" if sqlite else "true"
    runtime = Runtime.open(Settings(data_dir=directory, database_url=url))
    with runtime.context(cli_actor("bench")) as ctx:
        centre = accounts.add_centre(ctx, "서울센터")
        counsellor = accounts.add_user(ctx, "c@bench.invalid", Role.COUNSELLOR, centre).user
        code = cases.open_case(ctx, centre, IntakeChannel.HOTLINE,
                               assign_to=[counsellor.id]).case.code
    with runtime.context(accounts.actor_for(counsellor)) as ctx:
        cases.record_consent(ctx, code, ConsentPurpose.PARTNER_SHARING)
        case_id, code = cases.case_ref(ctx, code)
        bank = matching.create_bank(ctx, f"case-{code}", case=(case_id, code),
                                    owner_kind="case", case_access_checked=True)
    raw = rng.integers(0, 256, size=(size, 32), dtype=np.uint8)
    hashes = [row.tobytes().hex() for row in raw]
    started = time.perf_counter()
    with runtime.sessions() as session, session.begin():
        for start in range(0, size, 50_000):
            session.execute(text(
                "INSERT INTO bank_entries (bank_id, signal_type, value, value_key, quality, "
                "variant, content_id, label, created_at, created_by) VALUES (:b, 'pdq', :v, :k, "
                "100, 'original', :c, '', CURRENT_TIMESTAMP, 'bench')"),
                [{"b": bank.id, "v": h, "k": h, "c": h} for h in hashes[start:start + 50_000]])
        session.execute(text("INSERT INTO bank_changes (entry_id, op, at) SELECT id, 'add', "
                             "created_at FROM bank_entries ORDER BY id"))
        session.execute(text(
            "INSERT INTO partner_feed_items (token, bank_entry_id, case_id, signal_type, value, "
            f"value_key, category, media, active, added_at) SELECT {token}, "
            f"id, :c, 'pdq', value, value_key, 'ncii', 'image', {true}, created_at "
            "FROM bank_entries"),
            {"c": case_id})
        session.execute(text("INSERT INTO partner_feed_changes (item_id, op, at) SELECT id, "
                             "'add', added_at FROM partner_feed_items ORDER BY id"))
        session.execute(text("INSERT INTO partner_shared_cases (case_id, since) VALUES (:c, "
                             "CURRENT_TIMESTAMP)"), {"c": case_id})
        session.execute(text("UPDATE partner_feed_state SET last_bank_seq = (SELECT max(seq) "
                             "FROM bank_changes)"))
    print(f"inserted {size:,} shared PDQ hashes in {time.perf_counter() - started:.1f} s",
          flush=True)
    return runtime, hashes


def flip(value: str, bits: int, rng: np.random.Generator) -> str:
    number = int(value, 16)
    for bit in rng.choice(256, size=bits, replace=False):
        number ^= 1 << int(bit)
    return f"{number:064x}"


async def drive(url: str, key: str, queries: list[str], concurrency: int, seconds: float
                ) -> tuple[list[float], list[bool], float]:
    latencies: list[float] = []
    matched: list[bool] = [False] * len(queries)
    headers = {"Authorization": f"Bearer {key}"}
    next_index = 0
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits,
                                 timeout=30) as client:
        async def worker() -> None:
            nonlocal next_index
            while next_index < len(queries) and time.perf_counter() < deadline:
                index = next_index
                next_index += 1
                body = {"fingerprints": [{"signal_type": "pdq", "value": queries[index]}]}
                began = time.perf_counter()
                response = await client.post("/api/v1/partner/lookup", json=body)
                latencies.append(time.perf_counter() - began)
                response.raise_for_status()
                matched[index] = response.json()["matched"]

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return latencies, matched[:len(latencies)], elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--postgres", metavar="URL", help="an empty PostgreSQL database "
                        "(postgresql+psycopg://...) instead of SQLite")
    args = parser.parse_args()
    rng = np.random.default_rng(2026)
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        url = args.postgres or f"sqlite:///{directory / 'jikimi.sqlite3'}"
        runtime, hashes = build(directory, args.size, rng, url)
        with runtime.context(cli_actor("bench")) as ctx:
            key = partners.add_partner(ctx, "Bench Platform", rate_per_minute=100_000).key
        runtime.close()
        picks = rng.choice(len(hashes), size=args.requests // 2, replace=False)
        hits = [flip(hashes[int(i)], int(rng.integers(0, 13)), rng) for i in picks]
        misses = [bytes(rng.integers(0, 256, 32, dtype=np.uint8)).hex()
                  for _ in range(args.requests - len(hits))]
        order = rng.permutation(len(hits) + len(misses))
        queries = [(hits + misses)[int(i)] for i in order]
        expected = [int(i) < len(hits) for i in order]

        env = {**os.environ, "JIKIMI_DATA_DIR": str(directory),
               "JIKIMI_DATABASE_URL": url}
        log = (directory / "server.log").open("w")
        started = time.perf_counter()
        server = subprocess.Popen([sys.executable, "-m", "jikimi.cli.app", "serve", "--port",
                                   str(args.port), "--no-migrate"], env=env, stdout=log,
                                  stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{args.port}"
        try:
            while True:
                try:
                    if httpx.get(base + "/api/v1/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if server.poll() is not None or time.perf_counter() - started > 600:
                    raise RuntimeError((directory / "server.log").read_text()[-3000:])
                time.sleep(0.5)
            startup = time.perf_counter() - started
            print(f"server up (index built from the database) in {startup:.1f} s", flush=True)
            asyncio.run(drive(base, key, queries[:50], 4, 30))  # warm-up
            latencies, matched, elapsed = asyncio.run(
                drive(base, key, queries, args.concurrency, args.seconds))
        finally:
            server.terminate()
            server.wait(30)
        done = len(latencies)
        wrong = sum(1 for m, e in zip(matched, expected, strict=False) if m != e)

        # references: the same queries in-process, and brute force
        index = PdqIndex()
        index.add(list(range(len(hashes))), hashes)
        began = time.perf_counter()
        for query in queries[:done]:
            index.search(query, 31)
        in_process = (time.perf_counter() - began) / done
        sample = queries[:20]
        began = time.perf_counter()
        packed = np.frombuffer(b"".join(bytes.fromhex(h) for h in hashes), dtype=np.uint8
                               ).reshape(-1, 32)
        for query in sample:
            brute_force_search(packed, np.arange(len(hashes)), query, 31)
        brute = (time.perf_counter() - began) / len(sample)

    ms = sorted(x * 1000 for x in latencies)
    p50 = statistics.median(ms)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    print()
    backend = "PostgreSQL" if args.postgres else "SQLite"
    print(f"| lookup of 1 PDQ against {args.size:,} shared hashes ({backend}) | requests/s "
          "| p50 ms | p99 ms |")
    print("|---|---|---|---|")
    print(f"| HTTP `POST /api/v1/partner/lookup` ({args.concurrency} in flight, {done} "
          f"requests, {wrong} wrong answers) | {done / elapsed:.0f} | {p50:.1f} | {p99:.1f} |")
    print(f"| same queries in-process (PdqIndex.search, no HTTP/DB/audit) | {1 / in_process:.0f} "
          f"| {in_process * 1000:.2f} | — |")
    print(f"| numpy brute force (20 queries) | {1 / brute:.1f} | {brute * 1000:.0f} | — |")
    print(f"\nserver start-up with the index built from the database: {startup:.1f} s")


if __name__ == "__main__":
    main()
