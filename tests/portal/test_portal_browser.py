"""The victim portal in Chromium: a victim registers a picture on a phone-width screen; the
fingerprints computed in the page are exactly the server's, and no request carries the
picture. The quick-exit button leaves the site without a way back."""

from __future__ import annotations

import csv
import hashlib
import json
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect
from sqlalchemy import select
from tests.browser_fixtures import free_port, screenshot
from tests.portal.test_portal_more import FACES, small_video

from jikimi import cases
from jikimi.accounts import Centre
from jikimi.core.actors import cli_actor
from jikimi.core.runtime import Runtime
from jikimi.hashing import (
    ImageFingerprints,
    VideoFingerprints,
    fingerprint_file,
    hamming_distance,
)
from jikimi.hashing.commands import file_record, write_submission
from jikimi.matching import Bank, BankEntry

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@dataclass
class PortalServer:
    url: str
    runtime: Runtime


@pytest.fixture
def portal_server(live_world) -> Iterator[PortalServer]:  # type: ignore[no-untyped-def]
    """The app with the portal router, served by uvicorn in a thread on a free port."""
    import uvicorn
    from tests.portal.test_portal_api import with_portal

    from jikimi.api.app import create_app

    runtime, _world = live_world
    app = with_portal(create_app(runtime=runtime))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the portal server did not start")
        time.sleep(0.05)
    yield PortalServer(f"http://127.0.0.1:{port}", runtime)
    server.should_exit = True
    thread.join(10)


def open_case(runtime: Runtime, centre_id: int) -> tuple[str, str]:
    with runtime.context(cli_actor("test")) as ctx:
        centre = ctx.session.get(Centre, centre_id)
        assert centre is not None
        opened = cases.open_case(ctx, centre, cases.IntakeChannel.WEB)
        return opened.case.code, opened.victim_secret


def benign_png(path: Path) -> Path:
    """Gradients and shapes, larger than PDQ's 512 px thumbnail (exercises the downscale)."""
    w, h = 1200, 900
    img = Image.new("RGB", (w, h))
    px = img.load()
    assert px is not None
    for y in range(h):
        for x in range(w):
            px[x, y] = (x * 255 // w, y * 255 // h, (x * y) % 251)
    draw = ImageDraw.Draw(img)
    draw.ellipse((150, 120, 650, 620), fill=(250, 210, 60), outline=(30, 30, 30), width=12)
    draw.rectangle((700, 300, 1100, 800), fill=(30, 90, 170))
    draw.polygon([(900, 60), (1150, 260), (760, 250)], fill=(200, 40, 60))
    img.save(path, format="PNG")
    return path


def stored(runtime: Runtime, code: str) -> list[tuple[str, str, str, int | None, str, str]]:
    from jikimi.matching import entry_label

    with runtime.context(cli_actor("test")) as ctx:
        # Labels are sealed at rest: read them in clear with the installation's keys.
        return [(r.signal_type, r.variant, r.value, r.quality, r.content_id,
                 entry_label(ctx.keys, r))
                for r in ctx.session.scalars(
                    select(BankEntry).join(Bank, Bank.id == BankEntry.bank_id)
                    .where(Bank.case_code == code, BankEntry.removed_at.is_(None))
                    .order_by(BankEntry.id))]


def test_victim_registers_a_picture_in_the_browser(browser, portal_server, live_world,
                                                   tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _runtime, world = live_world
    runtime = portal_server.runtime
    code, secret = open_case(runtime, world.centre_a)
    picture = benign_png(tmp_path / "내 사진.png")
    raw = picture.read_bytes()
    clip = small_video(tmp_path / "clip.webm", 3)
    clip_raw = clip.read_bytes()

    context = browser.new_context(locale="ko-KR", viewport=PHONE, is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    requests: list[tuple[str, str, bytes]] = []
    page.on("request", lambda r: requests.append((r.method, r.url, r.post_data_buffer or b"")))
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    try:
        page.goto(portal_server.url + "/portal")
        assert "빠른 나가기" in page.locator("#quick-exit").inner_text()
        screenshot(page, "portal-home-ko-phone")
        page.click("main a[href='/portal/register']")
        page.wait_for_url(re.compile(r".*/portal/register$"))
        # Keyboard order: quick exit first, then the skip link.
        page.keyboard.press("Tab")
        expect(page.locator("#quick-exit")).to_be_focused()

        page.get_by_label("사건 번호").fill(code.lower())
        page.get_by_label("비밀번호").fill(secret)
        page.set_input_files("#files", [str(picture), str(clip)])
        page.wait_for_selector("#items li img.thumb")
        assert page.locator("#items img.thumb").get_attribute("src").startswith("blob:")
        assert page.locator("#items .video-thumb").inner_text() == "영상"
        page.fill("#label-1", "첫 번째 사진")
        page.fill("#label-2", "영상 하나")
        page.click("#register-submit")
        # hashed in the page (199 region hashes, the video's frames): slow on a busy machine
        page.wait_for_selector("#register-status.ok", timeout=180_000)
        message = page.locator("#register-status").inner_text()
        assert "사진 2장" in message, message
        path = screenshot(page, "portal-register-ko-phone")
        assert path.exists()

        # What the page computed equals what the server computes for the same file.
        fp = fingerprint_file(picture, with_variants=True)
        assert isinstance(fp, ImageFingerprints)
        rows = stored(runtime, code)
        by_key = {(s, v): (value, q) for s, v, value, q, c, _l in rows if c == fp.sha256}
        assert by_key[("pdq", "original")] == (fp.pdq, fp.quality)
        assert by_key[("sha256", "original")] == (fp.sha256, None)
        assert by_key[("md5", "original")] == (fp.md5, None)
        server_variants = {v.name: (v.hex, v.quality) for v in fp.variants}
        browser_variants = {v: hq for (s, v), hq in by_key.items()
                            if s == "pdq" and v != "original"}
        assert set(browser_variants) >= {"rot90", "rot180", "rot270", "flip_v", "flip_h",
                                         "transpose", "transverse", "crop5", "crop10",
                                         "crop15", "crop20"}
        for name, value in browser_variants.items():
            assert value == server_variants[name], name
        # Region hashes (pdq_region): all of them, bit for bit as the server's.
        browser_regions = [(v, value, q) for s, v, value, q, c, _l in rows
                           if s == "pdq_region" and c == fp.sha256]
        assert browser_regions == [(v.name, v.hex, v.quality) for v in fp.regions]
        assert len(browser_regions) == 199
        # The video: one frame per second, PDQ per frame as the server's vPDQ.
        video = fingerprint_file(clip)
        assert isinstance(video, VideoFingerprints)
        vrows = [r for r in rows if r[0] == "vpdq"]
        assert len(vrows) == 1 and vrows[0][4] == video.sha256 and vrows[0][5] == "영상 하나"
        frames = json.loads(vrows[0][2])
        assert [f[1] for f in frames] == [f.timestamp for f in video.frames]
        distances = [hamming_distance(f[3], g.pdq) for f, g in zip(frames, video.frames,
                                                                   strict=True)]
        print("video frame distances, Chromium vs server:", distances)
        assert max(distances) <= 8, distances
        assert {c for *_x, c, _l in rows} == {fp.sha256, video.sha256}
        assert {label for *_x, label in rows} == {"첫 번째 사진", "영상 하나"}

        # The picture never left the device: no request carried its bytes.
        posts = [(m, u, body) for m, u, body in requests if body]
        assert [u for _m, u, _b in posts] == [portal_server.url + "/api/v1/victim/fingerprints"]
        for _m, _u, body in posts:
            assert raw[:16] not in body and raw[1000:1032] not in body
            assert clip_raw[:16] not in body and clip_raw[5000:5032] not in body
            assert len(body) < 40_000  # fingerprints only: PDQ, variants, 199 region hashes
        assert all(u.startswith((portal_server.url, "blob:", "data:"))
                   for _m, u, _b in requests)

        # Her case: status, what is registered, by her label.
        page.click("header a[href='/portal/status']")
        page.wait_for_url(re.compile(r".*/portal/status$"))
        page.get_by_label("사건 번호").fill(code)
        page.get_by_label("비밀번호").fill(secret)
        page.click("#status-form button[type=submit]")
        page.wait_for_selector("#case-view:not([hidden])")
        assert page.locator("#case-status").inner_text() == "접수"
        assert page.locator("#case-fingerprints").inner_text() == str(len(rows))
        assert "첫 번째 사진" in page.locator("#case-items").inner_text()
        assert "영상 하나 (영상)" in page.locator("#case-items").inner_text()
        assert page.locator("#case-found").inner_text() == "아직 없음"
        screenshot(page, "portal-status-ko-phone")

        # Erase, with a confirmation step.
        page.click("#erase")
        expect(page.locator("#erase-no")).to_be_focused()
        page.click("#erase-yes")
        page.wait_for_selector("#status-message.ok")
        assert stored(runtime, code) == []
        assert not [p for p in problems if "Content Security Policy" in p], problems
        assert not problems, problems
    finally:
        context.close()


def test_quick_exit_leaves_no_way_back(page, portal_server) -> None:  # type: ignore[no-untyped-def]
    neutral = "https://www.google.com/"
    page.route(re.compile(r"^https://www\.google\.com/.*"),
               lambda route: route.fulfill(status=200, content_type="text/html; charset=utf-8",
                                           body="<title>날씨</title><p>맑음</p>"))
    page.goto(portal_server.url + "/portal?lang=en")
    page.click("header nav a[href='/portal/register']")  # portal links replace, too
    page.wait_for_url(re.compile(r".*/portal/register$"))
    page.fill("#code", "DSC-2026-000001")
    page.click("#quick-exit")
    page.wait_for_url(re.compile(r"^https://www\.google\.com/.*"))
    assert page.title() == "날씨"
    page.go_back()
    assert "/portal" not in page.url
    assert page.evaluate("history.length") <= 2
    # The English page says where the button goes.
    page.goto(portal_server.url + "/portal/status?lang=en")
    assert page.locator("#quick-exit").get_attribute("href").startswith(neutral)
    screenshot(page, "portal-status-en-desktop")


REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "data" / "pdq-reference"


@pytest.mark.skipif(not (REFERENCE / "expected.csv").exists(), reason="reference data missing")
def test_new_case_reference_images_and_face_search(browser, portal_server,
                                                   tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Acceptance: a victim opens a case on the portal, registers every reference image; the
    fingerprints the server stores are within 8 bits of Meta's reference for every image of
    quality 50 or more, and no request carries image bytes. Then face search: the page says
    the photos are uploaded before she chooses; with her consent one photo is enrolled."""
    runtime = portal_server.runtime
    with (REFERENCE / "expected.csv").open() as f:
        expected = list(csv.DictReader(f))
    files = [REFERENCE / row["path"] for row in expected]
    raws = [p.read_bytes() for p in files]
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    requests: list[tuple[str, bytes]] = []
    page.on("request", lambda r: requests.append((r.url, r.post_data_buffer or b"")))
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    try:
        page.goto(portal_server.url + "/portal?lang=en")
        page.click("main a[href='/portal/new']")
        page.wait_for_url(re.compile(r".*/portal/new$"))
        page.click("#new-case")
        page.wait_for_selector("#new-case-result:not([hidden])")
        code = page.locator("#new-code").inner_text()
        secret = page.locator("#new-secret").inner_text()
        assert re.fullmatch(r"DSC-\d{4}-\d{6}", code) and len(secret) >= 16
        screenshot(page, "portal-new-case-en")

        page.goto(portal_server.url + "/portal/register")
        page.fill("#code", code)
        page.fill("#secret", secret)
        requests.clear()
        page.set_input_files("#files", [str(p) for p in files])
        page.click("#register-submit")
        page.wait_for_selector("#register-status.ok", timeout=300_000)
        for url, body in requests:
            for raw in raws:
                assert raw[:32] not in body and raw[len(raw) // 2:len(raw) // 2 + 32] not in body
        assert [u for u, b in requests if b] == [
            portal_server.url + "/api/v1/victim/fingerprints"]

        rows = stored(runtime, code)
        originals = {c: (v, q) for s_, var, v, q, c, _l in rows
                     if s_ == "pdq" and var == "original"}
        checked = []
        for row, raw in zip(expected, raws, strict=True):
            sha = hashlib.sha256(raw).hexdigest()
            value, quality = originals[sha]
            distance = hamming_distance(value, row["pdq_hex"])
            checked.append((row["path"], int(row["quality"]), quality, distance))
            if int(row["quality"]) >= 50:
                assert distance <= 8, (row["path"], distance)
        print("reference images (path, quality, browser quality, distance):", checked)
        assert sum(1 for c in checked if c[1] >= 50) >= 16

        # A submission file made by `jikimi hash --submission` (in-process here), uploaded on
        # the register page: read in the page, its fingerprints sent with her code.
        extra = benign_png(tmp_path / "extra.png")
        submission = tmp_path / "submission.json"
        write_submission(submission, [file_record(extra, seconds_per_hash=1.0,
                                                  animated_as_video=False, variants=True)],
                         label_names=False)
        page.goto(portal_server.url + "/portal/register")
        page.fill("#code", code)
        page.fill("#secret", secret)
        page.click("details.card-sub summary")
        page.set_input_files("#submission", str(submission))
        page.click("#register-submit")
        page.wait_for_selector("#register-status.ok", timeout=120_000)
        extra_sha = hashlib.sha256(extra.read_bytes()).hexdigest()
        assert any(c == extra_sha and label == "file 1"
                   for *_x, c, label in stored(runtime, code))

        # Face search: the upload is said plainly before any choice, consent on the page.
        page.goto(portal_server.url + "/portal/faces")
        notice = page.locator("#upload-notice")
        form = page.locator("#faces-form")
        assert "uploaded" in notice.inner_text()
        assert notice.bounding_box()["y"] < form.bounding_box()["y"]
        page.fill("#code", code)
        page.fill("#secret", secret)
        page.set_input_files("#face-photos", str(FACES / "rose_leslie" / "01.jpg"))
        page.click("#faces-submit")
        page.wait_for_selector("#faces-status.bad")  # no consent yet: nothing is sent
        expect(page.locator("#face-consent")).to_be_focused()
        page.check("#face-consent")
        page.click("#faces-submit")
        page.wait_for_selector("#faces-status.ok", timeout=120_000)
        assert "1 face templates" in page.locator("#faces-status").inner_text()
        screenshot(page, "portal-faces-en")
        assert not problems, problems
    finally:
        context.close()
