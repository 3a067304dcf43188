"""The perimeter: which addresses a server-side fetch may connect to, and which local folders
a source may read. One place decides both; every door and every worker asks it.

**Addresses.** A fetch resolves the host once, checks *every* resolved address, and then
connects to exactly the address it checked (the host name still goes in ``Host`` and in the
TLS SNI). There is no second resolution between the check and the connection, so a DNS answer
that changes (rebinding) cannot slip a refused address in. Each redirect hop is a new
connection and is checked the same way. Refused: loopback, private (RFC 1918, CGNAT
100.64/10, ULA fc00::/7), link-local (169.254/16, fe80::/10, cloud metadata), multicast,
unspecified, reserved and documentation ranges, cloud metadata addresses that look public,
and IPv6 addresses that embed a refused IPv4 one (mapped, 6to4, NAT64).
``JIKIMI_FETCH_ALLOW_LOOPBACK=true`` lets 127.0.0.0/8 and ::1 through (tests and the demo);
every other range stays refused even then.

**Local paths.** ``archive`` and ``telegram`` sources read only under ``JIKIMI_IMPORT_ROOTS``
(colon-separated; default ``$JIKIMI_DATA_DIR/imports``), after symlinks are resolved. Staff
uploads land in ``<first root>/centre-<id>/<uuid>/``; a centre's staff may not point a source
at another centre's upload folder, nor at the whole upload area.
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpcore
import httpx

from jikimi.errors import InvalidInput

if TYPE_CHECKING:
    from jikimi.core.config import Settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Sequence[str]]
"""``(host, port)`` → the addresses it resolves to (strings), in the order to try them."""

FLAG_NAME = "JIKIMI_FETCH_ALLOW_LOOPBACK"
ROOTS_NAME = "JIKIMI_IMPORT_ROOTS"

METADATA_ADDRESSES = frozenset(ipaddress.ip_address(a) for a in (
    "169.254.169.254",  # AWS, GCP, Azure, OpenStack ... instance metadata
    "169.254.170.2",  # AWS ECS task metadata
    "fd00:ec2::254",  # AWS IMDS over IPv6
    "100.100.100.200",  # Alibaba Cloud metadata
    "168.63.129.16",  # Azure wire server (a public-looking address)
))
_EXTRA_REFUSED = tuple(ipaddress.ip_network(n) for n in (
    "100.64.0.0/10",  # CGNAT (shared address space)
    "192.0.0.0/24", "192.0.2.0/24", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24",
    "240.0.0.0/4", "255.255.255.255/32", "0.0.0.0/8",
    "fc00::/7", "fe80::/10", "fec0::/10", "100::/64", "2001:db8::/32", "ff00::/8",
))
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")


class AddressRefused(InvalidInput):
    """A server-side fetch was asked to connect to an address jikimi never fetches from."""

    code = "blocked_address"
    http_status = 422


class PathRefused(InvalidInput):
    """A source was pointed at a local path outside the import roots (or another centre's
    uploads)."""

    code = "path_outside_import_roots"
    http_status = 422


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


# --- addresses -------------------------------------------------------------------------------
def address_refusal(address: IPAddress, *, allow_loopback: bool = False) -> str | None:
    """Why jikimi does not connect to ``address`` (an English phrase), or None if it may."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            reason = address_refusal(embedded, allow_loopback=allow_loopback)
            return f"{reason} (inside the IPv6 address {address})" if reason else None
        if address in _NAT64_LOCAL:
            return "a local NAT64 address"
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if address.is_loopback:
        return None if allow_loopback else "a loopback address"
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_link_local:
        return "a link-local address (e.g. a cloud metadata service)"
    if address.is_multicast:
        return "a multicast address"
    if any(address in net for net in _EXTRA_REFUSED if net.version == address.version):
        if address.version == 4 and address in ipaddress.ip_network("100.64.0.0/10"):
            return "a carrier-grade NAT (shared) address"
        return "a private, reserved or documentation address"
    if address.is_private:
        return "a private-network address"
    if address.is_reserved:
        return "a reserved address"
    if not address.is_global:
        return "an address that is not publicly routable"
    return None


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.teredo is not None:
        return address.teredo[1]
    return None


def system_resolver(host: str, port: int) -> list[str]:
    """The operating system's answer for ``host`` (every address, in its order)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]).split("%", 1)[0] for info in infos]


@dataclass(frozen=True)
class NetworkGuard:
    """Resolves a host once and refuses it when any of its addresses is refused.

    ``resolver`` defaults to :func:`system_resolver` (looked up at each call)."""

    allow_loopback: bool = False
    resolver: Resolver | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> NetworkGuard:
        return cls(allow_loopback=settings.fetch_allow_loopback)

    @classmethod
    def from_environment(cls) -> NetworkGuard:
        """The guard of this process's settings (environment and settings file)."""
        from jikimi.core.config import load_settings

        return cls.from_settings(load_settings())

    def resolve(self, host: str, port: int) -> list[IPAddress]:
        """Every address of ``host``, all of them allowed; :class:`AddressRefused` otherwise
        (and when the host does not resolve)."""
        resolve = self.resolver or system_resolver
        literal = _literal(host)
        try:
            answers = [literal] if literal is not None else [
                ipaddress.ip_address(a) for a in resolve(host, port)]
        except (OSError, UnicodeError, ValueError) as exc:
            raise AddressRefused(f"The host {host!r} cannot be resolved ({exc}).",
                                 code="unresolvable_host", host=host) from exc
        if not answers:
            raise AddressRefused(f"The host {host!r} has no address.",
                                 code="unresolvable_host", host=host)
        for address in answers:
            reason = address_refusal(address, allow_loopback=self.allow_loopback)
            if reason:
                raise AddressRefused(
                    f"{host} resolves to {address}, {reason}: jikimi does not fetch from "
                    "loopback, private, link-local, multicast or metadata addresses.",
                    host=host, address=str(address))
        return answers

    def check_host(self, host: str) -> None:
        """Refuse a host that is a refused literal address or ``localhost`` (no DNS asked):
        an early, clear error when a URL is entered; the real check is at connect time."""
        literal = _literal(host)
        if literal is None and _is_localhost_name(host):
            literal = ipaddress.ip_address("127.0.0.1")
        if literal is None:
            return
        reason = address_refusal(literal, allow_loopback=self.allow_loopback)
        if reason:
            raise AddressRefused(
                f"{host} is {reason}: jikimi does not fetch from loopback, private, "
                "link-local, multicast or metadata addresses.", host=host, address=str(literal))

    def connect(self, host: str, port: int, timeout: float | None = None) -> socket.socket:
        """A TCP connection to an allowed address of ``host`` (each checked address in turn)."""
        last: OSError | None = None
        for address in self.resolve(host, port):
            try:
                return socket.create_connection((str(address), port), timeout)
            except OSError as exc:
                last = exc
        assert last is not None
        raise last


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


def _is_localhost_name(host: str) -> bool:
    name = host.rstrip(".").lower()
    return name == "localhost" or name.endswith(".localhost")


class GuardedNetworkBackend(httpcore.NetworkBackend):
    """httpcore's network backend that connects only to addresses the guard allowed, pinned:
    the checked address is the one dialled (``inner`` opens the socket)."""

    def __init__(self, guard: NetworkGuard, inner: httpcore.NetworkBackend | None = None
                 ) -> None:
        self.guard = guard
        self.inner = inner or httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        last: Exception | None = None
        for address in self.guard.resolve(host, port):
            try:
                return self.inner.connect_tcp(str(address), port, timeout=timeout,
                                              local_address=local_address,
                                              socket_options=socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None
        raise last

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[Any] | None = None
                            ) -> httpcore.NetworkStream:
        raise AddressRefused("jikimi does not fetch over local sockets.", address=path)

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)


def guarded_transport(guard: NetworkGuard, *, verify: bool = True,
                      inner: httpcore.NetworkBackend | None = None) -> httpx.HTTPTransport:
    """An httpx transport whose every connection goes through :class:`GuardedNetworkBackend`
    (no proxies from the environment)."""
    transport = httpx.HTTPTransport(verify=verify, trust_env=False)
    transport._pool._network_backend = GuardedNetworkBackend(guard, inner)
    return transport


# --- local paths -----------------------------------------------------------------------------
UPLOAD_CENTRE_DIR = re.compile(r"centre-(\d+)")


def import_roots(settings: Settings) -> tuple[Path, ...]:
    """The folders local sources may read, resolved; the first one receives uploads."""
    raw = settings.import_roots
    if raw is None or not raw.strip():
        return ((settings.resolved_data_dir / "imports").resolve(),)
    roots = [Path(p).expanduser().resolve() for p in raw.split(os.pathsep) if p.strip()]
    return tuple(dict.fromkeys(roots))


def upload_root(settings: Settings) -> Path:
    """Where staff uploads are stored: the first import root."""
    return import_roots(settings)[0]


def check_local_path(path: str | Path, roots: Sequence[Path], *,
                     centre_id: int | None = None, upload_area: Path | None = None) -> Path:
    """The resolved ``path`` when it lies inside one of ``roots``; :class:`PathRefused`
    otherwise. Symlinks are resolved first (a link inside a root that points out is refused)
    and ``..`` is refused outright. With ``centre_id``, a path inside ``upload_area`` must be
    inside that centre's own upload folder."""
    text = str(path)
    if not text.strip() or "\x00" in text:
        raise PathRefused("Give the path of a folder or ZIP file under the import roots.",
                          path=text)
    given = Path(text).expanduser()
    if ".." in given.parts:
        raise PathRefused(f"{text!r} contains '..'; give the path without it.", path=text)
    resolved = given.absolute().resolve()
    root = next((r for r in roots if resolved == r or resolved.is_relative_to(r)), None)
    if root is None:
        shown = os.pathsep.join(str(r) for r in roots)
        raise PathRefused(
            f"{text} is outside the import roots ({shown}); sources read only files there "
            f"({ROOTS_NAME}). Upload the ZIP or Telegram export instead, or ask the operator "
            "to add its folder to the import roots.", path=text, roots=shown)
    if centre_id is not None and upload_area is not None and (
            resolved == upload_area or resolved.is_relative_to(upload_area)):
        relative = resolved.relative_to(upload_area).parts
        own = f"centre-{centre_id}"
        if not relative or (UPLOAD_CENTRE_DIR.fullmatch(relative[0]) and relative[0] != own):
            raise PathRefused(f"{text} is not in your centre's upload folder "
                              f"({upload_area / own}).", path=text)
    return resolved
