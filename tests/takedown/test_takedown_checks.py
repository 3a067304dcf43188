"""One re-check of one URL against a local HTTP server: what counts as removed, what does not.
No database: ``check_url`` fetches, hashes and classifies."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from tests.scans.conftest import encode, scene

from jikimi.hashing import fingerprint_bytes
from jikimi.sources.http import HttpClient
from jikimi.takedown.checks import VERIFY_POLICY, _Target, check_url, still_matches
from jikimi.takedown.verification import RemovalOutcome

ORIGINAL = encode(scene(21))
REFERENCE = fingerprint_bytes(ORIGINAL).to_json()
ROUTES: dict[str, tuple[int, str, bytes]] = {
    "/same.jpg": (200, "image/jpeg", ORIGINAL),
    "/recompressed.jpg": (200, "image/jpeg", encode(scene(21), quality=35)),
    "/other.jpg": (200, "image/jpeg", encode(scene(99))),
    "/now-html.jpg": (200, "text/html", b"<html><body>Welcome!</body></html>"),
    "/post": (200, "text/html", b"<html><body>a page with the picture</body></html>"),
    "/tumblr-gone": (200, "text/html", b"<html><h1>There's nothing here.</h1></html>"),
    "/gone": (410, "text/plain", b"gone"),
    "/busy": (503, "text/plain", b"later"),
    "/login": (401, "text/plain", b"who are you"),
}


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, kind, body = ROUTES.get(self.path, (404, "text/plain", b"no"))
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize("path, media_url, platform, outcome, reason", [
    ("/same.jpg", True, None, RemovalOutcome.STILL_PRESENT, "content_matches"),
    ("/recompressed.jpg", True, None, RemovalOutcome.STILL_PRESENT, "content_matches"),
    ("/other.jpg", True, None, RemovalOutcome.REMOVED, "content_changed"),
    ("/now-html.jpg", True, None, RemovalOutcome.REMOVED, "content_changed"),
    ("/post", False, None, RemovalOutcome.STILL_PRESENT, "page_served"),
    ("/tumblr-gone", False, "tumblr", RemovalOutcome.REMOVED, "deleted_page_marker"),
    ("/missing", True, None, RemovalOutcome.REMOVED, "http_404"),
    ("/gone", True, None, RemovalOutcome.REMOVED, "http_410"),
    ("/busy", True, None, RemovalOutcome.UNREACHABLE, "http_503"),
    ("/login", True, None, RemovalOutcome.UNREACHABLE, "http_401"),
])
def test_check_url(server: str, path: str, media_url: bool, platform: str | None,
                   outcome: RemovalOutcome, reason: str) -> None:
    with HttpClient(VERIFY_POLICY) as client:
        result = check_url(client, _Target(1, 1, server + path, platform, REFERENCE,
                                           media_url))
    assert (result.outcome, result.reason) == (outcome, reason)
    assert result.http_status == ROUTES.get(path, (404,))[0]


def test_unreachable_and_refused_addresses() -> None:
    with HttpClient(VERIFY_POLICY) as client:
        down = check_url(client, _Target(1, 1, "http://127.0.0.1:1/x.jpg", None, REFERENCE,
                                         True))
        private = check_url(client, _Target(1, 1, "http://10.0.0.1/x.jpg", None, REFERENCE,
                                            True))
    assert down.outcome is RemovalOutcome.UNREACHABLE and down.http_status is None
    assert private.outcome is RemovalOutcome.UNREACHABLE and "10.0.0.1" in private.detail


def test_still_matches_bad_input() -> None:
    assert still_matches(b"", REFERENCE) is None
    still_matches(ORIGINAL[: len(ORIGINAL) // 3], REFERENCE)  # truncated: never raises
    assert still_matches(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, REFERENCE) is None
    assert still_matches(ORIGINAL, {"sha256": REFERENCE["sha256"]}) is True
    assert still_matches(ORIGINAL, {"pdq": "zz"}) is False
