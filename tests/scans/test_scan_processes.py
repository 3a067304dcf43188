"""Scans started through the serving doors (API, staff web) run in a process of their own at a
lower CPU priority, never in the serving process (issue 16); one runner per scan whichever
door started it (API, web, ``jikimi scan``, ``jikimi worker``); a failed run ends the scan as
failed with its reason for staff."""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from tests.conftest import World, auth
from tests.foundation.test_cli import jikimi
from tests.scans.conftest import Media
from tests.webadmin.web_helpers import web_login

from jikimi import matching, scans
from jikimi.core.actors import cli_actor
from jikimi.core.config import Settings, load_settings
from jikimi.core.runtime import Runtime
from jikimi.hashing import fingerprint_bytes
from jikimi.scans import launcher
from jikimi.scans.models import Scan, ScanItem, SourceRecord
from jikimi.scans.service import CLAIM_SECONDS


# --- helpers ---------------------------------------------------------------------------------
def wait_for(what: Callable[[], Any], message: str, timeout: float = 90) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = what()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(message)


def summary(client: TestClient, scan_id: int, headers: dict[str, str]) -> dict[str, Any]:
    detail = client.get(f"/api/v1/scans/{scan_id}", headers=headers)
    assert detail.status_code == 200, detail.text
    return detail.json()  # type: ignore[no-any-return]


def wait_ended(client: TestClient, scan_id: int, headers: dict[str, str]) -> dict[str, Any]:
    def ended() -> dict[str, Any] | None:
        detail = summary(client, scan_id, headers)
        return None if detail["summary"]["status"] == "running" else detail

    return wait_for(ended, f"scan {scan_id} did not end")  # type: ignore[no-any-return]


def holder(runtime: Runtime, scan_id: int) -> str | None:
    with runtime.sessions() as session:
        return session.scalar(select(Scan.claimed_by).where(Scan.id == scan_id))


def holder_pid(runtime: Runtime, scan_id: int) -> int | None:
    """The process named by the scan's claim, once it is not this (the serving) process."""
    named = holder(runtime, scan_id)
    pid = int(named.split(":")[1]) if named else None
    return pid if pid != os.getpid() else None


def proc_stat(pid: int) -> list[str]:
    """Fields of /proc/<pid>/stat after the command name: [0] state, [1] parent, [16] nice."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def scan_processes(scan_id: int) -> list[int]:
    """Processes started by this process that run ``jikimi.scan_process <scan_id>``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
            stat = proc_stat(int(entry.name))
        except (OSError, IndexError):
            continue
        if b"jikimi.scan_process" in args and str(scan_id).encode() in args \
                and int(stat[1]) == os.getpid() and stat[0] != "Z":
            found.append(int(entry.name))
    return found


@pytest.fixture
def bank(runtime: Runtime, media: Media) -> None:
    with runtime.context(cli_actor("test")) as ctx:
        matching.create_bank(ctx, "victims")
        entries = []
        for data in media.registered:
            entries += matching.entries_for_fingerprints(fingerprint_bytes(
                data, with_variants=True))
        matching.add_entries(ctx, "victims", entries)


@pytest.fixture
def copies(tmp_path: Path, media: Media) -> Path:
    folder = tmp_path / "seized"  # under an import root of the tests' perimeter
    folder.mkdir()
    for name, data in {**media.copies, **media.unrelated}.items():
        (folder / name).write_bytes(data)
    return folder


class Gate:
    """A loopback site whose pictures are answered only once the test opens the gate: a scan
    of it stays running (in the middle of a fetch) for as long as the test needs."""

    def __init__(self, picture: bytes) -> None:
        self.opened = threading.Event()
        self.requested = threading.Event()
        gate = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                gate.requested.set()
                gate.opened.wait(120)
                self.send_response(200)
                self.send_header("Content-Type", "image/jpeg")
                self.send_header("Content-Length", str(len(picture)))
                self.end_headers()
                self.wfile.write(picture)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def urls(self, count: int) -> list[str]:
        port = self.server.server_address[1]
        return [f"http://127.0.0.1:{port}/picture-{n}.jpg" for n in range(count)]


@pytest.fixture
def gate(media: Media) -> Iterator[Gate]:
    served = Gate(next(iter(media.copies.values())))
    yield served
    served.opened.set()
    served.server.shutdown()
    served.server.server_close()


@pytest.fixture
def no_scanning_here(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Fail the test if this (the serving) process analyses a single scan item."""
    calls: list[str] = []

    def refuse(*args: object, **kwargs: object) -> Any:
        calls.append("analysed in the serving process")
        raise AssertionError("a scan item was analysed in the serving process")

    from jikimi.scans import analysis, service

    monkeypatch.setattr(service, "analyse_batch", refuse)
    monkeypatch.setattr(analysis, "analyse_item", refuse)
    return calls


def add_source(client: TestClient, headers: dict[str, str], kind: str,
               config: dict[str, Any]) -> int:
    created = client.post("/api/v1/sources", json={"type": kind, "name": "src",
                                                   "config": config}, headers=headers)
    assert created.status_code == 201, created.text
    return int(created.json()["id"])


# --- the settings the scan process gets ------------------------------------------------------
def test_the_scan_process_gets_exactly_the_settings_object(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(data_dir=tmp_path / "var", database_url="sqlite:////tmp/x.sqlite3",
                        secret_key_file=tmp_path / "keys" / "secrets.json", lang="en",
                        session_hours=3, decode_wait_seconds=2.5, fetch_allow_loopback=True,
                        secure_cookies=True, import_roots=f"{tmp_path}/a:{tmp_path}/b",
                        synthetic_media_model=None, trusted_proxies="10.0.0.1")
    config_file = tmp_path / "jikimi.env"
    config_file.write_text("JIKIMI_SYNTHETIC_MEDIA_MODEL=/nowhere/model.onnx\n"
                           "JIKIMI_SMTP_URL=smtp://user:pw@mail.invalid:25\n")
    inherited = {"JIKIMI_SMTP_URL": "smtp://a:b@elsewhere.invalid:25", "JIKIMI_LANG": "ko",
                 "JIKIMI_CONFIG_FILE": str(config_file), "jikimi_session_hours": "9",
                 "HOME": "/home/x", "JIKIMI_EVIDENCE_CHROMIUM": "/usr/bin/chromium"}
    env = launcher.settings_environment(settings, inherited)
    assert env["HOME"] == "/home/x" and env["JIKIMI_EVIDENCE_CHROMIUM"] == "/usr/bin/chromium"
    assert "jikimi_session_hours" not in env
    assert env["JIKIMI_SECRET_KEY_FILE"] == str(tmp_path / "keys" / "secrets.json")
    for key in [k for k in os.environ if k.upper().startswith("JIKIMI_")]:
        monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    loaded = load_settings()
    assert loaded.model_dump() == settings.model_dump()
    assert loaded.smtp_url is None and loaded.synthetic_media_model is None
    assert loaded.resolved_data_dir == settings.resolved_data_dir
    assert launcher.scan_command(7, "token")[-6:] == [
        "jikimi.scan_process", "7", "--claim", "token", "--nice", str(launcher.NICENESS)]


# --- one process of its own, at a lower priority ---------------------------------------------
def test_a_scan_started_through_the_api_runs_in_a_process_of_its_own(
        client: TestClient, world: World, bank: None, copies: Path, runtime: Runtime,
        no_scanning_here: list[str], media: Media) -> None:
    analyst = auth(world.staff["analyst_a"])
    source = add_source(client, analyst, "archive", {"path": str(copies)})
    started = client.post(f"/api/v1/sources/{source}/scans", headers=analyst)
    assert started.status_code == 202, started.text
    scan_id = started.json()["scan_id"]
    detail = wait_ended(client, scan_id, analyst)
    assert detail["summary"]["status"] == "done", detail["summary"]
    matched = {Path(i["locator"]).name for i in detail["items"] if i["matches"]}
    assert matched == set(media.copies)
    assert no_scanning_here == []
    named = holder(runtime, scan_id)
    assert named is not None
    host, pid, _started = named.rsplit(":", 2)
    assert host == socket.gethostname() and int(pid) != os.getpid()
    wait_for(lambda: scan_id not in launcher.running_processes(), "the process was not reaped")
    log = launcher.scan_log_path(runtime.settings, scan_id)
    assert oct(log.stat().st_mode & 0o777) == "0o600"
    text = log.read_text()
    assert f"scan {scan_id}: {len(media.copies) + len(media.unrelated)} items, 3 matched" \
        in text and "write transactions" in text


def test_a_second_start_runs_no_second_process_and_the_worker_leaves_it(
        client: TestClient, world: World, gate: Gate, runtime: Runtime, cli_env: dict[str, str],
        no_scanning_here: list[str]) -> None:
    analyst = auth(world.staff["analyst_a"])
    source = add_source(client, analyst, "urls", {"urls": gate.urls(2)})
    scan_id = client.post(f"/api/v1/sources/{source}/scans", headers=analyst).json()["scan_id"]
    pid = wait_for(lambda: holder_pid(runtime, scan_id), "the scan process never claimed it")
    assert gate.requested.wait(90), "the scan process never fetched"
    stat = proc_stat(pid)
    assert int(stat[1]) == os.getpid()  # started by the serving process; its heavy work at a
    # lower CPU priority, its main thread (the write transactions) at the serving one's
    assert int(stat[16]) == os.nice(0)
    threads = [proc_stat(int(t.name)) for t in Path(f"/proc/{pid}/task").iterdir()]
    assert max(int(t[16]) for t in threads) >= min(19, os.nice(0) + launcher.NICENESS)
    assert scan_processes(scan_id) == [pid]
    # again through the API, through the staff web, with `jikimi scan`, by the worker
    again = client.post(f"/api/v1/sources/{source}/scans", headers=analyst)
    assert again.status_code == 202 and again.json()["scan_id"] == scan_id
    csrf = web_login(client, world.staff["analyst_a"])
    web = client.post(f"/sources/{source}/scan", data={"csrf_token": csrf},
                      follow_redirects=False)
    assert web.status_code == 303 and web.headers["location"] == f"/scans/{scan_id}"
    busy = jikimi(cli_env, "scan", str(source), check=False)
    assert busy.returncode == 1 and "scan_busy" in busy.stdout + busy.stderr, busy
    worker = jikimi(cli_env, "worker", "--once")
    assert f"resumed scan {scan_id}" not in worker.stdout
    assert scan_processes(scan_id) == [pid] and holder_pid(runtime, scan_id) == pid
    gate.opened.set()
    detail = wait_ended(client, scan_id, analyst)
    assert detail["summary"]["status"] == "done" and detail["summary"]["items"] == 2
    wait_for(lambda: not scan_processes(scan_id), "the scan process did not end")
    log = launcher.scan_log_path(runtime.settings, scan_id).read_text()
    assert log.count(f"scan {scan_id}: 2 items") == 1, log
    assert no_scanning_here == []


# --- failures --------------------------------------------------------------------------------
def test_a_failing_scan_ends_failed_with_its_reason_for_staff(
        client: TestClient, world: World, runtime: Runtime, tmp_path: Path) -> None:
    analyst = auth(world.staff["analyst_a"])
    export = tmp_path / "export"
    export.mkdir()
    source = add_source(client, analyst, "telegram", {"path": str(export)})
    with runtime.sessions() as session, session.begin():  # a record the source now refuses
        record = session.get(SourceRecord, source)
        assert record is not None
        record.config = json.dumps({**json.loads(record.config), "timezone": "Mars/Olympus"})
    csrf = web_login(client, world.staff["analyst_a"])
    started = client.post(f"/sources/{source}/scan", data={"csrf_token": csrf},
                          follow_redirects=False)
    assert started.status_code == 303
    scan_id = int(started.headers["location"].rsplit("/", 1)[1])
    ended = wait_ended(client, scan_id, analyst)["summary"]
    assert ended["status"] == "failed" and ended["finished_at"]
    assert "Mars/Olympus" in ended["error"] and "time zone" in ended["error"]
    page = client.get(f"/scans/{scan_id}?lang=ko")
    assert "스캔이 중단된 이유" in page.text and "Mars/Olympus" in page.text
    assert "실패" in page.text and "hx-trigger" not in page.text  # no more polling
    log = launcher.scan_log_path(runtime.settings, scan_id)  # the traceback, for the operator,
    wait_for(lambda: "SourceConfigError" in log.read_text(), "no traceback")  # after the mark
    # a new start is a new scan (the failed one stays as it ended)
    again = client.post(f"/api/v1/sources/{source}/scans", headers=analyst).json()["scan_id"]
    assert again != scan_id
    wait_ended(client, again, analyst)


def test_a_killed_scan_process_ends_the_scan_failed(
        client: TestClient, world: World, gate: Gate, runtime: Runtime) -> None:
    analyst = auth(world.staff["analyst_a"])
    source = add_source(client, analyst, "urls", {"urls": gate.urls(1)})
    scan_id = client.post(f"/api/v1/sources/{source}/scans", headers=analyst).json()["scan_id"]
    pid = wait_for(lambda: holder_pid(runtime, scan_id), "the scan process never claimed it")
    assert gate.requested.wait(90)
    os.kill(pid, 9)
    ended = wait_ended(client, scan_id, analyst)["summary"]
    assert ended["status"] == "failed"
    assert "signal 9" in ended["error"] and f"scan-{scan_id}.log" in ended["error"]
    wait_for(lambda: not scan_processes(scan_id), "the killed process was not reaped")


# --- claims (the service) --------------------------------------------------------------------
def _running_scan(runtime: Runtime, world: World, tmp_path: Path) -> int:
    from jikimi import accounts

    folder = tmp_path / "empty"
    folder.mkdir(exist_ok=True)
    with runtime.context(cli_actor("test")) as ctx:
        analyst = accounts.get_user(ctx, world.staff["analyst_a"].id)
    with runtime.context(accounts.actor_for(analyst)) as ctx:
        source = scans.add_source(ctx, "archive", "x", {"path": str(folder)})
        return scans.start_scan(ctx, source.id)


def test_one_claim_at_a_time_and_when_it_lapses(runtime: Runtime, world: World,
                                                tmp_path: Path) -> None:
    scan_id = _running_scan(runtime, world, tmp_path)
    first = scans.claim_scan(runtime, scan_id)
    assert first is not None
    assert scans.claim_scan(runtime, scan_id) is None  # this process is alive
    assert scans.claim_scan(runtime, scan_id, holder="elsewhere:1:1") is None
    # a claim named by a process of this host that is gone: taken over at once
    with runtime.sessions() as session, session.begin():
        session.execute(update(Scan).where(Scan.id == scan_id).values(
            claimed_by=f"{socket.gethostname()}:{2**22 + 7}:1"))
    second = scans.claim_scan(runtime, scan_id, holder="elsewhere:2:2")
    assert second is not None and second != first
    assert not scans.renew_claim(runtime, scan_id, first)
    assert scans.claim_scan(runtime, scan_id) is None  # another host's process: it waits...
    with runtime.sessions() as session, session.begin():
        session.execute(update(Scan).where(Scan.id == scan_id).values(
            heartbeat_at=dt.datetime.now(dt.UTC) - dt.timedelta(
                seconds=CLAIM_SECONDS + 5)))
    third = scans.claim_scan(runtime, scan_id)  # ...until its claim lapses
    assert third is not None
    scans.release_claim(runtime, scan_id, third)
    assert scans.claim_scan(runtime, scan_id) is not None  # given up: resumable


def test_a_runner_whose_claim_was_taken_writes_nothing(
        runtime: Runtime, world: World, tmp_path: Path, media: Media) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    (folder / "a.jpg").write_bytes(next(iter(media.copies.values())))
    scan_id = _running_scan(runtime, world, tmp_path)
    claim = scans.claim_scan(runtime, scan_id)
    assert claim is not None
    scans.enumerate_scan(runtime, scan_id, claim=claim)
    with runtime.sessions() as session, session.begin():  # another runner took it over
        session.execute(update(Scan).where(Scan.id == scan_id).values(claim_token="other"))
    matcher = scans.load_matcher(runtime)
    with pytest.raises(scans.ScanClaimLost):
        scans.run_claimed_scan(runtime, matcher, scan_id, claim)
    with runtime.sessions() as session:
        statuses = list(session.scalars(select(ScanItem.status).where(
            ScanItem.scan_id == scan_id)))
        scan = session.get(Scan, scan_id)
        assert scan is not None and scan.status == "running" and scan.claim_token == "other"
    assert statuses == ["pending"]
