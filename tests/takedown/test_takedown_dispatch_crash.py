"""The dispatcher process (``jikimi takedowns dispatch``) killed mid-send and restarted, with a
real SMTP server (aiosmtpd) counting what it holds."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from tests.conftest import World
from tests.foundation.test_cli import jikimi
from tests.takedown.conftest import Recorder
from tests.takedown.seed import seed_case, seed_match

from jikimi import review
from jikimi.core.actors import cli_actor
from jikimi.core.runtime import Runtime
from jikimi.takedown import service
from jikimi.takedown.models import OutboxMessage
from jikimi.takedown.outbox import CRASH_ENV, dispatch


def _queue_notice(runtime: Runtime, world: World, url: str, content: str) -> str:
    seeded = seed_case(runtime, world.centre_a)
    match_id = seed_match(runtime, seeded, url, content=content)
    with runtime.context(cli_actor()) as ctx:
        review.confirm(ctx, match_id)
        draft = next(r for r in service.list_requests(ctx) if r.status == "draft"
                     and r.outbox_status is None)
        detail = service.send_request(ctx, draft.id)
    return detail.outbox[0].message_id


def _row(runtime: Runtime, message_id: str) -> OutboxMessage:
    with runtime.sessions() as session:
        row = session.scalar(select(OutboxMessage).where(OutboxMessage.message_id == message_id))
        assert row is not None
        return row


def test_killed_between_claim_and_send_sends_exactly_one_copy(
        runtime: Runtime, world: World, cli_env: dict[str, str],
        smtp_server: tuple[Recorder, int]) -> None:
    recorder, port = smtp_server
    env = {**cli_env, "JIKIMI_SMTP_URL": f"smtp://127.0.0.1:{port}"}
    message_id = _queue_notice(runtime, world, "https://www.tumblr.com/p/1", "c1")
    crashed = jikimi({**env, CRASH_ENV: "after_claim"}, "takedowns", "dispatch", "--once",
                     check=False)
    assert crashed.returncode == 70, crashed.stderr
    row = _row(runtime, message_id)
    assert row.status == "claimed" and row.sending_started_at is None
    assert recorder.messages == []
    jikimi(env, "takedowns", "dispatch", "--once")
    assert len(recorder.messages) == 1
    assert recorder.parsed()[0]["Message-ID"] == message_id
    row = _row(runtime, message_id)
    assert row.status == "sent" and row.attempts == 2 and not row.uncertain
    assert dispatch(runtime).sent == 0  # and never again
    assert len(recorder.messages) == 1
    with runtime.context(cli_actor()) as ctx:
        assert [r.status for r in service.list_requests(ctx)] == ["sent"]


def test_killed_after_smtp_accepted_is_resent_with_the_same_message_id(
        runtime: Runtime, world: World, cli_env: dict[str, str],
        smtp_server: tuple[Recorder, int]) -> None:
    """The documented trade-off: once "sending" is recorded the outcome is unknown (here the
    server did accept DATA), and the default is to send again — at least once — with the same
    Message-ID. (A crash before DATA, and ``--on-uncertain hold``, are tested in-process.)"""
    if "sqlite" not in cli_env["JIKIMI_DATABASE_URL"]:
        pytest.skip("the claim path is covered on PostgreSQL by the test above")
    recorder, port = smtp_server
    env = {**cli_env, "JIKIMI_SMTP_URL": f"smtp://127.0.0.1:{port}"}
    message_id = _queue_notice(runtime, world, "https://www.tumblr.com/p/2", "c2")
    crashed = jikimi({**env, CRASH_ENV: "after_data"}, "takedowns", "dispatch", "--once",
                     check=False)
    assert crashed.returncode == 70, crashed.stderr
    assert _row(runtime, message_id).sending_started_at is not None
    jikimi(env, "takedowns", "dispatch", "--once")
    assert len(recorder.messages) == 2
    assert {m["Message-ID"] for m in recorder.parsed()} == {message_id}
    row = _row(runtime, message_id)
    assert row.status == "sent" and row.uncertain


def test_cli_list_show_send(runtime: Runtime, world: World, cli_env: dict[str, str],
                            smtp_server: tuple[Recorder, int]) -> None:
    """`jikimi takedowns list/show/send` as an operator uses them (formatting only: the
    database paths run on both backends in the service tests)."""
    if "sqlite" not in cli_env["JIKIMI_DATABASE_URL"]:
        pytest.skip("CLI formatting is backend-independent")
    recorder, port = smtp_server
    env = {**cli_env, "JIKIMI_SMTP_URL": f"smtp://127.0.0.1:{port}",
           "JIKIMI_SMTP_FROM": "takedown@centre.example.org"}
    seeded = seed_case(runtime, world.centre_a)
    for n, url in enumerate(["https://www.tumblr.com/p/1", "https://x.com/u/status/2"]):
        match_id = seed_match(runtime, seeded, url, content=f"c{n}")
        with runtime.context(cli_actor()) as ctx:
            review.confirm(ctx, match_id)
    rows = json.loads(jikimi(env, "takedowns", "list", "--format", "json").stdout)
    ids = {r["platform_id"]: r["id"] for r in rows}
    assert {r["status"] for r in rows} == {"draft"}
    sent = jikimi(env, "takedowns", "send", str(ids["tumblr"]))
    assert "notice to abuse@tumblr.com sent" in sent.stdout and len(recorder.messages) == 1
    shown = jikimi(env, "takedowns", "show", str(ids["tumblr"])).stdout
    assert "TD-" in shown and "https://www.tumblr.com/p/1" in shown and "sent" in shown
    assert "Request to remove non-consensual intimate imagery" in shown
