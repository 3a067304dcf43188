"""Mixed load (issue 16): partner lookups at full rate, scans writing results, and staff
working the review queue and looking fingerprints up, all against one ``jikimi serve``.

The installation is built through the product's commands and services only, as in
``bench_partner_lookup.build`` (``jikimi db upgrade``, services, ``jikimi banks import`` of
``--size`` PDQ hashes into a consenting case's bank, a partner key), plus: an analyst of the
centre with an API token, ``--images`` generated pictures (benign noise patterns) registered
in the same case bank (``matching.add_entries`` with ``entries_for_fingerprints``, as the
staff pages register a file), and their re-encoded copies in folders under the installation's
import root, each folder an ``archive`` source of the centre (``scans.add_source``); then
``jikimi banks snapshot`` writes the index snapshot, as ``jikimi worker`` keeps it beside a
deployment (processes map it instead of building the index), and ``jikimi worker`` runs beside
``jikimi serve`` as ``scripts/serve`` starts it (on the server's cores): the host's scan
runner, when the code has one (``jikimi.scans.runner``).

Then, for ``--seconds``, at the same time:

- Debian's ``wrk`` drives ``POST /api/v1/partner/lookup`` (half matching queries), pinned to
  ``--client-cpus``;
- every ``--scan-every`` seconds a scan of the next source is started through the API
  (``POST /api/v1/sources/{id}/scans``): the copies are fingerprinted, matched and their
  results and review queue entries written (by the worker's scan runner when it answers, else
  by a process the server starts; at a lower CPU priority either way, never in the server);
- ``--staff`` analysts, each a loop through the API: the review queue
  (``GET /api/v1/review?limit=5``), then the first pending match confirmed
  (``POST /api/v1/review/{id}/confirm``), or when none is pending a staff lookup of
  fingerprints (``POST /api/v1/match`` JSON), with a short pause (``--think``) between calls.

Reported: lookups/s, p50/p90/p99/max and errors of the lookups (wrk); the staff requests'
p50/p99/max per kind and together; scans started and matches confirmed; how the scans stood
when the load ended and how long the last took to finish after it; which runner ran each
scan (the worker or a process of its own: the process its claim names); and, where the scan
processes and the worker logged them, how long each took to load the matcher and its write
transactions (BEGIN to end: how long each held SQLite's write lock).

    .venv/bin/python benchmarks/bench_mixed.py --size 100000 --seconds 20 --workers 2 \\
        [--postgres postgresql+psycopg://postgres@127.0.0.1:55432/postgres]
"""

from __future__ import annotations

import argparse
import collections
import io
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx
import numpy as np
from PIL import Image

HERE = Path(__file__).resolve()
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(ROOT / "src"))

from bench_partner_lookup import (  # noqa: E402
    LUA,
    build,
    cli,
    flip,
    free_port,
    load_average,
    run_wrk,
    serve,
    stop,
)

from jikimi import accounts, matching, scans  # noqa: E402
from jikimi.core.actors import Role, cli_actor  # noqa: E402
from jikimi.core.config import Settings  # noqa: E402
from jikimi.core.runtime import Runtime  # noqa: E402
from jikimi.hashing import fingerprint_bytes  # noqa: E402
from jikimi.matching import service as matching_service  # noqa: E402


def picture(rng: np.random.Generator) -> bytes:
    """A benign generated picture: smooth random blobs (PNG)."""
    small = rng.integers(0, 256, size=(8, 8, 3), dtype=np.uint8)
    image = Image.fromarray(small).resize((320, 240), Image.Resampling.BICUBIC)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def recompressed(data: bytes) -> bytes:
    out = io.BytesIO()
    Image.open(io.BytesIO(data)).convert("RGB").save(out, format="JPEG", quality=80)
    return out.getvalue()


def prepare_staff(directory: Path, url: str, images: int, folders: int,
                  rng: np.random.Generator) -> tuple[str, list[int], list[str]]:
    """The analyst's token, the archive sources, and the registered pictures' PDQs."""
    runtime = Runtime.open(Settings(data_dir=directory, database_url=url))
    with runtime.context(cli_actor("bench")) as ctx:
        centre = next(c for c in accounts.list_centres(ctx) if c.name == "서울센터")
        analyst = accounts.add_user(ctx, "analyst@bench.invalid", Role.ANALYST, centre).user
        _row, token = accounts.create_api_token(ctx, analyst, "bench")
        counsellor = next(u for u in accounts.list_users(ctx, centre.id)
                          if u.email == "c@bench.invalid")
        bank = next(b.name for b in matching.list_banks(ctx) if b.name.startswith("case-"))
    root = directory / "imports"
    pdqs = []
    entries = []
    for number in range(images):
        data = picture(rng)
        fp = fingerprint_bytes(data)
        pdqs.append(fp.pdq)  # type: ignore[union-attr]
        entries += matching_service.entries_for_fingerprints(fp, label=f"bench-{number}")
        folder = root / f"seized-{number % folders:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"copy-{number:04d}.jpg").write_bytes(recompressed(data))
    with runtime.context(accounts.actor_for(counsellor)) as ctx:
        matching.add_entries(ctx, bank, entries, case_access_checked=True)
    sources = []
    with runtime.context(accounts.actor_for(analyst)) as ctx:
        for number in range(folders):
            sources.append(scans.add_source(ctx, "archive", f"seized {number}", {
                "path": str(root / f"seized-{number:02d}")}).id)
    runtime.close()
    return token, sources, pdqs


class StaffLoad:
    """Analysts working the queue through the API; latencies per kind of request."""

    def __init__(self, url: str, token: str, pdqs: list[str], think: float) -> None:
        self.url = url
        self.headers = {"Authorization": f"Bearer {token}"}
        self.pdqs = pdqs
        self.think = think
        self.latencies: dict[str, list[float]] = {"review queue": [], "confirm": [],
                                                  "match (JSON)": []}
        self.errors = 0
        self.error_kinds: collections.Counter[str] = collections.Counter()
        self.confirmed = 0
        self._lock = threading.Lock()

    def _timed(self, kind: str, client: httpx.Client, method: str, path: str,
               **kwargs: object) -> httpx.Response | None:
        began = time.perf_counter()
        try:
            response = client.request(method, path, headers=self.headers, **kwargs)  # type: ignore[arg-type]
        except httpx.HTTPError as exc:
            with self._lock:
                self.errors += 1
                self.error_kinds[f"{kind}: {type(exc).__name__}"] += 1
            return None
        took = (time.perf_counter() - began) * 1000
        with self._lock:
            self.latencies[kind].append(took)
            if response.status_code >= 400:
                self.errors += 1
                try:
                    code = response.json().get("code", "")
                except ValueError:
                    code = ""
                self.error_kinds[f"{kind}: {response.status_code} {code}".strip()] += 1
        return response

    def run(self, stop_at: float, seed: int) -> None:
        rng = np.random.default_rng(seed)
        with httpx.Client(base_url=self.url, timeout=30) as client:
            while time.monotonic() < stop_at:
                queue = self._timed("review queue", client, "GET", "/api/v1/review",
                                    params={"limit": 5})
                pending = queue.json() if queue is not None and queue.status_code == 200 \
                    else []
                if pending:
                    pick = pending[int(rng.integers(0, len(pending)))]["match_id"]
                    done = self._timed("confirm", client, "POST",
                                       f"/api/v1/review/{pick}/confirm", json={"reason": ""})
                    if done is not None and done.status_code == 200:
                        with self._lock:
                            self.confirmed += 1
                else:
                    pdq = flip(self.pdqs[int(rng.integers(0, len(self.pdqs)))], 4, rng)
                    self._timed("match (JSON)", client, "POST", "/api/v1/match",
                                json={"pdq": pdq})
                time.sleep(self.think)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def scans_after(base: str, headers: dict[str, str], wait: float = 120
                ) -> tuple[dict[str, int], str]:
    """How the scans stood when the load ended (by status), and how long until none was
    running any more (the server is stopped only then, so that no scan outlives it)."""
    began = time.monotonic()
    states: dict[str, int] = {}
    with httpx.Client(base_url=base, timeout=30, headers=headers) as client:
        while True:
            listed = client.get("/api/v1/scans").json()
            now = {s: sum(1 for x in listed if x["status"] == s)
                   for s in sorted({x["status"] for x in listed})}
            states = states or now
            if not now.get("running") or time.monotonic() - began > wait:
                took = time.monotonic() - began
                return states, (f"{took:.1f} s after the load" if not now.get("running")
                                else f"not within {wait:.0f} s")
            time.sleep(0.5)


def start_worker(env: dict[str, str], directory: Path, cpus: str
                 ) -> subprocess.Popen[bytes]:
    """``jikimi worker`` as ``scripts/serve`` runs it beside the server; once it is ready (its
    scan runner's socket is there, or, for code without a runner, its first round is done)."""
    command = [sys.executable, "-m", "jikimi.cli.app", "worker", "--poll-seconds", "60"]
    if cpus:
        command = ["taskset", "-c", cpus, *command]
    log = directory / "worker.log"
    proc = subprocess.Popen(command, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    has_runner = (ROOT / "src" / "jikimi" / "scans" / "runner.py").exists()
    socket_path = directory / "run" / "scans.sock"
    began = time.monotonic()
    while time.monotonic() - began < (120 if has_runner else 15):
        if proc.poll() is not None:
            raise RuntimeError(log.read_text()[-3000:])
        if has_runner and socket_path.exists():
            break
        time.sleep(0.2)
    else:
        if has_runner:
            raise RuntimeError(f"the worker's scan runner did not start: {log.read_text()}")
    return proc


def runners(url: str, directory: Path, worker_pid: int) -> dict[str, int]:
    """Which runner each scan's claim names now: the worker, or a process of its own."""
    from sqlalchemy import select

    from jikimi.scans.models import Scan

    runtime = Runtime.open(Settings(data_dir=directory, database_url=url))
    counts: dict[str, int] = {}
    with runtime.sessions() as session:
        for holder in session.scalars(select(Scan.claimed_by)):
            pid = (holder or "").rsplit(":", 2)[1] if holder and holder.count(":") >= 2 \
                else "?"
            kind = ("the worker" if pid == str(worker_pid)
                    else "a process of its own" if pid != "?" else "none")
            counts[kind] = counts.get(kind, 0) + 1
    runtime.close()
    return counts


def _server_errors(log_text: str) -> list[str]:
    """The tracebacks the server logged (each from its ``Traceback`` line to the exception)."""
    found: list[str] = []
    lines = log_text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("Traceback"):
            end = i + 1
            while end < len(lines) and (lines[end].startswith((" ", "\t"))
                                        or lines[end].startswith("During handling")
                                        or not lines[end].strip()):
                end += 1
            found.append("\n".join(lines[i:end + 1]))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--images", type=int, default=160)
    parser.add_argument("--folders", type=int, default=8)
    parser.add_argument("--scan-every", type=float, default=2.0)
    parser.add_argument("--staff", type=int, default=2)
    parser.add_argument("--think", type=float, default=0.05)
    parser.add_argument("--lookup-rate", type=float, metavar="PER_SECOND", help="pace the "
                        "lookups at about this rate (each wrk connection waits its share of "
                        "a second after each answer) instead of as fast as they are answered")
    parser.add_argument("--server-cpus", default="0,1")
    parser.add_argument("--client-cpus", default="1")
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL server: a fresh "
                        "database is created on it and dropped afterwards")
    args = parser.parse_args()
    rng = np.random.default_rng(2026)
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        database = admin = None
        if args.postgres:
            import psycopg

            database = f"bench_mixed_{uuid.uuid4().hex[:8]}"
            admin = args.postgres.replace("postgresql+psycopg://", "postgresql://")
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{database}"')
            url = args.postgres.rsplit("/", 1)[0] + f"/{database}"
        else:
            url = f"sqlite:///{directory / 'jikimi.sqlite3'}"
        proc = worker = None
        ran_by: dict[str, int] = {}
        try:
            env, key, hashes, _ = build(directory, url, args.size, rng)
            token, sources, pdqs = prepare_staff(directory, url, args.images, args.folders, rng)
            cli(env, "banks", "snapshot")  # as `jikimi worker` keeps it beside a deployment
            picks = rng.choice(len(hashes), size=1000, replace=False)
            hits = [flip(hashes[int(i)], int(rng.integers(0, 13)), rng) for i in picks]
            misses = [bytes(rng.integers(0, 256, 32, dtype=np.uint8)).hex()
                      for _ in range(1000)]
            queries = [(hits + misses)[int(i)] for i in rng.permutation(2000)]
            script = directory / "lookup.lua"
            lua_values = {"queries": ",".join(f'"{q}"' for q in queries), "key": key}
            if "%(path)s" in LUA:  # the lookup door of bench_partner_lookup's doors
                import bench_partner_lookup

                path, body, _ = bench_partner_lookup.DOORS["lookup"]
                lua_values.update(path=path, body=body)
            lua = LUA % lua_values
            if args.lookup_rate:  # each connection waits its share of a second between lookups
                pause_ms = args.connections * 1000 / args.lookup_rate
                lua += f"delay = function() return {pause_ms:.3f} end\n"
            script.write_text(lua)
            worker = start_worker(env, directory, args.server_cpus)
            port = free_port()
            proc, _started = serve(env, port, args.workers, args.server_cpus,
                                   directory / "serve.log")
            base = f"http://127.0.0.1:{port}"
            run_wrk(port, script, 3, 4, 1, args.client_cpus)  # warm-up
            if args.client_cpus:  # the staff and scan clients share wrk's cores
                os.sched_setaffinity(0, {int(c) for c in args.client_cpus.split(",")})
            staff = StaffLoad(base, token, pdqs, args.think)
            load_before = load_average()
            stop_at = time.monotonic() + args.seconds
            scans_started = 0

            def start_scans() -> None:
                nonlocal scans_started
                with httpx.Client(base_url=base, timeout=30, headers=staff.headers) as client:
                    while time.monotonic() < stop_at:
                        source = sources[scans_started % len(sources)]
                        if client.post(f"/api/v1/sources/{source}/scans").status_code == 202:
                            scans_started += 1
                        time.sleep(args.scan_every)

            threads = [threading.Thread(target=start_scans)] + [
                threading.Thread(target=staff.run, args=(stop_at, n))
                for n in range(args.staff)]
            for thread in threads:
                thread.start()
            lookups = run_wrk(port, script, args.seconds, args.connections, 1,
                              args.client_cpus)
            for thread in threads:
                thread.join(60)
            scan_states, drained = scans_after(base, staff.headers)
            ran_by = runners(url, directory, worker.pid)
        finally:
            if proc is not None:
                stop(proc)
            if worker is not None:
                stop(worker)
            if database is not None and admin is not None:
                import psycopg

                with psycopg.connect(admin, autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE "{database}" WITH (FORCE)')
            write_lines = [line.split(": ", 1)[1].strip()
                           for log in [*sorted((directory / "logs").glob("scan-*.log")),
                                       directory / "worker.log"] if log.exists()
                           for line in log.read_text(errors="replace").splitlines()
                           if "write transactions" in line or "matcher loaded" in line]
            serve_log = directory / "serve.log"
            server_errors = _server_errors(serve_log.read_text(errors="replace")
                                           if serve_log.exists() else "")
    backend = "PostgreSQL" if args.postgres else "SQLite"
    errors = int(lookups["non2xx"] + lookups["connect"] + lookups["read"] + lookups["write"]
                 + lookups["timeout"])
    paced = f", lookups paced at {args.lookup_rate:,.0f}/s" if args.lookup_rate else ""
    print(f"\n{backend}, {args.size:,} shared hashes{paced}, jikimi serve --workers "
          f"{args.workers} "
          f"(cpus {args.server_cpus}), wrk -c{args.connections} and the staff on cpus "
          f"{args.client_cpus}, {args.seconds:.0f} s, load average before {load_before}")
    print(f"lookups: {lookups['requests'] / lookups['seconds']:,.0f}/s, p50 "
          f"{lookups['p50']:.1f} ms, p90 {lookups['p90']:.1f} ms, p99 {lookups['p99']:.1f} ms,"
          f" max {lookups['max']:.0f} ms, errors {errors}")
    print(f"scans started: {scans_started}; matches confirmed: {staff.confirmed}; staff "
          f"errors: {staff.errors} {dict(staff.error_kinds)}")
    print(f"scans when the load ended: {scan_states}; all ended {drained}")
    if server_errors:  # a 5xx is a bug to read, not a number to report
        print(f"the server logged {len(server_errors)} error(s); the last:\n{server_errors[-1]}")
    print(f"scans run by: {ran_by}")
    for line in write_lines:
        print(f"  {line}")
    print("| staff request | count | p50 ms | p99 ms | max ms |")
    print("|---|---|---|---|---|")
    every: list[float] = []
    for kind, values in staff.latencies.items():
        every += values
        if values:
            print(f"| {kind} | {len(values)} | {statistics.median(values):.1f} | "
                  f"{percentile(values, 99):.1f} | {max(values):.0f} |")
    if every:
        print(f"| all staff requests | {len(every)} | {statistics.median(every):.1f} | "
              f"{percentile(every, 99):.1f} | {max(every):.0f} |")


if __name__ == "__main__":
    main()
