"""The takedown pages in Chromium: a proposed request is prepared (web-form platform), marked
sent and recorded overdue; the overdue banner on the case list, statistics with server-drawn
SVG charts and CSV, and the admin's platform directory with unverified contacts flagged."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from tests.browser_fixtures import click_and_wait, htmx_idle, screenshot
from tests.e2e.test_staff_web import log_in
from tests.review.seeding import seed_matches
from tests.scans.conftest import media, site  # noqa: F401

pytestmark = pytest.mark.browser


@pytest.fixture
def centre_mail(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JIKIMI_SMTP_FROM", "centre@jikimi.test")


def test_takedown_pages(centre_mail, page, live_server, live_world, site,  # noqa: F811
                        media, browser) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    runtime, world = live_world
    seeded = seed_matches(runtime, world, site, media)
    from jikimi import accounts, review

    with runtime.context(accounts.actor_for(_user(runtime, world, "analyst_a"))) as ctx:
        review.decide_many(ctx, seeded.by_name["copy-mirrored.png"][:1],
                           review.ReviewStatus.CONFIRMED)
    log_in(page, live_server, world.staff["analyst_a"])
    page.wait_for_url(re.compile(r".*/(cases)?$"))
    page.goto(live_server.url + "/takedowns")
    click_and_wait(page, page.locator("table.takedowns tbody tr a").first)
    assert page.locator("h1 .badge").first.inner_text() == "초안"
    click_and_wait(page, "#preview")
    notice = page.locator("#notice-body").input_value()
    assert "copy-mirrored.png" in notice and seeded.case_code in notice
    click_and_wait(page, "#approve")
    assert "copy-mirrored.png" in page.locator("#notice").inner_text()
    page.fill("#sent-note", "신고 양식 접수번호 123")
    click_and_wait(page, "#mark-sent")
    assert page.locator("h1 .badge").first.inner_text() == "발송됨"
    page.select_option("#status", "overdue")
    page.fill("#note", "기한 경과")
    click_and_wait(page, "text=저장")
    assert page.locator("h1 .badge").first.inner_text() == "기한 초과"
    assert "신고 양식 접수번호 123" in page.content()
    screenshot(page, "takedown-detail-ko")

    page.goto(live_server.url + "/cases")
    banner = page.locator("#overdue-banner")
    banner.wait_for()  # loaded by htmx after the page
    htmx_idle(page)
    assert "기한을 넘겼습니다" in banner.inner_text()
    page.goto(live_server.url + "/takedowns")
    expect(page.locator("tr.overdue")).to_have_count(1)
    screenshot(page, "takedown-list-ko")

    page.goto(live_server.url + "/takedowns/statistics")
    bars = page.locator("svg#chart-month rect[data-series='requests']")
    assert bars.count() == 1 and bars.first.get_attribute("data-value") == "1"
    expect(page.locator("svg#chart-platform rect[data-series='requests']")).to_have_count(1)
    csv = page.request.get(live_server.url + "/takedowns/statistics.csv")
    assert csv.ok and csv.headers["content-type"].startswith("text/csv")
    assert "site:127.0.0.1" in csv.text()
    screenshot(page, "takedown-statistics-ko")

    # the admin's directory: unverified contacts flagged, an edit saved
    admin_page = browser.new_context(locale="ko-KR").new_page()
    log_in(admin_page, live_server, world.staff["admin_a"], totp=True)
    admin_page.wait_for_url(re.compile(r".*/(cases)?$"))
    admin_page.goto(live_server.url + "/takedowns/platforms")
    telegram = admin_page.locator("tr[data-platform='telegram']")
    assert "미확인" in telegram.inner_text()
    screenshot(admin_page, "takedown-platforms-ko")
    click_and_wait(admin_page, telegram.locator("a"))
    admin_page.fill("#response_hours", "48")
    click_and_wait(admin_page, "button[value=save]")
    assert admin_page.locator("#response_hours").input_value() == "48"
    assert "수정" in admin_page.locator("main").inner_text()
    admin_page.fill("#channels", "[{\"kind\": \"email\", \"address\": \"nope\"}]")
    click_and_wait(admin_page, "button[value=save]")
    expect(admin_page.locator("p.error")).to_have_count(1)
    screenshot(admin_page, "takedown-platform-edit-ko")
    admin_page.context.close()


def _user(runtime, world, key: str):  # type: ignore[no-untyped-def]
    from jikimi import accounts
    from jikimi.core.actors import cli_actor

    with runtime.context(cli_actor("test")) as ctx:
        user = accounts.get_user(ctx, world.staff[key].id)
        ctx.session.expunge(user)
        return user
