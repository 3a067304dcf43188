"""The investigation pages in Chromium: the graph, the timeline and the tables of a centre
and of a case, an export and a document downloaded from their buttons, refusals."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from playwright.sync_api import expect
from tests.browser_fixtures import click_and_wait, screenshot
from tests.e2e.test_staff_web import log_in
from tests.investigation.conftest import build_linked

pytestmark = pytest.mark.browser


def test_investigator_pages(page, live_server, live_world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    runtime, world = live_world
    linked = build_linked(runtime, world, tmp_path)
    log_in(page, live_server, world.staff["investigator_a"])
    page.goto(live_server.url + "/investigation?lang=ko")
    assert page.locator("h1").inner_text() == "수사 지원: 채널 간 연계 분석"
    graph = page.locator("svg.linkage-graph")
    assert graph.locator("g.place").count() == 3
    assert graph.locator("line").count() == 3
    # the hostile channel name is text, not markup
    assert "=cmd|' /C calc'!A0" in page.locator("table").nth(1).inner_text()
    expect(page.locator("svg.linkage-timeline circle")).to_have_count(7)
    screenshot(page, "investigation-centre-ko")

    page.select_option("#min_shared", "2")
    click_and_wait(page, "text=다시 계산")
    assert "min_shared=2" in page.url
    expect(page.locator("svg.linkage-graph line[stroke-dasharray]")).to_have_count(2)

    with page.expect_download() as download:
        page.click("a:has-text('GraphML')")
    ET.parse(download.value.path())
    bad = page.goto(live_server.url + "/investigation/export?format=xlsx")
    assert bad is not None and bad.status == 422
    assert "알 수 없는 형식" in page.locator("p.error").inner_text()
    page.goto(live_server.url + "/investigation")
    page.fill("#case", linked.case_code.lower())
    click_and_wait(page, "text=사건 연계 분석 보기")

    assert linked.case_code in page.locator("h1").inner_text()
    expect(page.locator("svg.linkage-graph g.place")).to_have_count(2)
    screenshot(page, "investigation-case-ko")
    with page.expect_download() as download:
        page.locator("a[href$='complaint-evidence-list?format=pdf']").click()
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")

    # another centre's investigator: the error page, in Korean
    page.goto(live_server.url + "/logout")
    page.context.clear_cookies()
    log_in(page, live_server, world.staff["investigator_b"])
    response = page.goto(f"{live_server.url}/investigation/cases/{linked.case_code}")
    assert response is not None and response.status == 403
    page.goto(live_server.url + "/investigation?lang=en")
    expect(page.locator("svg.linkage-graph g.place")).to_have_count(0)
    screenshot(page, "investigation-other-centre-en")
