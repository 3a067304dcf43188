"""The staff pages in Chromium: login with TOTP, intake, case detail, notes, consent, filters,
language switch, and the per-record rule as a browser user meets it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from tests.browser_fixtures import click_and_wait, screenshot
from tests.totp_codes import unused_totp_code

pytestmark = pytest.mark.browser


def log_in(page, server, member, totp: bool = False) -> None:  # type: ignore[no-untyped-def]
    page.goto(server.url + "/login")
    page.fill("#email", member.email)
    page.fill("#password", member.password)
    if totp:
        page.fill("#totp", unused_totp_code(member.totp_secret))
    click_and_wait(page, "main button[type=submit]")


def test_counsellor_intake_to_consent(page, live_server, live_world) -> None:  # type: ignore[no-untyped-def]
    _runtime, world = live_world
    counsellor = world.staff["counsellor_a"]
    page.goto(live_server.url + "/cases")
    assert page.url.endswith("/login?next=/cases")
    screenshot(page, "login-ko")
    assert page.locator("h1").inner_text() == "직원 로그인"
    log_in(page, live_server, counsellor)
    page.wait_for_url(re.compile(r".*/(cases)?$"))
    page.goto(live_server.url + "/cases")  # login leads to the start page
    assert "조건에 맞는 사건이 없습니다." in page.content()

    click_and_wait(page, "text=신규 접수")
    page.check("input[value=hotline]")
    page.fill("#name", "홍길순")
    page.fill("#phone", "010-1234-5678")
    page.check("input[name=minor]")
    screenshot(page, "intake-ko")
    click_and_wait(page, "main button[type=submit]")
    code = page.locator("strong.code").first.inner_text()
    secret = page.locator("strong.secret").inner_text()
    assert re.fullmatch(r"DSC-\d{4}-\d{6}", code)
    assert re.fullmatch(r"[A-Z0-9]{4}(-[A-Z0-9]{4}){3}", secret)
    screenshot(page, "case-opened-ko")

    click_and_wait(page, "text=사건으로 이동")
    assert "010-1234-5678" in page.content()
    page.fill("#note", "첫 상담: 삭제 지원을 원함")
    click_and_wait(page, "text=기록 추가")
    assert "첫 상담: 삭제 지원을 원함" in page.content()
    page.select_option("#status", "active")
    click_and_wait(page, "text=저장")
    expect(page.locator("h1 .badge").first).to_have_text("지원 중")
    screenshot(page, "case-detail-ko")

    click_and_wait(page, "text=동의")
    row = page.locator("tr", has_text="협력 플랫폼과 해시 공유")
    click_and_wait(page, row.locator("button"))
    expect(page.locator("tr", has_text="협력 플랫폼과 해시 공유").locator(".badge")) \
        .to_have_text("동의함")
    screenshot(page, "consent-ko")

    page.goto(live_server.url + "/cases?status=closed")
    assert "조건에 맞는 사건이 없습니다." in page.content()
    page.goto(live_server.url + "/cases?status=active")
    assert code in page.content()

    click_and_wait(page, "text=English")
    expect(page.locator("h1")).to_have_text("Cases")
    page.goto(live_server.url + f"/cases/{code}")
    assert "Counselling notes" in page.content()
    screenshot(page, "case-detail-en")


def test_admin_needs_totp_in_browser(page, live_server, live_world) -> None:  # type: ignore[no-untyped-def]
    _runtime, world = live_world
    admin = world.staff["admin_a"]
    log_in(page, live_server, admin)
    assert "인증 앱의 6자리 코드를 입력하세요." in page.content()
    log_in(page, live_server, admin, totp=True)
    page.wait_for_url(re.compile(r".*/(cases)?$"))
    assert admin.email in page.content()


def test_other_centre_gets_403_page(page, live_server, live_world) -> None:  # type: ignore[no-untyped-def]
    runtime, world = live_world
    from jikimi import accounts, cases
    from jikimi.core.actors import cli_actor

    with runtime.context(cli_actor("test")) as ctx:
        centre = accounts.resolve_centre(ctx.session, world.centre_a)
        code = cases.open_case(ctx, centre, cases.IntakeChannel.WEB).case.code
    log_in(page, live_server, world.staff["counsellor_b"])
    page.wait_for_url(re.compile(r".*/(cases)?$"))
    response = page.goto(live_server.url + f"/cases/{code}")
    assert response.status == 403
    assert "이 작업을 할 권한이 없습니다." in page.content()


def test_central_admin_sees_statistics_only(page, live_server, live_world) -> None:  # type: ignore[no-untyped-def]
    _runtime, world = live_world
    log_in(page, live_server, world.staff["central_admin"], totp=True)
    page.wait_for_url(re.compile(r".*/(cases)?$"))
    page.goto(live_server.url + "/cases")  # login leads to the start page
    assert page.locator("h1").inner_text() == "전체 센터"
    assert "서울센터" in page.content() and "부산센터" in page.content()
    screenshot(page, "central-ko")


def test_form_without_csrf_token_is_refused(page, live_server, live_world) -> None:  # type: ignore[no-untyped-def]
    _runtime, world = live_world
    log_in(page, live_server, world.staff["counsellor_a"])
    page.wait_for_url(re.compile(r".*/(cases)?$"))
    response = page.request.post(live_server.url + "/cases/new",
                                 form={"channel": "web", "csrf_token": "forged"})
    assert response.status == 403


def test_analyst_builds_a_bank_and_matches_in_browser(page, live_server, live_world) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import SHARED_DATA

    dih = SHARED_DATA / "pdq-reference" / "images" / "reg-test-input" / "dih"
    _runtime, world = live_world
    log_in(page, live_server, world.staff["analyst_a"])
    page.wait_for_url(re.compile(r".*/(cases)?$"))
    click_and_wait(page, "header >> text=해시 DB")
    page.fill("#name", "victims")
    click_and_wait(page, "text=만들기")
    expect(page).to_have_url(re.compile(r".*/banks/victims$"))
    page.set_input_files("#file", str(dih / "bridge-1-original.jpg"))
    # the server fingerprints the picture before it answers: slow on a busy machine
    click_and_wait(page, "main button[type=submit]", timeout=120_000)
    expect(page).to_have_url(re.compile(r".*/banks/victims$"))
    # one row for the picture, its fingerprints counted by type (PDQ variants, region hashes)
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(page.locator("tbody tr")).to_contain_text("bridge-1-original.jpg")
    expect(page.locator("tbody tr")).to_contain_text("영역 해시")
    screenshot(page, "bank-ko")
    page.goto(live_server.url + "/match")
    page.set_input_files("#file", str(dih / "bridge-5-flipx.jpg"))
    click_and_wait(page, "main button[type=submit]", timeout=120_000)
    expect(page.locator("h2 .badge")).to_have_text("일치 있음")
    screenshot(page, "match-ko")


def test_counsellor_enrols_a_face_and_analyst_searches(page, live_server, live_world) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import SHARED_DATA

    from jikimi import accounts, cases
    from jikimi.core.actors import cli_actor

    runtime, world = live_world
    with runtime.context(cli_actor("test")) as ctx:
        centre = accounts.resolve_centre(ctx.session, world.centre_a)
        code = cases.open_case(ctx, centre, cases.IntakeChannel.WEB,
                               assign_to=[world.staff["counsellor_a"].id]).case.code
        cases.record_consent(ctx, code, cases.ConsentPurpose.FACE_SEARCH)
    log_in(page, live_server, world.staff["counsellor_a"])
    page.wait_for_url(re.compile(r".*/(cases)?$"))
    page.goto(live_server.url + f"/cases/{code}")
    page.set_input_files("#faces", str(SHARED_DATA / "faces" / "obama" / "01.jpg"))
    click_and_wait(page, "form[action$='/faces'] button", timeout=120_000)
    assert page.url.endswith(f"/cases/{code}"), page.content()[:2000]
    # The analyst searches (hits are reported only from banks the searcher may read).
    page.context.clear_cookies()
    log_in(page, live_server, world.staff["analyst_a"])
    page.wait_for_url(re.compile(r".*/(cases)?$"))
    page.goto(live_server.url + "/faces")
    assert "합성 미디어 탐지기가 설정되어 있지 않습니다" in page.content()
    page.set_input_files("#file", str(SHARED_DATA / "faces" / "obama" / "02.jpg"))
    click_and_wait(page, "main button[type=submit]", timeout=120_000)
    expect(page.locator("section[aria-live]")).to_contain_text(code)
    screenshot(page, "faces-ko")
