"""The partner pages in Chromium: the administrator adds a platform and sees its key once,
rotates and revokes keys; a platform's report shows on the case's page for the counsellor."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import expect
from tests.browser_fixtures import click_and_wait, screenshot
from tests.e2e.test_staff_web import log_in
from tests.partners.conftest import sharing_case

from jikimi import partners
from jikimi.partners.client import PartnerClient

pytestmark = pytest.mark.browser


def test_partner_pages(page, live_server, live_world, tmp_path) -> None:  # type: ignore[no-untyped-def]
    runtime, world = live_world
    shared = sharing_case(runtime, world, images=1, seed=21)
    log_in(page, live_server, world.staff["admin_a"], totp=True)
    page.wait_for_url(re.compile(r".*/(cases)?$"))
    page.goto(live_server.url + "/partners")
    assert page.locator("h1").inner_text() == "협력 플랫폼"
    page.fill("#name", "플랫폼 가")
    page.fill("#contact", "abuse@platform.test")
    page.fill("#rate", "120")
    click_and_wait(page, "text=등록하고 키 보기")
    key = page.locator("#partner-key").inner_text().strip()
    assert key.startswith("jkp_")
    screenshot(page, "partners-key-ko")
    page.goto(live_server.url + "/partners")
    assert key not in page.content()  # shown once only
    assert "플랫폼 가" in page.inner_text("main")

    # the platform syncs and reports a blocked upload
    client = PartnerClient(live_server.url, key, partners.public_key_text(runtime.keys),
                           tmp_path / "copy.json", http=httpx.Client(timeout=10))
    assert client.sync().entries == 3
    entry = client.lookup_local([("pdq", shared.pdqs[0])])[0]["id"]
    assert client.feedback([{"entry_id": entry, "action": "blocked",
                             "content_id": "post/42"}])["accepted"] == 1
    page.reload()
    assert "업로드 차단 1" in page.inner_text("main")
    screenshot(page, "partners-list-ko")

    # rotate with no grace: the old key stops
    click_and_wait(page, "text=새 키 발급")
    new_key = page.locator("#partner-key").inner_text().strip()
    assert new_key != key
    assert httpx.get(live_server.url + "/api/v1/partner/hashes",
                     headers={"Authorization": f"Bearer {key}"}).status_code == 401
    page.goto(live_server.url + "/partners")
    # the answer is the same address: wait for it, not for the address
    click_and_wait(page, page.locator("button", has_text="폐기").first)
    expect(page).to_have_url(re.compile(r".*/partners$"))
    assert httpx.get(live_server.url + "/api/v1/partner/hashes",
                     headers={"Authorization": f"Bearer {new_key}"}).status_code == 401
    page.goto(live_server.url + "/partners?lang=en")
    assert page.locator("h1").inner_text() == "Partner platforms"
    screenshot(page, "partners-list-en")

    # the counsellor sees the report on the case (page and htmx fragment)
    page.context.clear_cookies()
    log_in(page, live_server, world.staff["counsellor_a"])
    page.wait_for_url(re.compile(r".*/(cases)?$"))
    page.goto(live_server.url + f"/partners/cases/{shared.code}/feedback?lang=ko")
    row = page.locator("#partner-feedback tbody tr").first.inner_text()
    assert "플랫폼 가" in row and "업로드 차단" in row and "post/42" in row
    screenshot(page, "partners-case-ko")
    fragment = page.evaluate(
        "url => fetch(url, {headers: {'HX-Request': 'true'}}).then(r => r.text())",
        f"/partners/cases/{shared.code}/feedback")
    assert fragment.lstrip().startswith('<section class="card" id="partner-feedback">')
    # the counsellor cannot manage partners
    page.goto(live_server.url + "/partners")
    assert page.locator("h1").inner_text() != "협력 플랫폼"
