"""Scans end to end: a real HTTP site, archives and a Telegram export, through the CLI as an
analyst runs them; durable resume after SIGKILL, in-process and on Ray."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import text
from tests.conftest import SHARED_DATA
from tests.foundation.test_cli import jikimi
from tests.scans.conftest import Media, Site, encode, scene

from jikimi.core.database import make_engine


def add_source(env: dict[str, str], kind: str, *args: str) -> int:
    out = jikimi(env, "sources", "add", kind, "--name", f"test {kind}", *args,
                 "--format", "json")
    return int(json.loads(out.stdout)["id"])


def scan(env: dict[str, str], source_id: int, *extra: str) -> dict[str, int]:
    return json.loads(jikimi(env, "scan", str(source_id), "--format", "json", *extra).stdout)


def show(env: dict[str, str], scan_id: int) -> dict:  # type: ignore[type-arg]
    return json.loads(jikimi(env, "scans", "show", str(scan_id), "--format", "json").stdout)


def matched_names(detail: dict) -> set[str]:  # type: ignore[type-arg]
    return {Path(i["locator"].split("!")[-1]).name for i in detail["items"] if i["matches"]}


def test_web_page_scan_finds_exactly_the_copies(install: dict[str, str], site: Site,
                                                media: Media) -> None:
    source = add_source(install, "urls", "--url", site.url + "/gallery.html")
    result = scan(install, source)
    detail = show(install, result["scan_id"])
    assert matched_names(detail) == set(media.copies)
    errors = {Path(i["locator"]).name: i["error_code"] for i in detail["items"]
              if i["status"] == "error"}
    assert errors == {"fake.jpg": "unsupported_media", "missing.jpg": "http_status"}
    assert result == {"scan_id": result["scan_id"], "items": 9, "matched": 3, "errors": 2}
    page_context = detail["items"][0]["context"]
    assert any(site.url in str(v) for v in page_context.values())


def test_nested_zip_archive(install: dict[str, str], tmp_path: Path, media: Media) -> None:
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as z:
        z.writestr("deep/copy-mirrored.png", media.copies["copy-mirrored.png"])
        z.writestr("deep/other-101.jpg", media.unrelated["other-101.jpg"])
    outer = tmp_path / "seized.zip"
    with zipfile.ZipFile(outer, "w") as z:
        z.writestr("phone/DCIM/copy-recompressed.jpg", media.copies["copy-recompressed.jpg"])
        z.writestr("phone/inner.zip", inner.getvalue())
        z.writestr("phone/notes.txt", b"shopping list")
    source = add_source(install, "archive", "--path", str(outer))
    detail = show(install, scan(install, source)["scan_id"])
    assert matched_names(detail) == {"copy-mirrored.png", "copy-recompressed.jpg"}


def test_telegram_export(install: dict[str, str], tmp_path: Path, media: Media) -> None:
    exports = SHARED_DATA / "telegram-export"
    candidates = sorted(p for p in exports.rglob("result.json"))
    assert candidates, "the Telegram fixtures are missing"

    def photos(path: Path) -> list[str]:
        data = json.loads(path.read_text())
        chats = [data] if "messages" in data else data.get("chats", {}).get("list", [])
        return [m["photo"] for chat in chats for m in chat.get("messages", [])
                if isinstance(m.get("photo"), str) and not m["photo"].startswith("(")]

    chosen = next((c for c in candidates if photos(c)), None)
    assert chosen is not None, "no fixture export has an exported photo"
    export = tmp_path / "export"
    shutil.copytree(chosen.parent, export)
    photo_paths = photos(export / "result.json")
    first, *rest = photo_paths
    (export / first).parent.mkdir(parents=True, exist_ok=True)
    (export / first).write_bytes(media.copies["copy-smaller.jpg"])
    for n, rel in enumerate(rest):
        (export / rel).parent.mkdir(parents=True, exist_ok=True)
        (export / rel).write_bytes(encode(scene(500 + n)))
    source = add_source(install, "telegram", "--path", str(export))
    detail = show(install, scan(install, source)["scan_id"])
    hits = [i for i in detail["items"] if i["matches"]]
    assert len(hits) == 1 and hits[0]["locator"].endswith(Path(first).name)
    assert hits[0]["context"].get("message_id") is not None


def test_changed_item_becomes_new_version(install: dict[str, str], site: Site, media: Media,
                                          database_url: str) -> None:
    source = add_source(install, "urls", "--url", site.url + "/media/other-102.jpg")
    first = scan(install, source)
    assert first["matched"] == 0
    site.files["/media/other-102.jpg"] = ("image/jpeg", media.copies["copy-recompressed.jpg"])
    second = scan(install, source)
    assert second["matched"] == 1 and second["scan_id"] != first["scan_id"]
    if database_url.startswith("sqlite"):
        db = sqlite3.connect(database_url.split("///", 1)[1])
        assert db.execute("SELECT count(*) FROM items").fetchone()[0] == 1
        assert db.execute("SELECT count(*) FROM item_versions").fetchone()[0] == 2


ITEMS = 200


def _folder_of_media(path: Path, media: Media, n: int) -> None:
    path.mkdir()
    for k in range(n):
        if k % 10 == 0:
            name, data = list(media.copies.items())[(k // 10) % 3]
            (path / f"{k:03d}-{name}").write_bytes(data)
        else:
            (path / f"{k:03d}.jpg").write_bytes(encode(scene(1000 + k, (320, 240))))


def _outcome(env: dict[str, str], scan_id: int) -> list[tuple[str, str, list[int]]]:
    detail = show(env, scan_id)
    return sorted((Path(i["locator"]).name, i["status"],
                   sorted(m["entry_id"] for m in i["matches"])) for i in detail["items"])


@pytest.mark.parametrize("runner", [[], ["--ray", "local", "--ray-workers", "2"]],
                         ids=["local", "ray"])
def test_sigkill_and_resume_equals_uninterrupted(install: dict[str, str], tmp_path: Path,
                                                 media: Media, runner: list[str],
                                                 database_url: str) -> None:
    if runner and not database_url.startswith("sqlite"):
        pytest.skip("the Ray run is exercised once, on SQLite")
    folder = tmp_path / "seized"
    _folder_of_media(folder, media, ITEMS)
    source = add_source(install, "archive", "--path", str(folder))
    # A reference run on a second source over the same folder, uninterrupted.
    reference_source = add_source(install, "archive", "--path", str(folder))
    reference = scan(install, reference_source)
    expected = _outcome(install, reference["scan_id"])
    # The real run: SIGKILL once some items are done, then resume.
    proc = subprocess.Popen([sys.executable, "-m", "jikimi.cli.app", "scan", str(source),
                             "--format", "json", *runner], env={**os.environ, **install},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    deadline = time.monotonic() + 120
    killed = False
    engine = make_engine(database_url)
    count = text("SELECT count(*) FROM scan_items si JOIN scans s ON s.id = si.scan_id "
                 "WHERE s.source_id = :s AND si.status != 'pending'")
    while time.monotonic() < deadline and proc.poll() is None:
        with engine.connect() as conn:
            done = conn.execute(count, {"s": source}).scalar_one()
        if 10 <= done < ITEMS - 20:
            os.killpg(proc.pid, signal.SIGKILL)
            killed = True
            break
        time.sleep(0.02)
    engine.dispose()
    proc.wait(30)
    stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    assert killed, f"the scan ended (status {proc.returncode}) before it could be killed: {stderr}"
    listed = json.loads(jikimi(install, "scans", "list", "--format", "json").stdout)
    interrupted = next(s for s in listed if s["source_id"] == source)
    assert interrupted["status"] == "running" and interrupted["pending"] > 0
    resumed = scan(install, source, *runner)
    assert resumed["scan_id"] == interrupted["scan_id"]
    assert resumed["items"] == reference["items"] == ITEMS
    actual = _outcome(install, resumed["scan_id"])
    assert [(n, s, m) for n, s, m in actual] == expected
    assert resumed["matched"] == reference["matched"] == ITEMS // 10
