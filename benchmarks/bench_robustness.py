"""Robustness of PDQ under re-upload transformations: plain, +dihedral, jikimi's variants.

For each benign image (scikit-image's bundled photographs, the PDQ reference images, generated
scenes) and each transformation of issue 3, the transformed copy is a query; it is recalled
when one of its query hashes is within 31 bits of one of the hashes registered for its
original. A match needs both hashes to have quality >= 50 (low-quality hashes never claim a
match on their own). False matches: the same rule over every pair of unrelated images, both
with the untransformed originals as queries and with every transformed query.

    .venv/bin/python benchmarks/bench_robustness.py [--scenes 22]

Methods:
  plain     registered: PDQ of the original; query: PDQ
  dihedral  registered: pdqhash.compute_dihedral of the original (8); query: PDQ
  jikimi    registered: jikimi.hashing.registration_variants (8 flips/rotations of the pixels,
            up to 4 unframed candidates, centred crops); query: jikimi.hashing.query_variants
            (PDQ and the same unframed candidates)
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageOps

from jikimi.hashing import query_variants, registration_variants
from jikimi.hashing.decode import MediaFormat, MediaKind
from jikimi.hashing.pdq import dihedral_hashes, reference_thumbnail, rgb_array

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
THRESHOLD = 31
MIN_QUALITY = 50

# ---------------------------------------------------------------------------------------------
# images


def scene(seed: int, size: tuple[int, int] = (1024, 768)) -> Image.Image:
    """A benign generated scene: gradient sky, ground, shapes, noise."""
    rng = np.random.default_rng(seed)
    w, h = size
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    c0, c1 = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
    a = rng.uniform(0, np.pi)
    t = (np.cos(a) * x / w + np.sin(a) * y / h + 1) / 2
    base = c0 * (1 - t[..., None]) + c1 * t[..., None]
    img = Image.fromarray(base.astype(np.uint8), "RGB")
    d = ImageDraw.Draw(img)
    for _ in range(int(rng.integers(6, 14))):
        x0, y0 = int(rng.integers(-w // 8, w)), int(rng.integers(-h // 8, h))
        x1 = x0 + int(rng.integers(w // 12, w // 2))
        y1 = y0 + int(rng.integers(h // 12, h // 2))
        colour = tuple(int(v) for v in rng.integers(0, 256, 3))
        shape = rng.integers(0, 3)
        if shape == 0:
            d.ellipse((x0, y0, x1, y1), fill=colour)
        elif shape == 1:
            d.rectangle((x0, y0, x1, y1), fill=colour)
        else:
            d.polygon([(x0, y1), ((x0 + x1) // 2, y0), (x1, y1)], fill=colour)
    noisy = np.asarray(img, dtype=np.int16) + rng.integers(-10, 11, (h, w, 3))
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8), "RGB")


def load_images(n_scenes: int) -> list[tuple[str, Image.Image]]:
    import skimage.data as data

    out: list[tuple[str, Image.Image]] = []
    names = ["astronaut", "brick", "camera", "chelsea", "clock", "coffee", "coins", "colorwheel",
             "grass", "gravel", "horse", "hubble_deep_field", "immunohistochemistry", "logo",
             "moon", "page", "retina", "rocket", "text", "cell", "shepp_logan_phantom"]  # fmt: skip
    for name in names:
        arr = getattr(data, name)()
        if arr.dtype != np.uint8:
            arr = (arr * 255).astype(np.uint8) if arr.max() <= 1 else arr.astype(np.uint8)
        img = Image.fromarray(arr)
        out.append((f"skimage:{name}", img.convert("RGB")))
    left, _, _ = data.stereo_motorcycle()
    out.append(("skimage:stereo_motorcycle", Image.fromarray(left).convert("RGB")))
    rows = csv.DictReader((SHARED / "pdq-reference" / "expected.csv").open())
    for row in rows:
        if "/dih/" in row["path"] and "bridge-1" not in row["path"]:
            continue  # the other bridge files are transforms of bridge-1, not unrelated images
        img = Image.open(SHARED / "pdq-reference" / row["path"])
        out.append((f"pdq-ref:{Path(row['path']).name}", img.convert("RGB")))
    for s in range(n_scenes):
        out.append((f"scene:{s}", scene(1000 + s)))
    return out


# ---------------------------------------------------------------------------------------------
# transformations (on the full-size RGB image; the result is what a re-uploader posts)


def jpeg(q: int) -> Callable[[Image.Image], Image.Image]:
    def f(img: Image.Image) -> Image.Image:
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=q)
        return Image.open(io.BytesIO(buf.getvalue()))

    return f


def resize(k: float) -> Callable[[Image.Image], Image.Image]:
    return lambda img: img.resize(
        (max(1, round(img.width * k)), max(1, round(img.height * k))), Image.Resampling.LANCZOS
    )


def crop_centre(p: int) -> Callable[[Image.Image], Image.Image]:
    def f(img: Image.Image) -> Image.Image:
        dx, dy = img.width * p // 200, img.height * p // 200
        return img.crop((dx, dy, img.width - dx, img.height - dy))

    return f


def crop_corner(p: int) -> Callable[[Image.Image], Image.Image]:
    return lambda img: img.crop((0, 0, img.width * (100 - p) // 100, img.height * (100 - p) // 100))


def rotate(deg: float) -> Callable[[Image.Image], Image.Image]:
    return lambda img: img.rotate(deg, Image.Resampling.BICUBIC, expand=False)


def enhance(kind: type[ImageEnhance._Enhance], k: float) -> Callable[[Image.Image], Image.Image]:
    return lambda img: kind(img).enhance(k)


def caption_bar(img: Image.Image) -> Image.Image:
    """A meme-style caption: white bar with black text added above the picture."""
    bar = max(12, img.height // 7)
    out = Image.new("RGB", (img.width, img.height + bar), "white")
    out.paste(img, (0, bar))
    d = ImageDraw.Draw(out)
    d.text((img.width // 20, bar // 3), "when the weekend finally arrives", fill="black",
           font_size=max(8, bar // 2))  # fmt: skip
    return out


def text_overlay(img: Image.Image) -> Image.Image:
    out = img.copy()
    d = ImageDraw.Draw(out)
    size = max(10, img.height // 14)
    d.text((img.width // 10, img.height * 3 // 4), "sample watermark text", fill="white",
           font_size=size, stroke_width=max(1, size // 10), stroke_fill="black")  # fmt: skip
    return out


def logo(img: Image.Image) -> Image.Image:
    out = img.copy()
    d = ImageDraw.Draw(out)
    s = max(8, min(img.size) // 6)
    x0, y0 = img.width - s - s // 4, img.height - s - s // 4
    d.ellipse((x0, y0, x0 + s, y0 + s), fill=(230, 40, 90), outline="white", width=max(1, s // 12))
    d.text((x0 + s // 4, y0 + s // 3), "TV", fill="white", font_size=max(6, s // 3))
    return out


def border(img: Image.Image) -> Image.Image:
    return ImageOps.expand(img, border=max(4, min(img.size) // 10), fill=(255, 255, 255))


def letterbox(img: Image.Image) -> Image.Image:
    """Black bars to a 9:16 portrait frame (or 16:9 landscape for portrait images)."""
    w, h = img.size
    if w >= h:
        canvas = Image.new("RGB", (w, w * 16 // 9), "black")
        canvas.paste(img, (0, (canvas.height - h) // 2))
    else:
        canvas = Image.new("RGB", (h * 16 // 9, h), "black")
        canvas.paste(img, ((canvas.width - w) // 2, 0))
    return canvas


def screenshot(img: Image.Image) -> Image.Image:
    """A phone screenshot of the image in a dark photo viewer: status bar, header, caption."""
    W, H = 720, 1560
    out = Image.new("RGB", (W, H), (18, 18, 18))
    d = ImageDraw.Draw(out)
    d.text((30, 18), "12:30", fill="white", font_size=30)
    for i in range(3):
        d.rectangle((W - 60 - i * 40, 24, W - 36 - i * 40, 48), fill="white")
    d.ellipse((24, 90, 84, 150), fill=(120, 160, 200))
    d.text((100, 105), "some.account  ·  Follow", fill="white", font_size=28)
    scaled = img.resize((W, max(1, img.height * W // img.width)), Image.Resampling.LANCZOS)
    if scaled.height > 1100:
        scaled = img.resize((img.width * 1100 // img.height, 1100), Image.Resampling.LANCZOS)
    top = 180
    out.paste(scaled, ((W - scaled.width) // 2, top))
    y = top + scaled.height + 24
    for i in range(4):
        d.ellipse((24 + i * 70, y, 64 + i * 70, y + 40), outline="white", width=3)
    d.text((24, y + 70), "1,234 likes", fill="white", font_size=28)
    d.text((24, y + 110), "some.account  a lovely day out, more soon", fill="white", font_size=26)
    d.rectangle((W // 2 - 80, H - 30, W // 2 + 80, H - 22), fill=(200, 200, 200))
    buf = io.BytesIO()
    out.save(buf, "JPEG", quality=85)
    return Image.open(io.BytesIO(buf.getvalue()))


TRANSFORMS: dict[str, Callable[[Image.Image], Image.Image]] = {
    "jpeg q20": jpeg(20),
    "jpeg q50": jpeg(50),
    "jpeg q90": jpeg(90),
    "resize 0.25x": resize(0.25),
    "resize 0.5x": resize(0.5),
    "resize 1.5x": resize(1.5),
    "resize 2x": resize(2.0),
    "crop 5% (centred)": crop_centre(5),
    "crop 10% (centred)": crop_centre(10),
    "crop 20% (centred)": crop_centre(20),
    "crop 5% (one corner)": crop_corner(5),
    "crop 10% (one corner)": crop_corner(10),
    "mirror (left-right)": lambda img: img.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
    "flip (top-bottom)": lambda img: img.transpose(Image.Transpose.FLIP_TOP_BOTTOM),
    "rotate 90": lambda img: img.transpose(Image.Transpose.ROTATE_90),
    "rotate 180": lambda img: img.transpose(Image.Transpose.ROTATE_180),
    "rotate 270": lambda img: img.transpose(Image.Transpose.ROTATE_270),
    "rotate +5°": rotate(5),
    "rotate -5°": rotate(-5),
    "brightness +30%": enhance(ImageEnhance.Brightness, 1.3),
    "brightness -30%": enhance(ImageEnhance.Brightness, 0.7),
    "contrast +30%": enhance(ImageEnhance.Contrast, 1.3),
    "contrast -30%": enhance(ImageEnhance.Contrast, 0.7),
    "greyscale": lambda img: img.convert("L"),
    "text overlay": text_overlay,
    "caption bar": caption_bar,
    "corner logo": logo,
    "border 10% (white)": border,
    "letterbox (black bars)": letterbox,
    "screenshot in a frame": screenshot,
}

# ---------------------------------------------------------------------------------------------
# hashing and matching

Hashes = list[tuple[int, int]]  # (hash as int, quality)

_FMT = MediaFormat("image", MediaKind.IMAGE, None)


def plain(img: Image.Image) -> Hashes:
    v = query_variants(img)[0]
    return [(int(v.hex, 16), v.quality)]


def dihedral(img: Image.Image) -> Hashes:
    pixels = rgb_array(reference_thumbnail(img.copy(), _FMT))
    return [(int(h.hex, 16), h.quality) for h in dihedral_hashes(pixels)]


def variants(img: Image.Image) -> Hashes:
    return [(int(v.hex, 16), v.quality) for v in registration_variants(img)]


def queries(img: Image.Image) -> Hashes:
    return [(int(v.hex, 16), v.quality) for v in query_variants(img)]


def matches(query: Hashes, registered: Hashes) -> bool:
    return any(
        qq >= MIN_QUALITY and rq >= MIN_QUALITY and (q ^ r).bit_count() <= THRESHOLD
        for q, qq in query
        for r, rq in registered
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenes", type=int, default=22, help="generated scenes to add")
    args = parser.parse_args()
    started = time.monotonic()
    images = load_images(args.scenes)
    names = [n for n, _ in images]
    reg_plain = [plain(img) for _, img in images]
    reg_dih = [dihedral(img) for _, img in images]
    reg_var = [variants(img) for _, img in images]
    q_orig = [queries(img) for _, img in images]
    n = len(images)
    reliable = [i for i in range(n) if reg_plain[i][0][1] >= MIN_QUALITY]

    rows: list[tuple[str, float, float, float]] = []
    false_transformed = {"plain": 0, "dihedral": 0, "jikimi": 0}
    pairs_transformed = 0
    for tname, tf in TRANSFORMS.items():
        hit = {"plain": 0, "dihedral": 0, "jikimi": 0}
        for i in reliable:
            t = tf(images[i][1]).convert("RGB")
            qp, qv = plain(t), queries(t)
            hit["plain"] += matches(qp, reg_plain[i])
            hit["dihedral"] += matches(qp, reg_dih[i])
            hit["jikimi"] += matches(qv, reg_var[i])
            for j in range(n):
                if j != i:
                    pairs_transformed += 1
                    false_transformed["plain"] += matches(qp, reg_plain[j])
                    false_transformed["dihedral"] += matches(qp, reg_dih[j])
                    false_transformed["jikimi"] += matches(qv, reg_var[j])
        k = len(reliable)
        rows.append((tname, hit["plain"] / k, hit["dihedral"] / k, hit["jikimi"] / k))

    unrelated = [(i, j) for i in range(n) for j in range(n) if i != j]
    false_orig = {
        "plain": sum(matches(reg_plain[i], reg_plain[j]) for i, j in unrelated),
        "dihedral": sum(matches(reg_plain[i], reg_dih[j]) for i, j in unrelated),
        "jikimi": sum(matches(q_orig[i], reg_var[j]) for i, j in unrelated),
    }  # fmt: skip
    pairs = n * (n - 1)

    print(f"images: {n} ({len(reliable)} with quality >= {MIN_QUALITY} used as queries; "
          f"{sum(1 for x in names if x.startswith('skimage'))} scikit-image, "
          f"{sum(1 for x in names if x.startswith('pdq-ref'))} PDQ reference, "
          f"{sum(1 for x in names if x.startswith('scene'))} generated)")  # fmt: skip
    print(
        f"registered hashes per image: plain 1, dihedral 8, jikimi "
        f"{min(len(r) for r in reg_var)}-{max(len(r) for r in reg_var)}; threshold {THRESHOLD}"
    )
    print()
    print(f"| {'transformation':<24} | plain PDQ | PDQ + dihedral | jikimi variants |")
    print(f"|{'-' * 26}|----------:|---------------:|----------------:|")
    for tname, p, d, v in rows:
        print(f"| {tname:<24} | {p:9.2f} | {d:14.2f} | {v:15.2f} |")
    print()
    print(f"false matches, untransformed originals, all {pairs} ordered pairs of unrelated images:")
    for m in ("plain", "dihedral", "jikimi"):
        print(f"  {m:<9} {false_orig[m]} ({false_orig[m] / pairs:.5f})")
    print(
        f"false matches, each transformed query vs each unrelated one ({pairs_transformed} pairs):"
    )
    for m in ("plain", "dihedral", "jikimi"):
        print(f"  {m:<9} {false_transformed[m]} ({false_transformed[m] / pairs_transformed:.6f})")
    print(f"\n{time.monotonic() - started:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
