"""The case desk through the API and the services: search, sort and pages; the intake queue
and picking a case up; hand-over between centres (records follow, both centres audited);
closing needs a reason; the SQL visibility rule agrees with ``cases.access`` for every role;
the victim gives and withdraws consents herself; staff register pictures as fingerprints."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from tests.conftest import auth
from tests.review.test_pages import session_for

from jikimi import accounts, cases
from jikimi.cases import CaseQuery, CaseStatus, ConsentPurpose, IntakeChannel
from jikimi.core.actors import Role, cli_actor
from jikimi.core.audit import AuditEntry
from jikimi.core.paging import PageRequest, paginate
from jikimi.errors import Forbidden, NotFound
from jikimi.matching import Bank

PDQ = "f" * 64
SHA = "a" * 64
MD5 = "b" * 32


def _open(runtime, world, centre_id: int, channel: IntakeChannel = IntakeChannel.HOTLINE,  # type: ignore[no-untyped-def]
          *, minor: bool = False, assign_to: tuple[int, ...] = ()) -> str:
    with runtime.context(cli_actor("test")) as ctx:
        centre = accounts.resolve_centre(ctx.session, centre_id)
        return cases.open_case(ctx, centre, channel, minor=minor,
                               assign_to=assign_to).case.code


def _as(runtime, world, key: str):  # type: ignore[no-untyped-def]
    with runtime.context(cli_actor("test")) as ctx:
        return accounts.actor_for(accounts.get_user(ctx, world.staff[key].id))


def test_paging_request_is_clamped_and_sorted() -> None:
    request = PageRequest.parse("0", "100000", "-bogus", sorts=("code",), default_sort="-code")
    assert (request.page, request.per_page, request.sort, request.descending) == (1, 200,
                                                                                  "code", True)
    request = PageRequest.parse("3", "2", "code", sorts=("code",))
    page = paginate(list(range(7)), request, {"code": lambda n: -n})
    assert page.items == [2, 1] and page.total == 7 and page.pages == 4
    assert page.has_previous and page.has_next and (page.first_row, page.last_row) == (5, 6)
    empty = paginate([], PageRequest.parse(None, None, None))
    assert empty.pages == 1 and empty.first_row == 0 and not empty.has_next


def test_search_pages_sorts_and_filters(client, runtime, world) -> None:  # type: ignore[no-untyped-def]
    counsellor = world.staff["counsellor_a"].id
    codes = [_open(runtime, world, world.centre_a, minor=n % 3 == 0,
                   assign_to=(counsellor,) if n % 2 else ())
             for n in range(7)]
    other = _open(runtime, world, world.centre_b)
    admin = auth(world.staff["admin_a"])
    first = client.get("/api/v1/cases/search?per_page=3&sort=code", headers=admin).json()
    assert first["total"] == 7 and first["pages"] == 3 and first["sort"] == "code"
    assert [c["code"] for c in first["items"]] == codes[:3]
    last = client.get("/api/v1/cases/search?per_page=3&sort=code&page=3", headers=admin).json()
    assert [c["code"] for c in last["items"]] == codes[6:]
    newest = client.get("/api/v1/cases/search?per_page=2", headers=admin).json()
    assert [c["code"] for c in newest["items"]] == [codes[6], codes[5]]
    fragment = codes[4].split("-")[-1]
    found = client.get(f"/api/v1/cases/search?code={fragment}", headers=admin).json()
    assert [c["code"] for c in found["items"]] == [codes[4]]
    minors = client.get("/api/v1/cases/search?minor=true&sort=code", headers=admin).json()
    assert [c["code"] for c in minors["items"]] == [codes[0], codes[3], codes[6]]
    queue = client.get("/api/v1/cases/search?assignee=none&sort=code", headers=admin).json()
    assert [c["code"] for c in queue["items"]] == codes[0::2]
    mine = client.get(f"/api/v1/cases/search?assignee={counsellor}&sort=code",
                      headers=admin).json()
    assert [c["code"] for c in mine["items"]] == codes[1::2]
    today = dt.datetime.now(dt.UTC).date()
    dated = client.get(f"/api/v1/cases/search?opened_from={today - dt.timedelta(days=1)}"
                       f"&opened_to={today + dt.timedelta(days=1)}", headers=admin).json()
    assert dated["total"] == 7
    future = client.get(f"/api/v1/cases/search?opened_from={today + dt.timedelta(days=2)}",
                        headers=admin).json()
    assert future["total"] == 0
    assert other not in {c["code"] for c in client.get(
        "/api/v1/cases/search?per_page=200", headers=admin).json()["items"]}
    # The counsellor sees her own cases and the intake queue, nobody else's.
    seen = client.get("/api/v1/cases/search?per_page=200",
                      headers=auth(world.staff["counsellor_a"])).json()
    assert {c["code"] for c in seen["items"]} == set(codes)
    bad = client.get("/api/v1/cases/search?assignee=everyone", headers=admin)
    assert bad.status_code == 422
    assert client.get("/api/v1/cases/search?page=0", headers=admin).status_code == 422
    refused = client.get("/api/v1/cases/search", headers=auth(world.staff["central_admin"]))
    assert refused.status_code == 403


def test_sql_visibility_agrees_with_the_case_rule(runtime, world) -> None:  # type: ignore[no-untyped-def]
    a2, investigator = world.staff["counsellor_a2"].id, world.staff["investigator_a"].id
    made = [
        _open(runtime, world, world.centre_a, assign_to=(world.staff["counsellor_a"].id,)),
        _open(runtime, world, world.centre_a),
        _open(runtime, world, world.centre_a, assign_to=(a2, investigator)),
        _open(runtime, world, world.centre_b),
        _open(runtime, world, world.centre_a, assign_to=(a2,)),
    ]
    with runtime.context(cli_actor("test")) as ctx:
        cases.record_consent(ctx, made[4], ConsentPurpose.POLICE_REFERRAL)
    for key, member in world.staff.items():
        if member.role == Role.CENTRAL_ADMIN.value:
            continue
        actor = _as(runtime, world, key)
        with runtime.context(actor) as ctx:
            found = cases.search_cases(ctx, CaseQuery(), PageRequest(per_page=200))
            listed = {c.code for c in found.items}
            # The start page's counts use the same rule as the list.
            assert cases.count_cases(ctx, CaseQuery()) == found.total == len(found.items), key
            assert len(cases.intake_times(ctx, dt.datetime(2000, 1, 1, tzinfo=dt.UTC))) \
                == found.total, key
        expected = set()
        for code in made:
            try:
                with runtime.context(actor) as ctx:
                    cases.get_case(ctx, code)
                expected.add(code)
            except (Forbidden, NotFound):
                pass
        assert listed & set(made) == expected, key


def test_intake_queue_pick_up_and_portal_cases(client, runtime, world) -> None:  # type: ignore[no-untyped-def]
    with runtime.context(cli_actor("test")) as ctx:
        central = accounts.resolve_centre(ctx.session, world.central_id)
        desk = accounts.add_user(ctx, "desk@test.invalid", Role.COUNSELLOR, central)
        _row, token = accounts.create_api_token(ctx, desk.user, "tests")
    headers = {"Authorization": f"Bearer {token}", "Accept-Language": "en"}
    opened = client.post("/api/v1/victim/cases").json()
    queue = client.get("/api/v1/cases/search?assignee=none", headers=headers).json()
    assert [c["code"] for c in queue["items"]] == [opened["code"]]
    summary = client.get(f"/api/v1/cases/{opened['code']}", headers=headers).json()
    assert summary["permissions"]["pick_up"] and summary["contact"] is None
    assert client.get(f"/api/v1/cases/{opened['code']}/notes", headers=headers).status_code == 403
    taken = client.post(f"/api/v1/cases/{opened['code']}/pick-up", headers=headers)
    assert taken.status_code == 200, taken.text
    assert taken.json()["assignee_ids"] == [desk.user.id]
    assert taken.json()["permissions"]["notes"]
    again = client.post(f"/api/v1/cases/{opened['code']}/pick-up", headers=headers)
    assert again.status_code == 403 and again.json()["error"]["code"] == "not_in_queue"
    assert client.get("/api/v1/cases/search?assignee=none", headers=headers).json()["total"] == 0
    # A case closed before anyone took it (a mistaken portal case) leaves the queue.
    junk = client.post("/api/v1/victim/cases").json()["code"]
    with runtime.context(cli_actor("test")) as ctx:
        cases.change_status(ctx, junk, CaseStatus.CLOSED, "opened by mistake")
        queued = cases.intake_queue(ctx)
    assert junk not in {c.code for c in queued.items}
    # Another centre's counsellor never sees the queue of this one.
    other = client.get("/api/v1/cases/search?assignee=none",
                       headers=auth(world.staff["counsellor_a"])).json()
    assert opened["code"] not in {c["code"] for c in other["items"]}


def test_hand_over_moves_the_case_and_its_records(client, runtime, world) -> None:  # type: ignore[no-untyped-def]
    counsellor = world.staff["counsellor_a"]
    code = _open(runtime, world, world.centre_a, assign_to=(counsellor.id,))
    item = {"label": "photo 1", "sha256": SHA, "md5": MD5, "pdq": PDQ, "quality": 100}
    registered = client.post(f"/api/v1/cases/{code}/fingerprints", json={"items": [item]},
                             headers=auth(counsellor))
    assert registered.status_code == 201, registered.text
    admin_a = auth(world.staff["admin_a"])
    no_reason = client.post(f"/api/v1/cases/{code}/hand-over",
                            json={"centre_id": world.centre_b, "reason": " "}, headers=admin_a)
    assert no_reason.status_code == 422
    assert no_reason.json()["error"]["code"] == "hand_over_reason_required"
    same = client.post(f"/api/v1/cases/{code}/hand-over",
                       json={"centre_id": world.centre_a, "reason": "x"}, headers=admin_a)
    assert same.status_code == 422 and same.json()["error"]["code"] == "same_centre"
    refused = client.post(f"/api/v1/cases/{code}/hand-over",
                          json={"centre_id": world.centre_b, "reason": "x"},
                          headers=auth(world.staff["admin_b"]))
    assert refused.status_code == 403
    moved = client.post(f"/api/v1/cases/{code}/hand-over",
                        json={"centre_id": world.centre_b, "reason": "피해자가 부산으로 이사"},
                        headers=admin_a)
    assert moved.status_code == 200, moved.text
    assert moved.json()["centre_name"] == "부산센터"
    assert client.get(f"/api/v1/cases/{code}", headers=admin_a).status_code == 403
    assert client.get(f"/api/v1/cases/{code}", headers=auth(counsellor)).status_code == 403
    received = client.get("/api/v1/cases/search?assignee=none",
                          headers=auth(world.staff["counsellor_b"])).json()
    assert code in {c["code"] for c in received["items"]}
    with runtime.sessions() as session:
        bank = session.scalar(select(Bank).where(Bank.case_code == code))
        assert bank is not None and bank.centre_id == world.centre_b
        actions = {(e.action, e.centre_id) for e in session.scalars(
            select(AuditEntry).where(AuditEntry.record_id == code))}
    assert ("case.hand_over", world.centre_a) in actions
    assert ("case.received", world.centre_b) in actions
    kinds = [e["kind"] for e in client.get(f"/api/v1/cases/{code}/timeline",
                                           headers=auth(world.staff["admin_b"])).json()]
    assert kinds[-1] == "handed_over"


def test_closing_needs_a_reason(client, world) -> None:  # type: ignore[no-untyped-def]
    counsellor = auth(world.staff["counsellor_a"])
    code = client.post("/api/v1/cases", json={"channel": "walk_in"},
                       headers=counsellor).json()["case"]["code"]
    bare = client.post(f"/api/v1/cases/{code}/status", json={"status": "closed"},
                       headers=counsellor)
    assert bare.status_code == 422 and bare.json()["error"]["code"] == "close_reason_required"
    closed = client.post(f"/api/v1/cases/{code}/status",
                         json={"status": "closed", "reason": "지원 종료"}, headers=counsellor)
    assert closed.status_code == 200 and closed.json()["status"] == "closed"


def test_staff_register_fingerprints_only_for_their_case(client, world) -> None:  # type: ignore[no-untyped-def]
    counsellor = auth(world.staff["counsellor_a"])
    code = client.post("/api/v1/cases", json={"channel": "walk_in"},
                       headers=counsellor).json()["case"]["code"]
    item = {"label": "", "sha256": SHA, "md5": MD5, "pdq": PDQ, "quality": 100}
    for key, status in (("analyst_a", 403), ("counsellor_a2", 403), ("counsellor_b", 403),
                        ("admin_a", 403)):
        r = client.post(f"/api/v1/cases/{code}/fingerprints", json={"items": [item]},
                        headers=auth(world.staff[key]))
        assert r.status_code == status, (key, r.text)
    bad = client.post(f"/api/v1/cases/{code}/fingerprints",
                      json={"items": [{**item, "pdq": "zz"}]}, headers=counsellor)
    assert bad.status_code == 422
    ok = client.post(f"/api/v1/cases/{code}/fingerprints", json={"items": [item]},
                     headers=counsellor)
    assert ok.status_code == 201 and ok.json()["fingerprints"] == 3


def test_victim_gives_and_withdraws_each_consent(client, runtime, world) -> None:  # type: ignore[no-untyped-def]
    opened = client.post("/api/v1/victim/cases").json()
    creds = {"code": opened["code"], "secret": opened["secret"]}
    for purpose in ConsentPurpose:
        given = client.post("/api/v1/victim/consents",
                            json={**creds, "purpose": purpose.value, "give": True})
        assert given.status_code == 200, given.text
        assert purpose.value in given.json()["consents"]
    again = client.post("/api/v1/victim/consents",
                        json={**creds, "purpose": "partner_sharing", "give": True})
    assert again.status_code == 200
    withdrawn = client.post("/api/v1/victim/consents",
                            json={**creds, "purpose": "partner_sharing", "give": False})
    assert "partner_sharing" not in withdrawn.json()["consents"]
    wrong = client.post("/api/v1/victim/consents",
                        json={**creds, "secret": "AAAA-BBBB-CCCC-DDDD",
                              "purpose": "face_search", "give": False})
    assert wrong.status_code == 401
    unknown = client.post("/api/v1/victim/consents",
                          json={**creds, "purpose": "everything", "give": True})
    assert unknown.status_code == 422
    with runtime.sessions() as session:
        records = list(session.scalars(select(cases.service.ConsentRecord).where(
            cases.service.ConsentRecord.purpose == "partner_sharing")))
    assert records[-1].granted_by.startswith("system:portal victim:")


@pytest.mark.parametrize("path", ["/cases/DSC-2026-999999", "/no/such/page"])
def test_error_pages_keep_the_navigation(app, world, path: str) -> None:  # type: ignore[no-untyped-def]
    web, _csrf = session_for(app, world.staff["counsellor_a"])
    page = web.get(path, headers={"Accept": "text/html"})
    assert page.status_code == 404
    assert 'href="/cases"' in page.text and world.staff["counsellor_a"].email in page.text
    assert "찾을 수 없습니다" in page.text and "목록으로 돌아가" in page.text


def test_web_forms_keep_what_was_typed(app, world) -> None:  # type: ignore[no-untyped-def]
    web, csrf = session_for(app, world.staff["counsellor_a"])
    page = web.post("/cases/new", data={"csrf_token": csrf, "channel": "hotline",
                                        "name": "홍길순", "phone": "010-12#4", "minor": "1"})
    assert page.status_code == 422
    assert 'value="홍길순"' in page.text and 'value="010-12#4"' in page.text
    assert 'id="phone-error"' in page.text and 'aria-invalid="true"' in page.text
    assert "전화번호에는 숫자" in page.text and 'name="minor" value="1" checked' in page.text
    code = web.post("/cases/new", data={"csrf_token": csrf, "channel": "walk_in"})
    assert code.status_code == 200
    case_code = code.text.split('class="code">')[1].split("<")[0]
    close = web.post(f"/cases/{case_code}/close", data={"csrf_token": csrf,
                                                        "reason": "지원 종료"})
    assert close.status_code == 422 and "지원 종료" in close.text
    assert 'id="confirm-error"' in close.text
    done = web.post(f"/cases/{case_code}/close", data={"csrf_token": csrf, "reason": "지원 종료",
                                                       "confirm": "1"})
    assert done.status_code == 303
    forged = web.post(f"/cases/{case_code}/erase", data={"csrf_token": "forged", "reason": "x",
                                                         "confirm": "1"})
    assert forged.status_code == 403 and "권한이 없습니다" in forged.text


def test_lists_page_sort_and_search_in_the_browser_pages(app, client, world) -> None:  # type: ignore[no-untyped-def]
    analyst = auth(world.staff["analyst_a"])
    for name in ("alpha", "bravo", "charlie"):
        r = client.post("/api/v1/banks", json={"name": f"list-{name}"}, headers=analyst)
        assert r.status_code == 201, r.text
    web, _csrf = session_for(app, world.staff["analyst_a"])
    page = web.get("/banks?sort=-name&per_page=2")
    assert page.status_code == 200
    assert page.text.index("list-charlie") < page.text.index("list-bravo")
    assert "list-alpha" not in page.text and 'aria-sort="descending"' in page.text
    assert "전체 3건 중 1–2" in page.text and 'rel="next"' in page.text
    second = web.get("/banks?sort=-name&per_page=2&page=2")
    assert "list-alpha" in second.text and "list-charlie" not in second.text
    found = web.get("/banks?q=BRAV")
    assert "list-bravo" in found.text and "list-alpha" not in found.text
    for path in ("/sources?q=x&sort=name", "/takedowns?sort=-deadline&page=3",
                 "/review?sort=distance&page=2", "/cases?sort=bogus&page=x&per_page=-1"):
        assert web.get(path).status_code == 200, path


def test_cli_hands_a_case_over(cli_env, runtime, world) -> None:  # type: ignore[no-untyped-def]
    from tests.foundation.test_cli import jikimi

    code = _open(runtime, world, world.centre_a, assign_to=(world.staff["counsellor_a"].id,))
    refused = jikimi(cli_env, "cases", "hand-over", code, "--to", "부산센터", "--reason", "",
                     check=False)
    assert refused.returncode == 1
    done = jikimi(cli_env, "cases", "hand-over", code, "--to", "부산센터", "--reason", "이사")
    assert "부산센터" in done.stdout
    with runtime.sessions() as session:
        case = session.scalar(select(cases.Case).where(cases.Case.code == code))
        assert case is not None and case.centre_id == world.centre_b



def test_oversized_form_gets_the_413_page(app, world) -> None:  # type: ignore[no-untyped-def]
    web, csrf = session_for(app, world.staff["counsellor_a"])
    page = web.post("/cases/new", data={"csrf_token": csrf, "name": "x" * 3_000_000},
                    headers={"Accept": "text/html"})
    assert page.status_code == 413
    assert "파일이 너무 큽니다" in page.text and 'href="/cases"' in page.text
    api = web.post("/api/v1/cases", content=b"{" + b" " * 3_000_000 + b"}",
                   headers={"Content-Type": "application/json"})
    assert api.status_code == 413 and api.json()["error"]["code"] == "body_too_large"


def test_portal_errors_never_show_the_staff_layout(client, world) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/portal/no-such-page", headers={"Accept": "text/html"})
    assert page.status_code == 404 and "로그아웃" not in page.text and "/cases" not in page.text


def test_victim_changes_a_consent_without_javascript(client, world) -> None:  # type: ignore[no-untyped-def]
    opened = client.post("/api/v1/victim/cases").json()
    form = {"code": opened["code"], "secret": opened["secret"], "purpose": "partner_sharing",
            "choice": "give"}
    page = client.post("/portal/consent", data=form)
    assert page.status_code == 200 and "동의했습니다: 협력 플랫폼과 해시 공유" in page.text
    assert opened["secret"] not in page.text
    view = client.post("/api/v1/victim/case", json={"code": opened["code"],
                                                    "secret": opened["secret"]}).json()
    assert view["consents"] == ["partner_sharing"]
    page = client.post("/portal/consent", data={**form, "choice": "withdraw"})
    assert "동의를 철회했습니다" in page.text
    wrong = client.post("/portal/consent", data={**form, "secret": "AAAA-BBBB-CCCC-DDDD"})
    assert wrong.status_code == 401
    unknown = client.post("/portal/consent", data={**form, "purpose": "everything"})
    assert unknown.status_code == 200 and "동의 항목과" in unknown.text


def test_two_counsellors_picking_up_at_once_get_one_assignment(runtime, world) -> None:  # type: ignore[no-untyped-def]
    """A double click or two counsellors at the same moment: one takes the case, the other is
    told it was already picked up (409), never a database error and never two assignees."""
    import threading

    from jikimi.errors import Conflict

    with runtime.context(cli_actor("test")) as ctx:
        central = accounts.resolve_centre(ctx.session, world.central_id)
        desks = [accounts.actor_for(accounts.add_user(
            ctx, f"race{n}@test.invalid", Role.COUNSELLOR, central).user) for n in range(2)]
    codes = [_open(runtime, world, world.central_id, IntakeChannel.WEB) for _ in range(4)]
    for code in codes:
        start = threading.Barrier(2)
        outcomes: list[str] = []

        def take(actor, code: str = code, start: threading.Barrier = start,  # type: ignore[no-untyped-def]
                 outcomes: list[str] = outcomes) -> None:
            start.wait()
            try:
                with runtime.context(actor) as ctx:
                    cases.pick_up(ctx, code)
                outcomes.append("taken")
            except (Conflict, Forbidden) as exc:
                outcomes.append(type(exc).__name__)

        threads = [threading.Thread(target=take, args=(actor,)) for actor in desks]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert sorted(outcomes)[-1] == "taken" and outcomes.count("taken") == 1, outcomes
        with runtime.context(cli_actor("test")) as ctx:
            assert len(cases.get_case(ctx, code).assignee_ids) == 1
