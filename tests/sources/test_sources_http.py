"""The one HTTP client against a real server: limits, redirects, robots.txt, manners."""

from __future__ import annotations

import time

import pytest
from tests.sources.conftest import FAST, IMAGES, Site

from jikimi.core.perimeter import NetworkGuard
from jikimi.errors import UnsupportedMedia
from jikimi.sources import FetchError, FetchPolicy, HttpClient, sniff_media


def code_of(client: HttpClient, url: str, **kw: object) -> str:
    with pytest.raises(FetchError) as info:
        client.get(url, **kw)  # type: ignore[arg-type]
    return info.value.code


def test_fetches_media_with_user_agent(site: Site, client: HttpClient) -> None:
    resp = client.get(site.url("/img/a.png"))
    assert resp.content == IMAGES["/img/a.png"]
    assert resp.media_kind == "image" and resp.status == 200
    assert any(p == "/img/a.png" and ua.startswith("jikimi/") for _, p, ua in site.requests)


def test_status_errors(site: Site, client: HttpClient) -> None:
    with pytest.raises(FetchError) as info:
        client.get(site.url("/nope"))
    assert info.value.code == "http_status" and info.value.details["status"] == 404
    assert code_of(client, site.url("/500")) == "http_status"


def test_connection_reset(site: Site, client: HttpClient) -> None:
    assert code_of(client, site.url("/reset")) == "connection_failed"


def test_connection_refused(client: HttpClient) -> None:
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    assert code_of(client, f"http://127.0.0.1:{port}/x") == "connection_failed"


def test_redirects(site: Site, client: HttpClient) -> None:
    resp = client.get(site.url("/redirect-to-image"))
    assert resp.url == site.url("/img/a.png")
    assert resp.redirects == (site.url("/redirect-to-image"),)
    assert code_of(client, site.url("/loop")) == "redirect_loop"
    assert code_of(client, site.url("/chain/0")) == "too_many_redirects"


def test_redirect_target_checked_against_robots(site: Site, client: HttpClient) -> None:
    assert code_of(client, site.url("/redirect-to-private")) == "robots_disallowed"


def test_ten_gigabyte_content_length_refused_before_reading(site: Site, client: HttpClient) -> None:
    start = time.monotonic()
    with pytest.raises(FetchError) as info:
        client.get(site.url("/huge"))
    assert info.value.code == "too_large" and info.value.details["declared"] == 10 * 1024**3
    assert time.monotonic() - start < 1


def test_size_enforced_while_streaming(site: Site) -> None:
    policy = FetchPolicy(min_host_interval=0, max_bytes=1024 * 1024, total_timeout=5)
    with HttpClient(policy) as client:
        with pytest.raises(FetchError) as info:
            client.get(site.url("/endless"))
    assert info.value.code == "too_large" and info.value.details["declared"] is None


def test_trickling_response_cut_off_by_deadline(site: Site) -> None:
    policy = FetchPolicy(min_host_interval=0, read_timeout=1, total_timeout=1.0)
    with HttpClient(policy) as client:
        start = time.monotonic()
        assert code_of(client, site.url("/trickle")) == "timeout"
        assert time.monotonic() - start < 2.5


def test_stalled_response_cut_off_by_read_timeout(site: Site) -> None:
    policy = FetchPolicy(min_host_interval=0, read_timeout=0.5, total_timeout=10)
    with HttpClient(policy) as client:
        start = time.monotonic()
        assert code_of(client, site.url("/stall")) == "timeout"
        assert time.monotonic() - start < 2


def test_robots_respected_and_overridable(site: Site, client: HttpClient) -> None:
    assert code_of(client, site.url("/private/secret.png")) == "robots_disallowed"
    assert client.allowed_by_robots(site.url("/img/a.png"))
    override = FetchPolicy(min_host_interval=0, respect_robots=False)
    with HttpClient(override) as c:
        assert c.get(site.url("/private/secret.png")).content == IMAGES["/private/secret.png"]


def test_robots_fetched_once_per_host(site: Site) -> None:
    with HttpClient(FAST) as client:
        before = sum(1 for _, p, _ in site.requests if p == "/robots.txt")
        for _ in range(3):
            client.get(site.url("/img/a.png"))
        after = sum(1 for _, p, _ in site.requests if p == "/robots.txt")
    assert after - before == 1


def test_per_host_interval(site: Site) -> None:
    policy = FetchPolicy(min_host_interval=0.2, respect_robots=False)
    with HttpClient(policy) as client:
        start = time.monotonic()
        for _ in range(4):
            client.get(site.url("/img/a.png"))
        assert time.monotonic() - start >= 0.6


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/x", "file:///etc/passwd", "javascript:x",
                                 "http://", "not a url", "http://user:pw@127.0.0.1/"])
def test_bad_urls(client: HttpClient, url: str) -> None:
    assert code_of(client, url) == "bad_url"


@pytest.mark.parametrize("url", ["http://169.254.169.254/latest/meta-data/",
                                 "http://10.0.0.1/", "http://[fe80::1]/", "http://0.0.0.0/",
                                 "http://224.0.0.1/"])
def test_blocked_addresses(client: HttpClient, url: str) -> None:
    assert code_of(client, url) == "blocked_address"


def test_loopback_is_blocked_without_the_installation_flag(site: Site) -> None:
    with HttpClient(FetchPolicy(min_host_interval=0), guard=NetworkGuard()) as client:
        assert code_of(client, site.url("/img/a.png")) == "blocked_address"


def test_jpeg_that_is_really_html_is_detected_by_sniffing(site: Site, client: HttpClient) -> None:
    resp = client.get(site.url("/fake.jpg"))
    assert resp.media_kind is None
    with pytest.raises(UnsupportedMedia, match="HTML"):
        sniff_media(resp.content)


def test_media_head_only_stops_early(site: Site, client: HttpClient) -> None:
    resp = client.get(site.url("/img/linked.jpg"), max_bytes=100, media_head_only=True)
    assert resp.media_kind == "image" and resp.content.startswith(b"\xff\xd8")
    assert code_of(client, site.url("/huge"), media_head_only=True) == "too_large"
    with pytest.raises(FetchError, match="declares"):
        client.get(site.url("/index.html"), max_bytes=100, media_head_only=True)
