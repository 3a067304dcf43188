"""How a scan started through a serving door (the API, the staff web) runs: by this host's scan
runner (``jikimi worker``: :mod:`jikimi.scans.runner`) when it answers, else in a process of its
own; at a lower CPU priority either way, never inside the serving process.

Fetching, decoding and fingerprinting hold the GIL for tens of milliseconds at a time, and a
serving process answers lookups and staff pages on its event loop: a scan on one of its threads
made every request wait behind it (issue 16). :func:`launch_scan` is the one rule the doors
call after the request's transaction commits: it hands the scan to the host's runner (which
claims it), or, when no runner answers within a moment, claims the scan (so a second start, or
``jikimi worker``, never runs it twice) and starts ``python -m jikimi.scan_process SCAN --claim
TOKEN --nice 10`` (its heavy work at a lower CPU priority, its write transactions at this
one's), with exactly this process's settings (as ``JIKIMI_*`` variables made from the
:class:`Settings` object, no settings file), its output appended to
``$JIKIMI_DATA_DIR/logs/scan-<id>.log``. A thread of the serving process waits for it (no
zombie) and, if it ended without recording its outcome (killed, crashed), ends the scan as
failed with the exit status.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
from pathlib import Path

from pydantic import BaseModel

import jikimi
from jikimi.core.config import Settings
from jikimi.core.runtime import Runtime
from jikimi.scans import service

NICENESS = 10
"""How much lower the CPU priority of a scan process's heavy work is than the serving
process's: under contention it gets about a tenth of a normal task's share (CFS weights 110
against 1024)."""

log = logging.getLogger("jikimi.scans.launcher")
_running: dict[int, subprocess.Popen[bytes]] = {}
_running_lock = threading.Lock()


def settings_environment(settings: Settings, base: dict[str, str] | None = None
                         ) -> dict[str, str]:
    """An environment whose :func:`jikimi.core.config.load_settings` gives ``settings``
    exactly: every setting of the object as its ``JIKIMI_*`` variable (the key file as its
    path), inherited ones removed, no settings file; other variables of ``base`` (by default
    this process's environment) kept."""
    names = {f"JIKIMI_{name.upper()}": name for name in Settings.model_fields}
    env = {key: value for key, value in (os.environ if base is None else base).items()
           if key.upper() not in names and key.upper() != "JIKIMI_CONFIG_FILE"}
    env["JIKIMI_CONFIG_FILE"] = os.devnull  # the object is the whole configuration
    for variable, name in names.items():
        value = getattr(settings, name)
        if value is None:
            continue  # unset: the field's default is None too
        if isinstance(value, bool):
            env[variable] = "true" if value else "false"
        elif isinstance(value, BaseModel):
            env[variable] = value.model_dump_json()
        elif isinstance(value, dict | list):
            env[variable] = json.dumps(value)
        else:
            env[variable] = str(value)
    env["JIKIMI_DATA_DIR"] = str(settings.resolved_data_dir)  # not relative to a cwd
    package_root = str(Path(jikimi.__file__).resolve().parents[1])
    paths = [package_root] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep)
                              if p and p != package_root]
    env["PYTHONPATH"] = os.pathsep.join(paths)  # the same jikimi as this process
    return env


def scan_command(scan_id: int, claim: str) -> list[str]:
    """The command that runs a claimed scan (:mod:`jikimi.scan_process`)."""
    return [sys.executable, "-m", "jikimi.scan_process", str(scan_id), "--claim", claim,
            "--nice", str(NICENESS)]


def scan_log_path(settings: Settings, scan_id: int) -> Path:
    """Where a launched scan's output goes: ``$JIKIMI_DATA_DIR/logs/scan-<id>.log``."""
    return settings.resolved_data_dir / "logs" / f"scan-{scan_id}.log"


def launch_scan(runtime: Runtime, scan_id: int) -> bool:
    """Run a started scan to its end outside this process (call it after the transaction
    that started the scan committed): by the host's scan runner when it answers, else in a
    process started here. Returns False, starting nothing, when a live runner already holds
    the scan or it is no longer running."""
    from jikimi.scans.runner import hand_to_runner

    taken = hand_to_runner(runtime.settings, scan_id)
    if taken is not None:
        return taken
    claim = service.claim_scan(runtime, scan_id)
    if claim is None:
        return False
    path = scan_log_path(runtime.settings, scan_id)
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
                scan_command(scan_id, claim), env=settings_environment(runtime.settings),
                stdin=subprocess.DEVNULL, stdout=fd, stderr=subprocess.STDOUT, close_fds=True)
        finally:
            os.close(fd)
    except OSError as exc:
        service.fail_scan(runtime, scan_id, f"the scan process could not be started: {exc}",
                          claim=claim)
        log.exception("scan %d: the scan process could not be started", scan_id)
        return False
    with _running_lock:
        _running[scan_id] = process
    threading.Thread(target=_wait, args=(runtime, scan_id, claim, process, path),
                     name=f"scan-{scan_id}-wait", daemon=True).start()
    return True


def _wait(runtime: Runtime, scan_id: int, claim: str, process: subprocess.Popen[bytes],
          path: Path) -> None:
    """Reap the scan process; if it ended without recording its outcome, the scan fails."""
    code = process.wait()
    try:
        if code != 0:
            how = f"was stopped by signal {-code}" if code < 0 else f"exited with status {code}"
            if service.fail_scan(runtime, scan_id, f"the scan process {how} (its log: "
                                 f"logs/{path.name} in the data directory)", claim=claim):
                log.warning("scan %d: the scan process %s", scan_id, how)
    except Exception:  # the database may be gone (a stopped installation)
        log.exception("scan %d: the end of its process could not be recorded", scan_id)
    finally:
        with _running_lock:
            if _running.get(scan_id) is process:
                del _running[scan_id]


def running_processes() -> dict[int, int]:
    """The scan processes this process started that are still running: scan id -> pid."""
    with _running_lock:
        return {scan_id: p.pid for scan_id, p in _running.items() if p.poll() is None}


def wait_for_launched(timeout: float) -> bool:
    """Wait until every scan process this process started has ended (a stopping server,
    tests); False if some still run after ``timeout`` seconds."""
    with _running_lock:
        processes = list(_running.values())
    for process in processes:
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            return False
    return True
