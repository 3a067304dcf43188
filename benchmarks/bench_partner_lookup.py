"""Partner lookups over HTTP, loaded by wrk, against a feed built the way a centre builds it.

For each database (SQLite and/or PostgreSQL) this builds an installation in a temporary
directory through the product's own commands and services only: ``jikimi db upgrade``, a
centre, a counsellor, a case with sharing consent and its bank (services), then
``jikimi banks import`` of ``--size`` random PDQ hashes (the import does the feed's bookkeeping
in bulk: timed, and the feed checked current right after), and a partner key (service).

Then, for each ``--workers`` count, ``jikimi serve --workers N`` is started (pinned with
taskset to ``--server-cpus``) and Debian's ``wrk`` (pinned to ``--client-cpus``) drives
``POST /api/v1/partner/lookup`` for ``--seconds`` with ``--connections`` open connections;
a Lua script picks a query per request: half are stored hashes with 0-12 bits flipped (they
must match), half are random (they must not). Reported: requests/s, p50/p90/p99/max latency
and errors (non-2xx and socket errors), and the answers of a sample checked for correctness.
Every call is authenticated, rate-limited and audited, as in production.

CPU per lookup: the CPU time (user + system, from ``/proc``) that the serving processes (the
``jikimi serve`` process and its workers), the database server's processes (PostgreSQL's, on
this host; SQLite runs inside the serving processes) and wrk spent during the measured run,
divided by the requests answered. On a machine where the load generator and the database share
the server's cores, this is how scaling shows: if the CPU a lookup costs stays the same as
workers are added, lookups/s grow with the cores given to the server (no lock or shared
structure makes an added process spend more per lookup).

Start-up is timed twice: the first start builds the index from the database (no snapshot
yet); then ``jikimi worker --once`` writes the snapshot, as the worker of an installation
does, and every later start maps it.

References in the same run: the same queries against the same index in-process (no HTTP, no
database) and numpy brute force.

    .venv/bin/python benchmarks/bench_partner_lookup.py --size 200000
    .venv/bin/python benchmarks/bench_partner_lookup.py --size 1000000 \\
        --postgres postgresql+psycopg://postgres@127.0.0.1:55432/postgres --workers 1,2

``--doors lookup,match`` also drives a staff member's ``POST /api/v1/match`` (fingerprints as
JSON, an analyst's API token) on every server run, against the same installation;
``--runs`` and ``--rounds`` interleave server configurations (workers, CPUs, durability).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np

HERE = Path(__file__).resolve()
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "src"))

from jikimi import accounts, cases, matching, partners  # noqa: E402
from jikimi.cases import ConsentPurpose, IntakeChannel  # noqa: E402
from jikimi.core.actors import Role, cli_actor  # noqa: E402
from jikimi.core.config import Settings  # noqa: E402
from jikimi.core.runtime import Runtime  # noqa: E402
from jikimi.matching import PdqIndex, brute_force_search  # noqa: E402

WRK = "/usr/bin/wrk"

LUA = r"""
local queries = {%(queries)s}
local key = "%(key)s"
local counter = 0
local errors = 0
request = function()
  counter = counter + 1
  local q = queries[(counter %% #queries) + 1]
  return wrk.format("POST", "%(path)s",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. key},
    %(body)s)
end
response = function(status, headers, body)
  if status ~= 200 then errors = errors + 1 end
end
done = function(summary, latency, requests)
  local out = string.format(
    '{"requests":%%d,"seconds":%%f,"p50":%%f,"p90":%%f,"p99":%%f,"max":%%f,' ..
    '"non2xx":%%d,"connect":%%d,"read":%%d,"write":%%d,"timeout":%%d}',
    summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000,
    summary.errors.status, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.timeout)
  io.stderr:write("WRKJSON " .. out .. "\n")
end
"""


def cli(env: dict[str, str], *args: str) -> str:
    result = subprocess.run([sys.executable, "-m", "jikimi.cli.app", *args], env=env,
                            capture_output=True, text=True)
    if result.returncode:
        raise RuntimeError(f"jikimi {' '.join(args)}: {result.stdout}{result.stderr}")
    return result.stdout


def consenting_case_bank(directory: Path, url: str) -> tuple[dict[str, str], Runtime, str]:
    """A fresh installation (``jikimi db upgrade``) with, made through the services, a centre,
    its counsellor and a case with sharing consent and its case bank: the CLI's environment,
    the open runtime and the bank's name."""
    env = {**os.environ, "JIKIMI_DATA_DIR": str(directory), "JIKIMI_DATABASE_URL": url,
           "PYTHONPATH": str(ROOT / "src")}
    cli(env, "db", "upgrade")
    runtime = Runtime.open(Settings(data_dir=directory, database_url=url))
    with runtime.context(cli_actor("bench")) as ctx:
        centre = accounts.add_centre(ctx, "서울센터")
        counsellor = accounts.add_user(ctx, "c@bench.invalid", Role.COUNSELLOR, centre).user
        code = cases.open_case(ctx, centre, IntakeChannel.HOTLINE,
                               assign_to=[counsellor.id]).case.code
    with runtime.context(accounts.actor_for(counsellor)) as ctx:
        cases.record_consent(ctx, code, ConsentPurpose.PARTNER_SHARING)
        case_id, code = cases.case_ref(ctx, code)
        bank = f"case-{code}"
        matching.create_bank(ctx, bank, case=(case_id, code), owner_kind="case",
                             case_access_checked=True)
    return env, runtime, bank


def build(directory: Path, url: str, size: int, rng: np.random.Generator
          ) -> tuple[dict[str, str], str, list[str], dict[str, float]]:
    """An installation with one consenting case whose bank holds ``size`` PDQ hashes,
    imported with ``jikimi banks import``; returns its environment, a partner key, the
    hashes and timings."""
    env, runtime, bank = consenting_case_bank(directory, url)
    raw = rng.integers(0, 256, size=(size, 32), dtype=np.uint8)
    hashes = [row.tobytes().hex() for row in raw]
    timings: dict[str, float] = {}
    batch = 100_000  # one `jikimi banks import` per file of this many lines
    started = time.perf_counter()
    for start in range(0, size, batch):
        listing = directory / f"hashes-{start}.txt"
        listing.write_text("\n".join(hashes[start:start + batch]) + "\n")
        cli(env, "banks", "import", bank, str(listing))
        listing.unlink()
    timings["import"] = time.perf_counter() - started
    with runtime.sessions() as session:
        counts = partners.feed_counts(session)
        current = partners.feed_is_current(session)
    if counts["active_items"] != size or not current:
        raise RuntimeError(f"the feed is not current after the import: {counts}")
    with runtime.context(cli_actor("bench")) as ctx:
        key = partners.add_partner(ctx, "Bench Platform", rate_per_minute=100_000).key
    runtime.close()
    print(f"imported {size:,} hashes with `jikimi banks import` in {timings['import']:.0f} s "
          "(feed current after the import)", flush=True)
    return env, key, hashes, timings


def flip(value: str, bits: int, rng: np.random.Generator) -> str:
    number = int(value, 16)
    for bit in rng.choice(256, size=bits, replace=False):
        number ^= 1 << int(bit)
    return f"{number:064x}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def serve(env: dict[str, str], port: int, workers: int, cpus: str, log: Path,
          cgroup: Path | None = None) -> tuple[subprocess.Popen[bytes], float]:
    """``jikimi serve --workers N`` pinned to ``cpus``; in ``cgroup`` (a cgroup v1 ``cpu``
    group, see :func:`cpu_quota`) if given, its workers with it."""
    command = [sys.executable, "-m", "jikimi.cli.app", "serve", "--port", str(port),
               "--no-migrate", "--workers", str(workers)]
    if cpus:
        command = ["taskset", "-c", cpus, *command]
    if cgroup is not None:  # the shell joins the group, then becomes the server
        command = ["sh", "-c", f'echo $$ > {cgroup / "cgroup.procs"} && exec "$@"', "sh",
                   *command]
    started = time.perf_counter()
    proc = subprocess.Popen(command, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1
                         ).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.perf_counter() - started > 900:
            proc.kill()
            raise RuntimeError(log.read_text()[-3000:])
        time.sleep(0.1)
    # the health check answers as soon as one worker is up: wait for all of them (a worker
    # still starting competes for the cores, and its first seconds are not its steady state)
    while log.read_text().count("Application startup complete") < workers:
        if proc.poll() is not None or time.perf_counter() - started > 900:
            proc.kill()
            raise RuntimeError(log.read_text()[-3000:])
        time.sleep(0.1)
    return proc, time.perf_counter() - started


CGROUP_CPU = Path("/sys/fs/cgroup/cpu")
QUOTA_PERIOD_US = 10_000
"""The period of a CPU quota: short, so that a throttled server waits milliseconds, not the
default 100 ms."""


@contextmanager
def cpu_quota(cores: float) -> Iterator[Path]:
    """A cgroup (v1 ``cpu`` controller, as root) whose processes together get at most
    ``cores`` CPUs' time: how a container's CPU limit gives a server a share of the machine,
    the rest left to the database server and the load generator."""
    group = CGROUP_CPU / f"jikimi-bench-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    group.mkdir()
    try:
        (group / "cpu.cfs_period_us").write_text(str(QUOTA_PERIOD_US))
        (group / "cpu.cfs_quota_us").write_text(str(int(cores * QUOTA_PERIOD_US)))
        yield group
    finally:
        for _attempt in range(50):  # its processes have been stopped: wait until they left
            try:
                group.rmdir()
                break
            except OSError:
                time.sleep(0.1)


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    proc.wait(120)


def run_wrk(port: int, script: Path, seconds: float, connections: int, threads: int,
            cpus: str) -> dict[str, float]:
    command = [WRK, "-t", str(threads), "-c", str(connections), "-d", f"{seconds:.0f}s",
               "--timeout", "10s", "-s", str(script), f"http://127.0.0.1:{port}"]
    if cpus:
        command = ["taskset", "-c", cpus, *command]
    result = subprocess.run(command, capture_output=True, text=True)
    found = re.search(r"WRKJSON (\{.*\})", result.stderr + result.stdout)
    if not found:
        raise RuntimeError(f"wrk: {result.stdout}{result.stderr}")
    data: dict[str, float] = json.loads(found.group(1))
    return data


DOORS: dict[str, tuple[str, str, Callable[[str], dict[str, Any]]]] = {
    # the door: its path, the Lua expression of a body for query q, and the same in Python
    "lookup": ("/api/v1/partner/lookup",
               """'{"fingerprints":[{"signal_type":"pdq","value":"' .. q .. '"}]}'""",
               lambda q: {"fingerprints": [{"signal_type": "pdq", "value": q}]}),
    "match": ("/api/v1/match", """'{"pdq":"' .. q .. '"}'""", lambda q: {"pdq": q}),
}


def staff_token(directory: Path, url: str) -> str:
    """An analyst of the benchmark's centre and her API token (services), for the staff
    door ``POST /api/v1/match``."""
    runtime = Runtime.open(Settings(data_dir=directory, database_url=url))
    with runtime.context(cli_actor("bench")) as ctx:
        centre = next(c for c in accounts.list_centres(ctx) if c.name == "서울센터")
        analyst = accounts.add_user(ctx, "analyst@bench.invalid", Role.ANALYST, centre).user
        _row, token = accounts.create_api_token(ctx, analyst, "bench")
    runtime.close()
    return token


def check_answers(port: int, key: str, queries: list[str], expected: list[bool],
                  door: str = "lookup") -> int:
    path, _lua, body = DOORS[door]
    wrong = 0
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30,
                      headers={"Authorization": f"Bearer {key}"}) as client:
        for query, should in zip(queries, expected, strict=True):
            answer = client.post(path, json=body(query)).json()
            wrong += answer["matched"] != should
    return wrong


@dataclass(frozen=True)
class Run:
    """One server configuration: ``jikimi serve --workers N``, pinned to CPUs, committing
    with a durability (``JIKIMI_COMMIT_DURABILITY``), and with ``cores_per_worker`` given,
    limited to that many cores' time per worker (a CPU quota on the server's processes)."""

    workers: int
    cpus: str
    durability: str = "disk"
    cores_per_worker: float | None = None

    @property
    def label(self) -> str:
        quota = f"-{self.cores_per_worker:g}cores" if self.cores_per_worker else ""
        return f"{self.workers}w-cpus{self.cpus or 'any'}-{self.durability}{quota}"

    @property
    def cpus_shown(self) -> str:
        shown = self.cpus or "any"
        if self.cores_per_worker:
            shown += f", quota {self.workers * self.cores_per_worker:g} cores"
        return shown


def parse_runs(text: str) -> list[Run]:
    """``WORKERS@CPUS[:DURABILITY][/CORES],...``, e.g. ``1@0,2@0-1,2@0-1:process,3@0-1/0.4``
    (CORES: each worker's share of the CPUs, a quota on the server's processes)."""
    runs = []
    for part in text.split(","):
        part, _, cores = part.partition("/")
        spec, _, durability = part.partition(":")
        workers, _, cpus = spec.partition("@")
        runs.append(Run(int(workers), cpus, durability or "disk",
                        float(cores) if cores else None))
    return runs


TICKS = os.sysconf("SC_CLK_TCK")


def _process_table() -> dict[int, tuple[int, str, int]]:
    """Every process: its parent, its command name and its CPU ticks (user + system)."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            comm = (entry / "comm").read_text().strip()
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # ended meanwhile
            continue
        table[int(entry.name)] = (int(fields[1]), comm, int(fields[11]) + int(fields[12]))
    return table


def cpu_seconds(server_pid: int) -> tuple[float, float, float]:
    """CPU seconds so far of the server's process tree, of the database server's processes
    (every ``postgres`` process on this host) and of this process's waited-for children
    (wrk)."""
    table = _process_table()
    tree, changed = {server_pid}, True
    while changed:
        grown = tree | {pid for pid, (parent, _c, _t) in table.items() if parent in tree}
        changed, tree = grown != tree, grown
    server = sum(table[pid][2] for pid in tree if pid in table)
    database = sum(ticks for _p, comm, ticks in table.values() if comm == "postgres")
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return server / TICKS, database / TICKS, usage.ru_utime + usage.ru_stime


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def bench_backend(name: str, url: str, directory: Path, args: argparse.Namespace,
                  rng: np.random.Generator) -> list[str]:
    env, partner_key, hashes, timings = build(directory, url, args.size, rng)
    keys = {door: staff_token(directory, url) if door == "match" else partner_key
            for door in args.doors}  # a staff member's token for the staff door
    picks = rng.choice(len(hashes), size=1000, replace=False)
    hits = [flip(hashes[int(i)], int(rng.integers(0, 13)), rng) for i in picks]
    misses = [bytes(rng.integers(0, 256, 32, dtype=np.uint8)).hex() for _ in range(1000)]
    order = rng.permutation(2000)
    queries = [(hits + misses)[int(i)] for i in order]
    expected = [int(i) < len(hits) for i in order]
    scripts = {}
    for door in args.doors:
        path, lua_body, _body = DOORS[door]
        scripts[door] = directory / f"{door}.lua"
        scripts[door].write_text(LUA % {"queries": ",".join(f'"{q}"' for q in queries),
                                        "key": keys[door], "path": path, "body": lua_body})
    rows = []
    port = args.port or free_port()
    # first start: no snapshot yet, the index is built from the database
    proc, cold = serve(env, port, 1, args.server_cpus, directory / "cold.log")
    stop(proc)
    # the worker writes the snapshot (serving processes never do); later starts map it
    began = time.perf_counter()
    cli(env, "worker", "--once")
    snapshot = time.perf_counter() - began
    results: dict[tuple[Run, str], list[dict[str, float]]] = {
        (run, door): [] for run in args.runs for door in args.doors}
    for round_number in range(args.rounds):  # the runs interleaved, round after round
        for run in args.runs:
            port = args.port or free_port()
            run_env = {**env, "JIKIMI_COMMIT_DURABILITY": run.durability}
            limits = ExitStack()
            group = (limits.enter_context(cpu_quota(run.workers * run.cores_per_worker))
                     if run.cores_per_worker else None)
            proc, warm = serve(run_env, port, run.workers, run.cpus,
                               directory / f"serve-{run.label}-{round_number}.log", group)
            try:
                for door in args.doors:
                    run_wrk(port, scripts[door], 3, 4, 1, args.client_cpus)  # warm-up
                    load_before = load_average()
                    cpu_before = cpu_seconds(proc.pid)
                    result = run_wrk(port, scripts[door], args.seconds, args.connections,
                                     args.threads, args.client_cpus)
                    cpu_after = cpu_seconds(proc.pid)
                    for field, before, after in zip(("cpu_server", "cpu_db", "cpu_wrk"),
                                                    cpu_before, cpu_after, strict=True):
                        result[field] = (after - before) / max(result["requests"], 1) * 1e6
                    result["wrong"] = check_answers(port, keys[door], queries[:200],
                                                    expected[:200], door)
                    result["errors"] = (result["non2xx"] + result["connect"] + result["read"]
                                        + result["write"] + result["timeout"])
                    result["rate"] = result["requests"] / result["seconds"]
                    result["start"] = warm
                    results[(run, door)].append(result)
                    print(f"{name} {run.label} {door} round {round_number + 1}: "
                          f"{result['rate']:,.0f}/s, p99 {result['p99']:.1f} ms, load average "
                          f"before {load_before}", flush=True)
            finally:
                stop(proc)
                limits.close()
    for (run, door), measured in results.items():
        def spread(field: str, digits: int = 1, measured: list[dict[str, float]] = measured
                   ) -> str:
            values = [m[field] for m in measured]
            middle = statistics.median(values)
            if len(values) == 1:
                return f"{middle:,.{digits}f}"
            return f"{middle:,.{digits}f} ({min(values):,.{digits}f}–{max(values):,.{digits}f})"

        rows.append(f"| {name} | {door} | {run.workers} | {run.cpus_shown} | "
                    f"{run.durability} | {spread('rate', 0)} | {spread('p50')} | "
                    f"{spread('p90')} | {spread('p99')} | "
                    f"{max(m['max'] for m in measured):.0f} | "
                    f"{sum(m['errors'] for m in measured):.0f} | "
                    f"{sum(m['wrong'] for m in measured):.0f}/{200 * len(measured)} | "
                    f"{spread('start')} s | {spread('cpu_server', 0)} | "
                    f"{spread('cpu_db', 0)} | {spread('cpu_wrk', 0)} |")
        print(rows[-1], flush=True)
    print(f"{name}: first start (index built from the database) {cold:.1f} s", flush=True)
    rows.append(f"| {name} | first start, index built from the database: {cold:.1f} s; "
                f"`jikimi banks import` of {args.size:,}: {timings['import']:.0f} s; "
                f"`jikimi worker --once` (writes the snapshot): {snapshot:.1f} s "
                "| | | | | | | | | | | | | | |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=200_000)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--workers", type=lambda s: [int(x) for x in s.split(",")],
                        default=[1, 2])
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    parser.add_argument("--server-cpus", default="0", help="taskset list for the server")
    parser.add_argument("--client-cpus", default="1", help="taskset list for wrk")
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL server "
                        "(postgresql+psycopg://user@host:port/db): a fresh database is "
                        "created on it and dropped afterwards")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--runs", type=parse_runs, help="server configurations, "
                        "WORKERS@CPUS[:DURABILITY] separated by commas (e.g. "
                        "1@0,2@0,2@0-1,2@0-1:process); default: each --workers count on "
                        "--server-cpus with the default durability (disk)")
    parser.add_argument("--rounds", type=int, default=1, help="the runs interleaved this "
                        "many times (median and range reported)")
    parser.add_argument("--doors", type=lambda text: text.split(","), default=["lookup"],
                        help="lookup: a platform's POST /api/v1/partner/lookup; match: a "
                        "staff member's POST /api/v1/match (fingerprints as JSON); several "
                        "separated by commas, each measured on every server run")
    args = parser.parse_args()
    if unknown := set(args.doors) - set(DOORS):
        parser.error(f"unknown doors: {', '.join(sorted(unknown))}")
    if args.runs is None:
        args.runs = [Run(workers, args.server_cpus) for workers in args.workers]
    if not Path(WRK).exists():
        raise SystemExit("install Debian's wrk (apt-get install wrk)")
    rng = np.random.default_rng(2026)
    rows: list[str] = []
    hashes_for_reference: list[str] = []
    backends: list[tuple[str, str | None]] = []
    if not args.skip_sqlite:
        backends.append(("SQLite", None))
    if args.postgres:
        backends.append(("PostgreSQL", args.postgres))
    for name, server in backends:
        with tempfile.TemporaryDirectory() as tmp:
            directory = Path(tmp)
            database = None
            if server is None:
                url = f"sqlite:///{directory / 'jikimi.sqlite3'}"
            else:
                import psycopg

                database = f"bench_scale_{uuid.uuid4().hex[:8]}"
                admin = server.replace("postgresql+psycopg://", "postgresql://")
                with psycopg.connect(admin, autocommit=True) as conn:
                    conn.execute(f'CREATE DATABASE "{database}"')
                url = server.rsplit("/", 1)[0] + f"/{database}"
            try:
                rows += bench_backend(name, url, directory, args, rng)
            finally:
                if database is not None:
                    with psycopg.connect(admin, autocommit=True) as conn:
                        conn.execute(f'DROP DATABASE "{database}" WITH (FORCE)')
    # references: the same kind of queries in-process, and brute force
    raw = rng.integers(0, 256, size=(args.size, 32), dtype=np.uint8)
    hashes_for_reference = [row.tobytes().hex() for row in raw]
    index = PdqIndex()
    index.add(list(range(args.size)), hashes_for_reference)
    sample = [flip(hashes_for_reference[i], 6, rng) for i in range(500)] + [
        bytes(rng.integers(0, 256, 32, dtype=np.uint8)).hex() for _ in range(500)]
    began = time.perf_counter()
    for query in sample:
        index.search(query, 31)
    in_process = (time.perf_counter() - began) / len(sample)
    began = time.perf_counter()
    for query in sample[:20]:
        brute_force_search(raw, np.arange(args.size), query, 31)
    brute = (time.perf_counter() - began) / 20
    print()
    print(f"{', '.join(DOORS[d][0] for d in args.doors)}: 1 PDQ against {args.size:,} "
          f"shared hashes; wrk -t{args.threads} "
          f"-c{args.connections} -d{args.seconds:.0f}s (client cpus {args.client_cpus}, "
          f"server cpus {args.server_cpus})")
    print(f"rounds: {args.rounds} (median and range)")
    print("| database | door | workers | server CPUs | durability | lookups/s | p50 ms | "
          "p90 ms | p99 ms | max ms | errors | wrong answers | start-up (snapshot) | "
          "CPU µs per lookup: serving processes | database server | wrk |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        print(row)
    print(f"\nin-process PdqIndex.search (no HTTP, database, audit): {1 / in_process:,.0f}/s, "
          f"{in_process * 1000:.2f} ms; numpy brute force: {brute * 1000:.0f} ms a query")


if __name__ == "__main__":
    main()
