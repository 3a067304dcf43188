"""Decode memory budget: 8 concurrent 100-megapixel uploads to a real `jikimi serve` process.

    .venv/bin/python benchmarks/bench_decode_budget.py --uploads 8 --megapixels 100 \
        --postgres postgresql://postgres@127.0.0.1:55432/postgres

Two runs, each with a fresh installation (made with the product's own commands: `jikimi
centres add`, `jikimi users add`, login through the API) and a fresh server process. Use
PostgreSQL (``--postgres`` names a server; each run gets a new database on it): on SQLite
every staff request holds the database's write lock for its whole unit of work, so uploads
are decoded one after another whatever the budget says.

1. ``JIKIMI_DECODE_MEMORY_MB=1024`` (the default budget);
2. the same with the budget effectively off (``JIKIMI_DECODE_MEMORY_MB=1000000``).

Each run posts the same generated 100 MP PNG (benign: gradients and shapes) ``--uploads``
times at once to ``POST /api/v1/hash`` (which decodes it), while a sampler reads the server's
resident memory (VmRSS of the process and its children, from /proc) every 10 ms. A client
that gets 503 waits ``Retry-After`` seconds and tries again, as a script would. The table
shows the idle RSS, the peak RSS, peak minus idle against the budget, how many 503 answers
came, and the wall time until every upload was fingerprinted.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from PIL import Image, ImageDraw


def picture(megapixels: int) -> bytes:
    """A large, benign, compressible PNG: a gradient with coloured shapes."""
    side = int((megapixels * 1_000_000) ** 0.5)
    img = Image.linear_gradient("L").resize((side, side)).convert("RGB")
    draw = ImageDraw.Draw(img)
    rnd = random.Random(13)
    for _ in range(40):
        x0, y0 = rnd.randrange(side), rnd.randrange(side)
        box = (x0, y0, x0 + rnd.randrange(100, 2000), y0 + rnd.randrange(100, 2000))
        draw.ellipse(box, fill=(rnd.randrange(256), rnd.randrange(256), rnd.randrange(256)))
    out = io.BytesIO()
    img.save(out, "PNG", compress_level=6)
    return out.getvalue()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def jikimi(env: dict[str, str], *args: str) -> str:
    return subprocess.run([sys.executable, "-m", "jikimi.cli.app", *args], env=env,
                          capture_output=True, text=True, check=True).stdout


def rss_bytes(pid: int) -> int:
    """Resident memory of a process and all its descendants."""
    total = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
            pending.extend(int(c) for c in children)
        except (FileNotFoundError, ProcessLookupError, ValueError):
            continue
    return total


@dataclass
class Result:
    budget_mb: int
    idle: int = 0
    peak: int = 0
    statuses: list[int] = field(default_factory=list)
    retries: int = 0
    seconds: float = 0.0


@contextmanager
def database(postgres: str | None) -> Iterator[str | None]:
    """A new, empty PostgreSQL database for one run (None: SQLite in the data directory)."""
    if not postgres:
        yield None
        return
    import psycopg

    admin = postgres.replace("postgresql+psycopg://", "postgresql://")
    name = f"jikimi_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(budget_mb: int, data: bytes, uploads: int, postgres: str | None) -> Result:
    result = Result(budget_mb)
    with tempfile.TemporaryDirectory(prefix="jikimi-bench-") as tmp, \
            database(postgres) as database_url:
        env = {k: v for k, v in os.environ.items() if not k.startswith("JIKIMI_")}
        env.update({"JIKIMI_DATA_DIR": str(Path(tmp) / "var"),
                    "JIKIMI_DECODE_MEMORY_MB": str(budget_mb)})
        if database_url:
            env["JIKIMI_DATABASE_URL"] = database_url
        jikimi(env, "db", "upgrade")
        jikimi(env, "centres", "add", "벤치센터")
        user = json.loads(jikimi(env, "users", "add", "bench@test.invalid", "--role", "analyst",
                                 "--format", "json"))
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "jikimi.cli.app", "serve", "--port", str(port)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("the server did not start")
                time.sleep(0.2)
            login = httpx.post(f"{base}/api/v1/auth/login", json={
                "email": user["email"], "password": user["password"]})
            login.raise_for_status()
            cookies = dict(login.cookies)
            headers = {"X-CSRF-Token": login.json()["csrf_token"]}
            time.sleep(1.0)
            result.idle = rss_bytes(server.pid)
            sampling = True

            def sample() -> None:
                while sampling:
                    result.peak = max(result.peak, rss_bytes(server.pid))
                    time.sleep(0.01)

            sampler = threading.Thread(target=sample)
            sampler.start()
            lock = threading.Lock()

            def upload() -> None:
                with httpx.Client(base_url=base, cookies=cookies, headers=headers,
                                  timeout=600) as client:
                    while True:
                        response = client.post("/api/v1/hash", files={
                            "file": ("big.png", data, "image/png")})
                        with lock:
                            result.statuses.append(response.status_code)
                        if response.status_code != 503:
                            return
                        with lock:
                            result.retries += 1
                        time.sleep(float(response.headers.get("retry-after", "1")))

            started = time.monotonic()
            threads = [threading.Thread(target=upload) for _ in range(uploads)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            result.seconds = time.monotonic() - started
            sampling = False
            sampler.join()
            result.peak = max(result.peak, rss_bytes(server.pid))
        finally:
            server.terminate()
            server.wait(30)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=8)
    parser.add_argument("--megapixels", type=int, default=100)
    parser.add_argument("--budget", type=int, default=1024, help="MB")
    parser.add_argument("--postgres", default=os.environ.get("JIKIMI_TEST_POSTGRES_URL"),
                        help="a PostgreSQL server URL (each run gets a new database on it)")
    args = parser.parse_args()
    data = picture(args.megapixels)
    print(f"{args.uploads} concurrent uploads of one {args.megapixels} MP PNG "
          f"({len(data) / 1e6:.1f} MB) to POST /api/v1/hash")
    print(f"database: {'PostgreSQL' if args.postgres else 'SQLite'}")
    rows = [run(args.budget, data, args.uploads, args.postgres),
            run(1_000_000, data, args.uploads, args.postgres)]
    mib = 1024 * 1024
    print()
    print("| JIKIMI_DECODE_MEMORY_MB | idle RSS (MB) | peak RSS (MB) | peak − idle (MB) | "
          "peak ≤ budget + idle | 200 | 503 (retried) | other | wall time (s) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        ok = r.statuses.count(200)
        busy = r.statuses.count(503)
        other = len(r.statuses) - ok - busy
        if other:
            print("other answers:", sorted(s for s in r.statuses if s not in (200, 503)))
        label = f"{r.budget_mb}" if r.budget_mb < 1_000_000 else "1000000 (effectively off)"
        within = ("—" if r.budget_mb >= 1_000_000 else
                  "yes" if r.peak <= r.budget_mb * mib + r.idle else "no")
        print(f"| {label} | {r.idle / mib:,.0f} | {r.peak / mib:,.0f} | "
              f"{(r.peak - r.idle) / mib:,.0f} | {within} | {ok} | {busy} | "
              f"{other} | {r.seconds:.1f} |")


if __name__ == "__main__":
    main()
