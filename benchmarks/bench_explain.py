"""The plans PostgreSQL chose for every statement a serving process ran, on a large bank.

An installation is built through the product's own commands (``jikimi db upgrade``, the
services for a centre, a consenting case and its bank, ``jikimi banks import`` of ``--size``
random PDQ hashes, a partner key, an analyst's API token: the set-up of
``bench_partner_lookup.py``). Then PostgreSQL's own ``auto_explain`` is switched on for that
database only (``ALTER DATABASE ... SET session_preload_libraries = 'auto_explain'``, every
statement logged with its executed plan) and ``jikimi serve`` answers, over HTTP, what the
platforms and the staff ask at scale: partner lookups (hits and misses), feedback, feed pages
(both shapes), ``/api/v1/match`` with fingerprints as JSON, the bank's pictures and entries,
the review queue; the server also runs its background work meanwhile (the change-log
follower, the credential re-check, the audit writer's group commits).

The plans are read back from the server's log (``--pg-log``; only the serving processes'
backends), grouped by statement, and printed with the scans each used. A sequential scan of a
table holding more than ``--big`` rows is flagged: on the hot path every such read must use an
index. Nothing here is the product's code path but the HTTP calls; the check reads what
PostgreSQL did.

    .venv/bin/python benchmarks/bench_explain.py --size 1000000 \\
        --postgres postgresql+psycopg://postgres@127.0.0.1:55432/postgres \\
        --pg-log /tmp/shared-pg/log
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path

import httpx
import numpy as np
import psycopg

HERE = Path(__file__).resolve()
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parents[1] / "src"))

from bench_partner_lookup import build, flip, free_port, serve, staff_token, stop  # noqa: E402

SCAN = re.compile(r"(Seq Scan|Index Only Scan|Index Scan|Bitmap Heap Scan|Bitmap Index Scan)"
                  r"(?: Backward)?(?: using (\S+))? on (\S+)")
ENTRY = re.compile(r"^\S+ \S+ \S+ \[(\d+)\] (\w+):\s+(.*)$")


def exercise(port: int, key: str, token: str, hashes: list[str], rng: np.random.Generator,
             rounds: int) -> dict[str, int]:
    """What platforms and staff ask, over HTTP; the answers' status codes counted."""
    statuses: dict[str, int] = defaultdict(int)
    base = f"http://127.0.0.1:{port}"
    partner = httpx.Client(base_url=base, timeout=60, headers={"Authorization": f"Bearer {key}"})
    staff = httpx.Client(base_url=base, timeout=60, headers={"Authorization": f"Bearer {token}"})
    with partner, staff:
        bank = next(b["name"] for b in staff.get("/api/v1/banks").json()
                    if b["name"].startswith("case-"))
        cursor = None
        for number in range(rounds):
            hit = flip(hashes[int(rng.integers(len(hashes)))], 5, rng)
            miss = bytes(rng.integers(0, 256, 32, dtype=np.uint8)).hex()
            for query in (hit, miss):
                answer = partner.post("/api/v1/partner/lookup", json={
                    "fingerprints": [{"signal_type": "pdq", "value": query}]})
                statuses[f"lookup {answer.status_code}"] += 1
            lookup = partner.post("/api/v1/partner/lookup", json={
                "fingerprints": [{"signal_type": "pdq", "value": hit}]}).json()
            entry_ids = [m["id"] for m in lookup.get("matches", [])]
            if entry_ids:
                reply = partner.post("/api/v1/partner/feedback", json={"reports": [
                    {"entry_id": entry_ids[0], "action": "blocked",
                     "content_id": f"upload-{number}"}]})
                statuses[f"feedback {reply.status_code}"] += 1
            page = partner.get("/api/v1/partner/hashes", params={
                "limit": 1000, **({"cursor": cursor} if cursor else {})})
            statuses[f"feed {page.status_code}"] += 1
            if page.status_code == 200:
                cursor = page.json().get("next_cursor") or cursor
            statuses["stopncii " + str(partner.get("/api/v1/stopncii/FetchHashes", params={
                "startTimestamp": 10, "pageSize": 800}).status_code)] += 1
            statuses["match " + str(staff.post("/api/v1/match", json={"pdq": hit}).status_code)
                     ] += 1
            statuses["pictures " + str(staff.get(f"/api/v1/banks/{bank}/pictures").status_code)
                     ] += 1
            statuses["entries " + str(staff.get(f"/api/v1/banks/{bank}/entries",
                                                params={"limit": 50}).status_code)] += 1
            statuses["review " + str(staff.get("/api/v1/review").status_code)] += 1
        time.sleep(1.5)  # the follower's and the credential cache's background reads
    return dict(statuses)


def read_plans(log: Path, offset: int, pids: set[int]) -> list[tuple[str, str, float]]:
    """(statement, plan, milliseconds) of every ``auto_explain`` entry the given backends
    logged."""
    text = log.read_bytes()[offset:].decode("utf-8", "replace")
    plans: list[tuple[str, str, float]] = []
    current: list[str] | None = None
    took = 0.0
    for line in text.splitlines():
        found = ENTRY.match(line)
        if found:
            if current:
                plans.append((*_split(current), took))
            current = None
            duration = re.match(r"duration: ([\d.]+) ms\s+plan:", found.group(3))
            if int(found.group(1)) in pids and duration:
                current, took = [], float(duration.group(1))
        elif current is not None:
            current.append(line)
    if current:
        plans.append((*_split(current), took))
    return plans


def _split(lines: list[str]) -> tuple[str, str]:
    query: list[str] = []
    plan: list[str] = []
    in_query = False
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("Query Text:"):
            in_query = True
            query.append(stripped.removeprefix("Query Text:").strip())
        elif in_query and "(cost=" not in stripped:  # every plan node shows its cost
            query.append(stripped)
        else:
            in_query = False
            plan.append(stripped)
    return " ".join(" ".join(query).split()), "\n".join(plan)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--big", type=int, default=10_000,
                        help="a sequential scan of a table with more rows is flagged")
    parser.add_argument("--postgres", metavar="URL", required=True,
                        help="postgresql+psycopg://user@host:port/db (a superuser: "
                        "auto_explain is set on a fresh database, dropped afterwards)")
    parser.add_argument("--pg-log", type=Path, required=True,
                        help="the PostgreSQL server's log file (pg_ctl -l)")
    args = parser.parse_args()
    rng = np.random.default_rng(2026)
    admin = args.postgres.replace("postgresql+psycopg://", "postgresql://")
    database = f"bench_explain_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{database}"')
    url = args.postgres.rsplit("/", 1)[0] + f"/{database}"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            directory = Path(tmp)
            env, key, hashes, _timings = build(directory, url, args.size, rng)
            token = staff_token(directory, url)
            with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"),
                                 autocommit=True) as conn:
                conn.execute("ANALYZE")
                sizes = {name: int(rows) for name, rows in conn.execute(
                    "SELECT relname, reltuples FROM pg_class WHERE relkind = 'r' "
                    "AND relnamespace = 'public'::regnamespace")}
            with psycopg.connect(admin, autocommit=True) as conn:
                for setting, value in (("session_preload_libraries", "auto_explain"),
                                       ("auto_explain.log_min_duration", "0"),
                                       ("auto_explain.log_analyze", "on"),
                                       ("auto_explain.log_timing", "off"),
                                       ("auto_explain.log_nested_statements", "on")):
                    conn.execute(f'ALTER DATABASE "{database}" SET {setting} = \'{value}\'')
            offset = args.pg_log.stat().st_size
            port = free_port()
            proc, started = serve(env, port, 1, "", directory / "serve.log")
            try:
                statuses = exercise(port, key, token, hashes, rng, args.rounds)
                with psycopg.connect(admin, autocommit=True) as conn:
                    pids = {int(row[0]) for row in conn.execute(
                        "SELECT pid FROM pg_stat_activity WHERE datname = %s", (database,))}
            finally:
                stop(proc)
            time.sleep(0.5)
            plans = read_plans(args.pg_log, offset, pids)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{database}" WITH (FORCE)')
    report(args, sizes, statuses, plans, started)


def report(args: argparse.Namespace, sizes: dict[str, int], statuses: dict[str, int],
           plans: list[tuple[str, str, float]], started: float) -> None:
    """The statements, how often each ran, how long the slowest run took, and the scans
    each plan used."""
    grouped: dict[str, list[str]] = defaultdict(list)
    slowest: dict[str, float] = defaultdict(float)
    for query, plan, took in plans:
        grouped[query].append(plan)
        slowest[query] = max(slowest[query], took)
    big = {name: rows for name, rows in sizes.items() if rows > args.big}
    print(f"\n{args.size:,} hashes imported; tables over {args.big:,} rows: "
          + ", ".join(f"{name} ({rows:,})" for name, rows in sorted(big.items())))
    print("answers: " + ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items()))
          + f"; server start {started:.1f} s")
    print("\n| statement (first 110 characters) | runs | slowest ms | scans used "
          "| big-table seq scan |")
    print("|---|---|---|---|---|")
    flagged = 0
    for query, plan_list in sorted(grouped.items(), key=lambda item: -len(item[1])):
        scans: set[str] = set()
        seq_big = False
        for plan in plan_list:
            for kind, index, table in SCAN.findall(plan):
                scans.add(f"{kind}{' ' + index if index else ''} on {table}")
                seq_big |= kind == "Seq Scan" and table in big
        flagged += seq_big
        shown = query[:110].replace("|", "\\|")
        print(f"| `{shown}` | {len(plan_list)} | {slowest[query]:.2f} | "
              f"{'; '.join(sorted(scans)) or '(none)'} | "
              f"{'**yes**' if seq_big else 'no'} |")
    print(f"\n{len(grouped)} distinct statements, {len(plans)} plans; "
          f"{flagged} with a sequential scan of a table over {args.big:,} rows")


if __name__ == "__main__":
    main()
