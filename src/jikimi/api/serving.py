"""What a serving process starts and stops with the app: the matcher (its PDQ and region-hash
indexes mapped from the snapshot, shared by every process on the host, then the changes since)
and the hot path that answers platforms (key cache, follower, audit writer).

Several processes (``jikimi serve --workers N``, or several hosts) serve one database: each
follows the bank change log on its own and adopts each newer snapshot the worker writes
(``jikimi worker``: ``matching.snapshots``); a serving process never writes one."""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy.orm import Session

from jikimi.core.runtime import Runtime
from jikimi.matching import Matcher
from jikimi.partners.hotpath import HotPath

log = logging.getLogger("jikimi.serving")

SWITCH_INTERVAL_SECONDS = 0.001
"""How long a thread of a serving process may hold the GIL while another waits for it
(Python's default is 5 ms). Staff requests run in threads beside the event loop that answers
the lookups: each of a request's database round trips releases the GIL and then waits for
it again, and with the loop busy each wait could last the whole interval."""


@dataclass
class Serving:
    matcher: Matcher
    hot_path: HotPath
    snapshot_dir: Path

    def adopt_snapshot(self, session: Session) -> bool:
        """Map a newer snapshot if the worker wrote one (a follower task: off the requests)."""
        adopted = self.matcher.adopt_snapshot(self.snapshot_dir, session)
        if adopted:
            log.info("mapped the index snapshot of change %d", self.matcher.snapshot_seq)
        return adopted

    def stop(self) -> None:
        self.hot_path.stop()


def start_serving(app: FastAPI, runtime: Runtime, snapshot_dir: Path) -> Serving:
    """Load the matcher and start the hot path; both are put on ``app.state``."""
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
    with runtime.sessions() as session:
        matcher = Matcher.load(snapshot_dir, session, runtime.keys, mmap=True)
    app.state.matcher = matcher
    app.state.hot_path = HotPath.start(runtime, matcher)
    serving = Serving(matcher, app.state.hot_path, snapshot_dir)
    app.state.hot_path.follower.add("snapshot", serving.adopt_snapshot)
    return serving
