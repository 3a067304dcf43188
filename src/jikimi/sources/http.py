"""jikimi's one HTTP client: every fetch from the web goes through :class:`HttpClient`.

It is deliberately suspicious: the sites jikimi watches are hostile or broken more often than
not. Each request has a connect and a read timeout *and* a wall-clock deadline (a server that
trickles a response forever is cut off), a size limit enforced while streaming (a 10 GB
``Content-Length`` is refused before a byte is read), redirects followed one by one with a limit
and loop detection (each hop is checked like the first URL), a user agent naming jikimi, a
minimum interval between requests to the same host, and robots.txt respected unless the source
explicitly overrides it (the scans layer audits the override). Only http and https are fetched.
Every connection goes through the perimeter's :class:`~jikimi.core.perimeter.NetworkGuard`: the
host is resolved once, every address is checked (loopback, private, link-local, multicast,
reserved and metadata addresses are refused; ``JIKIMI_FETCH_ALLOW_LOOPBACK`` lets loopback
through) and the connection goes to the checked address, on every redirect hop and for
robots.txt alike. The rule is the installation's, never a source's configuration. Every failure
is a :class:`FetchError` with a stable ``code`` (:class:`BlockedAddress` for refused addresses).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

import httpcore
import httpx

from jikimi.core.perimeter import AddressRefused, NetworkGuard, guarded_transport
from jikimi.sources.base import ConfigReader, media_kind
from jikimi.sources.errors import BlockedAddress, FetchError, SourceConfigError
from jikimi.sources.pages import normalize_url

USER_AGENT = (
    "jikimi/0.1 (digital sex crime victim support centre; finds and removes "
    "non-consensual images; robots.txt token: jikimi)"
)
ROBOTS_TOKEN = "jikimi"  # noqa: S105 - the robots.txt product token
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_SNIFF_BYTES = 64
_MAX_ROBOTS_BYTES = 512 * 1024
_MAX_CRAWL_DELAY = 30.0
_INSTALLATION_RULES = ("allow_loopback", "allow_private_networks")
"""Former per-source address switches: the address rule is now the installation's."""


@dataclass(frozen=True, slots=True)
class FetchPolicy:
    """Limits and manners of every HTTP fetch. JSON-able through :meth:`to_config`."""

    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    """Longest silence while waiting for the next bytes."""
    total_timeout: float = 120.0
    """Wall-clock deadline of one fetch, redirects and robots.txt included."""
    max_bytes: int = 512 * 1024 * 1024
    """Largest media response (the decoder's own default limit)."""
    max_page_bytes: int = 10 * 1024 * 1024
    """Largest HTML page or feed."""
    max_redirects: int = 5
    min_host_interval: float = 1.0
    """Seconds between two requests to the same host (raised by robots.txt ``Crawl-delay``)."""
    respect_robots: bool = True
    """False only by an explicit, audited override."""
    user_agent: str = USER_AGENT

    def __post_init__(self) -> None:
        for name in ("connect_timeout", "read_timeout", "total_timeout"):
            if getattr(self, name) <= 0:
                raise ValueError(f"FetchPolicy.{name} must be positive")
        if self.max_bytes <= 0 or self.max_page_bytes <= 0 or self.max_redirects < 0:
            raise ValueError("FetchPolicy sizes must be positive and max_redirects not negative")
        if self.min_host_interval < 0:
            raise ValueError("FetchPolicy.min_host_interval must not be negative")

    def to_config(self) -> dict[str, Any]:
        """Only the values that differ from the defaults, so stored configs stay short."""
        default = FetchPolicy()
        return {k: v for k, v in asdict(self).items() if getattr(default, k) != v}

    @classmethod
    def from_config(cls, reader: ConfigReader, key: str = "http") -> FetchPolicy:
        """Read the optional ``http`` object of a source configuration."""
        raw = dict(reader.mapping(key))
        for rule in _INSTALLATION_RULES:
            if raw.pop(rule, None) is True:
                raise SourceConfigError(
                    f"Source {reader.source_type!r}: {key}.{rule} is no longer a source "
                    "setting: which addresses jikimi fetches from is decided by the "
                    "installation (JIKIMI_FETCH_ALLOW_LOOPBACK allows loopback for tests and "
                    "demos; private networks are never fetched).", field=f"{key}.{rule}")
        sub = ConfigReader(f"{reader.source_type}.{key}", raw)
        values: dict[str, Any] = {}
        for f in fields(cls):
            default = f.default
            if isinstance(default, bool):
                values[f.name] = sub.boolean(f.name, default)
            elif isinstance(default, int):
                values[f.name] = sub.integer(f.name, default, minimum=0)
            elif isinstance(default, float):
                values[f.name] = sub.number(f.name, default)
            else:
                values[f.name] = sub.string(f.name, str(default))
        sub.finish()
        try:
            return cls(**values)
        except ValueError as exc:
            raise SourceConfigError(f"Source {reader.source_type!r}: {exc}.") from exc


@dataclass(frozen=True, slots=True)
class HttpResponse:
    """A fetched response: final URL after redirects, status, headers and body."""

    url: str
    status: int
    headers: Mapping[str, str]
    content: bytes
    redirects: tuple[str, ...] = ()
    """URLs that redirected, in order (the first is the requested URL)."""
    truncated: bool = False
    """True when only the head was read because it was media (``media_head_only``)."""
    media_kind: str | None = field(default=None)
    """"image"/"video" when the bytes sniff as media, else None."""


class _Robots:
    """One host's robots.txt rules."""

    def __init__(self, parser: RobotFileParser | None, allow_all: bool) -> None:
        self.parser = parser
        self.allow_all = allow_all

    def allows(self, url: str) -> bool:
        if self.parser is None:
            return self.allow_all
        return self.parser.can_fetch(ROBOTS_TOKEN, url)

    def crawl_delay(self) -> float:
        if self.parser is None:
            return 0.0
        delay = self.parser.crawl_delay(ROBOTS_TOKEN)
        return min(float(delay), _MAX_CRAWL_DELAY) if delay else 0.0


class HttpClient:
    """Thread-safe; share one per process so that the per-host interval holds across sources.

    ``guard`` decides which addresses may be connected to (default: this process's settings,
    :meth:`NetworkGuard.from_environment`); ``verify_tls=False`` accepts any certificate (an
    evidence capture of a site with a broken one); ``network`` is the backend that dials the
    addresses the guard has already checked (tests fake it)."""

    def __init__(
        self, policy: FetchPolicy | None = None, *, guard: NetworkGuard | None = None,
        verify_tls: bool = True, network: httpcore.NetworkBackend | None = None,
    ) -> None:
        self.policy = policy or FetchPolicy()
        self.guard = guard or NetworkGuard.from_environment()
        p = self.policy
        transport = guarded_transport(self.guard, verify=verify_tls, inner=network)
        self._client = httpx.Client(
            timeout=httpx.Timeout(p.read_timeout, connect=p.connect_timeout),
            follow_redirects=False,
            headers={
                "User-Agent": p.user_agent,
                "Accept-Encoding": "gzip, deflate",  # no brotli/zstd: bounded inflation per chunk
            },
            transport=transport,
            trust_env=False,
        )
        self._lock = threading.Lock()
        self._robots: dict[str, _Robots] = {}
        self._robots_locks: dict[str, threading.Lock] = {}
        self._next_slot: dict[str, float] = {}

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- public ------------------------------------------------------------------------------
    def get(
        self, url: str, *, max_bytes: int | None = None, media_head_only: bool = False
    ) -> HttpResponse:
        """GET ``url`` within the policy's limits; raises :class:`FetchError`.

        ``max_bytes`` defaults to the media limit. With ``media_head_only``, reading stops after
        the first bytes when they sniff as media (the response is then ``truncated``), and
        ``max_bytes`` applies to anything else (a page or feed).
        """
        deadline = time.monotonic() + self.policy.total_timeout
        return self._get(url, max_bytes or self.policy.max_bytes, media_head_only, deadline, True)

    def fetch_media(self, url: str) -> bytes:
        """The complete body of a media URL, up to ``policy.max_bytes``."""
        return self.get(url).content

    def allowed_by_robots(self, url: str) -> bool:
        """Whether robots.txt lets jikimi fetch ``url`` (fetching robots.txt if needed)."""
        deadline = time.monotonic() + self.policy.total_timeout
        return self._robots_for(_checked_url(url), deadline).allows(url)

    # --- internals ---------------------------------------------------------------------------
    def _get(
        self, url: str, max_bytes: int, media_head_only: bool, deadline: float, robots: bool
    ) -> HttpResponse:
        current = _checked_url(url)
        visited = {current}
        redirects: list[str] = []
        while True:
            self._check_host(current)
            if robots and self.policy.respect_robots:
                rules = self._robots_for(current, deadline)
                if not rules.allows(current):
                    raise FetchError(
                        f"robots.txt of {_origin(current)} disallows {current} for jikimi. "
                        "An analyst may override robots.txt for this source (audited).",
                        code="robots_disallowed", url=current)
            self._wait_turn(current)
            resp = self._send(current, max_bytes, media_head_only, deadline)
            location = resp.headers.get("location")
            if resp.status in REDIRECT_STATUSES and location:
                target = normalize_url(location, current)
                if target is None:
                    raise FetchError(f"{current} redirects to an unusable URL: {location!r}.",
                                     code="bad_url", url=current)
                if target in visited:
                    raise FetchError(
                        f"Redirect loop: {current} leads back to {target} "
                        f"(after {len(redirects) + 1} redirects).", code="redirect_loop",
                        url=url, chain=[*redirects, current])
                if len(redirects) >= self.policy.max_redirects:
                    raise FetchError(
                        f"More than {self.policy.max_redirects} redirects from {url}.",
                        code="too_many_redirects", url=url)
                visited.add(target)
                redirects.append(current)
                current = target
                continue
            if resp.status >= 400 or resp.status < 200 or resp.status in REDIRECT_STATUSES:
                raise FetchError(f"{current} answered HTTP {resp.status}.", code="http_status",
                                 url=current, status=resp.status)
            return HttpResponse(current, resp.status, resp.headers, resp.content,
                                tuple(redirects), resp.truncated, resp.media_kind)

    def _send(
        self, url: str, max_bytes: int, media_head_only: bool, deadline: float
    ) -> HttpResponse:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _timeout(url, self.policy.total_timeout)
        p = self.policy
        timeout = httpx.Timeout(
            min(p.read_timeout, remaining), connect=min(p.connect_timeout, remaining))
        try:
            with self._client.stream("GET", url, timeout=timeout) as r:
                headers = {k.lower(): v for k, v in r.headers.items()}
                if r.status_code in REDIRECT_STATUSES or r.status_code >= 400:
                    return HttpResponse(url, r.status_code, headers, b"")
                declared = _content_length(headers)
                limit_now = p.max_bytes if media_head_only else max_bytes
                if declared is not None and declared > max(limit_now, max_bytes):
                    raise _too_large(url, max(limit_now, max_bytes), declared)
                body = bytearray()
                kind: str | None = None
                sniffed = False
                for chunk in r.iter_bytes():
                    body += chunk
                    if time.monotonic() > deadline:
                        raise _timeout(url, p.total_timeout)
                    if not sniffed and len(body) >= _SNIFF_BYTES:
                        sniffed = True
                        kind = media_kind(bytes(body[:_SNIFF_BYTES]))
                        if media_head_only and kind is not None:
                            done = declared is not None and declared <= len(body)
                            return HttpResponse(url, r.status_code, headers, bytes(body),
                                                truncated=not done, media_kind=kind)
                        if media_head_only and declared is not None and declared > max_bytes:
                            raise _too_large(url, max_bytes, declared)
                    limit = p.max_bytes if (media_head_only and kind is not None) else max_bytes
                    if len(body) > limit:
                        raise _too_large(url, limit, None)
                if not sniffed:
                    kind = media_kind(bytes(body))
                return HttpResponse(url, r.status_code, headers, bytes(body), media_kind=kind)
        except AddressRefused as exc:
            raise _refused(url, exc) from exc
        except httpx.TimeoutException as exc:
            raise FetchError(f"{url} timed out ({type(exc).__name__}): the server is too slow "
                             "or never finished the response.", code="timeout", url=url) from exc
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            raise FetchError(f"{url} is not a URL jikimi can fetch: {exc}.", code="bad_url",
                             url=url) from exc
        except httpx.TransportError as exc:
            raise FetchError(f"Connection to {url} failed: {exc or type(exc).__name__}. The "
                             "server may be down or reset the connection; retry later.",
                             code="connection_failed", url=url) from exc
        except httpx.HTTPError as exc:
            raise FetchError(f"Fetching {url} failed: {exc}.", code="connection_failed",
                             url=url) from exc

    def _check_host(self, url: str) -> None:
        """An early, clear refusal of literal addresses and ``localhost`` (no DNS asked); the
        binding check is the guard's, at connect time."""
        try:
            self.guard.check_host(urlsplit(url).hostname or "")
        except AddressRefused as exc:
            raise _refused(url, exc) from exc

    def _robots_for(self, url: str, deadline: float) -> _Robots:
        origin = _origin(url)
        with self._lock:
            cached = self._robots.get(origin)
            if cached is not None:
                return cached
            origin_lock = self._robots_locks.setdefault(origin, threading.Lock())
        with origin_lock:
            with self._lock:
                cached = self._robots.get(origin)
            if cached is not None:
                return cached
            rules = self._load_robots(origin, deadline)
            with self._lock:
                self._robots[origin] = rules
            return rules

    def _load_robots(self, origin: str, deadline: float) -> _Robots:
        try:
            resp = self._get(f"{origin}/robots.txt", _MAX_ROBOTS_BYTES, False, deadline, False)
        except FetchError as exc:
            if exc.code == "http_status":
                status = int(exc.details.get("status", 0))
                # RFC 9309: "unavailable" (4xx) allows everything; "unreachable" (5xx) nothing.
                return _Robots(None, allow_all=400 <= status < 500)
            if exc.code == "too_large":
                return _Robots(None, allow_all=True)
            raise
        parser = RobotFileParser()
        parser.parse(resp.content.decode("utf-8", "replace").splitlines())
        return _Robots(parser, allow_all=True)

    def _wait_turn(self, url: str) -> None:
        host = urlsplit(url).netloc
        interval = self.policy.min_host_interval
        with self._lock:
            rules = self._robots.get(_origin(url))
            if rules is not None and self.policy.respect_robots:
                interval = max(interval, rules.crawl_delay())
            now = time.monotonic()
            slot = max(now, self._next_slot.get(host, now))
            self._next_slot[host] = slot + interval
        if slot > now:
            time.sleep(slot - now)


def _checked_url(url: str) -> str:
    normal = normalize_url(url)
    if normal is None:
        raise FetchError(f"{url!r} is not an absolute http or https URL.", code="bad_url",
                         url=url)
    if urlsplit(normal).username is not None:
        raise FetchError(f"{url!r} contains credentials; jikimi does not send them.",
                         code="bad_url", url=url)
    return normal


def _refused(url: str, exc: AddressRefused) -> FetchError:
    if exc.code == "unresolvable_host":
        return FetchError(f"{url}: {exc.message}", code="connection_failed", url=url)
    return BlockedAddress(f"{url}: {exc.message}", code="blocked_address", url=url,
                          **exc.details)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _content_length(headers: Mapping[str, str]) -> int | None:
    value = headers.get("content-length")
    if value is None:
        return None
    try:
        return int(value.split(",")[0].strip())
    except ValueError:
        return None


def _too_large(url: str, limit: int, declared: int | None) -> FetchError:
    what = f"declares {declared:,} bytes" if declared is not None else "sent more bytes"
    return FetchError(f"{url} {what}, more than the limit of {limit:,}; not downloaded.",
                      code="too_large", url=url, limit=limit, declared=declared)


def _timeout(url: str, total: float) -> FetchError:
    return FetchError(f"{url} did not finish within {total:g} s; cut off.", code="timeout",
                      url=url)
