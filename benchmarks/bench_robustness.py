"""Robustness through the product's own path: plain PDQ, jikimi's PDQ variants, region hashes.

Every photograph is registered as `jikimi banks add` registers it (fingerprint_bytes with
variants, entries_for_fingerprints, add_entries: PDQ, its variants, the ``pdq_region`` hashes,
SHA-256, MD5), each in its own bank, in a throw-away SQLite installation. Every altered copy is
looked up as every door looks up found media (matching.media_lookups, then match_queries with
the Matcher), and counted by which signal matched it: plain PDQ (original against original),
jikimi today (any PDQ variant), jikimi with the region hashes. False matches: photographs not
registered, looked up the same way, against every registered photograph; the distance
histograms are per signal (the closest of a pair's lookups and entries).

The unrelated corpus is Debian's wallpapers and backgrounds and MyPaint's paper textures
(apt-get install -y gnome-backgrounds mate-backgrounds plasma-workspace-wallpapers
lomiri-wallpapers lomiri-wallpapers-16.04 lomiri-wallpapers-20.04 ukui-wallpapers
sway-backgrounds mypaint-data-extras), scikit-image's sample images, the PDQ reference images
and the face photographs in ../shared/data.

    .venv/bin/python benchmarks/bench_robustness.py [--registered 40] [--plot docs/x.png]
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

from jikimi import accounts, matching
from jikimi.core.actors import cli_actor
from jikimi.core.config import Settings
from jikimi.core.runtime import Runtime
from jikimi.hashing import ImageFingerprints, fingerprint_bytes
from jikimi.matching.acceptance import FLAT_MATCH_DISTANCE, FLAT_QUALITY_FLOOR

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
def crop_side(p: int) -> Callable[[Image.Image], Image.Image]:
    """Remove ``p`` % of the width from the left only."""
    return lambda img: img.crop((img.width * p // 100, 0, img.width, img.height))


def crop_offcentre(left: int, top: int, right: int, bottom: int
                   ) -> Callable[[Image.Image], Image.Image]:
    """Remove the given percentages from each side."""
    def f(img: Image.Image) -> Image.Image:
        w, h = img.size
        return img.crop((w * left // 100, h * top // 100, w - w * right // 100,
                         h - h * bottom // 100))

    return f


def caption_over(img: Image.Image) -> Image.Image:
    """A channel caption drawn over the bottom of the picture (not added above it)."""
    out = img.copy()
    d = ImageDraw.Draw(out)
    bar = max(10, img.height * 12 // 100)
    d.rectangle((0, img.height - bar, img.width, img.height), fill=(20, 20, 20))
    d.text((img.width // 30, img.height - bar * 3 // 4), "@channel_name  subscribe now",
           fill="white", font_size=max(8, bar // 2))  # fmt: skip
    return out


def logo_corner(corner: str) -> Callable[[Image.Image], Image.Image]:
    """A site logo box (about 12 % of the width) stamped in one corner."""
    def f(img: Image.Image) -> Image.Image:
        out = img.copy()
        d = ImageDraw.Draw(out)
        s = max(8, img.width * 12 // 100)
        m = s // 5
        x0 = m if "l" in corner else img.width - s - m
        y0 = m if "t" in corner else img.height - s // 2 - m
        d.rectangle((x0, y0, x0 + s, y0 + s // 2), fill=(250, 200, 0))
        d.text((x0 + s // 8, y0 + s // 8), "SITE", fill="black", font_size=max(6, s // 4))
        return out

    return f


def watermark(img: Image.Image) -> Image.Image:
    """Semi-transparent watermark text across the middle."""
    base = img.convert("RGBA")
    layer = Image.new("RGBA", base.size, (0, 0, 0, 0))
    d = ImageDraw.Draw(layer)
    size = max(10, img.height // 10)
    d.text((img.width // 8, img.height // 2 - size // 2), "© watermark.example", font_size=size,
           fill=(255, 255, 255, 110))
    return Image.alpha_composite(base, layer).convert("RGB")


def then_resize(f: Callable[[Image.Image], Image.Image], k: float
                ) -> Callable[[Image.Image], Image.Image]:
    return lambda img: resize(k)(f(img))


# alteration -> (group, transform); the groups carry the recall targets
ALTERATIONS: dict[str, tuple[str, Callable[[Image.Image], Image.Image]]] = {
    "mirror (left-right)": ("A", lambda img: img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)),
    "rotate 90": ("A", lambda img: img.transpose(Image.Transpose.ROTATE_90)),
    "rotate 180": ("A", lambda img: img.transpose(Image.Transpose.ROTATE_180)),
    "jpeg q30": ("A", jpeg(30)),
    "resize 0.5x": ("A", resize(0.5)),
    "resize 0.25x": ("A", resize(0.25)),
    "mirror + resize 0.5x": ("A", then_resize(
        lambda img: img.transpose(Image.Transpose.FLIP_LEFT_RIGHT), 0.5)),
    "border 10% (white)": ("B", border),
    "letterbox (black bars)": ("B", letterbox),
    "screenshot in a frame": ("B", screenshot),
    "crop 5% (centred)": ("B", crop_centre(5)),
    "crop 7% (centred)": ("B", crop_centre(7)),
    "crop 12% (centred)": ("B", crop_centre(12)),
    "crop 17% (centred)": ("B", crop_centre(17)),
    "crop 20% (centred)": ("B", crop_centre(20)),
    "corner logo (top left)": ("C", logo_corner("tl")),
    "corner logo (bottom right)": ("C", logo_corner("br")),
    "caption bar over the bottom": ("C", caption_over),
    "watermark text": ("C", watermark),
    "crop 10% (one corner)": ("C", crop_corner(10)),
    "crop 15% (one corner)": ("C", crop_corner(15)),
    "crop 15% (left side)": ("C", crop_side(15)),
    "crop 7% left + 4% top": ("C", crop_offcentre(7, 4, 0, 0)),
    "crop 12% right + 8% bottom": ("C", crop_offcentre(0, 0, 12, 8)),
    "crop 13% left + 3% bottom": ("C", crop_offcentre(13, 0, 0, 3)),
    "rotate +2.5°": ("C", rotate(2.5)),
    "rotate +5°": ("C", rotate(5)),
    "rotate -5°": ("C", rotate(-5)),
    "rotate +10°": ("C", rotate(10)),
    "rotate -8°": ("C", rotate(-8)),
    "corner logo + resize 0.6x": ("C", then_resize(logo_corner("br"), 0.6)),
    "caption bar + resize 0.6x": ("C", then_resize(caption_over, 0.6)),
    "crop 10% (one corner) + resize 0.6x": ("C", then_resize(crop_corner(10), 0.6)),
    "rotate -5° + resize 0.6x": ("C", then_resize(rotate(-5), 0.6)),
}
TARGETS = {"A": 0.95, "B": 0.9, "C": 0.8}

# ---------------------------------------------------------------------------------------------
# the unrelated corpus

WALLPAPER_DIRS = (Path("/usr/share/backgrounds"), Path("/usr/share/wallpapers"),
                  Path("/usr/share/mypaint/backgrounds"))
WALLPAPER_PACKAGES = ("gnome-backgrounds", "mate-backgrounds", "plasma-workspace-wallpapers",
                      "lomiri-wallpapers", "lomiri-wallpapers-16.04", "lomiri-wallpapers-20.04",
                      "ukui-wallpapers", "sway-backgrounds", "mypaint-data-extras")
"""Debian's wallpapers and backgrounds (photographs, a few drawings) and MyPaint's paper
textures (flat, nearly featureless pictures: the hardest case for low-quality windows)."""


def wallpapers() -> list[tuple[str, Image.Image]]:
    """Debian's wallpaper photographs, one per picture (the largest of the sizes shipped;
    light/dark twins dropped); a picture of 1600 px or more each way also gives its four
    quarters, which share no pixels with each other (the whole picture is then left out)."""
    files = [p for d in WALLPAPER_DIRS if d.exists() for p in d.rglob("*")
             if p.suffix.lower() in (".jpg", ".jpeg", ".png", ".webp") and p.is_file()]
    if not files:
        sys.exit("no wallpapers: apt-get install -y " + " ".join(WALLPAPER_PACKAGES))
    best: dict[str, tuple[int, Path]] = {}
    for p in files:
        parts = p.parts
        key = parts[parts.index("wallpapers") + 1] if "wallpapers" in parts else p.stem
        for suffix in ("-l", "-d", "-day", "-night", "-light", "-dark", "_l", "_d"):
            key = key.removesuffix(suffix)
        try:
            with Image.open(p) as im:
                area = im.width * im.height
        except OSError:
            continue
        if key not in best or best[key][0] < area:
            best[key] = (area, p)
    out: list[tuple[str, Image.Image]] = []
    for key, (_area, path) in sorted(best.items()):
        img = Image.open(path).convert("RGB")
        if img.width >= 1600 and img.height >= 1600:
            w, h = img.width // 2, img.height // 2
            for i, (x, y) in enumerate(((0, 0), (w, 0), (0, h), (w, h))):
                out.append((f"wallpaper:{key}:q{i}", img.crop((x, y, x + w, y + h))))
        else:
            out.append((f"wallpaper:{key}", img))
    return out


def face_photos() -> list[tuple[str, Image.Image]]:
    out = []
    for p in sorted((SHARED / "faces").rglob("*")):
        if p.suffix.lower() in (".jpg", ".jpeg", ".png"):
            out.append((f"shared:{p.parent.name}/{p.name}", Image.open(p).convert("RGB")))
    return out


def distinct(photos: list[tuple[str, Image.Image]]
             ) -> tuple[list[tuple[str, Image.Image, bool]], int, int]:
    """The corpus without repeats: a photograph whose PDQ is within 40 bits of an earlier
    one's, or of one of its mirrors and rotations, is the same picture (another size or a
    copy shipped twice) and is dropped. Each kept photo says whether its PDQ is reliable."""
    kept: list[tuple[str, Image.Image, bool]] = []
    seen: list[int] = []
    dropped = low = 0
    for name, img in photos:
        fp = fingerprint_bytes(encode(img))
        assert isinstance(fp, ImageFingerprints)
        mine = [int(h, 16) for h in fp.dihedral]
        if any((a ^ b).bit_count() <= 40 for a in mine for b in seen):
            dropped += 1
            continue
        seen.append(int(fp.pdq, 16))
        low += not fp.reliable
        kept.append((name, img, fp.reliable))
    return kept, dropped, low


def shrink(img: Image.Image, side: int = 1200) -> Image.Image:
    if max(img.size) > side:
        img = img.copy()
        img.thumbnail((side, side))
    return img


def encode(img: Image.Image, q: int = 92) -> bytes:
    buf = io.BytesIO()
    img.convert("RGB").save(buf, "JPEG", quality=q)
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------
# the product path: registration as `jikimi banks add`, lookups as every door


def open_install(tmp: Path) -> Runtime:
    settings = Settings(data_dir=tmp / "inst", database_url=f"sqlite:///{tmp}/bench.db")
    return Runtime.open(settings, migrate=True)


def register(runtime: Runtime, images: list[tuple[str, Image.Image]]) -> dict[str, str]:
    """Each photo in its own bank, as `jikimi banks add`; returns content id -> name."""
    contents: dict[str, str] = {}
    with runtime.context(cli_actor("bench")) as ctx:
        accounts.add_centre(ctx, "bench")
    with runtime.context(cli_actor("bench")) as ctx:
        for i, (name, img) in enumerate(images):
            fp = fingerprint_bytes(encode(img), with_variants=True)
            bank = f"victim-{i:03d}"
            matching.create_bank(ctx, bank)
            added = matching.add_entries(ctx, bank, matching.entries_for_fingerprints(fp, name))
            contents[added.content_ids[0]] = name
    return contents


def classify(result: matching.MatchResult) -> dict[str, set[str]]:
    """Which contents each way of matching found: plain PDQ, PDQ with jikimi's variants
    (today), and with the region hashes (the new signal)."""
    plain, today, new = set(), set(), set()
    for m in result.matches:
        if not m.reliable:
            continue
        new.add(m.content_id)
        if m.signal_type in ("pdq", "sha256", "md5"):
            today.add(m.content_id)
        if m.signal_type in ("sha256", "md5") or (
                m.signal_type == "pdq" and m.variant == "original"
                and m.entry_variant == "original"):
            plain.add(m.content_id)
    return {"plain": plain, "today": today, "new": new}


def every_hit(runtime: Runtime, matcher: matching.Matcher, lookups: list[matching.Query]
              ) -> matching.MatchResult:
    """All hits, one per content and signal type (match_queries keeps the best of each)."""
    with runtime.context(cli_actor("bench")) as ctx:
        return matching.match_queries(ctx, matcher, lookups)


QUALITY_FLOORS = (("", MIN_QUALITY), (" q>=20", FLAT_QUALITY_FLOOR), (" any q", 0))
"""The distance columns: pairs whose hashes both have quality >= 50 (they count at the
signal's threshold), >= 20 (they count within FLAT_MATCH_DISTANCE), and any quality."""


def distances(lookups: list[matching.Query],
              entries: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]
              ) -> dict[str, np.ndarray]:
    """Per signal type and quality floor (``pdq``, ``pdq q>=20``, ...), the smallest distance
    from any lookup to each registered content's entries, both of at least that quality (256
    when there is none)."""
    out = {}
    for signal, (table, mask, quality) in entries.items():
        values = [(q.value, 100 if q.quality is None else q.quality) for q in lookups
                  if q.signal_type == signal]
        for suffix, floor in QUALITY_FLOORS:
            best = np.full(table.shape[0], 256, dtype=np.int64)
            for v, q_quality in values:
                if q_quality < floor:
                    continue
                q = np.frombuffer(bytes.fromhex(v), dtype=np.uint8)
                d = np.unpackbits(np.bitwise_xor(table, q), axis=2).sum(axis=2, dtype=np.int64)
                d[~mask | (quality < floor)] = 256
                best = np.minimum(best, d.min(axis=1))
            out[signal + suffix] = best
    return out


def entry_tables(runtime: Runtime, contents: dict[str, str]
                 ) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The registered hashes per signal, as the matcher indexes them: (contents x n x 32
    bytes, contents x n mask of real entries, contents x n qualities)."""
    from sqlalchemy import select

    rows: dict[str, dict[str, list[tuple[bytes, int]]]] = {"pdq": {}, "pdq_region": {}}
    with runtime.context(cli_actor("bench")) as ctx:
        for e in ctx.session.scalars(select(matching.BankEntry)):
            if e.signal_type in rows:
                rows[e.signal_type].setdefault(e.content_id, []).append(
                    (bytes.fromhex(e.value), 100 if e.quality is None else e.quality))
    order = list(contents)
    tables = {}
    for signal, by_content in rows.items():
        n = max(len(v) for v in by_content.values())
        table = np.zeros((len(order), n, 32), dtype=np.uint8)
        mask = np.zeros((len(order), n), dtype=bool)
        quality = np.zeros((len(order), n), dtype=np.int64)
        for i, cid in enumerate(order):
            for j, (raw, q) in enumerate(by_content.get(cid, [])):
                table[i, j] = np.frombuffer(raw, dtype=np.uint8)
                mask[i, j] = True
                quality[i, j] = q
        tables[signal] = (table, mask, quality)
    return tables


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--registered", type=int, default=60,
                        help="photos registered (held out of the unrelated set)")
    parser.add_argument("--plot", type=Path, default=None, help="write the histogram PNG here")
    args = parser.parse_args()
    import tempfile

    started = time.perf_counter()
    photos = [(n, shrink(i)) for n, i in load_images(0) + wallpapers() + face_photos()]
    photos, dropped, low = distinct(photos)
    rng = np.random.default_rng(14)
    order = rng.permutation(len(photos))
    registered = [photos[i] for i in order if photos[i][2]][:args.registered]
    chosen = {name for name, _img, _ok in registered}
    unrelated = [(n, i) for n, i, _ok in photos if n not in chosen]
    registered = [(n, i) for n, i, _ok in registered]
    print(f"corpus: {len(photos)} distinct photographs ({dropped} dropped as the same picture "
          f"as another; {low} with PDQ quality < 50, which never match and are not "
          f"registered); {len(registered)} registered, {len(unrelated)} unrelated queries")
    with tempfile.TemporaryDirectory() as tmp:
        runtime = open_install(Path(tmp))
        contents = register(runtime, registered)
        by_name = {v: k for k, v in contents.items()}
        with runtime.context(cli_actor("bench")) as ctx:
            matcher = matching.Matcher()
            matcher.sync(ctx.session)
        tables = entry_tables(runtime, contents)
        order_ids = list(contents)

        print("\n| alteration | target | plain PDQ | jikimi today (PDQ variants) | "
              "jikimi + region hashes | wrong image | region distance to its original "
              "(median, quality >= 20) | region signal alone |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        group_recall: dict[str, list[float]] = {}
        wrong_total = 0
        true_region: list[int] = []
        # every pair of a lookup and a photo it is not: unrelated photos and altered copies
        # against every other registered photo
        pair_min: dict[str, list[np.ndarray]] = {}
        pairs = 0
        for alteration, (group, transform) in ALTERATIONS.items():
            found = {"plain": 0, "today": 0, "new": 0}
            wrong = 0
            region_here: list[int] = []
            region_alone = 0
            for name, img in registered:
                _fp, lookups = matching.media_lookups(encode(transform(img), 88))
                kinds = classify(every_hit(runtime, matcher, lookups))
                cid = by_name[name]
                for k in found:
                    found[k] += cid in kinds[k]
                wrong += len(kinds["new"] - {cid})
                d = distances(lookups, tables)
                own = order_ids.index(cid)
                here = int(d["pdq_region q>=20"][own])
                region_alone += bool(d["pdq_region"][own] <= THRESHOLD
                                     or here <= FLAT_MATCH_DISTANCE)
                true_region.append(here)
                region_here.append(here)
                for key, best in d.items():
                    pair_min.setdefault(key, []).append(np.delete(best, own))
                pairs += len(order_ids) - 1
            n = len(registered)
            wrong_total += wrong
            group_recall.setdefault(group, []).append(found["new"] / n)
            r = np.array(region_here)
            print(f"| {alteration} | {TARGETS[group]:.2f} | {found['plain'] / n:.2f} | "
                  f"{found['today'] / n:.2f} | {found['new'] / n:.2f} | {wrong} | "
                  f"{int(np.median(r))} | {region_alone / n:.2f} |")

        # unrelated photographs: every lookup against every registered photograph
        matched_unrelated = 0
        for _name, img in unrelated:
            _fp, lookups = matching.media_lookups(encode(img, 88))
            if every_hit(runtime, matcher, lookups).matched:
                matched_unrelated += 1
            for key, best in distances(lookups, tables).items():
                pair_min.setdefault(key, []).append(best)
            pairs += len(order_ids)
        print(f"\nunrelated photographs matched through the product path: {matched_unrelated} "
              f"of {len(unrelated)}; wrong-image matches among altered copies: {wrong_total} "
              f"(of {len(registered) * len(ALTERATIONS)} copies x {len(registered) - 1} "
              "other photos)")
        print(f"\nfalse matches per million pairs ({pairs:,} pairs: {len(unrelated)} unrelated "
              f"photos x {len(registered)} registered, and every altered copy x the "
              f"{len(registered) - 1} other registered photos; a pair's distance is its closest "
              "lookup/entry pair, both hashes of at least the quality named). A hit counts at "
              f"the signal's threshold (31) with quality >= {MIN_QUALITY}, within "
              f"{FLAT_MATCH_DISTANCE} bits with quality >= {FLAT_QUALITY_FLOOR}, never below:")
        arrays = {k: np.concatenate(v) for k, v in pair_min.items()}
        print("| threshold | " + " | ".join(arrays) + " |")
        print("|---:|" + "---:|" * len(arrays))
        for t in (8, 12, 16, 20, 24, 28, 31, 36, 40, 48):
            cells = [f"{(a <= t).sum() / pairs * 1e6:,.0f}" for a in arrays.values()]
            print(f"| {t} | " + " | ".join(cells) + " |")
        for k, a in arrays.items():
            print(f"nearest pair, {k}: {int(a.min())} bits")
        if args.plot:
            plot(arrays, np.array(true_region), args.plot)
        print(f"\n({time.perf_counter() - started:.0f} s)")


def plot(unrelated: dict[str, np.ndarray], related_region: np.ndarray, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4))
    bins = np.arange(0, 161, 2)
    for k in ("pdq", "pdq_region", "pdq_region q>=20", "pdq_region any q"):
        a = unrelated[k]
        ax.hist(a[a < 256], bins=bins, alpha=0.45, histtype="stepfilled",
                label=f"unrelated pairs, {k}")
    ax.hist(related_region[related_region < 256], bins=bins, alpha=0.5,
            label="altered copy vs its original, pdq_region q>=20")
    ax.axvline(31, color="k", linestyle="--", linewidth=1, label="threshold, quality >= 50")
    ax.axvline(FLAT_MATCH_DISTANCE, color="r", linestyle=":", linewidth=1,
               label=f"threshold, quality {FLAT_QUALITY_FLOOR}-49")
    ax.set_xlabel("Hamming distance (bits)")
    ax.set_ylabel("pairs")
    ax.set_yscale("log")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    main()
