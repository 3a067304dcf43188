"""The host's scan runner (issue 16): with ``jikimi worker`` running, a scan a serving door
starts is run by the worker (no new process); without it, by a process of its own; a killed
worker's scans are taken over; one runner per scan whichever door asks."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.conftest import World, auth
from tests.scans import test_scan_processes as processes
from tests.scans.conftest import Media
from tests.scans.test_scan_processes import (
    Gate,
    add_source,
    holder,
    scan_processes,
    wait_ended,
    wait_for,
)

from jikimi import scans
from jikimi.core.config import Settings
from jikimi.core.runtime import Runtime
from jikimi.scans import launcher
from jikimi.scans.models import SourceRecord
from jikimi.scans.runner import hand_to_runner, runner_socket_path

bank = processes.bank  # the fixtures of the scan process tests
copies = processes.copies
gate = processes.gate
no_scanning_here = processes.no_scanning_here


class Worker:
    """``jikimi worker`` with exactly the test's settings, its output in a file."""

    def __init__(self, settings: Settings, log: Path) -> None:
        self.log = log
        self.process = subprocess.Popen(
            [sys.executable, "-m", "jikimi.cli.app", "worker", "--poll-seconds", "600"],
            env=launcher.settings_environment(settings), stdin=subprocess.DEVNULL,
            stdout=log.open("wb"), stderr=subprocess.STDOUT)
        socket_path = runner_socket_path(settings)
        wait_for(lambda: socket_path.is_socket() or self.process.poll() is not None,
                 "the worker's scan runner did not start")
        assert self.process.poll() is None, self.output()

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        """What the worker printed, its whitespace normalised (its console wraps long lines
        at 80 columns when writing to a file)."""
        return " ".join(self.log.read_text(errors="replace").split())

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(30)


@pytest.fixture
def worker(settings: Settings, tmp_path: Path, runtime: Runtime) -> Iterator[Worker]:
    running = Worker(settings, tmp_path / "worker.log")
    yield running
    if running.process.poll() is None:
        running.process.terminate()
        try:
            running.process.wait(30)
        except subprocess.TimeoutExpired:
            running.kill()


def holder_pid(runtime: Runtime, scan_id: int) -> int | None:
    named = holder(runtime, scan_id)
    return int(named.rsplit(":", 2)[1]) if named else None


def test_a_scan_started_through_the_api_is_run_by_the_running_worker(
        client: TestClient, world: World, bank: None, copies: Path, runtime: Runtime,
        settings: Settings, worker: Worker, no_scanning_here: list[str], media: Media) -> None:
    socket_path = runner_socket_path(settings)
    assert oct(socket_path.stat().st_mode & 0o777) == "0o600"
    assert oct(socket_path.parent.stat().st_mode & 0o777) == "0o700"
    analyst = auth(world.staff["analyst_a"])
    source = add_source(client, analyst, "archive", {"path": str(copies)})
    started = client.post(f"/api/v1/sources/{source}/scans", headers=analyst)
    assert started.status_code == 202, started.text
    scan_id = started.json()["scan_id"]
    detail = wait_ended(client, scan_id, analyst)
    assert detail["summary"]["status"] == "done", (detail["summary"], worker.output())
    matched = {Path(i["locator"]).name for i in detail["items"] if i["matches"]}
    assert matched == set(media.copies)
    assert holder_pid(runtime, scan_id) == worker.pid  # the worker ran it...
    assert scan_id not in launcher.running_processes() and scan_processes(scan_id) == []
    assert not launcher.scan_log_path(settings, scan_id).exists()  # ...no process of its own
    assert no_scanning_here == []
    wait_for(lambda: "write transactions" in worker.output(), "the worker reported nothing")
    assert f"scan {scan_id}: run by the worker's scan runner" in worker.output()
    assert f"scan {scan_id}: {len(media.copies) + len(media.unrelated)} items, 3 matched" \
        in worker.output()
    # a second scan of another source: the same worker, again no process
    again = add_source(client, analyst, "archive", {"path": str(copies)})
    second = client.post(f"/api/v1/sources/{again}/scans", headers=analyst).json()["scan_id"]
    assert wait_ended(client, second, analyst)["summary"]["status"] == "done"
    assert holder_pid(runtime, second) == worker.pid and scan_processes(second) == []


def test_the_runner_claims_with_the_one_rule(
        client: TestClient, world: World, gate: Gate, runtime: Runtime, settings: Settings,
        worker: Worker, no_scanning_here: list[str]) -> None:
    analyst = auth(world.staff["analyst_a"])
    source = add_source(client, analyst, "urls", {"urls": gate.urls(2)})
    scan_id = client.post(f"/api/v1/sources/{source}/scans", headers=analyst).json()["scan_id"]
    assert gate.requested.wait(90), worker.output()
    assert holder_pid(runtime, scan_id) == worker.pid
    # asked again (another door, a second start): the runner holds it, nobody else claims it
    assert hand_to_runner(settings, scan_id) is False
    assert scans.claim_scan(runtime, scan_id) is None
    again = client.post(f"/api/v1/sources/{source}/scans", headers=analyst)
    assert again.status_code == 202 and again.json()["scan_id"] == scan_id
    assert scan_processes(scan_id) == [] and holder_pid(runtime, scan_id) == worker.pid
    gate.opened.set()
    detail = wait_ended(client, scan_id, analyst)
    assert detail["summary"]["status"] == "done" and detail["summary"]["items"] == 2
    # the worker prints a scan's summary just after the scan is marked done
    wait_for(lambda: f"scan {scan_id}: 2 items" in worker.output(), "no summary printed")
    assert worker.output().count(f"scan {scan_id}: 2 items") == 1
    assert hand_to_runner(settings, scan_id) is False  # ended: nothing to run
    assert no_scanning_here == []


def test_a_failing_scan_run_by_the_worker_ends_failed_with_its_reason(
        client: TestClient, world: World, runtime: Runtime, worker: Worker, tmp_path: Path
        ) -> None:
    analyst = auth(world.staff["analyst_a"])
    export = tmp_path / "export"
    export.mkdir()
    source = add_source(client, analyst, "telegram", {"path": str(export)})
    with runtime.sessions() as session, session.begin():  # a record the source now refuses
        record = session.get(SourceRecord, source)
        assert record is not None
        record.config = json.dumps({**json.loads(record.config), "timezone": "Mars/Olympus"})
    scan_id = client.post(f"/api/v1/sources/{source}/scans", headers=analyst).json()["scan_id"]
    ended = wait_ended(client, scan_id, analyst)["summary"]
    assert ended["status"] == "failed" and "Mars/Olympus" in ended["error"], ended
    assert holder_pid(runtime, scan_id) == worker.pid
    wait_for(lambda: f"scan {scan_id}: failed: " in worker.output(), "no failure printed")
    assert worker.process.poll() is None  # the runner goes on with the next scan


def test_without_a_worker_a_process_runs_it_and_a_killed_workers_scan_is_taken_over(
        client: TestClient, world: World, gate: Gate, runtime: Runtime, settings: Settings,
        worker: Worker) -> None:
    analyst = auth(world.staff["analyst_a"])
    source = add_source(client, analyst, "urls", {"urls": gate.urls(1)})
    scan_id = client.post(f"/api/v1/sources/{source}/scans", headers=analyst).json()["scan_id"]
    assert gate.requested.wait(90), worker.output()
    assert holder_pid(runtime, scan_id) == worker.pid
    worker.kill()  # its socket stays behind; its claim names a process that is gone
    assert runner_socket_path(settings).exists()
    assert hand_to_runner(settings, scan_id) is None  # nobody answers: no runner
    again = client.post(f"/api/v1/sources/{source}/scans", headers=analyst)
    assert again.status_code == 202 and again.json()["scan_id"] == scan_id
    # taken over at once (not after the claim lapsed), by a process of its own
    pid = wait_for(lambda: (p := holder_pid(runtime, scan_id)) not in (worker.pid, os.getpid())
                   and p, "the scan was not taken over")
    assert scan_processes(scan_id) == [pid]
    gate.opened.set()
    detail = wait_ended(client, scan_id, analyst)
    assert detail["summary"]["status"] == "done" and detail["summary"]["items"] == 1
    # the process prints its summary just after the scan is marked done
    log_path = launcher.scan_log_path(settings, scan_id)
    wait_for(lambda: f"scan {scan_id}: 1 items" in log_path.read_text(), "no summary printed")
