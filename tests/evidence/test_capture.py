"""Capturing a page served on 127.0.0.1: the sealed WARC holds the HTML, the screenshot, the
media and the headers, and reads back with warcio."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys

import pytest
from PIL import Image
from tests.conftest import World
from tests.evidence.conftest import EvidenceCase, Site
from warcio.archiveiterator import ArchiveIterator

from jikimi import evidence
from jikimi.core.actors import Actor, ActorKind, Role
from jikimi.core.runtime import Runtime
from jikimi.evidence.models import EvidenceItem
from jikimi.evidence.warc import read_warc
from jikimi.hashing import fingerprint_bytes


def staff(world: World, key: str) -> Actor:
    m = world.staff[key]
    return Actor(kind=ActorKind.STAFF, id=m.id, role=Role(m.role), centre_id=m.centre_id,
                 label=m.email)


@pytest.mark.browser
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_capture_page_with_screenshot_media_headers_and_warc(
        runtime: Runtime, world: World, ecase: EvidenceCase, site: Site) -> None:
    options = evidence.CaptureOptions(screenshot=True)
    with runtime.context(staff(world, "investigator_a")) as ctx:
        detail = evidence.capture_url(ctx, ecase.code, f"{site.base}/go", reason="신고된 게시물",
                                      options=options, via="test")
    assert detail.url == f"{site.base}/go"
    assert detail.final_url == f"{site.base}/post/123"
    assert detail.redirects == [f"{site.base}/go"]
    assert detail.http_status == 200 and detail.kind == "page"
    assert detail.headers["x-served-by"] == "evidence-test-site"
    assert detail.headers["content-encoding"] == "gzip"  # as received
    assert detail.page_title == "게시물 123"
    assert detail.sha256 == hashlib.sha256(site.files["/post/123"][1]).hexdigest()
    assert detail.captured_by == f"staff:{world.staff['investigator_a'].id}"
    assert detail.captured_at_kst.endswith("KST")
    assert detail.tls is None  # http
    media = {r.url.rsplit("/", 1)[1]: r for r in detail.resources if r.role == "media"}
    assert set(media) == {"one.png", "two.png", "missing.png"}
    one = site.files["/media/one.png"][1]
    assert media["one.png"].sha256 == hashlib.sha256(one).hexdigest()
    assert media["one.png"].pdq == fingerprint_bytes(one).pdq  # type: ignore[union-attr]
    assert media["missing.png"].error and "http_status" in media["missing.png"].error
    assert detail.media_count == 3
    assert detail.screenshot_sha256
    # robots.txt disallows everything: a deliberate capture does not ask it.
    assert "/robots.txt" not in site.requests
    # The browser's requests were answered by jikimi: the style sheet was fetched once, by
    # jikimi, and the page and media were not fetched a second time.
    assert site.requests.count("/post/123") == 1 and site.requests.count("/media/one.png") == 1
    assert any(r.url.endswith("/style.css") and r.role == "resource" for r in detail.resources)

    with runtime.context(staff(world, "investigator_a")) as ctx:
        item = ctx.session.get(EvidenceItem, detail.id)
        assert item is not None
        sealed = (runtime.settings.resolved_data_dir / "evidence" / f"{item.uid}.jkev").read_bytes()
        assert b"<html" not in sealed and one not in sealed  # encrypted at rest
        warc = evidence.open_content(ctx, detail.id, reason="검증", via="test")
    assert hashlib.sha256(warc).hexdigest() == detail.warc_sha256

    # Read back with warcio itself.
    records = [(r.rec_type, r.rec_headers.get_header("WARC-Target-URI") or "",
                r.content_stream().read(), r.http_headers)
               for r in ArchiveIterator(io.BytesIO(warc))]
    types = [r[0] for r in records]
    assert types[0] == "warcinfo" and types[-1] == "metadata"
    responses = {uri: (body, http) for kind, uri, body, http in records if kind == "response"}
    page_body, page_http = responses[f"{site.base}/post/123"]
    assert page_body == site.files["/post/123"][1]
    assert page_http.get_statuscode() == "200"
    assert page_http.get_header("X-Served-By") == "evidence-test-site"
    assert page_http.get_header("Content-Encoding") is None  # stored decoded
    assert responses[f"{site.base}/media/one.png"][0] == one
    assert responses[f"{site.base}/media/two.png"][0] == site.files["/media/two.png"][1]
    assert f"{site.base}/style.css" in responses
    requests = [uri for kind, uri, _b, _h in records if kind == "request"]
    assert len(requests) == len(responses)
    shot = next(body for kind, uri, body, _h in records
                if kind == "resource" and uri.startswith("urn:screenshot:"))
    assert hashlib.sha256(shot).hexdigest() == detail.screenshot_sha256
    image = Image.open(io.BytesIO(shot))
    assert image.format == "PNG" and image.width == 1280 and image.height >= 240
    # The screenshot shows the page: the images are drawn (not a blank page).
    assert len(image.convert("RGB").resize((64, 64)).getcolors(4096) or []) > 20
    (runtime.settings.resolved_data_dir / "screenshot.png").write_bytes(shot)
    dom = next(body for kind, uri, body, _h in records if uri.startswith("urn:dom:"))
    assert "게시물 123" in dom.decode("utf-8") and 'data-js="ran"' in dom.decode("utf-8")
    # The page's script asked for a private address: jikimi refused it for the browser.
    refused = [r for r in detail.resources if "10.255.255.1" in r.url]
    assert refused and "blocked_address" in (refused[0].error or "")
    meta = json.loads(records[-1][2])
    assert meta["case_code"] == ecase.code
    assert meta["headers_as_received"]["x-served-by"] == "evidence-test-site"
    assert meta["captured_at_kst"].endswith("KST") and meta["captured_at_utc"]
    assert meta["redirects"] == [f"{site.base}/go"]
    assert "010-1234-5678" not in warc.decode("latin-1") and "피해자" not in json.dumps(meta,
                                                                                    ensure_ascii=False)
    # warcio's digest checker passes every record (block and payload digests).
    warc_path = runtime.settings.resolved_data_dir / "capture.warc.gz"
    warc_path.write_bytes(warc)
    checked = subprocess.run([sys.executable, "-m", "warcio.cli", "check", "-v",
                              str(warc_path)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "digest pass" in checked.stdout and "digest fail" not in checked.stdout
    # jikimi's own reader agrees.
    assert [e.record_type for e in read_warc(warc)] == types

    with runtime.context(staff(world, "investigator_a")) as ctx:
        blurred = evidence.preview(ctx, detail.id, via="test")
        clear = evidence.preview(ctx, detail.id, clear=True, reason="확인", via="test")
    assert clear == shot
    assert blurred is not None and Image.open(io.BytesIO(blurred)).mode == "L"
