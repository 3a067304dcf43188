"""A small benign site served on 127.0.0.1, and media: registered images, transformed copies
and unrelated images, generated with Pillow."""

from __future__ import annotations

import io
import random
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageOps
from tests.foundation.test_cli import jikimi


def scene(seed: int, size: tuple[int, int] = (480, 360)) -> Image.Image:
    rnd = random.Random(seed)
    img = Image.new("RGB", size)
    draw = ImageDraw.Draw(img)
    for y in range(size[1]):
        draw.line([(0, y), (size[0], y)], fill=(y % 256, (y * 3 + seed * 7) % 256, 100))
    for _ in range(14):
        x0, y0 = rnd.randrange(size[0]), rnd.randrange(size[1])
        box = (x0, y0, x0 + rnd.randrange(30, 180), y0 + rnd.randrange(30, 180))
        colour = (rnd.randrange(256), rnd.randrange(256), rnd.randrange(256))
        (draw.ellipse if rnd.random() < 0.5 else draw.rectangle)(box, fill=colour)
    return img


def encode(img: Image.Image, fmt: str = "JPEG", **kw: object) -> bytes:
    out = io.BytesIO()
    img.save(out, fmt, **kw)
    return out.getvalue()


@dataclass
class Media:
    registered: list[bytes]  # what the victims registered
    copies: dict[str, bytes]  # name -> transformed copy of a registered image
    unrelated: dict[str, bytes]


@pytest.fixture(scope="session")
def media() -> Media:
    originals = [scene(s) for s in (11, 12, 13)]
    copies = {
        "copy-recompressed.jpg": encode(originals[0], quality=40),
        "copy-mirrored.png": encode(ImageOps.mirror(originals[1]), "PNG"),
        "copy-smaller.jpg": encode(originals[2].resize((240, 180))),
    }
    unrelated = {f"other-{s}.jpg": encode(scene(s)) for s in (101, 102, 103, 104)}
    return Media([encode(o, "PNG") for o in originals], copies, unrelated)


class Site:
    def __init__(self, files: dict[str, tuple[str, bytes]]) -> None:
        self.files = files
        self.server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def site(media: Media) -> Iterator[Site]:
    files: dict[str, tuple[str, bytes]] = {}
    for name, data in {**media.copies, **media.unrelated}.items():
        kind = "image/png" if name.endswith(".png") else "image/jpeg"
        files[f"/media/{name}"] = (kind, data)
    files["/media/fake.jpg"] = ("image/jpeg", b"<html><body>not an image</body></html>")
    links = "".join(f'<img src="/media/{n}">' for n in [*media.copies, *media.unrelated])
    files["/gallery.html"] = ("text/html", f"<html><body>{links}"
                              f'<img src="/media/fake.jpg"><img src="/media/missing.jpg">'
                              f"</body></html>".encode())
    files["/robots.txt"] = ("text/plain", b"User-agent: *\nAllow: /\n")
    state = Site(files)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            entry = state.files.get(self.path)
            if entry is None:
                self.send_error(404)
                return
            kind, body = entry
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.server = server
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()




@pytest.fixture
def install(tmp_path: Path, database_url: str, media: Media) -> dict[str, str]:
    """An installation with one centre and a bank holding the registered images."""
    env = {"JIKIMI_DATA_DIR": str(tmp_path / "inst"), "JIKIMI_DATABASE_URL": database_url}
    jikimi(env, "db", "upgrade")
    jikimi(env, "centres", "add", "센터")
    registered = tmp_path / "registered"
    registered.mkdir()
    for n, data in enumerate(media.registered):
        (registered / f"victim-{n}.png").write_bytes(data)
    jikimi(env, "banks", "create", "victims")
    jikimi(env, "banks", "add", "victims", str(registered))
    return env
