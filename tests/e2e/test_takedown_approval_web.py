"""Approving a takedown notice in Chromium: preview, edit the text in place (an error keeps
what was typed, beside the field), approve, and the e-mail an SMTP server (aiosmtpd) receives
carries the edited text. Without a mail server the page says so in one sentence and offers
approval for submission by hand; nothing answers 500."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from tests.browser_fixtures import click_and_wait, screenshot
from tests.e2e.test_staff_web import log_in
from tests.review.seeding import seed_matches
from tests.scans.conftest import media, site  # noqa: F401
from tests.takedown.conftest import Recorder, smtp_server  # noqa: F401

pytestmark = pytest.mark.browser


def _confirm_first_copy(runtime, world, site, media) -> str:  # type: ignore[no-untyped-def]  # noqa: F811
    from jikimi import accounts, review
    from jikimi.core.actors import cli_actor

    seeded = seed_matches(runtime, world, site, media)
    with runtime.context(cli_actor("test")) as ctx:
        analyst = accounts.actor_for(accounts.get_user(ctx, world.staff["analyst_a"].id))
    with runtime.context(analyst) as ctx:
        review.decide_many(ctx, seeded.by_name["copy-mirrored.png"][:1],
                           review.ReviewStatus.CONFIRMED)
    return seeded.case_code


@pytest.fixture
def mail_env(monkeypatch: pytest.MonkeyPatch, smtp_server: tuple[Recorder, int]  # noqa: F811
             ) -> Recorder:
    recorder, port = smtp_server
    monkeypatch.setenv("JIKIMI_SMTP_FROM", "centre@jikimi.test")
    monkeypatch.setenv("JIKIMI_SMTP_URL", f"smtp://127.0.0.1:{port}")
    return recorder


def test_preview_edit_approve_in_the_browser(mail_env, page, live_server, live_world,  # type: ignore[no-untyped-def]
                                             site, media) -> None:  # noqa: F811
    recorder = mail_env
    runtime, world = live_world
    case_code = _confirm_first_copy(runtime, world, site, media)
    log_in(page, live_server, world.staff["analyst_a"])
    page.wait_for_url(re.compile(r".*/$|.*/cases$"))
    page.goto(live_server.url + "/takedowns")
    click_and_wait(page, page.locator("table.takedowns tbody tr a").first)
    page.fill("#recipient", "abuse@gallery.example")
    click_and_wait(page, "#preview")
    body = page.locator("#notice-body")
    text = body.input_value()
    assert case_code in text and "copy-mirrored.png" in text
    assert "staff:" not in page.locator("main").inner_text()
    screenshot(page, "takedown-draft-preview-ko")
    # an edit that drops the URL comes back with the error beside the text, typed text kept
    body.fill("URL을 지웠습니다")
    click_and_wait(page, "#save-notice")
    expect(page.locator("#body-error")).to_be_visible()
    assert page.locator("#notice-body").input_value() == "URL을 지웠습니다"
    # a real edit is kept as the draft's text
    edited = text.rstrip() + "\n\n추가 안내: 같은 사진이 다시 올라왔습니다.\n"
    page.fill("#notice-body", edited)
    click_and_wait(page, "#save-notice")
    expect(page.locator("#body-error")).to_have_count(0)
    assert "추가 안내" in page.locator("#notice-body").input_value()
    assert "수정" in page.locator("#notice-card").inner_text()
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "takedown-draft-edited-390")
    page.set_viewport_size({"width": 1280, "height": 900})
    click_and_wait(page, "#approve")  # answered once the platform's mail server took it
    assert page.locator("h1 .badge").first.inner_text() == "발송됨"
    assert len(recorder.messages) == 1
    message = recorder.parsed()[0]
    assert recorder.messages[0][0] == ["abuse@gallery.example"]
    assert "추가 안내: 같은 사진이 다시 올라왔습니다." in message.get_body().get_content()
    history = page.locator("ul.timeline").inner_text()
    assert "요청서 승인" in history and "staff:" not in history
    assert "analyst_a" in history or world.staff["analyst_a"].email.split("@")[0] in history
    screenshot(page, "takedown-approved-ko")


@pytest.fixture
def sender_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JIKIMI_SMTP_FROM", "centre@jikimi.test")
    monkeypatch.delenv("JIKIMI_SMTP_URL", raising=False)


def test_without_mail_server_the_page_says_so(sender_only, page, live_server,  # type: ignore[no-untyped-def]
                                              live_world, site, media) -> None:  # noqa: F811
    runtime, world = live_world
    _confirm_first_copy(runtime, world, site, media)
    log_in(page, live_server, world.staff["analyst_a"])
    page.wait_for_url(re.compile(r".*/$|.*/cases$"))
    page.goto(live_server.url + "/takedowns")
    click_and_wait(page, page.locator("table.takedowns tbody tr a").first)
    page.fill("#recipient", "abuse@gallery.example")
    click_and_wait(page, "#preview")
    sentence = page.locator("#setting-missing").inner_text()
    assert "메일 서버" in sentence and "관리자" in sentence and "JIKIMI_" not in sentence
    expect(page.locator("#approve")).to_have_count(0)
    screenshot(page, "takedown-mail-server-missing-ko")
    click_and_wait(page, "#approve-by-hand")
    page.fill("#sent-note", "신고 양식으로 제출")
    click_and_wait(page, "#mark-sent")
    assert page.locator("h1 .badge").first.inner_text() == "발송됨"
    forged = page.request.post(page.url + "/approve", form={"csrf_token": "x"})
    assert forged.status == 403
