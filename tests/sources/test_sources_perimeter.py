"""The perimeter's address rule, through jikimi's one HTTP client: refused ranges, the loopback
flag, host names that resolve to refused addresses, redirects, and DNS rebinding (the address
that is checked is the address that is dialled)."""

from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpcore
import pytest
from tests.sources.conftest import make_png

from jikimi.core.perimeter import (
    AddressRefused,
    GuardedNetworkBackend,
    NetworkGuard,
    address_refusal,
)
from jikimi.evidence.capture import tls_certificate
from jikimi.sources import BlockedAddress, FetchError, FetchPolicy, HttpClient

PNG = make_png(5)
PUBLIC = "93.184.216.34"  # a public address; the fake dialler below sends it to the test server
POLICY = FetchPolicy(connect_timeout=2, read_timeout=2, total_timeout=5, min_host_interval=0,
                     respect_robots=False)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    port = 0

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        if self.path == "/img.png":
            body, status, extra = PNG, 200, {"Content-Type": "image/png"}
        elif self.path == "/to-loopback":
            body, status = b"", 302
            extra = {"Location": f"http://127.0.0.1:{_Handler.port}/img.png"}
        elif self.path == "/to-private":
            body, status, extra = b"", 302, {"Location": "http://10.0.0.1/img.png"}
        elif self.path == "/to-metadata":
            body, status = b"", 302
            extra = {"Location": "http://169.254.169.254/latest/meta-data/"}
        else:
            body, status, extra = b"no", 404, {}
        self.send_response(status)
        for key, value in extra.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def server() -> Iterator[int]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    _Handler.port = httpd.server_address[1]
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield _Handler.port
    httpd.shutdown()
    httpd.server_close()


class Resolver:
    """A fake DNS: each name's answers in turn (the last one repeats); records every query."""

    def __init__(self, answers: dict[str, list[list[str]]]) -> None:
        self.answers = answers
        self.queries: list[str] = []

    def __call__(self, host: str, port: int) -> Sequence[str]:
        self.queries.append(host)
        turns = self.answers[host]
        return turns[min(self.queries.count(host), len(turns)) - 1]


class Dialler(httpcore.NetworkBackend):
    """Records the addresses dialled; sends the 'public' address to the local test server."""

    def __init__(self) -> None:
        self.dialled: list[str] = []
        self.real = httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        self.dialled.append(host)
        return self.real.connect_tcp("127.0.0.1" if host == PUBLIC else host, port,
                                     timeout=timeout, local_address=local_address,
                                     socket_options=socket_options)

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


def fetch(guard: NetworkGuard, url: str, dialler: Dialler | None = None) -> bytes:
    with HttpClient(POLICY, guard=guard, network=dialler) as client:
        return client.get(url).content


def refused(guard: NetworkGuard, url: str, dialler: Dialler | None = None) -> FetchError:
    with pytest.raises(BlockedAddress) as info:
        fetch(guard, url, dialler)
    assert info.value.code == "blocked_address" and info.value.http_status == 422
    return info.value


ALWAYS_REFUSED = ["10.0.0.1", "172.16.5.4", "192.168.1.1", "100.64.0.1", "169.254.169.254",
                  "169.254.1.1", "168.63.129.16", "100.100.100.200", "0.0.0.0", "224.0.0.1",
                  "240.0.0.1", "255.255.255.255", "192.0.2.1", "fc00::1", "fd00:ec2::254",
                  "fe80::1", "ff02::1", "::", "::ffff:10.0.0.1", "::ffff:169.254.169.254",
                  "2002:a00:1::", "64:ff9b::a00:1", "2001:db8::1"]
LOOPBACK = ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"]


@pytest.mark.parametrize("address", ALWAYS_REFUSED)
def test_private_link_local_metadata_and_reserved_are_refused_even_with_the_flag(
        address: str) -> None:
    ip = ipaddress.ip_address(address)
    assert address_refusal(ip, allow_loopback=False)
    assert address_refusal(ip, allow_loopback=True)


@pytest.mark.parametrize("address", LOOPBACK)
def test_loopback_only_with_the_flag(address: str) -> None:
    ip = ipaddress.ip_address(address)
    assert "loopback" in (address_refusal(ip, allow_loopback=False) or "")
    assert address_refusal(ip, allow_loopback=True) is None


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert address_refusal(ipaddress.ip_address(address)) is None


def test_loopback_url_refused_without_the_flag(server: int) -> None:
    error = refused(NetworkGuard(), f"http://127.0.0.1:{server}/img.png")
    assert "127.0.0.1" in error.message and "loopback" in error.message
    refused(NetworkGuard(), f"http://[::ffff:127.0.0.1]:{server}/img.png")


def test_loopback_url_allowed_with_the_flag(server: int) -> None:
    assert fetch(NetworkGuard(allow_loopback=True), f"http://127.0.0.1:{server}/img.png") == PNG


@pytest.mark.parametrize("allow_loopback", [False, True])
@pytest.mark.parametrize("url", ["http://10.0.0.1/x.png", "http://169.254.169.254/latest/",
                                 "http://[fd00:ec2::254]/", "http://[::ffff:10.0.0.1]/"])
def test_private_and_metadata_urls_refused_with_or_without_the_flag(
        url: str, allow_loopback: bool) -> None:
    refused(NetworkGuard(allow_loopback=allow_loopback), url)


def test_host_names_resolving_to_refused_addresses_are_refused(server: int) -> None:
    refused(NetworkGuard(), f"http://localhost:{server}/img.png")
    dns = Resolver({"intranet.test": [["10.1.2.3"]], "sneaky.test": [["127.0.0.1"]],
                    "mixed.test": [[PUBLIC, "192.168.0.7"]]})
    dialler = Dialler()
    refused(NetworkGuard(resolver=dns), f"http://sneaky.test:{server}/img.png", dialler)
    refused(NetworkGuard(allow_loopback=True, resolver=dns), "http://intranet.test/", dialler)
    # One refused address among public ones is enough: nothing is dialled.
    refused(NetworkGuard(resolver=dns), f"http://mixed.test:{server}/img.png", dialler)
    assert dialler.dialled == []


def test_public_host_redirecting_to_loopback_is_refused(server: int) -> None:
    dns = Resolver({"public.test": [[PUBLIC]]})
    dialler = Dialler()
    guard = NetworkGuard(resolver=dns)
    assert fetch(guard, f"http://public.test:{server}/img.png", dialler) == PNG
    error = refused(guard, f"http://public.test:{server}/to-loopback", dialler)
    assert error.url == f"http://127.0.0.1:{server}/img.png"
    assert dialler.dialled == [PUBLIC, PUBLIC]  # the loopback hop was never dialled


def test_with_the_flag_redirects_to_private_or_metadata_are_still_refused(server: int) -> None:
    guard = NetworkGuard(allow_loopback=True)
    refused(guard, f"http://127.0.0.1:{server}/to-private")
    refused(guard, f"http://127.0.0.1:{server}/to-metadata")
    assert fetch(guard, f"http://127.0.0.1:{server}/to-loopback") == PNG


def test_dns_rebinding_connects_to_the_address_that_was_checked(server: int) -> None:
    """The resolver answers a public address first and loopback afterwards: the connection
    goes to the checked public address, and the name is resolved once per connection."""
    dns = Resolver({"rebind.test": [[PUBLIC], ["127.0.0.1"]]})
    dialler = Dialler()
    assert fetch(NetworkGuard(resolver=dns), f"http://rebind.test:{server}/img.png",
                 dialler) == PNG
    assert dns.queries == ["rebind.test"] and dialler.dialled == [PUBLIC]
    # The next connection asks again, gets loopback, and is refused before dialling.
    refused(NetworkGuard(resolver=dns), f"http://rebind.test:{server}/img.png", dialler)
    assert dialler.dialled == [PUBLIC]


def test_network_backend_dials_only_checked_addresses() -> None:
    dns = Resolver({"rebind.test": [[PUBLIC], ["127.0.0.1"]]})
    dialled: list[str] = []

    class Recorder(Dialler):
        def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                        local_address: str | None = None,
                        socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
            dialled.append(host)
            raise httpcore.ConnectError("not really")

    backend = GuardedNetworkBackend(NetworkGuard(resolver=dns), Recorder())
    with pytest.raises(httpcore.ConnectError):
        backend.connect_tcp("rebind.test", 80)
    assert dialled == [PUBLIC] and dns.queries == ["rebind.test"]
    with pytest.raises(AddressRefused):
        backend.connect_tcp("rebind.test", 80)
    assert dialled == [PUBLIC]
    with pytest.raises(AddressRefused):
        backend.connect_unix_socket("/run/docker.sock")


def test_source_configuration_cannot_switch_the_rule_off() -> None:
    from jikimi.sources import SourceConfigError, build_source

    for key in ("allow_loopback", "allow_private_networks"):
        with pytest.raises(SourceConfigError, match="installation"):
            build_source("urls", {"urls": ["https://example.org/"], "http": {key: True}})


def test_tls_certificate_handshake_goes_through_the_guard(server: int) -> None:
    cert, reason = tls_certificate(f"https://127.0.0.1:{server}/", timeout=2,
                                   guard=NetworkGuard())
    assert cert is None and reason is not None and "refused" in reason and "loopback" in reason
    cert, reason = tls_certificate("https://10.0.0.1/", timeout=2,
                                   guard=NetworkGuard(allow_loopback=True))
    assert cert is None and reason is not None and "private" in reason
