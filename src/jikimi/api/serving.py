"""What a serving process starts and stops with the app: the matcher (from the snapshot,
then the changes since), and the hot path that answers platforms (key cache, follower, audit
writer)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI

from jikimi.core.runtime import Runtime
from jikimi.matching import Matcher
from jikimi.partners.hotpath import HotPath


@dataclass
class Serving:
    matcher: Matcher
    hot_path: HotPath
    snapshot_dir: Path

    def stop(self) -> None:
        self.hot_path.stop()
        self.matcher.save(self.snapshot_dir)


def start_serving(app: FastAPI, runtime: Runtime, snapshot_dir: Path) -> Serving:
    """Load the matcher and start the hot path; both are put on ``app.state``."""
    with runtime.sessions() as session:
        matcher = Matcher.load(snapshot_dir, session, runtime.keys)
    app.state.matcher = matcher
    app.state.hot_path = HotPath.start(runtime, matcher)
    return Serving(matcher, app.state.hot_path, snapshot_dir)
