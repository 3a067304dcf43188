"""Sources in the browser's HTTP: a form for each of the five types, errors beside their
fields with what was typed kept, a scan started from the form and its progress page."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from tests.conftest import World
from tests.webadmin.web_helpers import web_login

from jikimi import scans
from jikimi.core.actors import cli_actor
from jikimi.core.runtime import Runtime


@pytest.mark.parametrize("kind", ["urls", "crawl", "feed", "telegram", "archive"])
def test_each_type_has_its_form(client: TestClient, world: World, kind: str) -> None:
    web_login(client, world.staff["analyst_a"])
    page = client.get(f"/sources/new?type={kind}&lang=ko")
    assert page.status_code == 200
    assert {"urls": 'name="urls"', "crawl": 'name="max_depth"', "feed": 'name="urls"',
            "telegram": 'name="timezone"', "archive": 'name="skip_non_media"'}[kind] in page.text
    assert 'aria-current="page"' in page.text


def test_web_source_added_with_config(client: TestClient, world: World,
                                      runtime: Runtime) -> None:
    csrf = web_login(client, world.staff["analyst_a"])
    added = client.post("/sources/new", data={
        "csrf_token": csrf, "type": "crawl", "name": "게시판 A",
        "urls": "https://example.org/board\n\nhttps://example.org/gallery\n",
        "max_depth": "1", "max_pages": "50", "extra_hosts": "img.example.org",
        "interval": "60"}, follow_redirects=False)
    assert added.status_code == 303 and added.headers["location"].startswith("/sources?added=")
    with runtime.context(cli_actor("test")) as ctx:
        source = next(s for s in scans.list_sources(ctx) if s.name == "게시판 A")
    assert source.type == "crawl" and source.interval_minutes == 60
    assert source.config["start_urls"] == ["https://example.org/board",
                                           "https://example.org/gallery"]
    assert source.config["max_depth"] == 1 and source.config["extra_hosts"] == [
        "img.example.org"]


def test_refused_form_keeps_values(client: TestClient, world: World) -> None:
    csrf = web_login(client, world.staff["analyst_a"])
    refused = client.post("/sources/new?lang=ko", data={
        "csrf_token": csrf, "type": "crawl", "name": "사이트 B", "urls": "https://example.org/",
        "max_depth": "two", "max_pages": "50"})
    assert refused.status_code == 422
    assert 'value="사이트 B"' in refused.text and "https://example.org/" in refused.text
    assert 'id="max_depth-error"' in refused.text
    empty = client.post("/sources/new", data={"csrf_token": csrf, "type": "urls",
                                              "name": "빈 목록", "urls": ""})
    assert empty.status_code == 422 and 'id="urls-error"' in empty.text
    short = client.post("/sources/new", data={"csrf_token": csrf, "type": "urls",
                                              "name": "짧은 주기", "urls": "https://a.example/",
                                              "interval": "1"})
    assert short.status_code == 422 and 'id="interval-error"' in short.text


def test_roles_that_may_not_add_sources(client: TestClient, world: World) -> None:
    for key in ("counsellor_a", "investigator_a", "central_admin"):
        csrf = web_login(client, world.staff[key])
        assert client.get("/sources/new").status_code == 403, key
        assert client.post("/sources/new", data={
            "csrf_token": csrf, "type": "urls", "name": "x",
            "urls": "https://a.example/"}).status_code == 403, key


def test_archive_added_and_scanned_from_the_form(client: TestClient, world: World,
                                                tmp_path: Path) -> None:
    folder = tmp_path / "seized"
    folder.mkdir()
    rng = np.random.default_rng(7)
    for n in range(3):
        Image.fromarray(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(
            folder / f"photo{n}.png")
    csrf = web_login(client, world.staff["admin_a"])
    started = client.post("/sources/new", data={
        "csrf_token": csrf, "type": "archive", "name": "압수 폴더", "path": str(folder),
        "skip_non_media": "1", "then": "scan"}, follow_redirects=False)
    assert started.status_code == 303 and started.headers["location"].startswith("/scans/")
    scan_url = started.headers["location"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status = " ".join(client.get(scan_url + "/status?lang=en").text.split())
        if "Items 3" in status and "Pending 0" in status:
            break
        time.sleep(0.3)
    else:
        raise AssertionError(status)
    page = client.get(scan_url + "?lang=en")
    assert page.status_code == 200 and "photo0.png" in page.text
