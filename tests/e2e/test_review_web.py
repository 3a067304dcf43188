"""The review pages in Chromium: the queue shows matches with blurred previews (the bytes the
browser receives are the blurred ones), the clear view needs a deliberate click that is
audited, and confirming proposes a takedown that the takedown list shows."""

from __future__ import annotations

import base64
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from tests.browser_fixtures import click_and_wait, screenshot
from tests.e2e.test_staff_web import log_in
from tests.review.seeding import seed_matches
from tests.scans.conftest import media, site  # noqa: F401

from jikimi.core.audit import AuditEntry
from jikimi.review import make_preview

pytestmark = pytest.mark.browser


def test_review_blurred_until_click_then_confirm(page, live_server, live_world, site,  # noqa: F811
                                                 media) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    runtime, world = live_world
    seeded = seed_matches(runtime, world, site, media)
    log_in(page, live_server, world.staff["analyst_a"])
    page.wait_for_url(re.compile(r".*/(cases)?$"))
    page.goto(live_server.url + "/review")
    assert page.locator("h1").inner_text() == "검토 대기열"
    rows = page.locator("table.review tbody tr")
    assert rows.count() == len(seeded.match_ids)
    mirrored = seeded.by_name["copy-mirrored.png"][0]
    thumb = page.locator(f"tr[data-match='{mirrored}'] img.thumb")
    assert thumb.get_attribute("data-blurred") == "true"
    thumb.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0",
                           arg=thumb.element_handle())
    served = page.request.get(live_server.url + thumb.get_attribute("src"))
    body = media.copies["copy-mirrored.png"]
    assert served.headers["cache-control"].startswith("no-store")
    assert served.body() == make_preview(body, blurred=True)
    assert served.body() != make_preview(body, blurred=False)
    screenshot(page, "review-queue-ko")

    page.click(f"tr[data-match='{mirrored}'] td:nth-child(3) a")
    page.wait_for_url(re.compile(rf".*/review/{mirrored}$"))
    figure = page.locator("figure#preview")
    assert figure.get_attribute("data-blurred") == "true"

    def unblurs() -> list[AuditEntry]:
        with runtime.sessions() as session:
            return list(session.scalars(select(AuditEntry).where(
                AuditEntry.action == "review.unblur")))

    assert unblurs() == []
    screenshot(page, "review-detail-blurred-ko")
    page.fill("#unblur-reason", "원본과 비교")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # the unblur button, by keyboard
    page.wait_for_selector("figure#preview[data-blurred='false'] img")
    src = page.locator("figure#preview img").get_attribute("src")
    assert src.startswith("data:image/jpeg;base64,")
    assert base64.b64decode(src.split(",", 1)[1]) == make_preview(body, blurred=False)
    entries = unblurs()
    assert [(e.record_id, e.actor) for e in entries] == [
        (str(mirrored), f"staff:{world.staff['analyst_a'].id}")]
    assert "원본과 비교" in entries[0].details
    screenshot(page, "review-detail-clear-ko")

    page.fill("#reason", "등록 사진의 좌우 반전본")
    click_and_wait(page, "#confirm")  # the answer is the same address
    expect(page).to_have_url(re.compile(rf".*/review/{mirrored}$"))
    assert page.locator("h1 .badge").first.inner_text() == "확인됨"
    # a fresh view is blurred again: nothing stays unblurred
    assert page.locator("figure#preview").get_attribute("data-blurred") == "true"
    # confirming proposed a takedown of the URL, visible on /takedowns
    click_and_wait(page, "text=삭제 요청 →")
    row = page.locator("table.takedowns tbody tr")
    assert row.count() == 1
    assert seeded.case_code in row.inner_text() and "초안" in row.inner_text()
    click_and_wait(page, row.locator("a").first)
    assert "copy-mirrored.png" in page.locator("main").inner_text()
    # English is complete too
    page.goto(live_server.url + f"/review/{mirrored}?lang=en")
    assert page.locator("h1 .badge").first.inner_text() == "Confirmed"
    assert "Where it was found" in page.content()
    page.goto(live_server.url + "/review?status=all")
    assert page.locator("h1").inner_text() == "Review queue"
    screenshot(page, "review-queue-en")
