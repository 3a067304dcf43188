"""A unit of work that loses a race in the database (PostgreSQL: a unique key another
transaction took meanwhile, a deadlock) fails with a clear 409, in the caller's language,
and keeps nothing: never a 500. SQLite has one writer at a time, so there the second unit
sees the first's record and its service refuses it as usual."""

from __future__ import annotations

import threading

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.conftest import World, auth

from jikimi import accounts, matching
from jikimi.core.actors import cli_actor
from jikimi.core.audit import AuditEntry
from jikimi.core.runtime import Runtime
from jikimi.matching.models import Bank


def test_a_race_lost_in_the_database_is_a_409(client: TestClient, runtime: Runtime,
                                              world: World) -> None:
    analyst = world.staff["analyst_a"]
    with runtime.context(cli_actor("test")) as ctx:
        actor = accounts.actor_for(accounts.get_user(ctx, analyst.id))
    created = threading.Event()
    answers = []

    def second_analyst() -> None:
        created.wait(10)
        answers.append(client.post("/api/v1/banks", json={"name": "same-name"},
                                   headers=auth(analyst, "ko")))

    thread = threading.Thread(target=second_analyst)
    thread.start()
    with runtime.context(actor) as ctx:
        matching.create_bank(ctx, "same-name")
        created.set()
        thread.join(0.7)
        assert thread.is_alive()  # the second waits for the first's key (or turn)
    thread.join(30)
    [answer] = answers
    assert answer.status_code == 409, answer.text
    error = answer.json()["error"]
    if runtime.engine.dialect.name == "postgresql":  # its check ran before the first commit
        assert error["code"] == "concurrent_change"
        assert error["message"].startswith("다른 사람이 같은 기록을 같은 순간에 바꾸어")
    else:
        assert error["code"] == "conflict"
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Bank).where(
            Bank.name == "same-name")) == 1
        assert session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "bank.create")) == 1
