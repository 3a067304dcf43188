"""Sources, scans and reported items through the HTTP API, and the monitoring page."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect
from tests.conftest import World, auth
from tests.scans.conftest import Media, Site

from jikimi import matching
from jikimi.core.actors import cli_actor
from jikimi.hashing import fingerprint_bytes


@pytest.fixture
def bank(runtime, media: Media) -> None:  # type: ignore[no-untyped-def]
    with runtime.context(cli_actor("test")) as ctx:
        matching.create_bank(ctx, "victims")
        entries = []
        for data in media.registered:
            entries += matching.entries_for_fingerprints(fingerprint_bytes(
                data, with_variants=True))
        matching.add_entries(ctx, "victims", entries)


def wait_done(client, scan_id: int, headers: dict[str, str]) -> dict:  # type: ignore[no-untyped-def,type-arg]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        detail = client.get(f"/api/v1/scans/{scan_id}", headers=headers).json()
        if detail["summary"]["status"] == "done":
            return detail  # type: ignore[no-any-return]
        time.sleep(0.2)
    raise AssertionError("scan did not finish")


def test_source_and_background_scan(client, world: World, bank, site: Site,  # type: ignore[no-untyped-def]
                                    media: Media) -> None:
    analyst = auth(world.staff["analyst_a"])
    created = client.post("/api/v1/sources", json={
        "type": "urls", "name": "갤러리", "config": {"urls": [site.url + "/gallery.html"]}},
        headers=analyst)
    assert created.status_code == 201, created.text
    started = client.post(f"/api/v1/sources/{created.json()['id']}/scans", headers=analyst)
    assert started.status_code == 202
    detail = wait_done(client, started.json()["scan_id"], analyst)
    matched = {i["locator"].rsplit("/", 1)[-1] for i in detail["items"] if i["matches"]}
    assert matched == set(media.copies)
    assert detail["summary"]["errors"] == 2
    # other centres do not see this centre's sources or scans
    other = auth(world.staff["analyst_b"])
    assert client.get("/api/v1/sources", headers=other).json() == []
    assert client.get(f"/api/v1/scans/{started.json()['scan_id']}",
                      headers=other).status_code == 404


def test_reported_url_is_scanned(client, world: World, bank, site: Site) -> None:  # type: ignore[no-untyped-def]
    analyst = auth(world.staff["analyst_a"])
    r = client.post("/api/v1/reports", json={"url": site.url + "/media/copy-smaller.jpg",
                                             "note": "신고 접수"}, headers=analyst)
    assert r.status_code == 202, r.text
    detail = wait_done(client, r.json()["scan_id"], analyst)
    assert [bool(i["matches"]) for i in detail["items"]] == [True]
    again = client.post("/api/v1/reports", json={"url": site.url + "/media/other-101.jpg",
                                                 "scan": False}, headers=analyst)
    assert again.json()["source_id"] == r.json()["source_id"]
    sources = client.get("/api/v1/sources", headers=analyst).json()
    assert len(sources[0]["config"]["urls"]) == 2


@pytest.mark.parametrize("body", [
    {"type": "gopher", "name": "x", "config": {}},
    {"type": "urls", "name": "x", "config": {"urls": ["file:///etc/passwd"]}},
    {"type": "urls", "name": "x", "config": {"urls": "not a list"}},
    {"type": "urls", "name": "x", "config": {"urls": ["http://a.example"], "bogus": 1}},
    {"type": "archive", "name": "x", "config": {}},
    {"type": "urls", "name": "\u0000", "config": {"urls": ["http://a.example"]}},
    {"type": "urls", "name": "x", "config": {"urls": ["http://a.example"]},
     "interval_minutes": 1},
])
def test_bad_sources_are_refused(client, world: World, body: dict) -> None:  # type: ignore[no-untyped-def,type-arg]
    analyst = auth(world.staff["analyst_a"])
    r = client.post("/api/v1/sources", json=body, headers=analyst)
    assert r.status_code == 422, r.text
    assert client.get("/api/v1/sources", headers=analyst).json() == []


def test_only_analysts_and_admins_run_scans(client, world: World) -> None:  # type: ignore[no-untyped-def]
    body = {"type": "urls", "name": "x", "config": {"urls": ["http://a.example/x.jpg"]}}
    for role, expected in [("counsellor_a", 403), ("investigator_a", 403), ("admin_a", 201),
                           ("analyst_a", 201)]:
        assert client.post("/api/v1/sources", json=body,
                           headers=auth(world.staff[role])).status_code == expected, role
    assert client.get("/api/v1/sources",
                      headers=auth(world.staff["investigator_a"])).status_code == 200
    assert client.get("/api/v1/sources",
                      headers=auth(world.staff["counsellor_a"])).status_code == 403


@pytest.mark.browser
def test_monitoring_page_follows_a_scan(page, live_server, live_world, site: Site,  # type: ignore[no-untyped-def]
                                        media: Media) -> None:
    from tests.browser_fixtures import screenshot
    from tests.e2e.test_staff_web import log_in

    from jikimi import scans

    runtime, world = live_world
    with runtime.context(cli_actor("test")) as ctx:
        matching.create_bank(ctx, "victims")
        entries = []
        for data in media.registered:
            entries += matching.entries_for_fingerprints(fingerprint_bytes(data))
        matching.add_entries(ctx, "victims", entries)
    analyst = world.staff["analyst_a"]
    with runtime.context(cli_actor("test")) as ctx:
        ctx.actor = __import__("jikimi.accounts", fromlist=["actor_for"]).actor_for(
            __import__("jikimi.accounts", fromlist=["get_user"]).get_user(ctx, analyst.id))
        scans.add_source(ctx, "urls", "갤러리", {"urls": [site.url + "/gallery.html"]})
    log_in(page, live_server, analyst)
    page.wait_for_url(re.compile(r".*/(cases)?$"))
    page.click("header >> text=모니터링")
    page.click("text=지금 스캔")
    page.wait_for_url(re.compile(r".*/scans/\d+$"))
    page.wait_for_selector("#scan-status >> text=완료", timeout=180_000)
    page.reload()
    expect(page.locator("td .badge.minor")).to_have_count(3)
    screenshot(page, "scan-ko")
