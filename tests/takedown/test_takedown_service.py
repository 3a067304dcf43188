"""Takedown requests end to end in one process, on SQLite and PostgreSQL: a confirmed match
proposes a request, notices go out through the outbox to a real SMTP server (aiosmtpd), the
lifecycle, escalation, deadlines, permissions, statistics and the directory overrides."""

from __future__ import annotations

import datetime as dt
import json
import socket

import pytest
from sqlalchemy import select
from tests.conftest import World
from tests.scans.conftest import Site
from tests.takedown.conftest import SENDER, Recorder
from tests.takedown.seed import VICTIM_EMAIL, VICTIM_NAME, VICTIM_PHONE, seed_case, seed_match

from jikimi import review
from jikimi.core.actors import Actor, ActorKind, Role, cli_actor
from jikimi.core.config import SmtpSettings
from jikimi.core.runtime import Runtime
from jikimi.errors import Conflict, Forbidden, InvalidInput, NotFound
from jikimi.hashing import fingerprint_bytes
from jikimi.scans import ItemVersion
from jikimi.takedown import service
from jikimi.takedown.lifecycle import RetryPolicy
from jikimi.takedown.models import OutboxMessage, TakedownItem, TakedownRequest
from jikimi.takedown.outbox import dispatch

KO_PLATFORM = {
    "name": "한글게시판", "legal_entity": "주식회사 예시", "legal_entity_verified": True,
    "jurisdiction": "KR", "language": "ko", "language_verified": True, "response_hours": 24,
    "response_hours_basis": "test", "channels": [
        {"kind": "email", "address": "report@ko-board.test", "verified": True}],
    "domains": [{"domain": "ko-board.test"}],
}


def staff(world: World, key: str) -> Actor:
    member = world.staff[key]
    return Actor(kind=ActorKind.STAFF, id=member.id, role=Role(member.role),
                 centre_id=member.centre_id, label=member.email)


def test_confirmed_matches_become_notices_sent_once_through_smtp(
        runtime: Runtime, world: World, smtp_server: tuple[Recorder, int]) -> None:
    recorder, _port = smtp_server
    seeded = seed_case(runtime, world.centre_a)
    analyst = staff(world, "analyst_a")
    with runtime.context(staff(world, "admin_a")) as ctx:
        service.update_platform(ctx, "koboard", {"id": "koboard", **KO_PLATFORM})
    matches = [seed_match(runtime, seeded, url, content=f"c{n}") for n, url in enumerate([
        "https://www.tumblr.com/someone/post/1", "https://64.media.tumblr.com/a/b.jpg",
        "https://ko-board.test/bbs/view/7", "https://x.com/u/status/9"])]
    with runtime.context(analyst) as ctx:
        for match_id in matches:
            review.confirm(ctx, match_id)
        rows = {r.platform_id: r for r in service.list_requests(ctx)}
    assert set(rows) == {"tumblr", "koboard", "x"}
    assert rows["tumblr"].urls == 2 and rows["tumblr"].status == "draft"
    assert all(r.case_code == seeded.case_code for r in rows.values())
    # the draft collects; a second confirmation of the same URL adds nothing
    with runtime.context(analyst) as ctx:
        sent_en = service.send_request(ctx, rows["tumblr"].id)
        sent_ko = service.send_request(ctx, rows["koboard"].id)
        web = service.send_request(ctx, rows["x"].id)
        with pytest.raises(Conflict):
            service.send_request(ctx, rows["tumblr"].id)
    assert sent_en.language == "en" and sent_ko.language == "ko"
    assert sent_en.outbox_status == "queued" and sent_en.status == "draft"
    assert web.channel == "web_form" and web.channel_address and web.notice_body
    report = dispatch(runtime)
    assert report.sent == 2 and len(recorder.messages) == 2
    assert dispatch(runtime).sent == 0  # nothing twice
    by_rcpt = {rcpt[0]: raw for rcpt, raw in recorder.messages}
    assert set(by_rcpt) == {"abuse@tumblr.com", "report@ko-board.test"}
    parsed = {m["To"]: m for m in recorder.parsed()}
    en, ko = parsed["abuse@tumblr.com"], parsed["report@ko-board.test"]
    en_body, ko_body = en.get_content(), ko.get_content()
    assert en["From"] == SENDER and en["Message-ID"] == sent_en.outbox[0].message_id
    assert "https://www.tumblr.com/someone/post/1" in en_body
    assert "https://64.media.tumblr.com/a/b.jpg" in en_body
    assert "Article 22-5(1) of the Telecommunications Business Act" in en_body
    assert "Article 14 of the Act on Special Cases Concerning the Punishment" in en_body
    assert "Request to remove non-consensual intimate imagery" in en_body
    assert "https://ko-board.test/bbs/view/7" in ko_body
    assert "「전기통신사업법」 제22조의5제1항" in ko_body and "삭제" in ko["Subject"]
    assert seeded.case_code in en_body and seeded.case_code in ko_body
    assert "pdq: f8f8f0ce" in en_body
    for raw in by_rcpt.values():
        text = raw.decode("utf-8", "replace")
        for secret in (VICTIM_NAME, VICTIM_PHONE, VICTIM_EMAIL, "010-"):
            assert secret not in text
    for body in (en_body, ko_body, web.notice_body or ""):
        assert VICTIM_NAME not in body and VICTIM_PHONE not in body
    with runtime.context(analyst) as ctx:
        after = service.get_request(ctx, sent_en.id)
        assert after.status == "sent" and after.sent_at and after.deadline
        assert after.outbox[0].status == "sent" and after.outbox[0].attempts == 1
        # web form: prepared until the analyst marks it sent
        with pytest.raises(Conflict):
            service.transition(ctx, web.id, "acknowledged")
        marked = service.mark_sent(ctx, web.id, note="submitted the X form")
        assert marked.status == "sent" and marked.deadline is not None
        # lifecycle: acknowledged → refused → escalated (to the content regulator)
        service.transition(ctx, sent_en.id, "acknowledged", "ticket 123")
        service.transition(ctx, sent_en.id, "refused", "not violating")
        escalated = service.transition(ctx, sent_en.id, "escalated")
        assert escalated.status == "escalated" and escalated.escalation_body
        assert "방송미디어통신심의위원회" in escalated.escalation_body
        assert "거부" in escalated.escalation_body
        with pytest.raises(InvalidInput):
            service.transition(ctx, marked.id, "removed")  # by hand only with a note
        with pytest.raises(InvalidInput):
            service.transition(ctx, marked.id, "draft")
        kinds = [e.kind for e in escalated.events]
        assert kinds[:2] == ["created", "url_added"] and "emailed" in kinds
    # deadlines: the Korean board's 24 hours pass
    with runtime.sessions() as session, session.begin():
        row = session.get(TakedownRequest, sent_ko.id)
        assert row is not None
        row.deadline = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    with runtime.context(analyst) as ctx:
        overdue = service.list_requests(ctx, overdue=True)
        assert [r.id for r in overdue] == [sent_ko.id]
        assert service.mark_overdue(ctx) == [sent_ko.id]
        assert service.get_request(ctx, sent_ko.id).status == "overdue"
        stats = service.statistics(ctx)
        assert stats.sent_total == 3 and stats.overdue_now == 1 and stats.reupload_rate == 0
        assert {r.platform_id for r in stats.by_month} == {"tumblr", "koboard", "x"}
        assert service.statistics_csv(ctx).startswith(
            "month,platform,requests_sent,removed,median_hours_to_removal\r\n")


def test_permissions_are_per_centre_and_per_case(runtime: Runtime, world: World) -> None:
    seeded = seed_case(runtime, world.centre_a)
    match_id = seed_match(runtime, seeded, "https://www.tumblr.com/p/1")
    with runtime.context(staff(world, "analyst_a")) as ctx:
        review.confirm(ctx, match_id)
        request_id = service.list_requests(ctx)[0].id
    for key, error in (("analyst_b", NotFound), ("counsellor_a", Forbidden),
                       ("central_admin", NotFound)):
        with pytest.raises(error), runtime.context(staff(world, key)) as ctx:
            service.get_request(ctx, request_id)
    with runtime.context(staff(world, "counsellor_a")) as ctx:
        assert service.list_requests(ctx) == []  # not assigned to the case
        with pytest.raises(Forbidden):
            service.send_request(ctx, request_id)
    with runtime.context(staff(world, "analyst_b")) as ctx:
        assert service.list_requests(ctx) == []
    with pytest.raises(Forbidden), runtime.context(staff(world, "central_admin")) as ctx:
        service.list_requests(ctx)
    with runtime.context(staff(world, "central_admin")) as ctx:
        assert service.statistics(ctx).requests_total == 1
    with pytest.raises(Forbidden), runtime.context(staff(world, "analyst_a")) as ctx:
        service.update_platform(ctx, "tumblr", {"response_hours": 1})
    with runtime.context(staff(world, "admin_a")) as ctx:
        with pytest.raises(InvalidInput):  # a channel must say whether it is verified
            service.update_platform(ctx, "tumblr", {"channels": [
                {"kind": "email", "address": "abuse@tumblr.com"}]})
        with pytest.raises(InvalidInput):  # a domain belongs to one platform
            service.update_platform(ctx, "tumblr", {"domains": [{"domain": "x.com"}]})
        with pytest.raises(InvalidInput):
            service.send_request(ctx, request_id, recipient="not an address")
        edited = service.update_platform(ctx, "tumblr", {"response_hours": 12})
        assert edited.overridden and edited.response_hours == 12
        assert edited.has_unverified_contacts  # flags are kept
        service.reset_platform(ctx, "tumblr")
        assert service.get_platform(ctx, "tumblr").response_hours == 72


def test_outbox_retries_with_backoff_and_gives_up_on_refusal(
        runtime: Runtime, world: World, smtp_server: tuple[Recorder, int]) -> None:
    recorder, port = smtp_server
    seeded = seed_case(runtime, world.centre_a)
    first = seed_match(runtime, seeded, "https://www.tumblr.com/p/1")
    second = seed_match(runtime, seeded, "https://t.me/channel/5", content="c2")
    with runtime.context(cli_actor()) as ctx:
        review.confirm(ctx, first)
        review.confirm(ctx, second)
        rows = {r.platform_id: r.id for r in service.list_requests(ctx)}
        service.send_request(ctx, rows["tumblr"])
        # Telegram's only e-mail address is unverified: not used unless allowed
        prepared = service.send_request(ctx, rows["telegram"], recipient="reject@x.example")
    assert prepared.channel == "email"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = int(sock.getsockname()[1])
    down = SmtpSettings(host="127.0.0.1", port=closed)
    policy = RetryPolicy(base_seconds=60, max_attempts=3, jitter=0.0)
    report = dispatch(runtime, smtp=down, policy=policy, timeout=2)
    assert report.failed == 2 and report.sent == 0
    with runtime.sessions() as session:
        rows_out = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        assert [r.status for r in rows_out] == ["failed", "failed"]
        wait = rows_out[0].next_attempt_at - rows_out[0].updated_at  # type: ignore[operator]
        assert dt.timedelta(seconds=59) <= wait <= dt.timedelta(seconds=61)
    assert dispatch(runtime, policy=policy).sent == 0  # not due yet
    with runtime.sessions() as session, session.begin():
        for row in session.scalars(select(OutboxMessage)):
            row.next_attempt_at = dt.datetime.now(dt.UTC)
    report = dispatch(runtime, policy=policy)
    assert report.sent == 1 and report.dead == 1  # 550 for the refused recipient
    assert [r[0] for r in recorder.messages] == [["abuse@tumblr.com"]]
    with runtime.context(cli_actor()) as ctx:
        dead = service.get_request(ctx, rows["telegram"])
        assert dead.status == "draft" and dead.outbox[0].status == "dead"
        assert "550" in (dead.outbox[0].last_error or "")
        service.send_request(ctx, rows["telegram"])  # re-queues the same message
        assert service.get_request(ctx, rows["telegram"]).outbox_status == "queued"
    assert port


def test_interrupted_send_is_resent_or_held(runtime: Runtime, world: World,
                                            smtp_server: tuple[Recorder, int]) -> None:
    """A claim whose dispatcher died after recording "sending": re-sent (same Message-ID,
    marked uncertain) by default, given up with --on-uncertain hold."""
    recorder, _port = smtp_server
    seeded = seed_case(runtime, world.centre_a)
    ids = [seed_match(runtime, seeded, f"https://www.tumblr.com/p/{n}", content=f"c{n}")
           for n in range(2)]
    with runtime.context(cli_actor()) as ctx:
        review.confirm(ctx, ids[0])
        service.send_request(ctx, service.list_requests(ctx)[0].id)
        review.confirm(ctx, ids[1])
        second = next(r for r in service.list_requests(ctx) if r.status == "draft"
                  and r.outbox_status is None)
        service.send_request(ctx, second.id)
    now = dt.datetime.now(dt.UTC)
    with runtime.sessions() as session, session.begin():
        first = min(session.scalars(select(OutboxMessage.id)))
        for row in session.scalars(select(OutboxMessage)):
            row.status, row.claim_token = "claimed", "x" * 32
            row.claimed_by = f"{socket.gethostname()}:4194303"  # no such process
            row.lease_until = now + dt.timedelta(minutes=5)
            row.sending_started_at = now
    report = dispatch(runtime, on_uncertain="hold", message_ids=[first])
    assert report.uncertain == 1 and report.sent == 0 and not recorder.messages
    report = dispatch(runtime)
    assert report.reclaimed == 1 and report.sent == 1 and report.uncertain == 1
    with runtime.sessions() as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        assert [(r.status, r.uncertain) for r in rows] == [("dead", False), ("sent", True)]
        assert "may have been delivered" in (rows[0].last_error or "")


def test_unlisted_sites_and_missing_sender(runtime: Runtime, world: World) -> None:
    seeded = seed_case(runtime, world.centre_a)
    match_id = seed_match(runtime, seeded, "https://files.example-host.net/u/1.jpg")
    with runtime.context(cli_actor()) as ctx:
        review.confirm(ctx, match_id)
        row = service.list_requests(ctx)[0]
        assert row.platform_id == "site:files.example-host.net" and not row.platform_listed
        prepared = service.send_request(ctx, row.id, language="fr")  # no French: English
        assert prepared.channel == "manual" and prepared.language == "en"
        assert json.loads(json.dumps(prepared.legal_basis))
    # a URL whose match is rejected after all leaves the draft before sending
    kept, dropped = (seed_match(runtime, seeded, f"https://example-host.net/{n}.jpg",
                                content=f"r{n}") for n in range(2))
    with runtime.context(cli_actor()) as ctx:
        review.confirm(ctx, kept)
        review.confirm(ctx, dropped)
        review.reject(ctx, dropped, "a different photo")
        draft = next(r for r in service.list_requests(ctx)
                     if r.platform_id == "site:example-host.net")
        assert draft.urls == 2
        sent = service.send_request(ctx, draft.id)
        assert [i.url for i in sent.items] == ["https://example-host.net/0.jpg"]
        assert "1.jpg" not in (sent.notice_body or "")
        assert any(e.kind == "url_dropped" for e in sent.events)
    runtime.settings.smtp_from = "jikimi@localhost"
    match_id = seed_match(runtime, seeded, "https://www.tumblr.com/p/2", content="c2")
    with runtime.context(cli_actor()) as ctx:
        review.confirm(ctx, match_id)
        draft = next(r for r in service.list_requests(ctx) if r.platform_id == "tumblr")
        with pytest.raises(Exception, match="JIKIMI_SMTP_FROM"):
            service.send_request(ctx, draft.id)


def test_worker_round_sends_marks_overdue_and_rechecks(
        runtime: Runtime, world: World, smtp_server: tuple[Recorder, int], site: Site) -> None:
    recorder, _port = smtp_server
    seeded = seed_case(runtime, world.centre_a)
    urls = ["https://www.tumblr.com/p/1", f"{site.url}/media/gone.jpg", "https://x.com/u/2"]
    ids = [seed_match(runtime, seeded, u, content=f"c{n}") for n, u in enumerate(urls)]
    with runtime.context(cli_actor()) as ctx:
        for match_id in ids:
            review.confirm(ctx, match_id)
        rows = {r.platform_id: r.id for r in service.list_requests(ctx)}
        service.send_request(ctx, rows["tumblr"])
        for key in ("site:127.0.0.1", "x"):
            service.send_request(ctx, rows[key])
            service.mark_sent(ctx, rows[key])
    with runtime.sessions() as session, session.begin():
        row = session.get(TakedownRequest, rows["x"])
        assert row is not None
        row.deadline = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        row.last_verified_at = dt.datetime.now(dt.UTC)  # checked recently: not due
        site_row = session.get(TakedownRequest, rows["site:127.0.0.1"])
        assert site_row is not None and site_row.sent_at is not None
        site_row.sent_at -= dt.timedelta(hours=2)  # sent a while ago: first check due
    done = service.run_due_work(runtime)
    assert done["dispatch"]["sent"] == 1 and len(recorder.messages) == 1
    assert done["overdue"] == [rows["x"]]
    assert done["verify"]["checked"] == 1 and done["verify"]["removed"] == 1
    with runtime.context(cli_actor()) as ctx:
        statuses = {r.platform_id: r.status for r in service.list_requests(ctx)}
    assert statuses == {"tumblr": "sent", "site:127.0.0.1": "removed", "x": "overdue"}
    again = service.run_due_work(runtime)
    assert again["dispatch"]["sent"] == 0 and again["verify"]["checked"] == 0


def test_statistics_by_month_platform_median_and_reupload_rate(
        runtime: Runtime, world: World) -> None:
    kst_jan = dt.datetime(2026, 1, 31, 16, tzinfo=dt.UTC)  # 2026-02-01 01:00 KST
    rows = [  # platform, sent, hours to removal (None: not removed), re-upload
        ("tumblr", kst_jan, 10.0, False), ("tumblr", kst_jan, 30.0, False),
        ("x", kst_jan - dt.timedelta(days=40), None, False), ("x", kst_jan, 2.0, True)]
    with runtime.sessions() as session, session.begin():
        for platform, sent, hours, reupload in rows:
            removed = sent + dt.timedelta(hours=hours) if hours is not None else None
            session.add(TakedownRequest(
                centre_id=world.centre_a, case_code="DSC-2026-000001", platform_id=platform,
                status="removed" if removed else "sent", reupload=reupload, created_at=sent,
                created_by="test", updated_at=sent, sent_at=sent, removed_at=removed,
                deadline=sent + dt.timedelta(days=3)))
        session.add(TakedownRequest(centre_id=world.centre_b, platform_id="x", status="draft",
                                    created_at=kst_jan, created_by="test", updated_at=kst_jan))
    with runtime.context(staff(world, "admin_a")) as ctx:
        stats = service.statistics(ctx)
        csv = service.statistics_csv(ctx)
    assert (stats.requests_total, stats.sent_total, stats.removed_total) == (4, 4, 3)
    assert stats.median_hours_to_removal == 10.0 and stats.reupload_rate == 0.25
    assert stats.overdue_now == 1  # the December request to x is past its deadline
    assert [(r.month, r.platform_id, r.requests, r.removed) for r in stats.by_month] == [
        ("2025-12", "x", 1, 0), ("2026-02", "tumblr", 2, 2), ("2026-02", "x", 1, 1)]
    assert {p.platform_id: p.median_hours_to_removal for p in stats.by_platform} == {
        "tumblr": 20.0, "x": 2.0}
    assert csv.splitlines() == [
        "month,platform,requests_sent,removed,median_hours_to_removal",
        "2025-12,x,1,0,", "2026-02,tumblr,2,2,20.00", "2026-02,x,1,1,2.00"]
    with runtime.context(staff(world, "central_admin")) as ctx:
        assert service.statistics(ctx).requests_total == 5
        assert service.statistics(ctx, centre_id=world.centre_b).requests_total == 1
    with pytest.raises(Forbidden), runtime.context(staff(world, "counsellor_a")) as ctx:
        service.statistics(ctx)


def test_partial_removal_then_removal(runtime: Runtime, world: World, site: Site) -> None:
    seeded = seed_case(runtime, world.centre_a)
    urls = [f"{site.url}/media/other-101.jpg", f"{site.url}/media/other-102.jpg"]
    ids = [seed_match(runtime, seeded, u, content=f"c{n}") for n, u in enumerate(urls)]
    operator = cli_actor()
    with runtime.context(operator) as ctx:
        for match_id in ids:
            review.confirm(ctx, match_id)
        request_id = service.list_requests(ctx)[0].id
        service.send_request(ctx, request_id)
        service.mark_sent(ctx, request_id)
    # the seeded fingerprints are not these images': served content "no longer matches"
    del site.files["/media/other-101.jpg"]
    site.files["/media/other-102.jpg"] = ("image/jpeg", site.files["/media/copy-smaller.jpg"][1])
    with runtime.sessions() as session, session.begin():
        item = session.scalar(select(TakedownItem).where(TakedownItem.url == urls[1]))
        assert item is not None and item.item_version_id is not None
        version = session.get(ItemVersion, item.item_version_id)
        assert version is not None
        fp = fingerprint_bytes(site.files["/media/other-102.jpg"][1])
        version.sha256, version.fingerprints = fp.sha256, json.dumps(fp.to_json())
    first = service.verify(runtime, operator, request_id)
    assert (first.removed, first.still_present) == (1, 1)
    assert [(c.from_status, c.to_status) for c in first.changes] == [("sent",
                                                                      "partially_removed")]
    site.files["/media/other-102.jpg"] = ("text/html", b"<html>moved</html>")
    second = service.verify(runtime, operator, request_id)
    assert second.checked == 1  # only the URL still up is re-checked
    assert [(c.from_status, c.to_status) for c in second.changes] == [("partially_removed",
                                                                       "removed")]


def test_escalation_is_emailed_when_legal_data_has_an_address(
        runtime: Runtime, world: World, smtp_server: tuple[Recorder, int],
        monkeypatch: pytest.MonkeyPatch) -> None:
    recorder, _port = smtp_server
    legal = service.current_legal()
    data = legal.model_dump(mode="json")
    for regulator in data["regulators"]:
        if regulator["role"] == "content_regulator":
            regulator["escalation_email"] = "review@regulator.example.kr"
    patched = type(legal).model_validate(data)
    monkeypatch.setattr(service, "current_legal", lambda: patched)
    seeded = seed_case(runtime, world.centre_a)
    match_id = seed_match(runtime, seeded, "https://www.tumblr.com/p/1")
    with runtime.context(cli_actor()) as ctx:
        review.confirm(ctx, match_id)
        request_id = service.list_requests(ctx)[0].id
        service.send_request(ctx, request_id)
    dispatch(runtime)
    with runtime.context(cli_actor()) as ctx:
        service.transition(ctx, request_id, "overdue", "no answer in 72 hours")
        escalated = service.transition(ctx, request_id, "escalated")
    assert [o.purpose for o in escalated.outbox] == ["notice", "escalation"]
    assert dispatch(runtime).sent == 1
    to, raw = recorder.messages[-1]
    assert to == ["review@regulator.example.kr"]
    message = recorder.parsed()[-1]
    body = message.get_content()
    assert "https://www.tumblr.com/p/1" in body and "조치 기한까지 삭제되지 않았습니다" in body
    assert VICTIM_NAME not in raw.decode("utf-8", "replace")
