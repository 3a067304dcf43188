"""pdq.js computes the region hashes (signal type ``pdq_region``) exactly as the server.

Registration happens in the victim's browser, so whatever the server registers for a picture
must come out of pdq.js bit for bit: the same windows, the same fixed-point tilts, the same
PDQ. Runs pdq.js under Node on generated photos and compares with
``jikimi.hashing.regions.registration_regions`` of the same pixels.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw
from tests.portal.test_pdq_js import Runner, node, ok  # noqa: F401  (the node fixture)

from jikimi.hashing import fingerprint_bytes
from jikimi.hashing.decode import MediaFormat, MediaKind
from jikimi.hashing.pdq import reference_thumbnail
from jikimi.hashing.regions import OFFCROP_WINDOWS, TILTS, registration_regions, tilted_centre


def photo(seed: int, size: tuple[int, int]) -> Image.Image:
    """A benign generated photo: gradient, shapes, noise."""
    rng = np.random.default_rng(seed)
    w, h = size
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    c0, c1 = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
    t = (x / w + y / h)[..., None] / 2
    img = Image.fromarray((c0 * (1 - t) + c1 * t).astype(np.uint8), "RGB")
    d = ImageDraw.Draw(img)
    for _ in range(8):
        x0, y0 = int(rng.integers(0, w)), int(rng.integers(0, h))
        box = (x0, y0, x0 + int(rng.integers(w // 10, w // 2)),
               y0 + int(rng.integers(h // 10, h // 2)))
        d.ellipse(box, fill=tuple(int(v) for v in rng.integers(0, 256, 3)))
    noisy = np.asarray(img, np.int16) + rng.integers(-6, 7, (h, w, 3))
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8), "RGB")


def test_region_hashes_match_server(node: Runner) -> None:  # noqa: F811
    images = [photo(1, (640, 480)), photo(2, (301, 557)), photo(3, (900, 300))]
    jobs = []
    for img in images:
        path, w, h = node.file(np.asarray(img.convert("RGBA")))
        jobs.append({"op": "regions", "file": path, "width": w, "height": h})
    results = node.run(jobs)
    fmt = MediaFormat("png", MediaKind.IMAGE, "PNG")
    for img, result in zip(images, results, strict=True):
        server = registration_regions(reference_thumbnail(img.copy(), fmt))
        got = [(v["name"], v["hash"], v["quality"]) for v in ok(result)]
        assert got == [(v.name, v.hex, v.quality) for v in server]
        assert len(got) == 6 + len(OFFCROP_WINDOWS) + 4 + len(TILTS) == 199
        # and what `jikimi banks add` registers for the same file
        buf = io.BytesIO()
        img.save(buf, "PNG")
        fp = fingerprint_bytes(buf.getvalue(), with_variants=True)
        assert [(v.name, v.hex, v.quality) for v in fp.regions] == got  # type: ignore[union-attr]


def test_tilt_turns_the_picture() -> None:
    """The fixed-point tilt really turns the centre: a vertical bar comes out slanted by the
    angle (its top and bottom ends shift in opposite directions), and 0 degrees is a crop."""
    img = np.zeros((200, 200, 3), np.uint8)
    img[:, 98:102] = 255
    straight = tilted_centre(img, TILTS[10])
    assert straight.shape == (140, 140, 3) and (straight == img[30:170, 30:170]).all()
    turned = tilted_centre(img, TILTS[-1])  # +10 degrees
    top = np.argmax(turned[0, :, 0])
    bottom = np.argmax(turned[-1, :, 0])
    slope = abs(int(top) - int(bottom)) / 140
    assert 0.14 < slope < 0.22  # tan 10° = 0.176
