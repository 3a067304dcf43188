"""The centre's whole day in Chromium, without a CLI command, each step by the role that does
it: the counsellor takes a hotline call (a mistyped phone number corrected in place), records
consent and registers the victim's picture from the case page (hashed in her browser); the
administrator assigns a colleague; the analyst adds the site where a copy appeared as a
source, scans it, reviews the match (blurred, then shown clearly), confirms it, previews,
edits and approves the takedown notice, which the platform's mail server (aiosmtpd) receives,
re-checks the URL and opens the statistics; the investigator reads the case's timeline; the
central admin reads the national dashboard. Screenshots at 1280 and 390 px."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from tests.browser_fixtures import click_and_wait, reload_until
from tests.e2e.test_role_walks import SCAN_ENDED, both_widths
from tests.e2e.test_takedown_approval_web import mail_env  # noqa: F401
from tests.scans.conftest import media, site  # noqa: F401
from tests.takedown.conftest import smtp_server  # noqa: F401
from tests.totp_codes import unused_totp_code

pytestmark = pytest.mark.browser


def log_in(page, server, member) -> None:  # type: ignore[no-untyped-def]
    page.goto(server.url + "/login")
    page.fill("#email", member.email)
    page.fill("#password", member.password)
    if member.totp_secret:
        page.fill("#totp", unused_totp_code(member.totp_secret))
    click_and_wait(page, "main button[type=submit]")
    assert "/login" not in page.url


def log_out(page) -> None:  # type: ignore[no-untyped-def]
    click_and_wait(page, "header form[action='/logout'] button")
    expect(page).to_have_url(re.compile(r".*/login$"))


def no_raw_ids(page) -> None:  # type: ignore[no-untyped-def]
    text = page.locator("main").inner_text()
    assert not re.search(r"\bstaff:\d+|\bsystem:[a-z]+", text), text


def test_the_centres_day(mail_env, page, live_server, live_world, site, media,  # type: ignore[no-untyped-def]  # noqa: F811
                         tmp_path) -> None:
    recorder = mail_env
    _runtime, world = live_world
    counsellor, analyst = world.staff["counsellor_a"], world.staff["analyst_a"]
    original = tmp_path / "사진.png"
    original.write_bytes(media.registered[1])  # its mirrored copy is on the site

    # --- the counsellor: intake, consent, the victim's picture ----------------------------
    log_in(page, live_server, counsellor)
    page.goto(live_server.url + "/cases/new")
    page.check("input[value=hotline]")
    page.fill("#name", "홍길순")
    page.fill("#phone", "010-12ab-5678")
    click_and_wait(page, "main form button[type=submit]")
    expect(page.locator("#phone[aria-invalid=true]")).to_have_count(1)
    assert page.locator("#name").input_value() == "홍길순"
    page.fill("#phone", "010-1234-5678")
    click_and_wait(page, "main form button[type=submit]")
    code = page.locator("strong.code").first.inner_text()
    assert re.fullmatch(r"DSC-\d{4}-\d{6}", code)
    page.goto(live_server.url + f"/cases/{code}/consents")
    for purpose in ("partner_sharing", "police_referral"):
        click_and_wait(page, page.locator(f"form:has(input[name=purpose][value={purpose}]) button"))
    page.goto(live_server.url + f"/cases/{code}")
    page.set_input_files("#picture-files", str(original))
    page.click("#pictures-submit")
    page.wait_for_selector("#pictures-status.ok", timeout=180_000)
    no_raw_ids(page)
    both_widths(page, "day-counsellor-case-ko")
    log_out(page)

    # --- the administrator: a colleague joins the case -------------------------------------
    log_in(page, live_server, world.staff["admin_a"])
    page.goto(live_server.url + f"/cases/{code}")
    page.select_option("#assign-user", str(world.staff["counsellor_a2"].id))
    page.locator("form[action$='/assign'] button[type=submit]").click()
    expect(page.locator("#assign li")).to_have_count(2)
    log_out(page)

    # --- the analyst: a source, a scan, the review, the notice -----------------------------
    log_in(page, live_server, analyst)
    page.goto(live_server.url + "/sources/new?type=urls")
    page.fill("#name", "갤러리 사이트")
    page.fill("#urls", site.url + "/media/copy-mirrored.png\n"
              + site.url + "/media/other-101.jpg")
    page.click("button[name=then][value=scan]")
    page.wait_for_url(re.compile(r".*/scans/\d+$"))
    reload_until(page, "#scan-status", SCAN_ENDED)
    both_widths(page, "day-scan-ko")
    page.goto(live_server.url + f"/review?case={code}")
    click_and_wait(page, page.locator("main table a[href^='/review/']").first)
    page.click("#unblur")
    page.wait_for_selector("#preview img[data-blurred=false]")
    click_and_wait(page, "#confirm")
    expect(page.locator("h1 .badge.r-confirmed")).to_have_count(1)
    page.goto(live_server.url + f"/takedowns?case={code}")
    click_and_wait(page, page.locator("table.takedowns tbody tr a").first)
    page.fill("#recipient", "abuse@gallery.example")
    click_and_wait(page, "#preview")
    text = page.locator("#notice-body").input_value()
    assert code in text and "copy-mirrored.png" in text
    page.fill("#notice-body", text.rstrip() + "\n\n추가 안내: 피해자가 직접 신고했습니다.\n")
    click_and_wait(page, "#save-notice")
    expect(page.locator("#notice-body")).to_have_value(re.compile("추가 안내: 피해자가 직접"))
    both_widths(page, "day-notice-ko")
    click_and_wait(page, "#approve")  # answered once the platform's mail server took it
    assert len(recorder.messages) == 1
    assert "추가 안내: 피해자가 직접 신고했습니다." in \
        recorder.parsed()[0].get_body().get_content()
    click_and_wait(page, "#verify")  # the copy is still there: the request stays open
    no_raw_ids(page)
    page.goto(live_server.url + "/takedowns/statistics")
    expect(page.locator("h1")).to_have_count(1)
    log_out(page)

    # --- the investigator: the victim agreed to police referral ----------------------------
    log_in(page, live_server, world.staff["investigator_a"])
    page.goto(live_server.url + f"/investigation/cases/{code}")
    assert code in page.locator("main").inner_text()
    no_raw_ids(page)
    both_widths(page, "day-investigation-ko")
    log_out(page)

    # --- the central admin: the national dashboard -----------------------------------------
    log_in(page, live_server, world.staff["central_admin"])
    page.goto(live_server.url + "/")
    assert page.locator("#centres").count() == 1  # per centre, nationally
    row = " ".join(page.locator("#centres tr", has_text="서울센터").inner_text().split())
    assert row.startswith("서울센터 1 0 1 1"), row  # the day's case, match and request
    both_widths(page, "day-central-ko")
