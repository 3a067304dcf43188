"""Generated photographs and the re-uploaders' alterations of issue 14 (benign: gradients,
shapes, noise; text drawn with Pillow's default font)."""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageOps

Alteration = Callable[[Image.Image], Image.Image]


def photo(seed: int, size: tuple[int, int] = (800, 600)) -> Image.Image:
    """A photo-like picture: sky-to-ground gradient, soft shapes at several scales, noise."""
    rng = np.random.default_rng(seed)
    w, h = size
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    c0, c1 = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
    angle = rng.uniform(0, np.pi)
    t = ((np.cos(angle) * x / w + np.sin(angle) * y / h + 1) / 2)[..., None]
    img = Image.fromarray((c0 * (1 - t) + c1 * t).astype(np.uint8), "RGB")
    d = ImageDraw.Draw(img)
    for scale in (2, 4, 8):
        for _ in range(5):
            x0, y0 = int(rng.integers(-w // 8, w)), int(rng.integers(-h // 8, h))
            box = (x0, y0, x0 + int(rng.integers(w // (2 * scale), w // scale + 2)),
                   y0 + int(rng.integers(h // (2 * scale), h // scale + 2)))
            fill = tuple(int(v) for v in rng.integers(0, 256, 3))
            (d.ellipse if rng.random() < 0.6 else d.rectangle)(box, fill=fill)
    img = img.filter(ImageFilter.GaussianBlur(2))
    noisy = np.asarray(img, np.int16) + rng.integers(-8, 9, (h, w, 3))
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8), "RGB")


def jpeg(img: Image.Image, quality: int = 88) -> bytes:
    buf = io.BytesIO()
    img.convert("RGB").save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def _recompress(q: int) -> Alteration:
    return lambda img: Image.open(io.BytesIO(jpeg(img, q)))


def _resize(k: float) -> Alteration:
    return lambda img: img.resize((round(img.width * k), round(img.height * k)),
                                  Image.Resampling.LANCZOS)


def _crop(left: int, top: int, right: int, bottom: int) -> Alteration:
    """Remove the given percentages from each side."""
    def f(img: Image.Image) -> Image.Image:
        w, h = img.size
        return img.crop((w * left // 100, h * top // 100, w - w * right // 100,
                         h - h * bottom // 100))
    return f


def _then(first: Alteration, second: Alteration) -> Alteration:
    return lambda img: second(first(img))


def letterbox(img: Image.Image) -> Image.Image:
    canvas = Image.new("RGB", (img.width, img.width * 16 // 9), "black")
    canvas.paste(img, (0, (canvas.height - img.height) // 2))
    return canvas


def screenshot(img: Image.Image) -> Image.Image:
    """The picture in a dark phone viewer: status bar, account line, buttons, caption."""
    out = Image.new("RGB", (720, 1400), (18, 18, 18))
    d = ImageDraw.Draw(out)
    d.text((30, 18), "12:30", fill="white", font_size=30)
    d.text((100, 105), "some.account  ·  Follow", fill="white", font_size=28)
    scaled = img.resize((720, img.height * 720 // img.width), Image.Resampling.LANCZOS)
    out.paste(scaled, (0, 180))
    y = 180 + scaled.height + 24
    for i in range(4):
        d.ellipse((24 + i * 70, y, 64 + i * 70, y + 40), outline="white", width=3)
    d.text((24, y + 70), "1,234 likes  a lovely day out", fill="white", font_size=26)
    return out


def corner_logo(corner: str) -> Alteration:
    def f(img: Image.Image) -> Image.Image:
        out = img.copy()
        d = ImageDraw.Draw(out)
        s = img.width * 12 // 100
        m = s // 5
        x0 = m if "l" in corner else img.width - s - m
        y0 = m if "t" in corner else img.height - s // 2 - m
        d.rectangle((x0, y0, x0 + s, y0 + s // 2), fill=(250, 200, 0))
        d.text((x0 + s // 8, y0 + s // 8), "SITE", fill="black", font_size=max(6, s // 4))
        return out
    return f


def caption_over(img: Image.Image) -> Image.Image:
    out = img.copy()
    d = ImageDraw.Draw(out)
    bar = img.height * 12 // 100
    d.rectangle((0, img.height - bar, img.width, img.height), fill=(20, 20, 20))
    d.text((img.width // 30, img.height - bar * 3 // 4), "@channel_name  subscribe now",
           fill="white", font_size=max(8, bar // 2))
    return out


def watermark(img: Image.Image) -> Image.Image:
    base = img.convert("RGBA")
    layer = Image.new("RGBA", base.size, (0, 0, 0, 0))
    size = img.height // 10
    ImageDraw.Draw(layer).text((img.width // 8, img.height // 2 - size // 2),
                               "© watermark.example", font_size=size, fill=(255, 255, 255, 110))
    return Image.alpha_composite(base, layer).convert("RGB")


def _rotate(degrees: float) -> Alteration:
    return lambda img: img.rotate(degrees, Image.Resampling.BICUBIC)


# name -> (target group, alteration). Groups: A mirror/rotations/recompression/resizing
# (>= 0.95), B borders/letterboxes/screenshots/centred crops up to 20 % (>= 0.9), C overlays,
# off-centre crops up to 15 %, tilts up to 10 degrees, and these with resizing (>= 0.8).
ALTERATIONS: dict[str, tuple[str, Alteration]] = {
    "mirror": ("A", ImageOps.mirror),
    "rotate90": ("A", lambda img: img.transpose(Image.Transpose.ROTATE_90)),
    "rotate180": ("A", lambda img: img.transpose(Image.Transpose.ROTATE_180)),
    "jpeg-q30": ("A", _recompress(30)),
    "half-size": ("A", _resize(0.5)),
    "mirror-half-size": ("A", _then(ImageOps.mirror, _resize(0.5))),
    "white-border": ("B", lambda img: ImageOps.expand(img, border=img.width // 20,
                                                      fill="white")),
    "letterbox": ("B", letterbox),
    "screenshot": ("B", screenshot),
    "centre-crop-5": ("B", _crop(3, 3, 3, 3)),
    "centre-crop-10": ("B", _crop(5, 5, 5, 5)),
    "centre-crop-16": ("B", _crop(8, 8, 8, 8)),
    "centre-crop-20": ("B", _crop(10, 10, 10, 10)),
    "logo-top-left": ("C", corner_logo("tl")),
    "logo-bottom-right": ("C", corner_logo("br")),
    "caption-bar": ("C", caption_over),
    "watermark": ("C", watermark),
    "corner-crop-10": ("C", _crop(10, 10, 0, 0)),
    "corner-crop-15": ("C", _crop(0, 0, 15, 15)),
    "side-crop-15": ("C", _crop(15, 0, 0, 0)),
    "offgrid-crop-7-4": ("C", _crop(7, 4, 0, 0)),
    "offgrid-crop-12-8": ("C", _crop(0, 0, 12, 8)),
    "rotate+2.5": ("C", _rotate(2.5)),
    "rotate+5": ("C", _rotate(5)),
    "rotate-10": ("C", _rotate(-10)),
    "logo-resized": ("C", _then(corner_logo("br"), _resize(0.6))),
    "caption-resized": ("C", _then(caption_over, _resize(0.6))),
    "corner-crop-resized": ("C", _then(_crop(10, 10, 0, 0), _resize(0.6))),
    "rotate-resized": ("C", _then(_rotate(-5), _resize(0.6))),
}
TARGETS = {"A": 0.95, "B": 0.9, "C": 0.8}
