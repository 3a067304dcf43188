"""The process that runs one scan a serving door started: ``python -m jikimi.scan_process
SCAN_ID --claim TOKEN --nice 10`` (what ``jikimi scans run-started`` runs too).

Two CPU priorities in one process. A thread at a lower priority (``--nice``) does all the heavy
work: importing jikimi, loading the matcher, fetching, decoding, fingerprinting, matching.
Each write transaction it hands to the main thread, which stays at the serving processes'
priority, and waits for it. On SQLite a transaction holds the database's one write lock: run
at a low priority under load, a batch's few milliseconds of work stretched to seconds while
the serving processes waited for the lock (a priority inversion, measured in
docs/benchmarks.md). Nothing runs beside a write transaction (the heavy thread waits), so it
does not wait for the GIL either. Linux gives each thread its own nice value.

This module imports nothing heavy itself: the imports happen in the low-priority thread.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import queue
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class WriteThread:
    """Runs the write transactions other threads hand it on the thread that serves it."""

    def __init__(self) -> None:
        self._jobs: queue.Queue[tuple[Callable[[], Any], threading.Event, list[Any]] | None]
        self._jobs = queue.Queue()

    def __call__(self, work: Callable[[], T]) -> T:
        """Run ``work`` on the serving thread; its result, or its exception raised here."""
        done = threading.Event()
        outcome: list[Any] = []
        self._jobs.put((work, done, outcome))
        done.wait()
        if outcome[0] == "error":
            raise outcome[1]
        result: T = outcome[1]
        return result

    def serve(self) -> None:
        """Run the handed transactions until :meth:`close`."""
        while (job := self._jobs.get()) is not None:
            work, done, outcome = job
            try:
                outcome[:] = ["ok", work()]
            except BaseException as exc:  # the caller's to handle
                outcome[:] = ["error", exc]
            finally:
                done.set()

    def close(self) -> None:
        self._jobs.put(None)


def run(scan_id: int, claim: str, nice: int) -> int:
    """Run a started and claimed scan (this thread: its write transactions; a thread ``nice``
    steps lower: the rest); returns the exit status."""
    writes = WriteThread()
    status = [1]
    shared: dict[str, Any] = {}

    def heavy() -> None:
        try:
            if nice:
                os.nice(nice)  # this thread only (Linux)
            status[0] = _run(scan_id, claim, writes, shared)
        except BaseException:
            traceback.print_exc()
        finally:
            writes.close()

    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    thread = threading.Thread(target=heavy, name=f"scan-{scan_id}", daemon=True)
    thread.start()
    try:
        writes.serve()
    except BaseException:  # SIGTERM or Ctrl-C: give the claim up, the scan stays resumable
        runtime = shared.get("runtime")
        if runtime is not None:
            from jikimi.scans import release_claim

            try:
                release_claim(runtime, scan_id, claim)
            except Exception:
                traceback.print_exc()
        raise
    thread.join()
    return status[0]


def _run(scan_id: int, claim: str, writes: WriteThread, shared: dict[str, Any]) -> int:
    from jikimi import scans
    from jikimi.cli.common import open_runtime
    from jikimi.scans.write_timing import WriteTiming

    runtime = open_runtime()
    shared["runtime"] = runtime
    try:
        if not scans.adopt_claim(runtime, scan_id, claim):
            print(f"scan {scan_id} is run by another runner or has ended", flush=True)
            return 0
        print(f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M:%S} UTC scan {scan_id}: process "
              f"{os.getpid()}, heavy work at niceness {os.nice(0)}", flush=True)
        timing = WriteTiming.attach(runtime.engine)
        try:
            began = time.perf_counter()
            matcher = scans.load_matcher(runtime)
            print(f"scan {scan_id}: matcher loaded in {time.perf_counter() - began:.1f} s",
                  flush=True)
            result = scans.run_claimed_scan(runtime, matcher, scan_id, claim, run_write=writes)
        except scans.ScanClaimLost as exc:
            print(f"scan {scan_id}: {exc.message}", flush=True)
            return 0
        except Exception as exc:  # the scan ends failed (a no-op if the run recorded it)
            scans.fail_scan(runtime, scan_id, scans.failure_reason(exc), claim=claim)
            traceback.print_exc()
            return 1
        except BaseException:
            scans.release_claim(runtime, scan_id, claim)
            raise
        print(f"scan {result.scan_id}: {result.items} items, {result.matched} matched, "
              f"{result.errors} errors; {timing.describe()}", flush=True)
        return 0
    finally:
        runtime.close()


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jikimi.scan_process",
                                     description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("scan_id", type=int)
    parser.add_argument("--claim", required=True)
    parser.add_argument("--nice", type=int, default=0, choices=range(20))
    args = parser.parse_args(argv)
    return run(args.scan_id, args.claim, args.nice)


if __name__ == "__main__":
    sys.exit(main())
