"""The victim portal's in-browser hashing, in real Chromium, side by side with the server's
Python reference on the same files.

20 benign generated photographs of 12 megapixels (4000x3000 JPEG: gradients, shapes, noise;
the scenes of bench_hashing.py) are chosen in a file input, exactly as a victim chooses them.
The page imports the portal's own modules unchanged (``portal.js``'s ``fingerprintFile``,
``pdq.js``) from a local static server (``127.0.0.1`` is a secure context, so WebCrypto
works) and times, per file:

* decode: ``createImageBitmap`` + draw on a canvas + ``getImageData`` (the browser's decoder);
* PDQ: ``pdqFromImageData`` (JPEG-draft emulation, Pillow's thumbnail, PDQ);
* portal: ``fingerprintFile``, all the portal does (SHA-256, MD5, decode, PDQ and every
  registration variants).

Python, same bytes: the reference pipeline (Pillow ``thumbnail`` with draft, ``pdqhash``),
and ``fingerprint_bytes(with_variants=True)`` (what a staff registration computes).

    .venv/bin/python benchmarks/bench_portal_browser.py [--count 20] [--size 4000x3000]
"""

from __future__ import annotations

import argparse
import functools
import http.server
import io
import json
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from bench_hashing import jpeg_bytes, scene
from PIL import Image

from jikimi.hashing import fingerprint_bytes, hamming_distance
from jikimi.hashing.pdq import hash_array, rgb_array

ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "src" / "jikimi" / "portal" / "static"
CHROMIUM = "/usr/bin/chromium"

PAGE = """<!doctype html><meta charset="utf-8"><title>bench</title>
<input id="files" type="file" multiple><script type="module" src="bench.js"></script>"""

SCRIPT = """
import * as pdq from './pdq.js';
import { fingerprintFile } from './portal.js';
window.runBench = async () => {
  const files = Array.from(document.getElementById('files').files);
  const out = [];
  for (const file of files) {
    const bytes = new Uint8Array(await file.arrayBuffer());
    const jpeg = bytes[0] === 0xff && bytes[1] === 0xd8;
    let t0 = performance.now();
    const bitmap = await createImageBitmap(file, { imageOrientation: 'none',
      premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
    const canvas = document.createElement('canvas');
    canvas.width = bitmap.width; canvas.height = bitmap.height;
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    ctx.drawImage(bitmap, 0, 0);
    const image = ctx.getImageData(0, 0, bitmap.width, bitmap.height);
    bitmap.close();
    const decode = performance.now() - t0;
    t0 = performance.now();
    const h = pdq.pdqFromImageData(image, { jpegDraft: jpeg });
    const hashOnly = performance.now() - t0;
    canvas.width = 0; canvas.height = 0;
    t0 = performance.now();
    const fp = await fingerprintFile(file, pdq);
    const portal = performance.now() - t0;
    out.push({ name: file.name, decode, pdq: hashOnly, portal, hash: h.hash,
               portalHash: fp.pdq, variants: fp.variants.length });
  }
  return out;
};
window.benchReady = true;
"""


def make_images(folder: Path, count: int, size: tuple[int, int]) -> list[Path]:
    paths = []
    for i in range(count):
        path = folder / f"photo{i:02d}.jpg"
        path.write_bytes(jpeg_bytes(scene(1000 + i, size)))
        paths.append(path)
    return paths


def python_reference(paths: list[Path]) -> list[dict[str, float | str]]:
    out: list[dict[str, float | str]] = []
    for path in paths:
        data = path.read_bytes()
        t0 = time.perf_counter()
        img = Image.open(io.BytesIO(data))
        img.thumbnail((512, 512))
        ref = hash_array(rgb_array(img))
        reference = time.perf_counter() - t0
        t0 = time.perf_counter()
        fp = fingerprint_bytes(data, with_variants=True)
        full = time.perf_counter() - t0
        assert getattr(fp, "pdq", None) == ref.hex
        out.append({"reference": reference * 1000, "full": full * 1000, "hash": ref.hex})
    return out


def browser_run(folder: Path, paths: list[Path]) -> list[dict[str, float | str]]:
    from playwright.sync_api import sync_playwright

    for name in ("pdq.js", "portal.js"):
        shutil.copy(STATIC / name, folder / name)
    (folder / "index.html").write_text(PAGE)
    (folder / "bench.js").write_text(SCRIPT)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    http.server.SimpleHTTPRequestHandler.log_message = lambda *a, **k: None  # type: ignore[method-assign]
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
            page.set_input_files("#files", [str(p) for p in paths])
            t0 = time.perf_counter()
            results: list[dict[str, float | str]] = page.evaluate("window.runBench()")
            wall = time.perf_counter() - t0
            browser.close()
    finally:
        server.shutdown()
    print(f"browser wall time for the whole loop: {wall:.1f} s")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--size", default="4000x3000")
    args = parser.parse_args()
    w, h = (int(v) for v in args.size.split("x"))
    with tempfile.TemporaryDirectory(prefix="jikimi-bench-portal-") as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        paths = make_images(folder, args.count, (w, h))
        size_mb = statistics.mean(p.stat().st_size for p in paths) / 1e6
        print(f"{args.count} generated JPEGs of {w}x{h} ({w * h / 1e6:.0f} MP, "
              f"{size_mb:.1f} MB each) in {time.perf_counter() - t0:.1f} s")
        browser = browser_run(folder, paths)
        python = python_reference(paths)
    distances = [hamming_distance(str(b["hash"]), str(p["hash"]))
                 for b, p in zip(browser, python, strict=True)]

    def mean(rows: list[dict[str, float | str]], key: str) -> float:
        return statistics.mean(float(r[key]) for r in rows)

    def median(rows: list[dict[str, float | str]], key: str) -> float:
        return statistics.median(float(r[key]) for r in rows)

    rows = [
        ("Chromium: decode (createImageBitmap + canvas + getImageData)", browser, "decode"),
        ("Chromium: pdq.js PDQ (draft emulation + thumbnail + PDQ)", browser, "pdq"),
        ("Chromium: portal fingerprintFile (SHA-256, MD5, decode, PDQ + registration variants)",
         browser, "portal"),
        ("Python: reference PDQ (Pillow thumbnail with draft + pdqhash)", python, "reference"),
        ("Python: fingerprint_bytes(with_variants=True) (staff registration)", python, "full"),
    ]
    print()
    print("| step | mean ms / image | median ms | images/s |")
    print("|---|---|---|---|")
    for label, data, key in rows:
        m = mean(data, key)
        print(f"| {label} | {m:,.0f} | {median(data, key):,.0f} | {1000 / m:.2f} |")
    print()
    print(f"PDQ distance, Chromium vs Python reference (bits): max {max(distances)}, "
          f"mean {np.mean(distances):.1f}, all {distances}")
    same = sum(1 for b in browser if b["hash"] == b["portalHash"])
    print(f"pdqFromImageData and fingerprintFile agree on {same}/{len(browser)} images; "
          f"variants per image: {sorted({int(b['variants']) for b in browser})}")
    print(json.dumps({"browser_portal_images_per_s": round(1000 / mean(browser, "portal"), 2),
                      "python_full_images_per_s": round(1000 / mean(python, "full"), 2)}))


if __name__ == "__main__":
    main()
