"""The start page per role: what needs doing today and the month-by-month charts (SVG drawn
on the server); the central admin's national view without any 403 in her navigation."""

from __future__ import annotations

import re

from tests.conftest import World
from tests.review.test_pages import session_for
from tests.takedown.seed import seed_case, seed_match

from jikimi import cases, review
from jikimi.core.actors import cli_actor
from jikimi.core.runtime import Runtime
from jikimi.ops.dashboard import month_axis


def _todo(html: str, key: str) -> int:
    found = re.search(rf'data-todo="{key}"[^>]*><a href="[^"]*"><span class="count">(\d+)',
                      html)
    assert found, key
    return int(found.group(1))


def test_month_axis_is_twelve_months_oldest_first() -> None:
    import datetime as dt

    axis = month_axis(dt.datetime(2026, 2, 10, tzinfo=dt.UTC))
    assert axis[0] == "2025-03" and axis[-1] == "2026-02" and len(axis) == 12
    # 2026-01-31 20:00 UTC is already February in Korea
    assert month_axis(dt.datetime(2026, 1, 31, 20, tzinfo=dt.UTC))[-1] == "2026-02"


def test_start_page_per_role(app, runtime: Runtime, world: World) -> None:  # type: ignore[no-untyped-def]
    s = world.staff
    seeded = seed_case(runtime, world.centre_a)
    urls = ["https://www.tumblr.com/p/1", "https://x.com/u/status/2", "https://x.com/u/status/3"]
    ids = [seed_match(runtime, seeded, u, content=f"c{n}") for n, u in enumerate(urls)]
    with runtime.context(cli_actor()) as ctx:
        cases.assign(ctx, seeded.case_code, s["counsellor_a"].id)
        review.confirm(ctx, ids[0])
        review.confirm(ctx, ids[1])
        centre_b = next(c for c in __import__("jikimi").accounts.list_centres(ctx)
                        if c.id == world.centre_b)
        cases.open_case(ctx, centre_b, cases.IntakeChannel.WEB)

    analyst, _ = session_for(app, s["analyst_a"])
    html = analyst.get("/").text
    assert _todo(html, "pending_review") == 1 and _todo(html, "drafts") == 2
    assert _todo(html, "overdue") == 0
    assert 'id="chart-work"' in html and 'id="chart-takedowns"' in html
    bars = re.findall(r'data-series="matches" data-value="(\d+)"', html)
    assert len(bars) == 12 and sum(map(int, bars)) == 3
    assert "아직 삭제된 것이 없습니다" in html
    assert "<script" not in html.split("</head>")[1]  # the charts need no script

    admin, _ = session_for(app, s["admin_a"], totp=True)
    html = admin.get("/").text
    assert _todo(html, "unassigned_cases") == 0 and _todo(html, "new_portal_cases") == 0
    assert _todo(html, "drafts") == 2
    admin_b, _ = session_for(app, s["admin_b"], totp=True)
    html_b = admin_b.get("/").text
    assert _todo(html_b, "new_portal_cases") == 1 and _todo(html_b, "drafts") == 0
    bars_b = re.findall(r'data-series="matches" data-value="(\d+)"', html_b)
    assert sum(map(int, bars_b)) == 0  # centre B never sees centre A's numbers

    counsellor, _ = session_for(app, s["counsellor_a"])
    html = counsellor.get("/").text
    assert _todo(html, "my_open_cases") == 1 and 'id="chart-work"' not in html
    other, _ = session_for(app, s["counsellor_a2"])
    assert _todo(other.get("/").text, "my_open_cases") == 0

    central, _ = session_for(app, s["central_admin"], totp=True)
    html = central.get("/").text
    assert "전국, 월별" in html and 'id="centres"' in html
    assert "서울센터" in html and "부산센터" in html
    national = re.findall(r'id="chart-work".*?</svg>', html, re.S)[0]
    assert sum(int(v) for v in re.findall(r'data-series="cases" data-value="(\d+)"',
                                          national)) == 2
    nav = html.split('<nav aria-label="')[1].split("</nav>")[0]
    for href in re.findall(r'<a (?:class="[^"]*" )?href="(/[^"?#]*)', nav):
        assert central.get(href).status_code == 200, href
    assert 'href="/sources"' not in nav and 'href="/takedowns"' not in nav
    # in English too
    assert "National, by month" in central.get("/?lang=en").text


def test_empty_takedown_list_says_how_requests_come(app, world: World) -> None:  # type: ignore[no-untyped-def]
    analyst, _ = session_for(app, world.staff["analyst_b"])
    page = analyst.get("/takedowns")
    assert page.status_code == 200 and 'id="takedowns-how"' in page.text
    assert "검토 화면에서 일치 항목을 확인하세요" in page.text
