"""A small benign site on 127.0.0.1 (a page with a style sheet, two generated images, a
redirect, gzip), and a case of centre A with evidence-capture consent, assigned to
counsellor_a and investigator_a."""

from __future__ import annotations

import gzip
import io
import random
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PIL import Image, ImageDraw
from tests.conftest import World

from jikimi.core.runtime import Runtime


def picture(seed: int, size: tuple[int, int] = (320, 240)) -> bytes:
    rnd = random.Random(seed)
    img = Image.new("RGB", size, (240, 240, 235))
    draw = ImageDraw.Draw(img)
    for _ in range(12):
        x0, y0 = rnd.randrange(size[0]), rnd.randrange(size[1])
        box = (x0, y0, x0 + rnd.randrange(20, 140), y0 + rnd.randrange(20, 140))
        colour = (rnd.randrange(256), rnd.randrange(256), rnd.randrange(256))
        (draw.ellipse if rnd.random() < 0.5 else draw.rectangle)(box, fill=colour)
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


PAGE = """<!doctype html>
<html lang="ko"><head><meta charset="utf-8"><title>게시물 123</title>
<link rel="stylesheet" href="/style.css"></head>
<body><h1>게시물 123</h1><p class="note">테스트 페이지 (benign)</p>
<img src="/media/one.png" alt="one"><img src="../media/two.png" alt="two">
<a href="/media/missing.png">missing</a>
<script>
fetch("http://10.255.255.1/internal").catch(() => {});
try { new WebSocket("ws://127.0.0.1:9/"); } catch (e) {}
document.body.dataset.js = "ran";
</script>
</body></html>"""


@dataclass
class Site:
    base: str
    files: dict[str, tuple[str, bytes]]
    requests: list[str]


class _Handler(BaseHTTPRequestHandler):
    site: Site

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.site.requests.append(self.path)
        if self.path == "/go":
            self.send_response(302)
            self.send_header("Location", "/post/123")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        entry = self.site.files.get(self.path)
        if entry is None:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        ctype, body = entry
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("X-Served-By", "evidence-test-site")
        if ctype.startswith("text/html"):
            body = gzip.compress(body)
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def site() -> Iterator[Site]:
    files = {
        "/post/123": ("text/html; charset=utf-8", PAGE.encode("utf-8")),
        "/style.css": ("text/css", b"body{font-family:sans-serif;background:#fafaf0}"
                                    b" .note{color:#2a6}"),
        "/media/one.png": ("image/png", picture(1)),
        "/media/two.png": ("image/png", picture(2)),
        "/robots.txt": ("text/plain", b"User-agent: *\nDisallow: /\n"),
    }
    state = Site("", files, [])
    handler = type("Handler", (_Handler,), {"site": state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    state.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def _no_screenshot_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chromium only where a test asks for it (CaptureOptions(screenshot=True))."""
    monkeypatch.setenv("JIKIMI_EVIDENCE_SCREENSHOT", "0")


@dataclass
class EvidenceCase:
    code: str
    other_code: str
    """A case of centre B (with consent), for cross-centre checks."""


def open_evidence_case(runtime: Runtime, world: World) -> EvidenceCase:
    from jikimi import accounts, cases
    from jikimi.cases import ConsentPurpose, IntakeChannel
    from jikimi.core.actors import cli_actor

    with runtime.context(cli_actor("test")) as ctx:
        a = accounts.resolve_centre(ctx.session, world.centre_a)
        b = accounts.resolve_centre(ctx.session, world.centre_b)
        staff = world.staff
        opened = cases.open_case(ctx, a, IntakeChannel.HOTLINE, name="피해자",
                                 phone="010-1234-5678",
                                 assign_to=[staff["counsellor_a"].id, staff["investigator_a"].id])
        cases.record_consent(ctx, opened.case.code, ConsentPurpose.EVIDENCE_CAPTURE)
        other = cases.open_case(ctx, b, IntakeChannel.HOTLINE,
                                assign_to=[staff["counsellor_b"].id, staff["investigator_b"].id])
        cases.record_consent(ctx, other.case.code, ConsentPurpose.EVIDENCE_CAPTURE)
    return EvidenceCase(opened.case.code, other.case.code)


@pytest.fixture
def ecase(runtime: Runtime, world: World) -> EvidenceCase:
    return open_evidence_case(runtime, world)
