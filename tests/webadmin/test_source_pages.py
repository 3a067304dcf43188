"""Sources in the browser's HTTP: a form for each of the five types, errors beside their
fields with what was typed kept, a scan started from the form and its progress page."""

from __future__ import annotations

import io
import re
import time
import zipfile

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from tests.conftest import SHARED_DATA, World
from tests.webadmin.web_helpers import web_login

from jikimi import scans
from jikimi.core.actors import cli_actor
from jikimi.core.perimeter import upload_root
from jikimi.core.runtime import Runtime


@pytest.mark.parametrize("kind", ["urls", "crawl", "feed", "telegram", "archive"])
def test_each_type_has_its_form(client: TestClient, world: World, kind: str) -> None:
    web_login(client, world.staff["analyst_a"])
    page = client.get(f"/sources/new?type={kind}&lang=ko")
    assert page.status_code == 200
    assert {"urls": 'name="urls"', "crawl": 'name="max_depth"', "feed": 'name="urls"',
            "telegram": 'name="timezone"', "archive": 'name="skip_non_media"'}[kind] in page.text
    assert 'aria-current="page"' in page.text


def test_web_source_added_with_config(client: TestClient, world: World,
                                      runtime: Runtime) -> None:
    csrf = web_login(client, world.staff["analyst_a"])
    added = client.post("/sources/new", data={
        "csrf_token": csrf, "type": "crawl", "name": "게시판 A",
        "urls": "https://example.org/board\n\nhttps://example.org/gallery\n",
        "max_depth": "1", "max_pages": "50", "extra_hosts": "img.example.org",
        "interval": "60"}, follow_redirects=False)
    assert added.status_code == 303 and added.headers["location"].startswith("/sources?added=")
    with runtime.context(cli_actor("test")) as ctx:
        source = next(s for s in scans.list_sources(ctx) if s.name == "게시판 A")
    assert source.type == "crawl" and source.interval_minutes == 60
    assert source.config["start_urls"] == ["https://example.org/board",
                                           "https://example.org/gallery"]
    assert source.config["max_depth"] == 1 and source.config["extra_hosts"] == [
        "img.example.org"]


def test_refused_form_keeps_values(client: TestClient, world: World) -> None:
    csrf = web_login(client, world.staff["analyst_a"])
    refused = client.post("/sources/new?lang=ko", data={
        "csrf_token": csrf, "type": "crawl", "name": "사이트 B", "urls": "https://example.org/",
        "max_depth": "two", "max_pages": "50"})
    assert refused.status_code == 422
    assert 'value="사이트 B"' in refused.text and "https://example.org/" in refused.text
    assert 'id="max_depth-error"' in refused.text
    empty = client.post("/sources/new", data={"csrf_token": csrf, "type": "urls",
                                              "name": "빈 목록", "urls": ""})
    assert empty.status_code == 422 and 'id="urls-error"' in empty.text
    short = client.post("/sources/new", data={"csrf_token": csrf, "type": "urls",
                                              "name": "짧은 주기", "urls": "https://a.example/",
                                              "interval": "1"})
    assert short.status_code == 422 and 'id="interval-error"' in short.text


def test_roles_that_may_not_add_sources(client: TestClient, world: World) -> None:
    for key in ("counsellor_a", "investigator_a", "central_admin"):
        csrf = web_login(client, world.staff[key])
        assert client.get("/sources/new").status_code == 403, key
        assert client.post("/sources/new", data={
            "csrf_token": csrf, "type": "urls", "name": "x",
            "urls": "https://a.example/"}).status_code == 403, key


def test_archive_added_and_scanned_from_the_form(client: TestClient, world: World,
                                                runtime: Runtime) -> None:
    # under the import roots (JIKIMI_IMPORT_ROOTS; by default $JIKIMI_DATA_DIR/imports)
    folder = runtime.settings.resolved_data_dir / "imports" / "seized"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(7)
    for n in range(3):
        Image.fromarray(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(
            folder / f"photo{n}.png")
    csrf = web_login(client, world.staff["admin_a"])
    started = client.post("/sources/new", data={
        "csrf_token": csrf, "type": "archive", "name": "압수 폴더", "path": str(folder),
        "skip_non_media": "1", "then": "scan"}, follow_redirects=False)
    assert started.status_code == 303 and started.headers["location"].startswith("/scans/")
    scan_url = started.headers["location"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status = " ".join(client.get(scan_url + "/status?lang=en").text.split())
        if "Items 3" in status and "Pending 0" in status:
            break
        time.sleep(0.3)
    else:
        raise AssertionError(status)
    page = client.get(scan_url + "?lang=en")
    assert page.status_code == 200 and "photo0.png" in page.text


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def _png(seed: int) -> bytes:
    out = io.BytesIO()
    rng = np.random.default_rng(seed)
    Image.fromarray(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(out, "PNG")
    return out.getvalue()


def test_zip_uploaded_with_the_form_and_scanned(client: TestClient, world: World) -> None:
    csrf = web_login(client, world.staff["analyst_a"])
    started = client.post("/sources/new", data={
        "csrf_token": csrf, "type": "archive", "name": "압수 ZIP", "skip_non_media": "1",
        "then": "scan"}, files={"upload": ("seized.zip", _zip({
            "a/one.png": _png(1), "a/two.png": _png(2)}), "application/zip")},
        follow_redirects=False)
    assert started.status_code == 303, started.text
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status = " ".join(client.get(started.headers["location"] + "/status?lang=en")
                          .text.split())
        if "Items 2" in status and "Pending 0" in status:
            break
        time.sleep(0.3)
    else:
        raise AssertionError(status)


def test_refused_upload_is_shown_beside_its_field(client: TestClient, world: World,
                                                  runtime: Runtime) -> None:
    csrf = web_login(client, world.staff["analyst_a"])
    refused = client.post("/sources/new?lang=ko", data={
        "csrf_token": csrf, "type": "telegram", "name": "채널 내보내기"},
        files={"upload": ("export.zip", b"not a zip at all", "application/zip")})
    assert refused.status_code == 415 and 'id="upload-error"' in refused.text
    assert 'value="채널 내보내기"' in refused.text
    # a zipped Telegram Desktop export is unpacked into the import folder; when the source
    # itself is refused (a bad interval) the form keeps the stored path: no second upload
    export = (SHARED_DATA / "telegram-export" / "tcp-saved-messages" / "result.json").read_bytes()
    kept = client.post("/sources/new", data={
        "csrf_token": csrf, "type": "telegram", "name": "저장한 메시지", "interval": "1"},
        files={"upload": ("saved.zip", _zip({"export/result.json": export}),
                          "application/zip")})
    assert kept.status_code == 422 and 'id="interval-error"' in kept.text
    stored = re.search(r'id="path" name="path" maxlength="1000" value="([^"]+)"', kept.text)
    assert stored and stored.group(1).startswith(str(upload_root(runtime.settings)))
    added = client.post("/sources/new", data={
        "csrf_token": csrf, "type": "telegram", "name": "저장한 메시지",
        "path": stored.group(1)}, follow_redirects=False)
    assert added.status_code == 303
