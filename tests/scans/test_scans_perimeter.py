"""The perimeter through the product's doors: URL sources that lead to loopback or private
addresses, archive and Telegram sources outside the import roots (API and CLI, when added and
when scanned), and uploads of ZIPs and zipped Telegram exports into the import area."""

from __future__ import annotations

import io
import json
import os
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.conftest import SHARED_DATA, World, auth
from tests.foundation.test_cli import jikimi
from tests.scans.conftest import Media, Site

from jikimi.core import perimeter
from jikimi.core.audit import AuditEntry
from jikimi.core.config import Settings
from jikimi.core.runtime import Runtime


@pytest.fixture
def strict(tmp_path: Path, database_url: str, runtime: Runtime,
           monkeypatch: pytest.MonkeyPatch) -> Iterator[Runtime]:
    """The same installation as ``runtime`` with the perimeter's defaults: no loopback, and
    only ``$JIKIMI_DATA_DIR/imports`` as import root."""
    monkeypatch.setenv("JIKIMI_FETCH_ALLOW_LOOPBACK", "false")
    monkeypatch.delenv("JIKIMI_IMPORT_ROOTS")
    settings = Settings(data_dir=tmp_path / "var", database_url=database_url,
                        fetch_allow_loopback=False, import_roots=None,
                        max_upload_bytes=3_000_000)
    rt = Runtime.open(settings)
    yield rt
    rt.close()


@pytest.fixture
def api(strict: Runtime) -> Iterator[TestClient]:
    from jikimi.api.app import create_app

    with TestClient(create_app(runtime=strict), base_url="http://testserver") as c:
        yield c


@pytest.fixture
def imports(strict: Runtime) -> Path:
    root = strict.settings.resolved_data_dir / "imports"
    root.mkdir(parents=True, exist_ok=True)
    return root


def add(client: TestClient, member: Any, kind: str, config: dict[str, Any],
        lang: str = "en") -> Any:
    return client.post("/api/v1/sources", json={"type": kind, "name": "src", "config": config},
                       headers=auth(member, lang))


def scan_items(client: TestClient, member: Any, source_id: int) -> list[dict[str, Any]]:
    headers = auth(member)
    started = client.post(f"/api/v1/sources/{source_id}/scans", headers=headers)
    assert started.status_code == 202, started.text
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        detail = client.get(f"/api/v1/scans/{started.json()['scan_id']}", headers=headers).json()
        if detail["summary"]["status"] == "done":
            return detail["items"]  # type: ignore[no-any-return]
        time.sleep(0.2)
    raise AssertionError("scan did not finish")


def scan_items_here(client: TestClient, rt: Runtime, member: Any,
                    source_id: int) -> list[dict[str, Any]]:
    """Run a scan of the source in this process, where a test's fake DNS answers (a scan
    started through the API runs in a process of its own), with the service that process
    runs; its items read through the API."""
    from jikimi import accounts, scans
    from jikimi.core.actors import cli_actor

    with rt.context(cli_actor("test")) as ctx:
        user = accounts.get_user(ctx, member.id)
    result = scans.run_scan(rt, accounts.actor_for(user), scans.load_matcher(rt), source_id)
    detail = client.get(f"/api/v1/scans/{result.scan_id}", headers=auth(member)).json()
    return detail["items"]  # type: ignore[no-any-return]


def fake_dns(monkeypatch: pytest.MonkeyPatch, names: dict[str, str]) -> None:
    real = perimeter.system_resolver

    def resolve(host: str, port: int) -> list[str]:
        return [names[host]] if host in names else real(host, port)

    monkeypatch.setattr(perimeter, "system_resolver", resolve)


# --- fetching --------------------------------------------------------------------------------
@pytest.mark.parametrize("url", ["http://127.0.0.1:{port}/gallery.html",
                                 "http://localhost:{port}/gallery.html",
                                 "http://[::1]:{port}/gallery.html",
                                 "http://10.0.0.1/a.jpg", "http://169.254.169.254/latest/"])
def test_urls_source_at_a_refused_address_is_refused_when_added(
        api: TestClient, world: World, site: Site, url: str) -> None:
    port = site.url.rsplit(":", 1)[1]
    refused = add(api, world.staff["analyst_a"], "urls", {"urls": [url.format(port=port)]})
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["code"] == "blocked_address"
    korean = add(api, world.staff["analyst_a"], "urls", {"urls": [url.format(port=port)]}, "ko")
    assert "주소" in korean.json()["error"]["message"]


def test_reported_url_at_a_refused_address_is_refused(api: TestClient, world: World,
                                                     site: Site) -> None:
    for url in (site.url + "/media/copy-smaller.jpg", "http://169.254.169.254/latest/"):
        refused = api.post("/api/v1/reports", json={"url": url, "scan": False},
                           headers=auth(world.staff["analyst_a"]))
        assert refused.status_code == 422, refused.text
        assert refused.json()["error"]["code"] == "blocked_address"


def test_host_name_resolving_to_loopback_is_refused_at_connect_time(
        api: TestClient, world: World, site: Site, strict: Runtime,
        monkeypatch: pytest.MonkeyPatch) -> None:
    port = site.url.rsplit(":", 1)[1]
    fake_dns(monkeypatch, {"gallery.test": "127.0.0.1", "intranet.test": "10.20.30.40"})
    analyst = world.staff["analyst_a"]
    created = add(api, analyst, "urls", {"urls": [f"http://gallery.test:{port}/gallery.html",
                                                  "http://intranet.test/x.jpg"]})
    assert created.status_code == 201, created.text
    items = scan_items_here(api, strict, analyst, created.json()["id"])
    assert [(i["status"], i["error_code"]) for i in items] == [
        ("error", "blocked_address"), ("error", "blocked_address")]
    assert "127.0.0.1" in items[0]["error_reason"] and "10.20.30.40" in items[1]["error_reason"]


def test_with_the_flag_loopback_is_fetched_but_private_addresses_are_not(
        client: TestClient, world: World, site: Site, media: Media, runtime: Runtime,
        monkeypatch: pytest.MonkeyPatch) -> None:
    analyst = world.staff["analyst_a"]
    for url in ("http://10.0.0.1/a.jpg", "http://169.254.169.254/latest/meta-data/",
                "http://[fd00:ec2::254]/"):
        assert add(client, analyst, "urls", {"urls": [url]}).status_code == 422
    fake_dns(monkeypatch, {"intranet.test": "192.168.1.20"})
    created = add(client, analyst, "urls", {"urls": [site.url + "/gallery.html",
                                                     "http://intranet.test/x.jpg"]})
    items = scan_items_here(client, runtime, analyst, created.json()["id"])
    fetched = {i["locator"].rsplit("/", 1)[-1] for i in items if i["status"] == "done"}
    assert set(media.copies) <= fetched
    assert [i["error_code"] for i in items if "intranet" in i["locator"]] == ["blocked_address"]


def test_a_source_cannot_switch_the_address_rule_off(api: TestClient, world: World) -> None:
    refused = add(api, world.staff["analyst_a"], "urls", {
        "urls": ["https://example.org/"], "http": {"allow_private_networks": True}})
    assert refused.status_code == 422 and "installation" in refused.text


# --- local paths -----------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["archive", "telegram"])
def test_paths_outside_the_import_roots_are_refused_through_the_api(
        api: TestClient, world: World, strict: Runtime, imports: Path, tmp_path: Path,
        kind: str) -> None:
    analyst = world.staff["analyst_a"]
    escape = imports / "escape"
    escape.symlink_to("/etc")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    for path in ("/etc", str(strict.settings.resolved_data_dir), str(escape),
                 str(escape / "passwd"), f"{imports}/../secrets.json", str(outside),
                 str(imports / f"centre-{world.centre_b}" / "x")):
        refused = add(api, analyst, kind, {"path": path})
        assert refused.status_code == 422, (path, refused.text)
        assert refused.json()["error"]["code"] == "path_outside_import_roots", path
    assert add(api, analyst, kind, {"path": str(imports)}).status_code == 422  # all centres
    korean = add(api, analyst, kind, {"path": "/etc"}, "ko")
    assert "가져오기" in korean.json()["error"]["message"]
    mine = imports / f"centre-{world.centre_a}" / "seized"
    mine.mkdir(parents=True)
    assert add(api, analyst, kind, {"path": str(mine)}).status_code == 201


def test_cli_refuses_paths_outside_the_import_roots(
        cli_env: dict[str, str], world: World, tmp_path: Path) -> None:
    roots = tmp_path / "imports"
    (roots / "case-1").mkdir(parents=True)
    env = {**cli_env, "JIKIMI_IMPORT_ROOTS": str(roots)}
    for kind, path in (("archive", "/etc"), ("archive", str(tmp_path / "var")),
                       ("telegram", str(SHARED_DATA / "telegram-export"))):
        out = jikimi(env, "sources", "add", kind, "--name", "x", "--path", path, check=False)
        assert out.returncode != 0 and "JIKIMI_IMPORT_ROOTS" in out.stdout + out.stderr, out
    ok = jikimi(env, "sources", "add", "archive", "--name", "x", "--path",
                str(roots / "case-1"), "--format", "json")
    assert json.loads(ok.stdout)["id"] >= 1


def test_a_source_whose_folder_leaves_the_roots_is_refused_when_scanned(
        api: TestClient, world: World, imports: Path, tmp_path: Path, media: Media) -> None:
    analyst = world.staff["analyst_a"]
    folder = imports / f"centre-{world.centre_a}" / "seized"
    folder.mkdir(parents=True)
    (folder / "copy.jpg").write_bytes(next(iter(media.copies.values())))
    created = add(api, analyst, "archive", {"path": str(folder)})
    assert created.status_code == 201
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "private.jpg").write_bytes(next(iter(media.unrelated.values())))
    (folder / "copy.jpg").unlink()
    folder.rmdir()
    folder.symlink_to(outside)  # the folder is now a link out of the import root
    items = scan_items(api, analyst, created.json()["id"])
    assert [(i["status"], i["error_code"]) for i in items] == [
        ("error", "path_outside_import_roots")]


# --- uploads ---------------------------------------------------------------------------------
def zip_of(files: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buf.getvalue()


def upload(client: TestClient, member: Any, body: bytes, kind: str = "archive",
           filename: str = "seized.zip") -> Any:
    return client.post(f"/api/v1/sources/uploads?kind={kind}&filename={filename}",
                       content=body, headers={**auth(member), "Content-Type": "application/zip"})


def test_upload_a_zip_then_scan_it(api: TestClient, world: World, strict: Runtime,
                                   media: Media) -> None:
    analyst = world.staff["analyst_a"]
    body = zip_of({f"DCIM/{n}": d for n, d in media.copies.items()})
    done = upload(api, analyst, body, filename="../../phone dump.zip")
    assert done.status_code == 201, done.text
    out = done.json()
    path = Path(out["path"])
    imports = strict.settings.resolved_data_dir / "imports"
    assert path.parent.parent == imports / f"centre-{world.centre_a}"
    assert path.name == "phone_dump.zip" and path.read_bytes() == body
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert (out["size"], out["entries"], out["kind"]) == (len(body), len(media.copies),
                                                          "archive")
    created = add(api, analyst, "archive", out["source_config"])
    assert created.status_code == 201, created.text
    items = scan_items(api, analyst, created.json()["id"])
    assert sorted(i["locator"].rsplit("!", 1)[-1] for i in items) == sorted(
        f"DCIM/{n}" for n in media.copies)
    # the other centre may not read it
    other = add(api, world.staff["analyst_b"], "archive", {"path": out["path"]})
    assert other.status_code == 422
    with strict.sessions() as session:
        entry = session.query(AuditEntry).filter(AuditEntry.action == "source.upload").one()
        assert entry.centre_id == world.centre_a and entry.record_id == out["id"]


def test_upload_a_zipped_telegram_export(api: TestClient, world: World) -> None:
    export = SHARED_DATA / "telegram-export" / "tg2md-private-channel"
    files = {f"ChatExport/{p.relative_to(export)}": p.read_bytes()
             for p in sorted(export.rglob("*")) if p.is_file()}
    analyst = world.staff["analyst_a"]
    done = upload(api, analyst, zip_of(files), kind="telegram", filename="chat.zip")
    assert done.status_code == 201, done.text
    path = Path(done.json()["path"])
    assert path.name == "ChatExport" and (path / "result.json").is_file()
    created = add(api, analyst, "telegram", done.json()["source_config"])
    assert created.status_code == 201, created.text
    not_an_export = upload(api, analyst, zip_of({"a.txt": b"hi"}), kind="telegram")
    assert not_an_export.status_code == 422
    assert not_an_export.json()["error"]["code"] == "not_a_telegram_export"


def test_upload_as_multipart_form(api: TestClient, world: World, media: Media) -> None:
    body = zip_of({"a.jpg": next(iter(media.copies.values()))})
    done = api.post("/api/v1/sources/uploads", files={"file": ("a.zip", body)},
                    data={"kind": "archive"}, headers=auth(world.staff["admin_a"]))
    assert done.status_code == 201, done.text
    assert Path(done.json()["path"]).read_bytes() == body


def _bomb() -> bytes:
    return zip_of({"zeros.bin": b"\0" * (8 * 1024 * 1024)})


def _traversal() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("ok.jpg", b"x")
        z.writestr(zipfile.ZipInfo("../../../../tmp/evil.sh"), b"#!/bin/sh\n")
    return buf.getvalue()


def _link() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        info = zipfile.ZipInfo("passwd")
        info.external_attr = (0o120777 << 16)
        z.writestr(info, "/etc/passwd")
    return buf.getvalue()


@pytest.mark.parametrize(("body", "kind", "status", "code"), [
    (_traversal(), "archive", 422, "path_traversal"),
    (_traversal(), "telegram", 422, "path_traversal"),
    (_link(), "archive", 422, "symlink"),
    (_bomb(), "archive", 422, "zip_bomb"),
    (_bomb(), "telegram", 422, "zip_bomb"),
    (zip_of({f"f{i}.jpg": b"x" for i in range(20)})[:-40], "archive", 422, "corrupt_archive"),
    (b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "archive", 415, "not_a_zip"),
    (b"", "archive", 422, "empty_zip"),
    (zip_of({"a.jpg": b"x"}), "pictures", 422, "bad_upload_kind"),
], ids=["traversal", "traversal-export", "symlink", "bomb", "bomb-export", "truncated",
        "png", "empty", "unknown-kind"])
def test_bad_uploads_get_a_clear_4xx_and_leave_nothing(
        api: TestClient, world: World, imports: Path, body: bytes, kind: str, status: int,
        code: str) -> None:
    refused = upload(api, world.staff["analyst_a"], body, kind=kind)
    assert refused.status_code == status, refused.text
    assert refused.json()["error"]["code"] == code
    assert not [p for p in imports.rglob("*") if p.is_file()]
    assert not Path("/tmp/evil.sh").exists() or os.path.getsize("/tmp/evil.sh") != 10


def test_oversized_and_unauthorised_uploads(api: TestClient, world: World) -> None:
    big = zip_of({"big.bin": os.urandom(3_100_000)}, zipfile.ZIP_STORED)
    assert upload(api, world.staff["analyst_a"], big).status_code == 413
    chunks = (big[i:i + 65536] for i in range(0, len(big), 65536))  # no Content-Length
    streamed = api.post("/api/v1/sources/uploads", content=chunks,
                        headers=auth(world.staff["analyst_a"]))
    assert streamed.status_code == 413
    small = zip_of({"a.jpg": b"x"})
    assert upload(api, world.staff["counsellor_a"], small).status_code == 403
    assert api.post("/api/v1/sources/uploads", content=small).status_code == 401


def test_preview_reads_local_files_only_under_the_import_roots(
        api: TestClient, world: World, strict: Runtime, imports: Path, tmp_path: Path,
        media: Media) -> None:
    from jikimi import matching
    from jikimi.core.actors import cli_actor
    from jikimi.hashing import fingerprint_bytes

    with strict.context(cli_actor("test")) as ctx:
        matching.create_bank(ctx, "victims")
        for data in media.registered:
            matching.add_entries(ctx, "victims", matching.entries_for_fingerprints(
                fingerprint_bytes(data, with_variants=True)))
    analyst = world.staff["analyst_a"]
    folder = imports / f"centre-{world.centre_a}" / "seized"
    folder.mkdir(parents=True)
    (folder / "copy.png").write_bytes(media.copies["copy-mirrored.png"])
    created = add(api, analyst, "archive", {"path": str(folder)})
    assert created.status_code == 201, created.text
    items = scan_items(api, analyst, created.json()["id"])
    match_id = items[0]["matches"][0]["match_id"]
    preview = f"/api/v1/review/{match_id}/preview"
    assert api.get(preview, headers=auth(analyst)).status_code == 200
    outside = tmp_path / "outside"
    folder.rename(outside)
    folder.symlink_to(outside)  # same file, now reached through a link out of the root
    refused = api.get(preview, headers=auth(analyst))
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["code"] == "path_outside_import_roots"
