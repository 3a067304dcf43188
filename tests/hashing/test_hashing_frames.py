"""Frame detection for the unframed variants: letterbox, borders, caption bars, screenshots."""

from __future__ import annotations

import io

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from jikimi.hashing import query_variants, registration_variants
from jikimi.hashing.pdq import hamming_distance
from jikimi.hashing.variants import frame_boxes, source_box


def scene(seed: int, w: int = 480, h: int = 360, dark_top: int = 0) -> Image.Image:
    """A benign picture: diagonal gradient, shapes, mild noise; optionally a black 'sky'."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    c0, c1 = rng.integers(40, 256, 3), rng.integers(40, 256, 3)
    t = (x / w + y / h) / 2
    img = Image.fromarray((c0 * (1 - t[..., None]) + c1 * t[..., None]).astype(np.uint8))
    d = ImageDraw.Draw(img)
    for _ in range(8):
        x0, y0 = int(rng.integers(0, w)), int(rng.integers(0, h))
        x1, y1 = x0 + int(rng.integers(w // 10, w // 2)), y0 + int(rng.integers(h // 10, h // 2))
        colour = tuple(int(v) for v in rng.integers(0, 256, 3))
        (d.ellipse if rng.integers(0, 2) else d.rectangle)((x0, y0, x1, y1), fill=colour)
    arr = np.asarray(img, dtype=np.int16) + rng.integers(-6, 7, (h, w, 3))
    if dark_top:
        arr[:dark_top] = rng.integers(0, 6, (dark_top, w, 3))
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


def letterbox(img: Image.Image) -> tuple[Image.Image, tuple[int, int, int, int]]:
    w, h = img.size
    canvas = Image.new("RGB", (w, w * 16 // 9), "black")
    top = (canvas.height - h) // 2
    canvas.paste(img, (0, top))
    return canvas, (0, top, w, top + h)


def screenshot(img: Image.Image) -> tuple[Image.Image, tuple[int, int, int, int]]:
    """A fake phone screenshot: dark UI, status bar, header, buttons and text under the picture."""
    W, H = 360, 780
    out = Image.new("RGB", (W, H), (18, 18, 18))
    d = ImageDraw.Draw(out)
    d.text((15, 9), "12:30", fill="white", font_size=15)
    for i in range(3):
        d.rectangle((W - 30 - i * 20, 12, W - 18 - i * 20, 24), fill="white")
    d.ellipse((12, 45, 42, 75), fill=(120, 160, 200))
    d.text((50, 52), "some.account  Follow", fill="white", font_size=14)
    pic = img.resize((W, img.height * W // img.width), Image.Resampling.LANCZOS)
    top = 90
    out.paste(pic, (0, top))
    y = top + pic.height + 12
    for i in range(4):
        d.ellipse((12 + i * 35, y, 32 + i * 35, y + 20), outline="white", width=2)
    d.text((12, y + 35), "1,234 likes", fill="white", font_size=14)
    d.text((12, y + 55), "some.account  a lovely day out", fill="white", font_size=13)
    buf = io.BytesIO()
    out.save(buf, "JPEG", quality=85)
    return Image.open(io.BytesIO(buf.getvalue())).convert("RGB"), (0, top, W, top + pic.height)


def caption(img: Image.Image) -> tuple[Image.Image, tuple[int, int, int, int]]:
    bar = img.height // 7
    out = Image.new("RGB", (img.width, img.height + bar), "white")
    out.paste(img, (0, bar))
    ImageDraw.Draw(out).text((10, bar // 4), "when the weekend finally arrives!!",
                             fill="black", font_size=bar // 2)  # fmt: skip
    return out, (0, bar, img.width, img.height + bar)


def near(box: tuple[int, int, int, int], want: tuple[int, int, int, int], slack: int) -> bool:
    return all(abs(a - b) <= slack for a, b in zip(box, want, strict=True))


def best_distance(query: Image.Image, original: Image.Image) -> int:
    reg = [v for v in registration_variants(original) if v.reliable]
    return min(
        hamming_distance(q.hex, r.hex) for q in query_variants(query) if q.reliable for r in reg
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_letterbox_bars_are_found_exactly(seed: int) -> None:
    framed, want = letterbox(scene(seed))
    assert want in [box for _, box in frame_boxes(framed)]


@pytest.mark.parametrize("seed", [1, 2])
def test_white_border_is_found_exactly(seed: int) -> None:
    img = scene(seed)
    canvas = Image.new("RGB", (img.width + 80, img.height + 60), "white")
    canvas.paste(img, (40, 30))
    assert (40, 30, 40 + img.width, 30 + img.height) in [b for _, b in frame_boxes(canvas)]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_screenshot_frame_with_ui_is_found(seed: int) -> None:
    shot, want = screenshot(scene(seed))
    boxes = dict(frame_boxes(shot))
    assert "unframed_ui" in boxes or "unframed_ui2" in boxes
    assert any(near(b, want, 2) for b in boxes.values()), (boxes, want)


def test_caption_bar_with_text_is_skipped() -> None:
    framed, want = caption(scene(4))
    assert any(near(b, want, 1) for _, b in frame_boxes(framed)), frame_boxes(framed)


@pytest.mark.parametrize("make", [letterbox, screenshot, caption])
def test_framed_copies_match_their_original(make) -> None:  # type: ignore[no-untyped-def]
    for seed in (5, 6):
        original = scene(seed)
        framed, _ = make(original)
        assert best_distance(framed, original) <= 31, (make.__name__, seed)


def test_dark_topped_picture_in_black_bars_still_matches() -> None:
    # the picture's own top (a night sky) has the colour of the bars: the detector strips it
    # too, and does the same when the original is registered
    original = scene(7, dark_top=90)
    framed, _ = letterbox(original)
    assert best_distance(framed, original) <= 31


def test_dark_edged_picture_is_not_cut_into_its_texture() -> None:
    arr = np.random.default_rng(8).integers(0, 256, (300, 400, 3), dtype=np.uint8)
    arr[:60] = 3  # a black sky over a textured picture
    img = Image.fromarray(arr)
    for name, (left, top, right, bottom) in frame_boxes(img):
        # only the uniform dark band may go; every textured row and column stays
        assert top <= 60 and bottom == img.height and left == 0 and right == img.width, name


@pytest.mark.parametrize("direction", ["horizontal", "vertical", "diagonal"])
def test_gradients_are_not_cropped_into_nonsense(direction: str) -> None:
    y, x = np.mgrid[0:300, 0:400]
    v = {"horizontal": x * 255 // 399, "vertical": y * 255 // 299, "diagonal": (x + y) * 255 // 698}
    img = Image.fromarray(np.stack([v[direction]] * 3, axis=2).astype(np.uint8))
    # a smooth gradient may lose a few edge bands (each within the tolerance of its edge),
    # never most of the picture
    for name, (left, top, right, bottom) in frame_boxes(img):
        assert (right - left) * 10 >= 7 * 400 and (bottom - top) * 10 >= 7 * 300, (name, direction)


def test_flat_and_tiny_images_have_no_frame() -> None:
    assert frame_boxes(Image.new("RGB", (200, 100), (30, 30, 30))) == ()
    assert frame_boxes(Image.new("RGB", (3, 2), "white")) == ()


def test_unrelated_framed_pictures_do_not_match() -> None:
    framed, _ = screenshot(scene(9))
    assert best_distance(framed, scene(10)) > 31


@given(st.integers(1, 512), st.integers(1, 512), st.integers(1, 4000), st.integers(1, 4000),
       st.data())  # fmt: skip
def test_source_box_is_inside_and_rounded_inwards(
    w: int, h: int, sw: int, sh: int, data: st.DataObject
) -> None:
    left = data.draw(st.integers(0, w))
    right = data.draw(st.integers(left, w))
    top = data.draw(st.integers(0, h))
    bottom = data.draw(st.integers(top, h))
    sl, st_, sr, sb = source_box((left, top, right, bottom), (w, h), (sw, sh))
    assert 0 <= sl and 0 <= st_ and sr <= sw and sb <= sh
    assert sl * w >= left * sw and sr * w <= right * sw
    assert st_ * h >= top * sh and sb * h <= bottom * sh
    if (left, top, right, bottom) == (0, 0, w, h):
        assert (sl, st_, sr, sb) == (0, 0, sw, sh)
