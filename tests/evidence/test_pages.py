"""Staff pages of evidence: the case's list (capture, package), the item page, blurred
previews, the recorded unblur; forged forms, other centres and roles refused. One Chromium
test looks at the pages."""

from __future__ import annotations

import io
import json
import re
import zipfile

import pytest
from PIL import Image
from playwright.sync_api import expect
from tests.conftest import World
from tests.evidence.conftest import EvidenceCase, Site, open_evidence_case
from tests.evidence.test_capture import staff
from tests.review.test_pages import session_for

from jikimi import evidence
from jikimi.core.runtime import Runtime
from jikimi.evidence import capture as capturing


def _with_fake_screenshot(monkeypatch: pytest.MonkeyPatch) -> None:
    """Captures get a generated screenshot instead of Chromium's (kept for one test)."""
    real = capturing.capture
    shot = io.BytesIO()
    img = Image.new("RGB", (1280, 900), (235, 235, 225))
    for x in range(200, 600):
        for y in range(150, 400, 4):
            img.putpixel((x, y), (180, 40, 40))
    img.save(shot, "PNG")

    def fake(url: str, options: object = None, client: object = None,
             guard: object = None) -> capturing.Capture:
        got = real(url, capturing.CaptureOptions(screenshot=False))
        got.screenshot = shot.getvalue()
        return got

    monkeypatch.setattr(capturing, "capture", fake)


def test_pages_roles_forms_and_custody(app, runtime: Runtime, world: World,  # type: ignore[no-untyped-def]
                                       ecase: EvidenceCase, site: Site,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    _with_fake_screenshot(monkeypatch)
    inv, csrf = session_for(app, world.staff["investigator_a"])
    couns, couns_csrf = session_for(app, world.staff["counsellor_a"])
    other, other_csrf = session_for(app, world.staff["investigator_b"])

    page = inv.get(f"/cases/{ecase.code}/evidence", headers={"Accept-Language": "ko"})
    assert page.status_code == 200 and "URL 수집" in page.text
    # Forged form (no CSRF token): refused, nothing captured.
    r = inv.post(f"/cases/{ecase.code}/evidence", data={"url": f"{site.base}/go"})
    assert r.status_code == 403
    r = inv.post(f"/cases/{ecase.code}/evidence",
                 data={"url": f"{site.base}/go", "reason": "신고", "csrf_token": csrf})
    assert r.status_code == 303
    item_url = r.headers["location"]
    item_id = int(item_url.rsplit("/", 1)[1])

    # The counsellor of the case sees the list and the item, without capture forms.
    listing = couns.get(f"/cases/{ecase.code}/evidence", headers={"Accept-Language": "ko"})
    assert listing.status_code == 200 and f"/evidence/{item_id}/preview.png" in listing.text
    assert "URL 수집" not in listing.text
    item_page = couns.get(item_url, headers={"Accept-Language": "ko"})
    assert item_page.status_code == 200 and "증거 관리 이력" in item_page.text
    assert "/unblur" not in item_page.text
    english = couns.get(f"{item_url}?lang=en")
    assert "Chain of custody" in english.text and "Web page" in english.text
    assert "evidence.kind" not in english.text and "custody.listed" not in english.text
    assert "010-1234-5678" not in item_page.text + listing.text
    preview = couns.get(f"/evidence/{item_id}/preview.png")
    assert preview.status_code == 200 and Image.open(io.BytesIO(preview.content)).mode == "L"
    assert couns.post(f"/evidence/{item_id}/unblur", data={"reason": "x",
                                                         "csrf_token": couns_csrf}
                      ).status_code == 403

    # Another centre's investigator: refused everywhere.
    assert other.get(f"/cases/{ecase.code}/evidence").status_code == 403  # the case rule
    for path in (item_url, f"{item_url}/preview.png"):  # another centre's item: not found
        assert other.get(path).status_code == 404, path
    assert other.post(f"{item_url}/unblur", data={"reason": "x", "csrf_token": other_csrf}
                      ).status_code == 404

    # Unblur: a reason is required; the clear screenshot comes inline, once.
    r = inv.post(f"{item_url}/unblur", data={"csrf_token": csrf}, headers={"HX-Request": "true"})
    assert r.status_code == 422
    r = inv.post(f"{item_url}/unblur", data={"csrf_token": csrf, "reason": "식별 확인"},
                 headers={"HX-Request": "true"})
    assert r.status_code == 200 and "data:image/png;base64," in r.text
    assert r.headers["cache-control"].startswith("no-store")

    # The package through the form.
    r = inv.post(f"/cases/{ecase.code}/evidence/package",
                 data={"csrf_token": csrf, "reason": "경찰 제출", "hashes_only": "1"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
        assert json.loads(zf.read("manifest.json"))["hashes_only"] is True

    with runtime.context(staff(world, "investigator_a")) as ctx:
        log = evidence.custody_log(ctx, item_id)
    assert [(e.action, e.via) for e in log] == [
        ("captured", "web"), ("listed", "web"), ("viewed", "web"), ("viewed", "web"),
        ("previewed", "web"),
        ("unblurred", "web"), ("hashes_exported", "web"), ("viewed", "service")]


@pytest.mark.browser
def test_evidence_pages_in_chromium(live_server, live_world, page, site: Site,  # type: ignore[no-untyped-def]
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.browser_fixtures import click_and_wait, screenshot

    runtime, world = live_world
    ecase = open_evidence_case(runtime, world)
    _with_fake_screenshot(monkeypatch)
    with runtime.context(staff(world, "investigator_a")) as ctx:
        item = evidence.capture_url(ctx, ecase.code, f"{site.base}/go", reason="피해자 신고 게시물")
        evidence.capture_url(ctx, ecase.code, f"{site.base}/media/two.png")
    member = world.staff["investigator_a"]
    page.goto(f"{live_server.url}/login?next=/cases/{ecase.code}/evidence")
    page.fill("input[name=email]", member.email)
    page.fill("input[name=password]", member.password)
    # (a glob like "**/cases/CODE/evidence" also matches /login?next=/cases/CODE/evidence)
    click_and_wait(page, "button[type=submit]")
    expect(page).to_have_url(re.compile(rf"/cases/{ecase.code}/evidence$"))
    expect(page.locator("img.thumb")).to_have_count(2)
    page.wait_for_function("() => [...document.querySelectorAll('img.thumb')]"
                           ".every(i => i.complete && i.naturalWidth > 0)")
    screenshot(page, "evidence-list")
    page.click(f"a[href='/evidence/{item.id}']")
    page.wait_for_url(f"**/evidence/{item.id}")
    page.wait_for_function("() => document.querySelector('#preview img').naturalWidth > 0")
    screenshot(page, "evidence-item-blurred")
    page.fill("#unblur-reason", "식별 확인")
    page.click("#unblur")
    page.locator("#preview img[data-blurred=false]").wait_for()
    screenshot(page, "evidence-item-unblurred")
    page.reload()
    assert page.locator("#custody").inner_text().count("흐림 해제 열람") == 1
