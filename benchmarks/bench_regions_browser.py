"""What the region hashes (signal type ``pdq_region``) cost a registration in the victim's
browser: ``pdq.js`` ``regionsOfThumbnail`` in headless Debian Chromium, on reference
thumbnails of generated photos, beside the ``pdq.js`` of another revision (``--before``,
default: the one before the 2.5 % off-centre grid, 79 region hashes) and the server's
``registration_regions``.

The page imports the portal's own ``pdq.js`` unchanged from a local static server (and the
other revision's, from git); each thumbnail (512 x 384 RGBA, what every 4:3 photo becomes) is
hashed ``--repeat`` times by each, interleaved, and the medians reported. The browser's hashes
are checked against the server's (bit for bit).

    .venv/bin/python benchmarks/bench_regions_browser.py [--count 6] [--repeat 3] [--before REV]
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from bench_hashing import scene
from PIL import Image

from jikimi.hashing.regions import registration_regions

ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "src" / "jikimi" / "portal" / "static"
CHROMIUM = "/usr/bin/chromium"

PAGE = """<!doctype html><meta charset="utf-8"><title>bench</title>
<script type="module" src="bench.js"></script>"""

SCRIPT = """
import * as pdq from './pdq.js';
import * as before from './pdq_before.js';
const oldRegions = (thumb) => before.regionsOfThumbnail(thumb);
window.runBench = async (thumbs, repeat) => {
  const out = [];
  for (const t of thumbs) {
    const raw = Uint8ClampedArray.from(atob(t.rgba), (c) => c.charCodeAt(0));
    const thumb = { data: raw, width: t.width, height: t.height };
    const times = { current: [], old: [] };
    let hashes = null;
    let oldCount = 0;
    for (let r = 0; r < repeat; r++) {
      for (const which of (r % 2 ? ['old', 'current'] : ['current', 'old'])) {
        const t0 = performance.now();
        if (which === 'current') hashes = pdq.regionsOfThumbnail(thumb);
        else oldCount = oldRegions(thumb).length;
        times[which].push(performance.now() - t0);
      }
    }
    out.push({ times, hashes, oldCount });
  }
  return out;
};
window.benchReady = true;
"""


def thumbnails(count: int) -> list[Image.Image]:
    out = []
    for i in range(count):
        img = scene(2000 + i, (2048, 1536))
        img.thumbnail((512, 512))
        out.append(img)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=6)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--before", default="edbe06d~1",
                        help="git revision whose pdq.js to time beside the current one")
    args = parser.parse_args()
    import base64
    import subprocess

    from playwright.sync_api import sync_playwright

    thumbs = thumbnails(args.count)
    payload = []
    for t in thumbs:
        rgba = np.asarray(t.convert("RGBA"), dtype=np.uint8)
        payload.append({"width": t.width, "height": t.height,
                        "rgba": base64.b64encode(rgba.tobytes()).decode("ascii")})
    with tempfile.TemporaryDirectory(prefix="jikimi-bench-regions-") as tmp:
        folder = Path(tmp)
        shutil.copy(STATIC / "pdq.js", folder / "pdq.js")
        (folder / "pdq_before.js").write_bytes(subprocess.run(
            ["git", "show", f"{args.before}:src/jikimi/portal/static/pdq.js"], cwd=ROOT,
            check=True, capture_output=True).stdout)
        (folder / "index.html").write_text(PAGE)
        (folder / "bench.js").write_text(SCRIPT)
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
        http.server.SimpleHTTPRequestHandler.log_message = (  # type: ignore[method-assign]
            lambda *a, **k: None)
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                            args=["--no-sandbox", "--disable-gpu",
                                                  "--disable-dev-shm-usage"])
                page = browser.new_page()
                page.goto(f"http://127.0.0.1:{server.server_address[1]}/index.html")
                page.wait_for_function("window.benchReady === true")
                results = page.evaluate("([t, r]) => window.runBench(t, r)",
                                        [payload, args.repeat])
                browser.close()
        finally:
            server.shutdown()
    server_ms = []
    for t, result in zip(thumbs, results, strict=True):
        t0 = time.perf_counter()
        server = registration_regions(t)
        server_ms.append((time.perf_counter() - t0) * 1000)
        got = [(h["name"], h["hash"], h["quality"]) for h in result["hashes"]]
        assert got == [(v.name, v.hex, v.quality) for v in server], "browser != server"
    current = statistics.median(x for r in results for x in r["times"]["current"])
    old = statistics.median(x for r in results for x in r["times"]["old"])
    n_now, n_old = len(results[0]["hashes"]), int(results[0]["oldCount"])
    print(f"{args.count} thumbnails {thumbs[0].width}x{thumbs[0].height}, {args.repeat} rounds "
          "each, interleaved; browser hashes equal to the server's on all")
    print("| region hashes per registration | Chromium pdq.js ms (median) | ms per window |")
    print("|---|---:|---:|")
    print(f"| {n_old} (pdq.js of {args.before}) | {old:,.0f} | {old / n_old:.2f} |")
    print(f"| {n_now} (pdq.js now) | {current:,.0f} | {current / n_now:.2f} |")
    print(f"server registration_regions ({n_now}): median {statistics.median(server_ms):,.0f} ms")
    print(json.dumps({"browser_ms_now": round(current), "browser_ms_before": round(old),
                      "windows_now": n_now, "windows_before": n_old}))


if __name__ == "__main__":
    main()
