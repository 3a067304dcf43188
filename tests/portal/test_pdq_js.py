"""pdq.js (the victim portal's in-browser PDQ) against the server's Python hashing.

Pillow decodes or generates images into raw RGBA files; ``node`` runs ``run_pdq.mjs``, which
imports ``src/jikimi/portal/static/pdq.js`` unchanged and prints JSON. Everything lossless must be
bit for bit equal to ``pdqhash`` / :mod:`jikimi.hashing`; JPEG draft emulation is measured.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageDraw

from jikimi.hashing import hamming_distance, query_variants, registration_variants
from jikimi.hashing.pdq import hash_array

ROOT = Path(__file__).resolve().parents[2]
RUNNER = Path(__file__).with_name("run_pdq.mjs")
REFERENCE = ROOT.parent / "shared" / "data" / "pdq-reference"

NODE = shutil.which("node")
if NODE is None:
    if os.environ.get("CI"):
        raise RuntimeError("CI must run the pdq.js tests: install Node 20 (`node` is not on PATH)")
    pytest.skip("node (Node 20) is not installed: pdq.js cannot be tested", allow_module_level=True)


class Runner:
    """Collects jobs and runs them in one node process."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.count = 0

    def file(self, rgba: np.ndarray) -> tuple[str, int, int]:
        """Write an H x W x 4 (or x 3) uint8 array as raw RGBA; returns path, width, height."""
        if rgba.shape[2] == 3:
            rgba = np.dstack([rgba, np.full(rgba.shape[:2], 255, np.uint8)])
        self.count += 1
        path = self.tmp / f"img{self.count}.rgba"
        np.ascontiguousarray(rgba, dtype=np.uint8).tofile(path)
        return str(path), rgba.shape[1], rgba.shape[0]

    def run(self, jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        self.count += 1
        path = self.tmp / f"jobs{self.count}.json"
        path.write_text(json.dumps(jobs))
        done = subprocess.run(
            [NODE, str(RUNNER), str(path)], capture_output=True, text=True, timeout=120, check=False
        )
        assert done.returncode == 0, done.stderr
        results: list[dict[str, Any]] = json.loads(done.stdout)
        assert len(results) == len(jobs)
        return results


@pytest.fixture
def node(tmp_path: Path) -> Runner:
    return Runner(tmp_path)


def ok(result: dict[str, Any]) -> Any:
    assert result["ok"], result.get("error")
    return result["value"]


def rgb_of(img: Image.Image) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(img.convert("RGB"), dtype=np.uint8))


# --- generated images --------------------------------------------------------------------------


def generated_images() -> list[tuple[str, np.ndarray]]:
    """Gradients, shapes, noise and odd sizes, as H x W x 3 uint8 (RGB)."""
    rng = np.random.default_rng(20240606)
    out: list[tuple[str, np.ndarray]] = []
    sizes = [(1, 1), (4, 4), (5, 5), (3, 700), (700, 3), (4000, 10), (10, 4000), (64, 64),
             (63, 65), (100, 80), (127, 129), (128, 128), (255, 257), (512, 321), (321, 512),
             (640, 480), (777, 333)]  # fmt: skip
    for w, h in sizes:
        y, x = np.mgrid[0:h, 0:w]
        out.append((f"noise{w}x{h}", rng.integers(0, 256, (h, w, 3), dtype=np.uint8)))
        grad = np.stack(
            [x * 255 // max(w - 1, 1), y * 255 // max(h - 1, 1), (x + y) % 256], axis=-1
        ).astype(np.uint8)
        out.append((f"gradient{w}x{h}", grad))
    for i, (w, h) in enumerate([(300, 200), (511, 512), (97, 450), (1024, 700)]):
        img = Image.new("RGB", (w, h), tuple(int(v) for v in rng.integers(0, 256, 3)))
        draw = ImageDraw.Draw(img)
        for _ in range(12):
            x0, x1 = sorted(int(v) for v in rng.integers(0, w, 2))
            y0, y1 = sorted(int(v) for v in rng.integers(0, h, 2))
            colour = tuple(int(v) for v in rng.integers(0, 256, 3))
            if rng.random() < 0.5:
                draw.ellipse((x0, y0, x1, y1), fill=colour)
            else:
                draw.rectangle((x0, y0, x1, y1), fill=colour)
        draw.line((0, 0, w, h), fill=(255, 255, 255), width=3)
        out.append((f"shapes{i}", rgb_of(img)))
    flat = np.full((90, 120, 3), 77, np.uint8)
    out.append(("flat", flat))
    return out


def test_pdq_bit_exact_on_generated_images(node: Runner) -> None:
    images = generated_images()
    jobs = []
    for _name, arr in images:
        path, w, h = node.file(arr)
        jobs.append({"op": "pdq", "file": path, "width": w, "height": h})
    results = node.run(jobs)
    for (name, arr), result in zip(images, results, strict=True):
        expected = hash_array(arr)
        got = ok(result)
        assert (got["hash"], got["quality"]) == (expected.hex, expected.quality), name


def test_dct_matrix_matches_reference_floats(node: Runner) -> None:
    """Math.cos need not be correctly rounded: check the float32 matrix against Python's."""
    import math

    scale = float(np.float32(math.sqrt(2.0 / 64.0)))
    expected = np.array(
        [scale * math.cos((math.pi / 2 / 64.0) * (i + 1) * (2 * j + 1))
         for i in range(16) for j in range(64)],
    ).astype(np.float32)  # fmt: skip
    got = np.array(ok(node.run([{"op": "dct"}])[0]), dtype=np.float32)
    assert np.array_equal(got, expected)


# --- the thumbnail step ------------------------------------------------------------------------

THUMB_SIZES = [(513, 200), (600, 600), (1024, 768), (1600, 1004), (1004, 1600), (2048, 1536),
               (3001, 1999), (4000, 10), (10, 4000), (700, 3), (3, 700), (1030, 1030),
               (2049, 513), (1537, 1025), (999, 1001), (512, 513), (2500, 40),
               (513, 512), (100, 100), (1, 5000)]  # fmt: skip


def test_thumbnail_size_matches_pillow(node: Runner) -> None:
    rng = np.random.default_rng(7)
    sizes = [*THUMB_SIZES, *((int(a), int(b)) for a, b in rng.integers(1, 5000, (150, 2)))]
    results = node.run([{"op": "thumbnailSize", "width": w, "height": h} for w, h in sizes])
    for (w, h), result in zip(sizes, results, strict=True):
        img = Image.new("L", (w, h))
        img.thumbnail((512, 512))
        assert tuple(ok(result)) == img.size, (w, h)


def _png_image(w: int, h: int, rng: np.random.Generator, alpha: bool) -> bytes:
    y, x = np.mgrid[0:h, 0:w]
    base = np.stack([(x * 3 + y) % 256, (y * 5) % 256, ((x * x + y * y) // 97) % 256], -1)
    arr = np.clip(base + rng.integers(0, 60, (h, w, 3)), 0, 255).astype(np.uint8)
    if alpha:
        img = Image.fromarray(np.dstack([arr, ((x + 2 * y) % 256).astype(np.uint8)]), "RGBA")
    else:
        img = Image.fromarray(arr, "RGB")
    buf = io.BytesIO()
    img.save(buf, "PNG", compress_level=1)
    return buf.getvalue()


def test_downscale_matches_pillow_thumbnail_on_pngs(node: Runner) -> None:
    """Decoded PNG pixels -> downscaleRGBA equals Pillow's thumbnail((512, 512)) exactly,
    RGB and RGBA with transparency (which Pillow resizes premultiplied)."""
    rng = np.random.default_rng(3)
    jobs, expected = [], []
    for i, (w, h) in enumerate(THUMB_SIZES):
        data = _png_image(w, h, rng, alpha=i % 3 == 1)
        decoded = Image.open(io.BytesIO(data))
        path, _, _ = node.file(np.asarray(decoded.convert("RGBA")))
        thumb = Image.open(io.BytesIO(data))
        thumb.thumbnail((512, 512))
        expected.append(rgb_of(thumb))
        jobs.append({"op": "downscale", "file": path, "width": w, "height": h,
                     "out": path + ".out"})  # fmt: skip
    for job, want, result in zip(jobs, expected, node.run(jobs), strict=True):
        size = ok(result)
        got = np.fromfile(job["out"], np.uint8).reshape(size["height"], size["width"], 4)
        assert np.array_equal(got[:, :, :3], want), (job["width"], job["height"])


# --- Meta's reference images -------------------------------------------------------------------


def reference_rows() -> list[dict[str, str]]:
    with (REFERENCE / "expected.csv").open() as f:
        return list(csv.DictReader(f))


needs_reference = pytest.mark.skipif(
    not (REFERENCE / "expected.csv").exists(), reason=f"reference data missing: {REFERENCE}"
)


@needs_reference
def test_reference_images_bit_exact(node: Runner) -> None:
    """For each of the 19 reference images: (a) the RGB pixels the reference hashes (after its
    thumbnail) give the expected hash and quality in pdq.js; (b) the full-size decoded pixels
    through pdq.js's own downscale give them too (no JPEG here is large enough for draft mode)."""
    rows = reference_rows()
    assert len(rows) == 19
    jobs = []
    for row in rows:
        thumb = Image.open(REFERENCE / row["path"])
        thumb.thumbnail((512, 512))
        path, w, h = node.file(rgb_of(thumb))
        jobs.append({"op": "pdq", "file": path, "width": w, "height": h})
        full = Image.open(REFERENCE / row["path"])
        path, w, h = node.file(np.asarray(full.convert("RGBA")))
        jobs.append({"op": "image", "file": path, "width": w, "height": h,
                     "options": {"jpegDraft": full.format == "JPEG"}})  # fmt: skip
    results = node.run(jobs)
    for i, row in enumerate(rows):
        want = (row["pdq_hex"], int(row["quality"]))
        for result in results[2 * i : 2 * i + 2]:
            got = ok(result)
            assert (got["hash"], got["quality"]) == want, row["path"]


def _jpeg(w: int, h: int, rng: np.random.Generator) -> bytes:
    img = Image.new("RGB", (w, h), (40, 90, 160))
    draw = ImageDraw.Draw(img)
    for _ in range(40):
        x0, x1 = sorted(int(v) for v in rng.integers(0, w, 2))
        y0, y1 = sorted(int(v) for v in rng.integers(0, h, 2))
        draw.ellipse((x0, y0, x1, y1), fill=tuple(int(v) for v in rng.integers(0, 256, 3)))
    arr = np.asarray(img).astype(np.int16) + rng.integers(-12, 12, (h, w, 3))
    buf = io.BytesIO()
    Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8)).save(buf, "JPEG", quality=90)
    return buf.getvalue()


def test_jpeg_draft_emulation_is_close(node: Runner) -> None:
    """Large JPEGs (both sides >= 2048) hit Pillow's draft mode (libjpeg DCT scaling), which a
    browser cannot reproduce; pdq.js emulates it with a box average. Measured, not bit-exact."""
    rng = np.random.default_rng(11)
    jobs, expected = [], []
    for w, h in [(2048, 2048), (3000, 2200), (4100, 4100), (2600, 4200)]:
        data = _jpeg(w, h, rng)
        img = Image.open(io.BytesIO(data))
        img.thumbnail((512, 512))  # what the server does (draft + resize)
        expected.append(hash_array(rgb_of(img)).hex)
        full = Image.open(io.BytesIO(data))
        path, _, _ = node.file(np.asarray(full.convert("RGBA")))  # what a browser decodes
        jobs.append({"op": "image", "file": path, "width": w, "height": h,
                     "options": {"jpegDraft": True}})  # fmt: skip
    distances = [
        hamming_distance(ok(r)["hash"], want)
        for r, want in zip(node.run(jobs), expected, strict=True)
    ]
    print("JPEG draft emulation distances:", distances)
    assert max(distances) <= 10


# --- registration variants ---------------------------------------------------------------------


def _shapes(w: int, h: int, seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    img = Image.new("RGB", (w, h), (30, 60, 90))
    draw = ImageDraw.Draw(img)
    for _ in range(25):
        x0, x1 = sorted(int(v) for v in rng.integers(0, w, 2))
        y0, y1 = sorted(int(v) for v in rng.integers(0, h, 2))
        draw.rectangle((x0, y0, x1, y1), fill=tuple(int(v) for v in rng.integers(0, 256, 3)))
    return img


def _screenshot(w: int, h: int, seed: int) -> Image.Image:
    """A phone screenshot's shape: status and title bars with text-like marks, the picture,
    buttons below, on a light background."""
    rng = np.random.default_rng(seed)
    width, height = w + 40, h + 400
    img = Image.new("RGB", (width, height), (245, 245, 245))
    draw = ImageDraw.Draw(img)
    for y0 in (10, 60, 110):
        for x in range(20, width - 40, 37):
            draw.rectangle((x, y0, x + int(rng.integers(8, 25)), y0 + 18), fill=(30, 30, 30))
    img.paste(_shapes(w, h, seed), (20, 180))
    for x in range(30, width - 60, 90):
        draw.rectangle((x, height - 150, x + 50, height - 110), fill=(60, 60, 200))
    return img


def _captioned(w: int, h: int, seed: int) -> Image.Image:
    """A caption bar with text-like marks above the picture."""
    out = Image.new("RGB", (w, h + h // 5), (250, 250, 250))
    out.paste(_shapes(w, h, seed), (0, h // 5))
    draw = ImageDraw.Draw(out)
    for x in range(10, w - 30, 28):
        draw.rectangle((x, h // 15, x + 14, h // 15 + h // 30), fill=(10, 10, 10))
    return out


def variant_images() -> list[tuple[str, Image.Image]]:
    """Plain images of several sizes; bordered and letterboxed ones; screenshot-like and
    captioned ones (larger than 512 px too, where the unframed crops are cut from the
    full-size pixels and thumbnailed again)."""
    out = []
    for i, (w, h) in enumerate([(400, 300), (1200, 700), (333, 517), (360, 360)]):
        img = _shapes(w, h, 5 + i)
        out.append((f"plain{i}", img))
        # framed: black letterbox bars / a white border with a caption-like interruption
        fw, fh = w + w // 5, h + h // 3
        framed = Image.new("RGB", (fw, fh), (0, 0, 0) if i % 2 else (250, 250, 250))
        framed.paste(img, ((fw - w) // 2, (fh - h) // 2))
        if i % 2 == 0:
            ImageDraw.Draw(framed).rectangle((5, 5, 40, 12), fill=(20, 20, 20))
        out.append((f"framed{i}", framed))
    out += [("screenshot", _screenshot(700, 500, 1)),
            ("screenshot-small", _screenshot(300, 400, 2)),
            ("captioned", _captioned(900, 600, 3)),
            ("captioned-small", _captioned(400, 300, 4))]
    rgba = _shapes(800, 500, 9).convert("RGBA")
    framed_rgba = Image.new("RGBA", (900, 700), (0, 0, 0, 255))
    framed_rgba.paste(rgba, (50, 100))
    out.append(("framed-rgba", framed_rgba))
    return out


def test_variants_match_server(node: Runner) -> None:
    """Every registration variant (dihedral, the four unframed ones, centred crops): same
    names, order, hashes and qualities as the server's registration_variants, bit for bit,
    for the same decoded pixels; and queryVariants as query_variants."""
    images = variant_images()
    jobs = []
    for _name, img in images:
        path, w, h = node.file(np.asarray(img.convert("RGBA")))
        jobs.append({"op": "variants", "file": path, "width": w, "height": h})
        jobs.append({"op": "queryVariants", "file": path, "width": w, "height": h})
    results = node.run(jobs)
    seen: set[str] = set()
    for i, (name, img) in enumerate(images):
        buf = io.BytesIO()
        img.save(buf, "PNG")
        server = [(v.name, v.hex, v.quality) for v in registration_variants(buf.getvalue())]
        got = [(v["name"], v["hash"], v["quality"]) for v in ok(results[2 * i])]
        assert got == server, name
        query = [(v.name, v.hex, v.quality) for v in query_variants(buf.getvalue())]
        assert [(v["name"], v["hash"], v["quality"]) for v in ok(results[2 * i + 1])] == query
        seen.update(v[0] for v in got)
    # The images really exercise every unframing rule.
    assert {"unframed", "unframed_bands", "unframed_ui", "unframed_ui2"} <= seen


def test_dihedral_matches_pillow_transpose(node: Runner) -> None:
    rng = np.random.default_rng(9)
    arr = rng.integers(0, 256, (7, 11, 3), dtype=np.uint8)
    img = Image.fromarray(arr)
    path, w, h = node.file(arr)
    ops = {
        "rot90": Image.Transpose.ROTATE_90,
        "rot180": Image.Transpose.ROTATE_180,
        "rot270": Image.Transpose.ROTATE_270,
        "flip_v": Image.Transpose.FLIP_TOP_BOTTOM,
        "flip_h": Image.Transpose.FLIP_LEFT_RIGHT,
        "transpose": Image.Transpose.TRANSPOSE,
        "transverse": Image.Transpose.TRANSVERSE,
    }
    jobs = [{"op": "dihedral", "file": path, "width": w, "height": h, "name": n,
             "out": f"{path}.{n}"} for n in ops]  # fmt: skip
    for job, result in zip(jobs, node.run(jobs), strict=True):
        size = ok(result)
        got = np.fromfile(job["out"], np.uint8).reshape(size["height"], size["width"], 4)
        assert np.array_equal(got[:, :, :3], rgb_of(img.transpose(ops[job["name"]]))), job["name"]


# --- MD5 and bad input -------------------------------------------------------------------------


def test_md5(node: Runner) -> None:
    rng = np.random.default_rng(1)
    blobs = [b"", b"a", b"abc", b"The quick brown fox jumps over the lazy dog"]
    blobs += [rng.integers(0, 256, n, dtype=np.uint8).tobytes() for n in (55, 56, 63, 64, 65, 1000)]
    blobs.append(rng.integers(0, 256, 3_000_001, dtype=np.uint8).tobytes())
    jobs = []
    for i, blob in enumerate(blobs):
        path = node.tmp / f"blob{i}"
        path.write_bytes(blob)
        jobs.append({"op": "md5", "file": str(path)})
    for blob, result in zip(blobs, node.run(jobs), strict=True):
        assert ok(result) == hashlib.md5(blob).hexdigest()


BAD_CALLS = [
    ("pdqFromRGBA", [{"zeros": 15}, 2, 2], "bytes"),
    ("pdqFromRGBA", [{"zeros": 16}, 2, 3], "bytes"),
    ("pdqFromRGBA", [{"zeros": 0}, 0, 0], "positive"),
    ("pdqFromRGBA", [{"zeros": 4}, -1, -4], "positive"),
    ("pdqFromRGBA", [{"zeros": 4}, None, 1], "integer"),
    ("pdqFromRGBA", [{"zeros": 4}, "1", 1], "integer"),
    ("pdqFromRGBA", [{"zeros": 4}, 1.5, 1], "integer"),
    ("pdqFromRGBA", [{"zeros": 4}, 1e300, 1e300], "limit"),
    ("pdqFromRGBA", [{"zeros": 4}, 100000, 100000], "limit"),
    ("pdqFromRGBA", [None, 1, 1], "Uint8Array"),
    ("pdqFromRGBA", ["abcd", 1, 1], "Uint8Array"),
    ("downscaleRGBA", [{"zeros": 4}, 2_000_000_000, 1], "limit"),
    ("downscaleRGBA", [{"zeros": 8}, 1, 1], "bytes"),
    ("thumbnailSize", [0, 10], "positive"),
    ("registrationVariants", [{"zeros": 12}, 3, 3], "bytes"),
    ("cropRGBA", [{"zeros": 16}, 2, 2, [0, 0, 3, 3]], "crop box"),
    ("dihedral", [{"zeros": 16}, 2, 2, "rot45"], "unknown transform"),
    ("hammingDistance", ["00", "11"], "64 hex"),
]


def test_bad_input_throws_clear_errors(node: Runner) -> None:
    jobs: list[dict[str, Any]] = [{"op": "call", "fn": f, "args": a} for f, a, _ in BAD_CALLS]
    # NaN and Infinity do not survive JSON: pass them through a tiny inline call instead.
    results = node.run(jobs)
    for (fn, args, words), result in zip(BAD_CALLS, results, strict=True):
        assert not result["ok"], (fn, args)
        assert words in result["error"], (fn, args, result["error"])
        assert result["ms"] < 1000, (fn, args)
    script = (
        "import * as p from '" + (ROOT / "src/jikimi/portal/static/pdq.js").as_uri() + "';"
        "const out = [];"
        "for (const [w, h] of [[NaN, 1], [1, NaN], [Infinity, 1], [1, -Infinity]]) {"
        "  try { p.pdqFromRGBA(new Uint8Array(4), w, h); out.push('no error'); }"
        "  catch (e) { out.push(e.message); } }"
        "console.log(JSON.stringify(out));"
    )
    done = subprocess.run(
        [NODE, "--input-type=module", "-e", script],
        capture_output=True, text=True, timeout=30, check=True,
    )  # fmt: skip
    messages = json.loads(done.stdout)
    assert all(m.startswith("pdq.js:") for m in messages), messages


@needs_reference
def test_node_test_suite_on_reference_images(tmp_path: Path) -> None:
    """`node --test tests/portal/pdq.test.mjs`: for every reference image, the RGBA pixels the
    Python reference hashes (after its downscale) give the same hash and quality in pdq.js."""
    assert NODE is not None
    expected = []
    for i, row in enumerate(reference_rows()):
        thumb = Image.open(REFERENCE / row["path"])
        thumb.thumbnail((512, 512))
        rgba = np.asarray(thumb.convert("RGBA"), dtype=np.uint8)
        name = f"ref{i}.rgba"
        np.ascontiguousarray(rgba).tofile(tmp_path / name)
        expected.append({"name": row["path"], "file": name, "width": rgba.shape[1],
                         "height": rgba.shape[0], "hash": row["pdq_hex"],
                         "quality": int(row["quality"])})
    (tmp_path / "expected.json").write_text(json.dumps(expected))
    done = subprocess.run([NODE, "--test", str(Path(__file__).with_name("pdq.test.mjs"))],
                          capture_output=True, text=True, timeout=300, check=False,
                          env={**os.environ, "PDQ_FIXTURES": str(tmp_path)})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert f"# pass {len(expected) + 2}" in done.stdout, done.stdout[-1500:]
