"""A role's day in Chromium without a CLI command: the admin creates a colleague who turns on
two-factor login with the QR code's key and logs in with it; the central admin manages
centres and meets no 403 in her navigation; the analyst adds a source, scans it, and
reviews a match (blurred, then shown clearly) to confirm it. Screenshots at 1280 and 390 px.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import expect
from tests.browser_fixtures import click_and_wait, reload_until, screenshot
from tests.totp_codes import unused_totp_code

pytestmark = pytest.mark.browser


def log_in(page, server, email: str, password: str, totp_secret: str | None = None) -> None:  # type: ignore[no-untyped-def]
    page.goto(server.url + "/login")
    page.fill("#email", email)
    page.fill("#password", password)
    if totp_secret:
        page.fill("#totp", unused_totp_code(totp_secret))
    click_and_wait(page, "main button[type=submit]")
    assert "/login" not in page.url, page.locator("main").inner_text()


def log_out(page) -> None:  # type: ignore[no-untyped-def]
    click_and_wait(page, "header form[action='/logout'] button")
    expect(page).to_have_url(re.compile(r".*/login$"))


SCAN_ENDED = r"(항목|Items) [1-9]\d* · (대기|Pending) 0\b"
"""The scan card once the scan has found its items and none is left to fetch."""


def both_widths(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """Screenshots at desktop and phone width."""
    screenshot(page, f"{name}-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, f"{name}-390")
    page.set_viewport_size({"width": 1280, "height": 900})


def test_admin_creates_a_colleague_who_logs_in_with_totp(page, live_server, live_world) -> None:  # type: ignore[no-untyped-def]
    _runtime, world = live_world
    admin = world.staff["admin_a"]
    log_in(page, live_server, admin.email, admin.password, admin.totp_secret)
    click_and_wait(page, "header nav a[href='/admin/users']")
    assert page.locator("h1").inner_text() == "직원 계정"
    assert "counsellor_b@test.invalid" not in page.content()  # another centre's
    page.fill("#email", "new.analyst@test.invalid")
    page.fill("#display_name", "한분석")
    page.select_option("#role", "analyst")
    both_widths(page, "admin-users-ko")
    click_and_wait(page, "text=계정 만들기")
    assert page.locator("h1").inner_text() == "계정을 만들었습니다"
    password = page.locator("strong.secret").inner_text()
    both_widths(page, "admin-user-created-ko")
    click_and_wait(page, "text=계정으로 이동")
    assert page.locator("h1").inner_text() == "한분석"
    both_widths(page, "admin-user-ko")
    log_out(page)

    # the colleague logs in, turns on two-factor login by the QR code's key
    log_in(page, live_server, "new.analyst@test.invalid", password)
    click_and_wait(page, "header a.who")
    click_and_wait(page, "text=2단계 인증 설정")
    expect(page.locator("figure.qr svg[role=img]")).to_have_count(1)
    key = page.locator("strong.totp-secret").inner_text()
    both_widths(page, "account-totp-ko")
    page.fill("#code", "000000")
    click_and_wait(page, "text=켜기")
    expect(page.locator("#code-error")).to_be_visible()  # a mistyped code: the QR stays
    expect(page.locator("figure.qr svg[role=img]")).to_have_count(1)
    page.fill("#code", unused_totp_code(key))
    click_and_wait(page, "text=켜기")
    assert "2단계 인증을 켰습니다" in page.content()
    log_out(page)
    page.goto(live_server.url + "/login")
    page.fill("#email", "new.analyst@test.invalid")
    page.fill("#password", password)
    click_and_wait(page, "main button[type=submit]")
    assert page.url.endswith("/login")  # the code is now required
    log_in(page, live_server, "new.analyst@test.invalid", password, key)
    assert "한분석" in page.locator("header").inner_text()

    # and an administrator colleague gets her key as a QR code at once
    log_out(page)
    log_in(page, live_server, admin.email, admin.password, admin.totp_secret)
    page.goto(live_server.url + "/admin/users?lang=en")
    page.fill("#email", "deputy@test.invalid")
    page.select_option("#role", "admin")
    click_and_wait(page, "text=Create account")
    expect(page.locator("figure.qr svg")).to_have_count(1)
    deputy_password = page.locator("strong.secret").inner_text()
    deputy_key = page.locator("strong.totp-secret").inner_text()
    both_widths(page, "admin-user-created-en")
    log_out(page)
    log_in(page, live_server, "deputy@test.invalid", deputy_password, deputy_key)


def test_central_admin_meets_no_403(page, live_server, live_world) -> None:  # type: ignore[no-untyped-def]
    _runtime, world = live_world
    central = world.staff["central_admin"]
    log_in(page, live_server, central.email, central.password, central.totp_secret)
    both_widths(page, "central-start-ko")
    links = page.eval_on_selector_all("header nav a[href]",
                                      "els => els.map(e => e.getAttribute('href'))")
    for href in links:
        if href.startswith("?lang"):
            continue
        response = page.goto(live_server.url + href)
        assert response is not None and response.status < 400, href
    page.goto(live_server.url + "/admin/centres")
    page.fill("#centre-name", "광주센터")
    page.click("text=센터 만들기")
    expect(page.locator("main h2", has_text="광주센터")).to_have_count(1)
    page.fill("#centre-name", "광주센터")
    page.click("text=센터 만들기")
    expect(page.locator("#centre-name-error")).to_be_visible()
    assert page.locator("#centre-name").input_value() == "광주센터"
    both_widths(page, "admin-centres-ko")


def _pictures(folder: Path) -> Image.Image:
    rng = np.random.default_rng(11)
    base = np.kron(rng.integers(0, 255, (8, 8, 3), dtype=np.uint8), np.ones((40, 40, 1),
                                                                        dtype=np.uint8))
    picture = Image.fromarray(base)
    folder.mkdir(parents=True, exist_ok=True)
    picture.transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(folder / "copy-mirrored.png")
    Image.fromarray(rng.integers(0, 255, (200, 200, 3), dtype=np.uint8)).save(
        folder / "unrelated.png")
    return picture


def test_analyst_adds_a_source_scans_and_confirms(page, live_server, live_world,  # type: ignore[no-untyped-def]
                                                 tmp_path: Path) -> None:
    runtime, world = live_world
    analyst = world.staff["analyst_a"]
    folder = runtime.settings.resolved_data_dir / "imports" / "seized-phone"
    picture = _pictures(folder)
    registered = tmp_path / "registered.png"
    picture.save(registered)

    log_in(page, live_server, analyst.email, analyst.password)
    # a bank holding the registered picture's fingerprints, made in the browser
    page.goto(live_server.url + "/banks")
    page.fill("#name", "walk-in victim")
    click_and_wait(page, page.locator("form[method=post][action='/banks'] button[type=submit]"))
    page.set_input_files("input[type=file]", str(registered))
    # the server fingerprints the picture before it answers: slow on a busy machine
    click_and_wait(page, page.locator("form[action$='/files'] button[type=submit]"),
                   timeout=120_000)

    click_and_wait(page, "header nav a[href='/sources']")
    click_and_wait(page, "main a[href='/sources/new']")
    click_and_wait(page, "nav.tabs a[href='/sources/new?type=archive']")
    page.fill("#name", "압수 휴대전화")
    page.fill("#path", "/etc")  # outside the import roots: refused beside the field
    page.click("text=추가하고 바로 스캔")
    expect(page.locator("#path-error")).to_be_visible()
    assert page.locator("#name").input_value() == "압수 휴대전화"
    both_widths(page, "source-new-ko")
    page.fill("#path", str(folder))
    page.click("text=추가하고 바로 스캔")
    page.wait_for_url(re.compile(r".*/scans/\d+$"))
    reload_until(page, "#scan-status", SCAN_ENDED)
    both_widths(page, "scan-progress-ko")

    click_and_wait(page, "header nav a[href='/review']")
    click_and_wait(page, page.locator("table a[href^='/review/']").first)
    expect(page.locator("#unblur")).to_be_visible()
    page.click("#unblur")
    page.wait_for_selector("#preview img[data-blurred=false]")  # shown clearly, recorded
    both_widths(page, "review-unblurred-ko")
    click_and_wait(page, "#confirm")
    expect(page.locator("h1 .badge.r-confirmed")).to_have_count(1)
    assert "확인" in page.locator("main").inner_text()
    both_widths(page, "review-confirmed-ko")
