"""The case desk in Chromium: intake with a mistyped phone number corrected in place (keyboard
only), assignment, closing with a reason and confirmation, hand-over to another centre, a
portal case in the receiving centre's intake queue, the victim's pictures registered from the
case page as fingerprints only, and the victim giving and withdrawing consents herself.
Screenshots at 1280 px and 390 px."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import httpx
import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect
from sqlalchemy import select
from tests.browser_fixtures import click_and_wait, htmx_idle, screenshot
from tests.e2e.test_staff_web import log_in

from jikimi import accounts, cases
from jikimi.core.actors import Role, cli_actor
from jikimi.matching import Bank, BankEntry

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '));
}"""


def _accessible(page) -> None:  # type: ignore[no-untyped-def]
    """No serious or critical axe-core violation on the page (skipped without axe-core)."""
    if not AXE.exists():
        return
    htmx_idle(page)  # the case list's and the case page's fragments arrive after the load
    page.evaluate(AXE.read_text() + "\n;0")
    assert page.evaluate(AXE_RUN) == [], page.url


def _both_widths(page, name: str) -> None:  # type: ignore[no-untyped-def]
    screenshot(page, f"{name}-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, f"{name}-390")
    page.set_viewport_size({"width": 1280, "height": 900})


def _open(runtime, centre_id: int, assign_to: tuple[int, ...] = ()) -> str:  # type: ignore[no-untyped-def]
    with runtime.context(cli_actor("test")) as ctx:
        centre = accounts.resolve_centre(ctx.session, centre_id)
        return cases.open_case(ctx, centre, cases.IntakeChannel.HOTLINE,
                               assign_to=assign_to).case.code


def test_intake_corrected_in_place_by_keyboard(page, live_server, live_world) -> None:  # type: ignore[no-untyped-def]
    _runtime, world = live_world
    log_in(page, live_server, world.staff["counsellor_a"])
    page.wait_for_url(re.compile(r".*/(cases)?$"))
    page.goto(live_server.url + "/cases/new")
    page.focus("input[value=hotline]")
    for key, text in (("Tab", "홍길순"), ("Tab", "010-1234-56#8"), ("Tab", "victim@example")):
        page.keyboard.press(key)
        page.keyboard.type(text)
    page.keyboard.press("Tab")
    page.keyboard.press("Space")  # the minor checkbox
    page.keyboard.press("Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("#phone-error")).to_contain_text("전화번호에는 숫자")
    expect(page.locator("#name")).to_have_value("홍길순")
    expect(page.locator("#phone")).to_have_value("010-1234-56#8")
    expect(page.locator("#email")).to_have_value("victim@example")
    expect(page.locator("input[name=minor]")).to_be_checked()
    expect(page.locator("input[value=hotline]")).to_be_checked()
    expect(page.locator("#phone")).to_be_focused()
    expect(page.locator("#phone")).to_have_attribute("aria-invalid", "true")
    _both_widths(page, "intake-error-ko")
    _accessible(page)
    page.keyboard.press("Control+A")
    page.keyboard.type("010-1234-5678")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_selector("#email-error")  # only the second answer has it
    expect(page.locator("#phone")).to_have_value("010-1234-5678")
    expect(page.locator("#email")).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.type("victim@example.invalid")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_selector("strong.secret")
    code = page.locator("strong.code").first.inner_text()
    page.goto(live_server.url + f"/cases/{code}")
    assert "010-1234-5678" in page.content() and "홍길순" in page.content()


def test_assign_close_and_hand_over(page, live_server, live_world) -> None:  # type: ignore[no-untyped-def]
    runtime, world = live_world
    code = _open(runtime, world.centre_a)
    log_in(page, live_server, world.staff["admin_a"], totp=True)
    page.wait_for_url(re.compile(r".*/(cases)?$"))
    page.goto(live_server.url + "/cases")
    queue = page.locator("section.queue")
    assert code in queue.inner_text()
    _both_widths(page, "cases-queue-admin-ko")
    _accessible(page)
    page.goto(live_server.url + f"/cases/{code}")
    assert page.locator("#status option[selected]").get_attribute("value") == ""
    page.select_option("#assign-user", str(world.staff["counsellor_a2"].id))
    page.click("#assign button[type=submit]")
    page.wait_for_url(re.compile(rf".*/cases/{code}#assign$"))
    assert "counsellor_a2" in page.inner_text("#assign")
    # Closing: a reason is required, and the confirmation; what was typed stays.
    page.fill("#close-reason", "지원이 끝남")
    page.click("#close button[type=submit]")
    page.wait_for_selector("#confirm-error")
    assert page.input_value("#close-reason") == "지원이 끝남"
    page.check("#close input[name=confirm]")
    page.click("#close button[type=submit]")
    page.wait_for_url(re.compile(rf".*/cases/{code}#close$"))
    assert page.locator("h1 .badge").first.inner_text() == "종결"
    screenshot(page, "case-closed-ko")
    # Hand-over of another case: the centre, a reason, the confirmation.
    other = _open(runtime, world.centre_a, (world.staff["counsellor_a"].id,))
    page.goto(live_server.url + f"/cases/{other}")
    page.check("#hand_over input[name=confirm]")
    page.click("#hand_over button[type=submit]")
    page.wait_for_selector("#centre-error")
    assert page.is_checked("#hand_over input[name=confirm]")
    page.select_option("#hand-over-centre", label="부산센터")
    page.fill("#hand-over-reason", "피해자가 부산으로 이사")
    page.click("#hand_over button[type=submit]")
    page.wait_for_url(re.compile(r".*/cases\?handed_over=.*"))
    assert "이관을 마쳤습니다" in page.content()
    response = page.goto(live_server.url + f"/cases/{other}")
    assert response.status == 403
    assert page.locator("header nav a[href='/cases']").count() == 1  # the error page keeps it
    assert "권한이 없습니다" in page.inner_text("h1")
    _both_widths(page, "error-403-ko")
    _accessible(page)
    page.context.clear_cookies()
    log_in(page, live_server, world.staff["counsellor_b"])
    page.wait_for_url(re.compile(r".*/(cases)?$"))
    page.goto(live_server.url + "/cases")
    assert other in page.locator("section.queue").inner_text()
    page.locator("section.queue tr", has_text=other).locator("button").click()
    page.wait_for_url(re.compile(rf".*/cases/{other}#pick_up$"))
    assert "counsellor_b" in page.content() and "상담 기록" in page.content()


def test_portal_case_lands_in_the_intake_queue(page, live_server, live_world) -> None:  # type: ignore[no-untyped-def]
    runtime, world = live_world
    with runtime.context(cli_actor("test")) as ctx:
        central = accounts.resolve_centre(ctx.session, world.central_id)
        desk = accounts.add_user(ctx, "desk@test.invalid", Role.COUNSELLOR, central)
    opened = httpx.post(live_server.url + "/api/v1/victim/cases").json()
    page.goto(live_server.url + "/login")
    page.fill("#email", "desk@test.invalid")
    page.fill("#password", desk.password)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/(cases)?$"))
    page.goto(live_server.url + "/cases")
    row = page.locator("section.queue tr", has_text=opened["code"])
    assert "온라인" in row.inner_text()
    click_and_wait(page, row.locator("a"))
    assert "이 사건 맡기" in page.content()
    screenshot(page, "portal-case-in-queue-ko")
    page.click("text=이 사건 맡기")
    page.wait_for_url(re.compile(rf".*/cases/{opened['code']}#pick_up$"))
    assert "접수 대기 중" not in page.content()
    page.goto(live_server.url + "/cases?assignee=me")
    assert opened["code"] in page.content()


def _picture() -> bytes:
    img = Image.new("RGB", (640, 480), (30, 90, 160))
    draw = ImageDraw.Draw(img)
    for n in range(12):
        draw.ellipse((n * 45, n * 30, n * 45 + 120, n * 30 + 90), fill=(20 * n, 255 - 15 * n, 90))
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def test_pictures_from_the_case_page_as_fingerprints_only(  # type: ignore[no-untyped-def]
        page, live_server, live_world, tmp_path) -> None:
    runtime, world = live_world
    counsellor = world.staff["counsellor_a"]
    code = _open(runtime, world.centre_a, (counsellor.id,))
    picture = tmp_path / "사진1.png"
    data = _picture()
    picture.write_bytes(data)
    sent: list[tuple[str, str, bytes]] = []
    page.on("request", lambda r: sent.append((r.method, r.url, r.post_data_buffer or b"")))
    log_in(page, live_server, counsellor)
    page.wait_for_url(re.compile(r".*/(cases)?$"))
    page.goto(live_server.url + f"/cases/{code}")
    page.set_input_files("#picture-files", str(picture))
    logs: list[str] = []
    page.on("console", lambda m: logs.append(m.text))
    page.on("pageerror", lambda e: logs.append(str(e)))
    page.click("#pictures-submit")
    try:
        page.wait_for_selector("#pictures-status.ok", timeout=180_000)
    except Exception:
        raise AssertionError((page.inner_text("#pictures-status"), logs)) from None
    assert "등록했습니다" in page.inner_text("#pictures-status")
    _both_widths(page, "case-pictures-ko")
    _accessible(page)
    page.goto(live_server.url + f"/cases/{code}?lang=en")
    assert "Register the victim's pictures" in page.content()
    assert "Hand over to another centre" in page.content()
    screenshot(page, "case-detail-desk-en-1280")
    posts = [(url, body) for method, url, body in sent if method == "POST"]
    assert any(url.endswith(f"/api/v1/cases/{code}/fingerprints") for url, _b in posts)
    for _url, body in posts:
        assert data[:64] not in body and b"\x89PNG" not in body
    body = next(b for u, b in posts if u.endswith("/fingerprints"))
    item = json.loads(body)["items"][0]
    assert set(item) >= {"sha256", "md5", "pdq", "quality", "variants"}
    with runtime.sessions() as session:
        bank = session.scalar(select(Bank).where(Bank.case_code == code))
        assert bank is not None and bank.centre_id == world.centre_a
        kinds = set(session.scalars(select(BankEntry.signal_type)
                                    .where(BankEntry.bank_id == bank.id)))
    assert {"pdq", "sha256", "md5"} <= kinds


def test_victim_gives_and_withdraws_consents_on_the_portal(page, live_server, live_world) -> None:  # type: ignore[no-untyped-def]
    opened = httpx.post(live_server.url + "/api/v1/victim/cases").json()
    page.goto(live_server.url + "/portal/status")
    page.fill("#code", opened["code"])
    page.fill("#secret", opened["secret"])
    page.click("#status-form button[type=submit]")
    page.wait_for_selector("#case-view:not([hidden])")
    sharing = page.locator("div.choice[data-purpose=partner_sharing]")
    assert "협력 플랫폼" in sharing.inner_text()
    assert "사진은 보내지 않습니다" in sharing.inner_text()
    assert page.inner_text("#consent-state-partner_sharing") == "동의 안 함"
    sharing.locator("button").click()
    page.wait_for_selector("#consent-state-partner_sharing:text-is('동의함')")
    assert "협력 플랫폼과 해시 공유" in page.inner_text("#case-consents")
    assert sharing.locator("button").inner_text() == "동의 철회"
    _both_widths(page, "portal-consents-ko")
    _accessible(page)
    sharing.locator("button").click()
    page.wait_for_selector("#consent-state-partner_sharing:text-is('동의 안 함')")
    assert "동의를 철회했습니다" in page.inner_text("#choice-message")
