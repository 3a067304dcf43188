"""End-to-end scan throughput: a folder of N local images (benign, generated), registered
copies among them, scanned in-process and on a local Ray with 1 and 2 workers.

    .venv/bin/python benchmarks/bench_scan.py --items 10000

Each run uses a fresh installation (SQLite under a temp dir) and the same folder; the table
shows items/s end to end (enumerate, read, decode, PDQ + dihedral + file hashes, index search,
write-back), and checks that every run found the same matches.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image, ImageDraw


def scene(seed: int, size: tuple[int, int]) -> bytes:
    rnd = random.Random(seed)
    img = Image.new("RGB", size)
    draw = ImageDraw.Draw(img)
    for y in range(0, size[1], 2):
        draw.line([(0, y), (size[0], y)], fill=(y % 256, (y * 3 + seed) % 256, 90), width=2)
    for _ in range(10):
        x0, y0 = rnd.randrange(size[0]), rnd.randrange(size[1])
        box = (x0, y0, x0 + rnd.randrange(20, 160), y0 + rnd.randrange(20, 160))
        colour = (rnd.randrange(256), rnd.randrange(256), rnd.randrange(256))
        (draw.ellipse if rnd.random() < 0.5 else draw.rectangle)(box, fill=colour)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=85)
    return out.getvalue()


def jikimi(env: dict[str, str], *args: str) -> str:
    result = subprocess.run([sys.executable, "-m", "jikimi.cli.app", *args], env={
        **os.environ, **env}, capture_output=True, text=True, check=True)
    return result.stdout


def run(folder: Path, registered: Path, runner: list[str]) -> tuple[float, dict[str, int]]:
    with tempfile.TemporaryDirectory() as tmp:
        # the generated folder is read where it is: it is this run's import root
        env = {"JIKIMI_DATA_DIR": tmp, "JIKIMI_IMPORT_ROOTS": str(folder.parent)}
        jikimi(env, "db", "upgrade")
        jikimi(env, "centres", "add", "bench")
        jikimi(env, "banks", "create", "victims")
        jikimi(env, "banks", "add", "victims", str(registered))
        source = json.loads(jikimi(env, "sources", "add", "archive", "--name", "bench",
                                   "--path", str(folder), "--format", "json"))["id"]
        start = time.perf_counter()
        summary = json.loads(jikimi(env, "scan", str(source), "--format", "json", *runner))
        return time.perf_counter() - start, summary


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--size", default="640x480", help="image size, e.g. 640x480")
    parser.add_argument("--runners", default="local,ray1,ray2")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "seized"
        registered = Path(tmp) / "registered"
        folder.mkdir()
        registered.mkdir()
        copies = 0
        for k in range(args.items):
            data = scene(k, (width, height))
            (folder / f"{k:06d}.jpg").write_bytes(data)
            if k % 100 == 0:
                (registered / f"{k:06d}.jpg").write_bytes(data)
                copies += 1
        rows = []
        runners = {"local": [], "ray1": ["--ray", "local", "--ray-workers", "1"],
                   "ray2": ["--ray", "local", "--ray-workers", "2"]}
        for name in args.runners.split(","):
            seconds, summary = run(folder, registered, runners[name])
            rows.append((name, seconds, summary))
        print(f"\nScan of {args.items} local {width}x{height} JPEGs, {copies} registered "
              f"({os.cpu_count()} CPUs)")
        print(f"{'runner':<8} {'seconds':>8} {'items/s':>8} {'items':>7} {'matched':>8} "
              f"{'errors':>7}")
        for name, seconds, summary in rows:
            print(f"{name:<8} {seconds:8.1f} {summary['items'] / seconds:8.1f} "
                  f"{summary['items']:7d} {summary['matched']:8d} {summary['errors']:7d}")
        assert len({(s["items"], s["matched"]) for _, _, s in rows}) == 1, "runs disagree"


if __name__ == "__main__":
    main()
