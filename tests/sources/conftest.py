"""A real HTTP server on 127.0.0.1 serving a small benign site, with hostile endpoints.

Images are generated gradients and shapes; the "video" is a minimal MP4 header. Nothing here
resembles real content.
"""

from __future__ import annotations

import io
import socket
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
from PIL import Image, ImageDraw

from jikimi.sources import FetchPolicy, HttpClient


def make_png(seed: int, size: int = 48) -> bytes:
    img = Image.new("RGB", (size, size))
    draw = ImageDraw.Draw(img)
    for y in range(size):
        draw.line([(0, y), (size, y)], fill=((y * 5 + seed * 40) % 256, seed * 30 % 256, 120))
    box = [size // 4, size // 4, size * 3 // 4, size * 3 // 4]
    draw.ellipse(box, fill=(seed * 50 % 256, 200, 30))
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def make_jpeg(seed: int) -> bytes:
    out = io.BytesIO()
    Image.open(io.BytesIO(make_png(seed))).save(out, "JPEG")
    return out.getvalue()


MP4 = struct.pack(">I", 24) + b"ftypisom" + b"\x00\x00\x02\x00" + b"isomiso2" + b"\x00" * 64

INDEX = """<!doctype html><html><head><title>Test  site</title>
<meta property="og:image" content="/img/og.png">
<meta property="og:video" content="/video/og.mp4">
<base href="/">
</head><body>
<img src="img/a.png" alt="a">
<img src="/img/b.png" srcset="/img/b-1x.png 1x, /img/b,2x.png 2x">
<picture><source srcset="/img/p.webp 1x" type="image/webp"><img src="/img/p.png"></picture>
<video poster="/img/poster.png"><source src="/video/clip.mp4" type="video/mp4"></video>
<audio><source src="/audio/song.ogg"></audio>
<a href="/img/linked.jpg">a linked photo</a>
<a href="/media/noext">media without an extension</a>
<a href="page2.html#top">next</a>
<a href="/private/secret.html">private</a>
<a href="http://example.invalid/elsewhere.html">elsewhere</a>
<a href="javascript:void(0)">js</a> <a href="mailto:someone@example.org">mail</a>
<img src="data:image/png;base64,AAAA">
<img src="/img/a.png">
</body></html>"""

PAGE2 = """<html><body><img src="/img/c.png"><a href="/page3.html">deeper</a>
<a href="/index.html">home</a></body></html>"""
PAGE3 = """<html><body><img src="/img/d.png"></body></html>"""
BROKEN = """<html><body><img src="/img/a.png"<div><img src='/img/b.png' <p>unterminated
<table><tr><td><img SRC=/img/c.png></td></tr><!-- comment never closed
<img src="/img/zzz.png">"""
HOSTILE = """<html><body>
<img src="/404.png"><img src="/500.png"><img src="/reset.png"><img src="/fake.jpg">
</body></html>"""

RSS = """<?xml version="1.0"?>
<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/">
<channel><title>Test RSS</title><link>http://HOST/</link>
<item><title>One</title><link>http://HOST/post/1</link><guid>post-1</guid>
<pubDate>Tue, 03 Jun 2025 09:39:21 GMT</pubDate>
<enclosure url="http://HOST/img/enc.jpg" length="100" type="image/jpeg"/>
<description><![CDATA[<p>Hello <img src="/img/in-entry.png"></p>]]></description></item>
<item><title>Two</title><link>http://HOST/post/2</link>
<media:content url="http://HOST/video/mc.mp4" type="video/mp4" medium="video"/>
<media:thumbnail url="http://HOST/img/thumb.png"/>
<enclosure url="http://HOST/audio/podcast.mp3" type="audio/mpeg" length="1"/>
</item></channel></rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Test Atom</title>
<id>urn:test</id><updated>2025-06-03T10:00:00+09:00</updated>
<entry><title>A</title><id>urn:a</id><updated>2025-06-03T10:00:00+09:00</updated>
<link href="http://HOST/atom/a"/>
<link rel="enclosure" href="http://HOST/img/atom-enc.png" type="image/png"/>
<content type="html">&lt;img src="http://HOST/img/atom-content.png"&gt;</content>
</entry></feed>"""

ROBOTS = "User-agent: *\nDisallow: /private/\n"

IMAGES = {f"/img/{n}": make_png(i) for i, n in enumerate(
    ["a.png", "b.png", "b-1x.png", "b,2x.png", "p.webp", "p.png", "poster.png", "og.png",
     "c.png", "d.png", "in-entry.png", "thumb.png", "atom-enc.png", "atom-content.png"])}
IMAGES["/img/linked.jpg"] = make_jpeg(7)
IMAGES["/img/enc.jpg"] = make_jpeg(8)
IMAGES["/media/noext"] = make_jpeg(9)
IMAGES["/private/secret.png"] = make_png(99)
VIDEOS = {"/video/clip.mp4": MP4, "/video/og.mp4": MP4, "/video/mc.mp4": MP4}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    requests: ClassVar[list[tuple[float, str, str]]] = []

    def log_message(self, *args: object) -> None:
        pass

    def _send(self, status: int, body: bytes, ctype: str, **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers.items():
            self.send_header(k.replace("_", "-"), v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        Handler.requests.append((time.monotonic(), self.path, self.headers.get("User-Agent", "")))
        host = self.headers.get("Host", "")
        path = self.path.split("?")[0]
        pages = {"/": INDEX, "/index.html": INDEX, "/page2.html": PAGE2, "/page3.html": PAGE3,
                 "/broken.html": BROKEN, "/hostile.html": HOSTILE,
                 "/private/secret.html": PAGE3}
        if path in pages:
            return self._send(200, pages[path].encode(), "text/html; charset=utf-8")
        if path == "/robots.txt":
            return self._send(200, ROBOTS.encode(), "text/plain")
        if path == "/feed.rss":
            return self._send(200, RSS.replace("HOST", host).encode(), "application/rss+xml")
        if path == "/feed.atom":
            return self._send(200, ATOM.replace("HOST", host).encode(), "application/atom+xml")
        if path == "/feed.broken":
            return self._send(200, b"<rss><channel><item><title>x</tit", "application/rss+xml")
        if path in IMAGES:
            return self._send(200, IMAGES[path], "image/png")
        if path in VIDEOS:
            return self._send(200, VIDEOS[path], "video/mp4")
        if path == "/fake.jpg":
            return self._send(200, b"<!doctype html><html><body>Not found</body></html>" * 3,
                              "image/jpeg")
        if path in ("/500", "/500.png"):
            return self._send(500, b"oops", "text/plain")
        if path in ("/reset", "/reset.png"):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            return None
        if path == "/loop":
            return self._send(302, b"", "text/plain", Location="/loop2")
        if path == "/loop2":
            return self._send(301, b"", "text/plain", Location=f"http://{host}/loop")
        if path.startswith("/chain/"):
            n = int(path.rsplit("/", 1)[1])
            return self._send(302, b"", "text/plain", Location=f"/chain/{n + 1}")
        if path == "/redirect-to-image":
            return self._send(302, b"", "text/plain", Location="/img/a.png")
        if path == "/redirect-to-private":
            return self._send(302, b"", "text/plain", Location="/private/secret.png")
        if path == "/huge":
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", str(10 * 1024**3))
            self.end_headers()
            self.wfile.write(IMAGES["/img/linked.jpg"][:1000])
            self.close_connection = True
            return None
        if path == "/endless":  # no Content-Length, never ends: the size limit cuts it
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()
            self.close_connection = True
            try:
                self.wfile.write(IMAGES["/img/a.png"][:64])
                for _ in range(2000):
                    self.wfile.write(b"\0" * 65536)
            except OSError:
                pass
            return None
        if path == "/trickle":  # a byte every 0.1 s forever: only the deadline stops it
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.close_connection = True
            try:
                self.wfile.write(IMAGES["/img/a.png"][:64])
                for _ in range(100):
                    self.wfile.write(b"\0")
                    self.wfile.flush()
                    time.sleep(0.1)
            except OSError:
                pass
            return None
        if path == "/stall":  # headers, then silence: the read timeout stops it
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", "5000")
            self.end_headers()
            self.wfile.flush()
            self.close_connection = True
            time.sleep(4)
            return None
        return self._send(404, b"not here", "text/plain")


@dataclass
class Site:
    base: str
    requests: list[tuple[float, str, str]]

    def url(self, path: str) -> str:
        return self.base + path


@pytest.fixture(scope="session")
def site() -> Iterator[Site]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    yield Site(f"http://{host}:{port}", Handler.requests)
    server.shutdown()
    server.server_close()


FAST = FetchPolicy(connect_timeout=2, read_timeout=1.0, total_timeout=3.0, min_host_interval=0)


@pytest.fixture
def client() -> Iterator[HttpClient]:
    with HttpClient(FAST) as c:
        yield c
