"""Concurrent dispatchers never send a message twice; concurrent confirmations of one case on
one platform open one draft (SQLite serialises writers; PostgreSQL uses row locks and the
unique draft key)."""

from __future__ import annotations

import threading
from collections import Counter

from sqlalchemy import select
from tests.conftest import World
from tests.takedown.conftest import Recorder
from tests.takedown.seed import seed_case, seed_match

from jikimi import review
from jikimi.core.actors import cli_actor
from jikimi.core.runtime import Runtime
from jikimi.scans import ItemMatch
from jikimi.takedown import service
from jikimi.takedown.models import TakedownRequest
from jikimi.takedown.outbox import dispatch
from jikimi.takedown.schemas import DispatchReport
from jikimi.takedown.service import propose


def test_two_dispatchers_send_each_message_once(runtime: Runtime, world: World,
                                                smtp_server: tuple[Recorder, int]) -> None:
    recorder, _port = smtp_server
    for n in range(6):
        seeded = seed_case(runtime, world.centre_a)
        match_id = seed_match(runtime, seeded, f"https://www.tumblr.com/p/{n}")
        with runtime.context(cli_actor()) as ctx:
            review.confirm(ctx, match_id)
            service.send_request(ctx, service.list_requests(ctx, case_code=seeded.case_code)[0].id)
    reports: list[DispatchReport] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            for _ in range(3):
                reports.append(dispatch(runtime, limit=2))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    ids = Counter(m["Message-ID"] for m in recorder.parsed())
    assert len(ids) == 6 and set(ids.values()) == {1}
    assert sum(r.sent for r in reports) == 6


def test_concurrent_confirmations_open_one_draft(runtime: Runtime, world: World) -> None:
    seeded = seed_case(runtime, world.centre_a)
    match_ids = [seed_match(runtime, seeded, f"https://www.tumblr.com/p/{n}", content=f"c{n}")
                 for n in range(4)]
    barrier = threading.Barrier(len(match_ids))
    errors: list[BaseException] = []

    def confirm(match_id: int) -> None:
        try:
            barrier.wait()
            with runtime.sessions() as session, session.begin():
                match = session.get(ItemMatch, match_id)
                assert match is not None
                propose(session, match, "test")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=confirm, args=(m,)) for m in match_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with runtime.sessions() as session:
        drafts = session.scalars(select(TakedownRequest)).all()
    assert len(drafts) == 1
    with runtime.context(cli_actor()) as ctx:
        assert service.get_request(ctx, drafts[0].id).urls == 4
