"""Changes of one case go in turn, on both databases: while one unit of work holds the case
(a consent being granted, an erasure), another that changes the case or stores the
victim's data waits for it and then works from what it committed. On PostgreSQL, without
the case locked, both would read the state before either commits: two consent grants (a
withdrawal then leaves the older one in force and her hashes shared), or fingerprints stored
for a case erased at the same moment."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from tests.conftest import World, auth
from tests.portal.test_portal_api import entries, item_for, open_case, png_bytes

from jikimi import accounts, cases
from jikimi.cases import ConsentPurpose
from jikimi.cases.models import ConsentRecord
from jikimi.core.actors import Actor, cli_actor
from jikimi.core.runtime import Runtime


def _counsellor(runtime: Runtime, world: World) -> Actor:
    with runtime.context(cli_actor("test")) as ctx:
        return accounts.actor_for(accounts.get_user(ctx, world.staff["counsellor_a"].id))


def _while_held(runtime: Runtime, actor: Actor, first: Callable[[Any], object],
                second: Callable[[], Any]) -> Any:
    """Run ``first`` in a unit of work and, before it commits, ``second`` in a thread:
    ``second`` must still be waiting 0.7 s later; its answer once ``first`` committed."""
    started = threading.Event()
    answers: list[Any] = []

    def other() -> None:
        started.wait(10)
        answers.append(second())

    thread = threading.Thread(target=other)
    thread.start()
    with runtime.context(actor) as ctx:
        first(ctx)
        started.set()
        thread.join(0.7)
        assert thread.is_alive()  # waits for the case
    thread.join(30)
    assert not thread.is_alive()
    return answers[0]


def _open_records(runtime: Runtime, code: str) -> list[ConsentRecord]:
    with runtime.sessions() as session:
        return list(session.scalars(
            select(ConsentRecord).join(cases.Case, cases.Case.id == ConsentRecord.case_id)
            .where(cases.Case.code == code, ConsentRecord.withdrawn_at.is_(None))))


def test_two_consent_grants_at_once_record_one(portal_client, runtime: Runtime,
                                               world: World) -> None:  # type: ignore[no-untyped-def]
    code, _secret = open_case(portal_client, world)
    counsellor = _counsellor(runtime, world)
    answer = _while_held(
        runtime, counsellor,
        lambda ctx: cases.record_consent(ctx, code, ConsentPurpose.PARTNER_SHARING),
        lambda: portal_client.post(f"/api/v1/cases/{code}/consents",
                                   json={"purpose": "partner_sharing"},
                                   headers=auth(world.staff["counsellor_a"])))
    assert answer.status_code == 409, answer.text
    assert len(_open_records(runtime, code)) == 1
    # and a withdrawal ends it: nothing of her consent stays in force
    r = portal_client.post(f"/api/v1/cases/{code}/consents",
                           json={"purpose": "partner_sharing", "withdraw": True},
                           headers=auth(world.staff["counsellor_a"]))
    assert r.status_code == 200, r.text
    assert _open_records(runtime, code) == []


def test_a_registration_during_an_erasure_stores_nothing(portal_client, runtime: Runtime,
                                                         world: World) -> None:  # type: ignore[no-untyped-def]
    code, secret = open_case(portal_client, world)
    counsellor = _counsellor(runtime, world)
    answer = _while_held(
        runtime, counsellor,
        lambda ctx: cases.erase_case(ctx, code, "victim request"),
        lambda: portal_client.post("/api/v1/victim/fingerprints", json={
            "code": code, "secret": secret, "items": [item_for(png_bytes(3), "사진")]}))
    # SQLite: the registration's unit began after the erasure (its secret is gone: 401);
    # PostgreSQL: it read the case before, then waited for it and found it erased (409)
    assert answer.status_code in (401, 409), answer.text
    if answer.status_code == 409:
        assert answer.json()["error"]["code"] == "case_erased"
    assert entries(runtime, code) == []


def test_two_withdrawals_at_once_record_one(portal_client, runtime: Runtime,
                                            world: World) -> None:  # type: ignore[no-untyped-def]
    code, _secret = open_case(portal_client, world)
    counsellor = _counsellor(runtime, world)
    with runtime.context(counsellor) as ctx:
        cases.record_consent(ctx, code, ConsentPurpose.PARTNER_SHARING)
    answer = _while_held(
        runtime, counsellor,
        lambda ctx: cases.record_consent(ctx, code, ConsentPurpose.PARTNER_SHARING,
                                         withdraw=True),
        lambda: portal_client.post(f"/api/v1/cases/{code}/consents",
                                   json={"purpose": "partner_sharing", "withdraw": True},
                                   headers=auth(world.staff["counsellor_a"])))
    assert answer.status_code == 409, answer.text  # nothing left to withdraw
    with runtime.context(counsellor) as ctx:
        timeline = cases.timeline(ctx, code)
    assert [e.kind for e in timeline].count("consent_withdrawn") == 1
