"""Evidence capture and the perimeter: the server's own endpoints, private and metadata
addresses are never captured, whether named directly, through a host name, or fetched by the
browser while it renders the page."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.conftest import World, auth
from tests.evidence.conftest import EvidenceCase, Site
from tests.sources.test_sources_perimeter import PUBLIC, Dialler, Resolver

from jikimi.core import perimeter
from jikimi.core.config import Settings
from jikimi.core.perimeter import NetworkGuard
from jikimi.core.runtime import Runtime
from jikimi.evidence.capture import CaptureOptions, capture
from jikimi.sources import HttpClient


@pytest.fixture
def strict_api(tmp_path: Path, database_url: str, runtime: Runtime,
               monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """The same installation without JIKIMI_FETCH_ALLOW_LOOPBACK."""
    from jikimi.api.app import create_app

    monkeypatch.setenv("JIKIMI_FETCH_ALLOW_LOOPBACK", "false")
    rt = Runtime.open(Settings(data_dir=tmp_path / "var", database_url=database_url,
                               fetch_allow_loopback=False))
    with TestClient(create_app(runtime=rt), base_url="http://testserver") as c:
        yield c
    rt.close()


def post_capture(client: TestClient, world: World, code: str, url: str,
                 lang: str = "en") -> tuple[int, dict]:  # type: ignore[type-arg]
    r = client.post(f"/api/v1/cases/{code}/evidence", json={"url": url, "reason": "test"},
                    headers=auth(world.staff["investigator_a"], lang))
    return r.status_code, r.json()


def test_capture_of_the_servers_own_endpoints_is_refused(
        strict_api: TestClient, world: World, ecase: EvidenceCase, site: Site,
        monkeypatch: pytest.MonkeyPatch) -> None:
    port = site.base.rsplit(":", 1)[1]
    real = perimeter.system_resolver
    monkeypatch.setattr(perimeter, "system_resolver", lambda host, p: (
        ["127.0.0.1"] if host == "mirror.test" else real(host, p)))
    for url in (f"{site.base}/post/123", f"http://localhost:{port}/post/123",
                f"http://mirror.test:{port}/post/123", f"http://[::1]:{port}/post/123",
                "http://10.0.0.1/post", "http://169.254.169.254/latest/meta-data/"):
        status, body = post_capture(strict_api, world, ecase.code, url)
        assert (status, body["error"]["code"]) == (422, "blocked_address"), (url, body)
    status, body = post_capture(strict_api, world, ecase.code, f"{site.base}/post/123", "ko")
    assert status == 422 and "주소" in body["error"]["message"]
    assert site.requests == []  # nothing reached the server


def test_with_the_flag_private_and_metadata_addresses_stay_refused(
        client: TestClient, world: World, ecase: EvidenceCase, site: Site) -> None:
    for url in ("http://10.0.0.1/post", "http://169.254.169.254/latest/meta-data/",
                "http://[fd00:ec2::254]/"):
        status, body = post_capture(client, world, ecase.code, url)
        assert (status, body["error"]["code"]) == (422, "blocked_address"), (url, body)
    status, body = post_capture(client, world, ecase.code, f"{site.base}/go")
    assert status == 201, body


def test_browser_and_media_fetches_go_through_the_guard(site: Site) -> None:
    """A public page whose media and scripts point at loopback and private addresses: the
    page is captured and rendered, those fetches are refused and recorded, never made."""
    port = site.base.rsplit(":", 1)[1]
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.5)
    other = listener.getsockname()[1]
    site.files["/secret.png"] = site.files["/media/one.png"]
    site.files["/post/9"] = ("text/html; charset=utf-8", (
        f'<html><head><link rel="preconnect" href="http://127.0.0.1:{other}">'
        f'<link rel="preconnect" href="http://localhost:{other}" crossorigin></head>'
        f'<body><img src="http://127.0.0.1:{port}/secret.png">'
        '<img src="/media/two.png"><img src="http://10.1.1.1/x.png">'
        f'<script>fetch("http://127.0.0.1:{port}/secret.png?js")</script>'
        "</body></html>").encode())
    guard = NetworkGuard(resolver=Resolver({"public.test": [[PUBLIC]]}))
    options = CaptureOptions(screenshot=True, total_timeout=60)
    with HttpClient(options.policy(), guard=guard, network=Dialler()) as http:
        got = capture(f"http://public.test:{port}/post/9", options, client=http)
    assert got.primary.status == 200 and [m.url for m in got.media] == [
        f"http://public.test:{port}/media/two.png"]
    refused = {f.url: f.error for f in got.failures}
    assert refused[f"http://127.0.0.1:{port}/secret.png"] == "blocked_address"
    assert refused["http://10.1.1.1/x.png"] == "blocked_address"
    assert got.screenshot is not None, got.screenshot_error  # the browser rendered it
    assert refused[f"http://127.0.0.1:{port}/secret.png?js"] == "blocked_address"
    assert not [r for r in site.requests if r.startswith("/secret.png")]
    with listener, pytest.raises(TimeoutError):  # the browser did not preconnect either
        listener.accept()
