"""Keyboard only, in Chromium, on the demo: intake (a mistyped phone number corrected in
place), review (show clearly, confirm) and takedown approval (preview, approve) reached with
Tab and done with Enter and typing; no mouse click."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from tests.browser_fixtures import htmx_idle
from tests.totp_codes import unused_totp_code

pytestmark = pytest.mark.browser
MAX_TABS = 120


def tab_to(page, selector: str) -> None:  # type: ignore[no-untyped-def]
    """Press Tab until ``selector`` has the focus (fails if the keyboard cannot reach it)."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if page.evaluate("s => !!document.activeElement && document.activeElement.matches(s)",
                         selector):
            return
    raise AssertionError(f"{selector} cannot be reached with Tab on {page.url}")


def keyboard_login(page, server: str, account: tuple[str, str, str]) -> None:  # type: ignore[no-untyped-def]
    email, password, totp = account
    page.goto(server + "/login")
    tab_to(page, "#email")
    page.keyboard.type(email)
    tab_to(page, "#password")
    page.keyboard.type(password)
    if totp:
        tab_to(page, "#totp")
        page.keyboard.type(unused_totp_code(totp))
    enter(page)
    assert "/login" not in page.url


def enter(page) -> None:  # type: ignore[no-untyped-def]
    """Press Enter on what has the focus and wait for the page it leads to."""
    with page.expect_navigation():
        page.keyboard.press("Enter")


def follow(page, selector: str) -> None:  # type: ignore[no-untyped-def]
    tab_to(page, selector)
    enter(page)


def new_context(browser):  # type: ignore[no-untyped-def]
    return browser.new_context(locale="ko-KR", viewport={"width": 1280, "height": 900})


def test_intake_by_keyboard(browser, demo_server) -> None:  # type: ignore[no-untyped-def]
    context = new_context(browser)
    page = context.new_page()
    try:
        keyboard_login(page, demo_server.url, demo_server.accounts["counsellor"])
        page.goto(demo_server.url + "/cases")
        follow(page, "main a[href='/cases/new']")
        tab_to(page, "#name")
        page.keyboard.type("홍길순")
        tab_to(page, "#phone")
        page.keyboard.type("010-12ab-5678")
        enter(page)  # sends the form
        expect(page.locator("#phone[aria-invalid=true]")).to_have_count(1)
        assert page.locator("#name").input_value() == "홍길순"  # what was typed is kept
        tab_to(page, "#phone")
        page.keyboard.press("Control+A")
        page.keyboard.type("010-1234-5678")
        enter(page)
        assert re.search(r"DSC-\d{4}-\d{6}", page.locator("main").inner_text())
    finally:
        context.close()


def test_review_by_keyboard(browser, demo_server) -> None:  # type: ignore[no-untyped-def]
    context = new_context(browser)
    page = context.new_page()
    try:
        keyboard_login(page, demo_server.url, demo_server.accounts["analyst"])
        page.goto(demo_server.url + "/review?status=pending")
        # a copy in the seized folder (the gallery's copies need `jikimi demo run`)
        seized = page.eval_on_selector(
            "select[name=source]", "s => [...s.options].find(o => /seized/.test(o.text)).value")
        page.goto(f"{demo_server.url}/review?status=pending&source={seized}")
        follow(page, "main table a[href^='/review/']")
        tab_to(page, "#unblur")
        page.keyboard.press("Enter")
        page.wait_for_selector("#preview img[data-blurred=false]")
        htmx_idle(page)  # settled: nothing moves the focus while Tab is pressed
        tab_to(page, "#confirm")
        enter(page)
        expect(page.locator("h1 .badge.r-confirmed")).to_have_count(1)
    finally:
        context.close()


def test_takedown_approval_by_keyboard(browser, demo_server) -> None:  # type: ignore[no-untyped-def]
    context = new_context(browser)
    page = context.new_page()
    try:
        keyboard_login(page, demo_server.url, demo_server.accounts["analyst"])
        page.goto(demo_server.url + "/takedowns?status=draft")
        follow(page, "main table a[href^='/takedowns/']")
        if page.locator("#preview").count():
            tab_to(page, "#preview")
            enter(page)
        tab_to(page, "#approve")
        enter(page)
        expect(page.locator("#approve")).to_have_count(0)
        assert page.locator("main .error[role=alert]").count() == 0, \
            page.locator("main").inner_text()
    finally:
        context.close()
