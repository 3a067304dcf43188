"""The demo shows everything on first start: its gallery site on loopback is scanned, so
confirming a match proposes a takedown; one notice waits for approval and, approved, reaches
the demo's mail catcher; months of history give every chart data."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.takedown.conftest import free_port

from jikimi import accounts, review
from jikimi.cli.demo import seed_demo
from jikimi.cli.demo_world import DEMO_ABUSE_DESK, DEMO_SENDER, mailbox_dir, start_mail_catcher
from jikimi.core.actors import cli_actor
from jikimi.core.runtime import Runtime
from jikimi.ops.dashboard import start_page
from jikimi.takedown import service as takedowns
from jikimi.takedown.outbox import dispatch


def _actor(runtime: Runtime, email: str):  # type: ignore[no-untyped-def]
    with runtime.context(cli_actor()) as ctx:
        user = next(u for u in accounts.list_users(ctx) if u.email == email)
        return accounts.actor_for(accounts.get_user(ctx, user.id))


def test_demo_seed_shows_every_flow(runtime: Runtime, monkeypatch: pytest.MonkeyPatch,
                                    tmp_path: Path) -> None:
    monkeypatch.setenv("JIKIMI_DEMO_SITE_PORT", str(free_port()))
    runtime.settings.smtp_from = DEMO_SENDER
    printed = seed_demo(runtime)
    assert printed is not None and seed_demo(runtime) is None
    analyst = _actor(runtime, "analyst@demo.jikimi.kr")
    admin = _actor(runtime, "admin@demo.jikimi.kr")
    with runtime.context(analyst) as ctx:
        pending = review.queue(ctx, status=review.ReviewStatus.PENDING, limit=1000)
        web = [e for e in pending if e.locator.startswith("http://127.0.0.1:")]
        assert len(web) >= 3, [e.locator for e in pending]
        before = {r.id for r in takedowns.list_requests(ctx)}
        review.confirm(ctx, web[0].match_id)
        proposed = [r for r in takedowns.list_requests(ctx) if r.id not in before]
        assert len(proposed) == 1 and proposed[0].status == "draft"
        assert proposed[0].case_code == web[0].case_code
        waiting = [r for r in takedowns.list_requests(ctx, status="draft")
                   if r.prepared_at is not None]
        assert len(waiting) == 1
        detail = takedowns.get_request(ctx, waiting[0].id)
        assert detail.channel == "email" and detail.channel_address == DEMO_ABUSE_DESK
    # every chart has data, in several months; the median time to removal is known
    with runtime.context(admin) as ctx:
        page = start_page(ctx)
    assert page.monthly is not None
    for series in ("cases", "matches", "requests", "removed"):
        months = [v for v in page.monthly.values[series] if v]
        assert len(months) >= 2, (series, page.monthly.values[series])
    assert page.monthly.median_hours_to_removal is not None
    todos = {t.key: t.count for t in page.todos}
    assert todos["drafts"] >= 2 and todos["overdue"] >= 1 and todos["pending_review"] >= 1
    with runtime.context(_actor(runtime, "central.admin@demo.jikimi.kr")) as ctx:
        national = start_page(ctx)
    assert national.monthly is not None and national.monthly.has_data()
    # the partner page counts what is shared before any partner has pulled
    from jikimi import partners

    with runtime.context(admin) as ctx:
        shared = partners.statistics(ctx)
    assert shared.sharing_cases >= 1 and shared.active_items > 0
    # approved, the notice reaches the demo's mail catcher
    port = free_port()
    catcher = start_mail_catcher(mailbox_dir(runtime), port)
    try:
        runtime.settings.smtp_url = f"smtp://127.0.0.1:{port}"
        with runtime.context(analyst) as ctx:
            takedowns.approve_notice(ctx, waiting[0].id)
        assert dispatch(runtime).sent == 1
    finally:
        catcher.stop()
    saved = list(mailbox_dir(runtime).glob("*.eml"))
    assert len(saved) == 1 and DEMO_ABUSE_DESK.encode() in saved[0].read_bytes()
