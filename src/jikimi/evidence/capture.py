"""Capturing a URL: the page (or media file), its media, its TLS certificate, a screenshot.

No database here. Every byte comes through jikimi's one HTTP client (timeouts, size limits,
the perimeter's address rule checked at connect time on every hop); the TLS handshake that
records the certificate dials through the same guard; robots.txt is not consulted, because a
capture is a deliberate act of an investigator on one URL (recorded with her name and reason),
not a crawl.
The screenshot is taken in Debian's Chromium through Playwright with *every* request of the
browser answered from what jikimi fetched itself: the browser never talks to the network, the
same address rules hold for it, and every byte it rendered ends up in the WARC file.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import hashlib
import os
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509

from jikimi.core.perimeter import AddressRefused, NetworkGuard
from jikimi.evidence.schemas import TlsCertificate
from jikimi.sources import FetchError, FetchPolicy, HttpClient, HttpResponse, media_kind
from jikimi.sources.pages import decode_html, normalize_url, scan_html

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-dev-shm-usage",
                 # The browser resolves nothing and so connects nowhere by itself: requests are
                 # answered by jikimi's guarded client, and a page's <link rel=preconnect> to a
                 # local port (which Playwright's routing does not see) finds no address.
                 "--host-resolver-rules=MAP * ~NOTFOUND"]
_HOP_HEADERS = frozenset({"content-encoding", "transfer-encoding", "content-length",
                          "connection", "keep-alive"})


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() not in ("0", "false", "no", "off", "")


@dataclass(frozen=True)
class CaptureOptions:
    """Limits and choices of one capture. ``from_env`` reads ``JIKIMI_EVIDENCE_SCREENSHOT``
    (0 to skip the screenshot, e.g. on a server without Chromium) and
    ``JIKIMI_EVIDENCE_CHROMIUM`` (the browser executable)."""

    screenshot: bool = True
    media: bool = True
    max_media: int = 50
    """Media found in the page that are fetched and hashed with it."""
    max_resources: int = 150
    """Other resources (style sheets, scripts, fonts) the browser may load to render."""
    max_bytes: int = 200 * 1024 * 1024
    """Largest single response."""
    max_total_bytes: int = 500 * 1024 * 1024
    total_timeout: float = 120.0
    viewport_width: int = 1280
    viewport_height: int = 900
    max_screenshot_height: int = 16_000
    chromium: str = CHROMIUM
    accept_unverified_tls: bool = True
    """Capture https sites whose certificate does not verify (recorded as such)."""

    @classmethod
    def from_env(cls) -> CaptureOptions:
        return cls(screenshot=_flag("JIKIMI_EVIDENCE_SCREENSHOT", True),
                   chromium=os.environ.get("JIKIMI_EVIDENCE_CHROMIUM", CHROMIUM))

    def policy(self) -> FetchPolicy:
        return FetchPolicy(max_bytes=self.max_bytes, max_page_bytes=self.max_bytes,
                           min_host_interval=0.0, respect_robots=False,
                           total_timeout=min(self.total_timeout, 120.0))


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class Fetched:
    """One HTTP exchange as it goes into the WARC file."""

    requested_url: str
    url: str
    status: int
    headers: dict[str, str]
    body: bytes
    at: dt.datetime
    role: str
    """``page`` (the captured URL), ``media`` (found in the page) or ``resource``."""
    how: str = ""
    redirects: tuple[str, ...] = ()
    kind: str | None = None

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")[:200]

    @classmethod
    def from_response(cls, requested: str, resp: HttpResponse, at: dt.datetime, role: str,
                      how: str = "") -> Fetched:
        return cls(requested, resp.url, resp.status, dict(resp.headers), resp.content, at,
                   role, how, tuple(resp.redirects), resp.media_kind)


@dataclass
class FailedFetch:
    url: str
    role: str
    how: str
    error: str
    message: str


@dataclass
class Capture:
    """Everything one capture collected, before it is sealed."""

    primary: Fetched
    kind: str
    started_at: dt.datetime
    finished_at: dt.datetime
    title: str = ""
    media: list[Fetched] = field(default_factory=list)
    resources: list[Fetched] = field(default_factory=list)
    failures: list[FailedFetch] = field(default_factory=list)
    screenshot: bytes | None = None
    rendered_html: str | None = None
    screenshot_error: str | None = None
    tls: TlsCertificate | None = None
    tls_error: str | None = None
    addresses: list[str] = field(default_factory=list)
    user_agent: str = ""
    fetched_without_tls_verification: bool = False


def item_kind(fetched: Fetched) -> str:
    """``page``, ``image``, ``video`` or ``file``, from the bytes first and the type second."""
    sniffed = fetched.kind or media_kind(fetched.body[:64])
    if sniffed in ("image", "video"):
        return sniffed
    ctype = fetched.content_type.lower()
    if "html" in ctype or (not ctype and fetched.body.lstrip()[:15].lower().startswith(
            (b"<!doctype html", b"<html"))):
        return "page"
    return "file"


class _Budget:
    """Counts bytes and resources across one capture, and its deadline."""

    def __init__(self, options: CaptureOptions) -> None:
        self.options = options
        self.deadline = time.monotonic() + options.total_timeout
        self.bytes = 0
        self.resources = 0
        self.lock = threading.Lock()

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def take(self, size: int) -> bool:
        with self.lock:
            if self.bytes + size > self.options.max_total_bytes:
                return False
            self.bytes += size
            return True


def capture(url: str, options: CaptureOptions | None = None, *,
            client: HttpClient | None = None, guard: NetworkGuard | None = None) -> Capture:
    """Fetch ``url`` with its media, certificate and screenshot. Raises
    :class:`jikimi.sources.FetchError` when the URL itself cannot be fetched
    (:class:`jikimi.sources.BlockedAddress` when the perimeter refuses it); failures of
    media, certificate or screenshot are recorded in the capture instead. ``guard`` (default:
    the client's, else this process's settings) decides every address, TLS handshake
    included."""
    options = options or CaptureOptions()
    own_client = client is None
    http = client or HttpClient(options.policy(), guard=guard)
    guard = http.guard
    budget = _Budget(options)
    started = utc_now()
    unverified = False
    try:
        try:
            resp = http.get(url, max_bytes=options.max_bytes)
        except FetchError as exc:
            if not (own_client and options.accept_unverified_tls and _certificate_failed(exc)):
                raise
            # Sites that host abuse often have broken certificates: capture anyway, and say so
            # (the certificate and why it failed are recorded with the capture).
            http.close()
            http = HttpClient(options.policy(), guard=guard, verify_tls=False)
            unverified = True
            resp = http.get(url, max_bytes=options.max_bytes)
        primary = Fetched.from_response(url, resp, started, "page")
        budget.take(len(primary.body))
        result = Capture(primary=primary, kind=item_kind(primary), started_at=started,
                         finished_at=started, user_agent=http.policy.user_agent,
                         fetched_without_tls_verification=unverified)
        if result.kind == "page":
            page = scan_html(decode_html(primary.body, primary.content_type), primary.url)
            result.title = page.title or ""
            if options.media:
                for ref in page.media[:options.max_media]:
                    if budget.left() <= 0:
                        result.failures.append(FailedFetch(ref.url, "media", ref.how, "timeout",
                                                           "capture deadline reached"))
                        continue
                    _fetch_into(http, ref.url, "media", ref.how, budget, result, result.media)
        result.addresses = _addresses(primary.url)
        result.tls, result.tls_error = tls_certificate(primary.url, guard=guard)
        if options.screenshot:
            _screenshot(http, result, options, budget)
        result.finished_at = utc_now()
        return result
    finally:
        if own_client:
            http.close()


def _certificate_failed(exc: FetchError) -> bool:
    return exc.code == "connection_failed" and "CERTIFICATE_VERIFY_FAILED" in exc.message


def _fetch_into(http: HttpClient, url: str, role: str, how: str, budget: _Budget,
                result: Capture, into: list[Fetched]) -> Fetched | None:
    at = utc_now()
    try:
        resp = http.get(url, max_bytes=budget.options.max_bytes)
    except FetchError as exc:
        result.failures.append(FailedFetch(url, role, how, exc.code, exc.message))
        return None
    if not budget.take(len(resp.content)):
        result.failures.append(FailedFetch(url, role, how, "too_large",
                                           "the capture's total size limit was reached"))
        return None
    fetched = Fetched.from_response(url, resp, at, role, how)
    into.append(fetched)
    return fetched


def _addresses(url: str) -> list[str]:
    parts = urlsplit(url)
    try:
        infos = socket.getaddrinfo(parts.hostname or "", parts.port or 443,
                                   type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return []
    return sorted({str(info[4][0]) for info in infos})


# --- TLS -------------------------------------------------------------------------------------
def tls_certificate(url: str, timeout: float = 10.0, cafile: str | None = None, *,
                    guard: NetworkGuard | None = None
                    ) -> tuple[TlsCertificate | None, str | None]:
    """The certificate the server of an https ``url`` presents, with its SHA-256 fingerprint
    and whether it verifies; ``(None, None)`` for http, ``(None, reason)`` on failure (a
    refused address included: the connection goes through ``guard``)."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        return None, None
    host, port = parts.hostname, parts.port or 443
    dialer = guard or NetworkGuard.from_environment()

    def handshake(verify: bool) -> tuple[bytes, str, str]:
        context = ssl.create_default_context(cafile=cafile)
        if not verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        with dialer.connect(host, port, timeout) as sock, \
                context.wrap_socket(sock, server_hostname=host) as tls:
            der = tls.getpeercert(binary_form=True)
            if der is None:
                raise ssl.SSLError("the server sent no certificate")
            return der, tls.version() or "", str(tls.getpeername()[0])

    verified, verify_error = True, ""
    try:
        try:
            der, version, peer = handshake(True)
        except ssl.SSLCertVerificationError as exc:
            verified, verify_error = False, str(exc.verify_message or exc)[:300]
            der, version, peer = handshake(False)
    except AddressRefused as exc:
        return None, f"TLS handshake with {host}:{port} refused: {exc.message}"[:500]
    except (OSError, ssl.SSLError) as exc:
        return None, f"TLS handshake with {host}:{port} failed: {exc}"[:500]
    cert = x509.load_der_x509_certificate(der)
    return TlsCertificate(
        sha256=hashlib.sha256(der).hexdigest(), subject=cert.subject.rfc4514_string()[:500],
        issuer=cert.issuer.rfc4514_string()[:500], serial=format(cert.serial_number, "x"),
        not_before=cert.not_valid_before_utc, not_after=cert.not_valid_after_utc,
        verified=verified, verify_error=verify_error, tls_version=version, peer_address=peer,
    ), None


# --- the screenshot --------------------------------------------------------------------------
def replay_headers(headers: dict[str, str]) -> dict[str, str]:
    """Headers of a stored response as they are replayed (the body is stored decoded)."""
    return {k: v for k, v in headers.items() if k.lower() not in _HOP_HEADERS}


def _screenshot(http: HttpClient, result: Capture, options: CaptureOptions,
                budget: _Budget) -> None:
    cache: dict[str, Fetched] = {}
    for fetched in (result.primary, *result.media):
        for key in (fetched.requested_url, fetched.url, *fetched.redirects):
            cache.setdefault(normalize_url(key) or key, fetched)
    lock = threading.Lock()

    def answer(url: str) -> Fetched | None:
        key = normalize_url(url)
        if key is None:
            return None
        with lock:
            hit = cache.get(key)
            if hit is not None:
                return hit
            if budget.resources >= options.max_resources or budget.left() <= 0:
                return None
            budget.resources += 1
        fetched = _fetch_into(http, key, "resource", "rendering", budget, result,
                              result.resources)
        if fetched is not None:
            with lock:
                cache[key] = fetched
        return fetched

    timeout = max(5.0, min(budget.left(), 90.0))
    # A thread of its own: Playwright's sync API refuses a thread with an event loop. Not
    # waited for past the deadline: a browser stuck on a hostile page ends on its own timeouts.
    executor = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="evidence-chromium")
    future = executor.submit(_render, result.primary.url, answer, options, timeout)
    try:
        result.screenshot, result.rendered_html = future.result(timeout=timeout + 30)
    except Exception as exc:  # the capture stands without its screenshot; say why
        result.screenshot_error = f"{type(exc).__name__}: {exc}"[:500]
    finally:
        executor.shutdown(wait=False)


def _render(url: str, answer: Callable[[str], Fetched | None], options: CaptureOptions,
            timeout: float) -> tuple[bytes, str]:
    from playwright.sync_api import Route, sync_playwright

    def on_request(route: Route) -> None:
        hit = answer(route.request.url)
        if hit is None:
            route.abort("blockedbyclient")
            return
        route.fulfill(status=hit.status, headers=replay_headers(hit.headers), body=hit.body)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=options.chromium, args=CHROMIUM_ARGS,
                                    headless=True)
        try:
            context = browser.new_context(
                viewport={"width": options.viewport_width, "height": options.viewport_height},
                service_workers="block", accept_downloads=False, locale="ko-KR",
                timezone_id="Asia/Seoul")
            page = context.new_page()
            page.route("**/*", on_request)
            page.route_web_socket("**/*", lambda ws: ws.close())
            page.goto(url, wait_until="load", timeout=timeout * 1000)
            try:
                page.wait_for_load_state("networkidle", timeout=3000)
            except Exception:  # noqa: S110 - pages that never go idle are shot as they are
                pass
            height = int(page.evaluate(
                "() => Math.max(document.documentElement.scrollHeight,"
                " document.body ? document.body.scrollHeight : 0)"))
            shot_args: dict[str, Any] = {"type": "png", "timeout": timeout * 1000}
            if height > options.max_screenshot_height:
                shot_args["clip"] = {"x": 0, "y": 0, "width": options.viewport_width,
                                     "height": options.max_screenshot_height}
            png = page.screenshot(full_page=True, **shot_args)
            html = page.content()
            context.close()
        finally:
            browser.close()
    return png, html
