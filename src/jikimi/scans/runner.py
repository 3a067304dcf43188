"""One long-lived scan runner per host: ``jikimi worker`` runs the scans the serving doors start,
so that a scan does not pay a new process's imports and matcher load (issue 16).

The worker keeps jikimi imported and its matcher mapped from the index snapshot and followed
from the bank change log. A :class:`ScanRunner` listens on a unix socket,
``$JIKIMI_DATA_DIR/run/scans.sock`` (its folder 0700, the socket 0600: only this installation's
user, only this data directory). A door (:func:`jikimi.scans.launcher.launch_scan`) asks it to
take a started scan (:func:`hand_to_runner`); the runner claims the scan with the one rule
(:func:`jikimi.scans.service.claim_scan`, naming the worker's process) and answers whether it
took it. When no runner answers within :data:`HANDOFF_SECONDS` the door claims the scan itself
and starts a process for it, as before: whichever of the two claims first runs the scan, the
other gets nothing (a runner that answers late claims nothing the door claimed meanwhile).

The runner runs its scans one at a time on a thread ``NICENESS`` steps lower in CPU priority
(fetching, decoding, fingerprinting, matching); each write transaction is handed to a thread
at the worker's priority (:class:`jikimi.scan_process.WriteThread`), so that SQLite's write
lock is never held at the low priority. Scans waiting their turn keep their claims renewed. A
failed run ends its scan as failed with its reason; a killed worker's claims name a process
that is gone, and the next door or worker to claim its scans takes them over.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

from jikimi.core.config import Settings
from jikimi.core.runtime import Runtime
from jikimi.matching import Matcher
from jikimi.scan_process import WriteThread
from jikimi.scans import service
from jikimi.scans.write_timing import WriteTiming

NICENESS = 10
"""How much lower the CPU priority of the runner's heavy work is than the worker's."""
HANDOFF_SECONDS = 2.0
"""How long a door waits for the runner's answer before it starts a process of its own."""
MAX_REQUEST_BYTES = 256

log = logging.getLogger("jikimi.scans.runner")


def runner_socket_path(settings: Settings) -> Path:
    """Where this data directory's scan runner listens."""
    return settings.resolved_data_dir / "run" / "scans.sock"


def _ask(path: Path, request: dict[str, object], timeout: float) -> dict[str, object] | None:
    """One request to the runner at ``path`` and its answer; ``None`` when none came."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(str(path))
            sock.sendall(json.dumps(request).encode() + b"\n")
            with sock.makefile("rb") as answer:
                line = answer.readline(4096)
        reply = json.loads(line)
    except (OSError, ValueError):
        return None
    return reply if isinstance(reply, dict) else None


def hand_to_runner(settings: Settings, scan_id: int, timeout: float = HANDOFF_SECONDS
                   ) -> bool | None:
    """Ask this host's scan runner to take a started scan: True when it claimed it, False
    when it could not (the scan is no longer running, or another live runner holds it),
    ``None`` when no runner answered (the caller runs the scan another way)."""
    path = runner_socket_path(settings)
    if not path.is_socket():
        return None
    reply = _ask(path, {"scan_id": scan_id}, timeout)
    if reply is None or not isinstance(reply.get("taken"), bool):
        return None
    return bool(reply["taken"])


class ScanRunner:
    """The host's scan runner (``jikimi worker``): a socket the doors hand started scans to,
    a queue, one low-priority thread that runs them, one normal-priority thread for their
    write transactions, and the renewal of the waiting scans' claims."""

    def __init__(self, runtime: Runtime, matcher: Matcher, *, nice: int = NICENESS,
                 say: Callable[[str], None] | None = None) -> None:
        self.runtime = runtime
        self.matcher = matcher
        self.nice = nice
        self.path = runner_socket_path(runtime.settings)
        self._say = say or (lambda line: print(line, flush=True))
        self._queue: queue.Queue[tuple[int, str] | None] = queue.Queue()
        self._waiting: dict[int, str] = {}  # scan id -> claim, claimed and not yet begun
        self._current: int | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._writes = WriteThread()
        self._server: socket.socket | None = None
        self._threads: list[threading.Thread] = []
        self._write_thread: threading.Thread | None = None

    # --- taking scans ----------------------------------------------------------------------
    def take(self, scan_id: int) -> bool:
        """Claim a running scan for this runner and queue it; False when it is not running
        or another live runner holds it (the one rule: :func:`service.claim_scan`)."""
        with self._lock:
            if scan_id in self._waiting or scan_id == self._current:
                return False  # already this runner's
        claim = service.claim_scan(self.runtime, scan_id)
        if claim is None:
            return False
        with self._lock:
            self._waiting[scan_id] = claim
        self._queue.put((scan_id, claim))
        return True

    def busy(self) -> bool:
        """Whether a scan is running or waiting."""
        with self._lock:
            return self._current is not None or bool(self._waiting)

    # --- life ------------------------------------------------------------------------------
    def start(self) -> bool:
        """Listen and start the threads; False (nothing started) when another runner already
        answers on this data directory's socket."""
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.path.parent, 0o700)
        if self.path.exists():
            if _ask(self.path, {"ping": True}, 1.0) is not None:
                return False  # a live runner serves this data directory
            self.path.unlink()  # left by a runner that is gone
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        umask = os.umask(0o177)
        try:
            server.bind(str(self.path))
        finally:
            os.umask(umask)
        os.chmod(self.path, 0o600)
        server.listen(16)
        server.settimeout(0.5)
        self._server = server
        self._write_thread = threading.Thread(target=self._writes.serve,
                                              name="scan-runner-writes", daemon=True)
        self._write_thread.start()
        for target, name in ((self._accept, "scan-runner-socket"),
                             (self._run, "scan-runner"), (self._renew, "scan-runner-claims")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        return True

    def stop(self, timeout: float = 5.0) -> None:
        """Stop listening and give up the claims of the scans still waiting (they stay
        resumable); a scan being run is left to end with this process (its claim then names
        a process that is gone: the next runner takes it over)."""
        self._stop.set()
        self._queue.put(None)
        if self._server is not None:
            self._server.close()
            self._server = None
            try:
                self.path.unlink()
            except OSError:
                pass
        for thread in self._threads:
            thread.join(timeout)
        with self._lock:
            waiting, self._waiting = dict(self._waiting), {}
        for scan_id, claim in waiting.items():
            try:
                service.release_claim(self.runtime, scan_id, claim)
            except Exception:
                log.exception("scan %d: the claim could not be given up", scan_id)
        self._writes.close()

    # --- threads ---------------------------------------------------------------------------
    def _accept(self) -> None:
        while not self._stop.is_set():
            server = self._server
            if server is None:
                return
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return  # closed
            threading.Thread(target=self._answer, args=(connection,),
                             name="scan-runner-request", daemon=True).start()

    def _answer(self, connection: socket.socket) -> None:
        with connection:
            try:
                connection.settimeout(5.0)
                with connection.makefile("rb") as reader:
                    request = json.loads(reader.readline(MAX_REQUEST_BYTES) or b"null")
                reply: dict[str, object]
                if isinstance(request, dict) and request.get("ping"):
                    reply = {"runner": os.getpid()}
                elif isinstance(request, dict) and isinstance(request.get("scan_id"), int) \
                        and not isinstance(request["scan_id"], bool):
                    reply = {"taken": self.take(request["scan_id"])}
                else:
                    reply = {"error": "expected {\"scan_id\": N}"}
            except Exception as exc:  # the door starts a process of its own
                log.exception("a scan hand-off failed")
                reply = {"error": type(exc).__name__}
            try:
                connection.sendall(json.dumps(reply).encode() + b"\n")
            except OSError:
                pass  # the door gave up waiting; whoever claimed first runs the scan

    def _run(self) -> None:
        if self.nice:
            os.nice(self.nice)  # this thread only (Linux): the heavy work
        while (job := self._queue.get()) is not None:
            scan_id, claim = job
            with self._lock:
                if self._waiting.pop(scan_id, None) != claim:
                    continue  # its claim was lost while it waited
                self._current = scan_id
            try:
                self._run_one(scan_id, claim)
            finally:
                with self._lock:
                    self._current = None

    def _run_one(self, scan_id: int, claim: str) -> None:
        assert self._write_thread is not None
        timing = WriteTiming.attach(self.runtime.engine, thread=self._write_thread.ident)
        began = time.perf_counter()
        self._say(f"scan {scan_id}: run by the worker's scan runner (process {os.getpid()}, "
                  f"heavy work at niceness {os.nice(0)})")
        try:
            result = service.run_claimed_scan(self.runtime, self.matcher, scan_id, claim,
                                              run_write=self._writes)
        except service.ScanClaimLost as exc:
            self._say(f"scan {scan_id}: {exc.message}")
            return
        except Exception as exc:  # run_claimed_scan ended the scan failed with the reason
            log.exception("scan %d failed", scan_id)
            self._say(f"scan {scan_id}: failed: {service.failure_reason(exc)}")
            return
        finally:
            timing.detach()
        self._say(f"scan {scan_id}: {result.items} items, {result.matched} matched, "
                  f"{result.errors} errors in {time.perf_counter() - began:.1f} s; "
                  f"{timing.describe()}")

    def _renew(self) -> None:
        while not self._stop.wait(service.HEARTBEAT_SECONDS):
            with self._lock:
                waiting = dict(self._waiting)
            for scan_id, claim in waiting.items():
                try:
                    kept = service.renew_claim(self.runtime, scan_id, claim)
                except Exception:  # a database hiccup: the next round renews it
                    log.warning("scan %d: the claim could not be renewed", scan_id,
                                exc_info=True)
                    continue
                if not kept:
                    with self._lock:
                        if self._waiting.get(scan_id) == claim:
                            del self._waiting[scan_id]
