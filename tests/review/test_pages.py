"""Bad input on every review and takedown page (no browser): logins, other centres' records,
unknown ids, wrong types, forged forms. Nothing may leak a preview or skip the audit."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.foundation.test_auth import login
from tests.review.seeding import seed_matches
from tests.totp_codes import unused_totp_code

from jikimi import accounts, review
from jikimi.core.audit import AuditEntry


def session_for(app, member, totp: bool = False) -> tuple[TestClient, str]:  # type: ignore[no-untyped-def]
    client = TestClient(app, base_url="http://testserver", follow_redirects=False)
    code = unused_totp_code(member.totp_secret) if totp else None
    response = login(client, member, totp=code)
    assert response.status_code == 200, response.text
    return client, response.json()["csrf_token"]


def count(runtime, action: str) -> int:  # type: ignore[no-untyped-def]
    with runtime.sessions() as session:
        return len(list(session.scalars(select(AuditEntry).where(AuditEntry.action == action))))


def test_pages_refuse_bad_input(app, client, runtime, world, site, media) -> None:  # type: ignore[no-untyped-def]
    seeded = seed_matches(runtime, world, site, media)
    match = seeded.by_name["copy-mirrored.png"][0]
    a, csrf_a = session_for(app, world.staff["analyst_a"])
    b, csrf_b = session_for(app, world.staff["analyst_b"])
    counsellor, _csrf = session_for(app, world.staff["counsellor_a"])

    anonymous = TestClient(app, base_url="http://testserver", follow_redirects=False)
    for path in ("/review", f"/review/{match}", f"/review/{match}/preview", "/takedowns",
                 "/takedowns/statistics", "/takedowns/platforms"):
        r = anonymous.get(path)
        assert r.status_code == 303 and r.headers["location"].startswith("/login"), path
    assert anonymous.get("/takedowns/overdue-banner").text == ""

    # the review pages: another centre, other roles, unknown ids, wrong types
    assert a.get("/review").status_code == 200
    assert b.get(f"/review/{match}").status_code == 404
    r = b.get(f"/review/{match}/preview")
    assert r.status_code == 404 and not r.headers["content-type"].startswith("image/")
    r = b.post(f"/review/{match}/unblur", data={"csrf_token": csrf_b})
    assert r.status_code == 404 and "data:image" not in r.text
    assert counsellor.get("/review").status_code == 403
    assert counsellor.get(f"/review/{match}/preview").status_code == 403
    r = a.post(f"/review/{match}/unblur", data={"csrf_token": "forged"})
    assert r.status_code == 403 and "data:image" not in r.text
    assert count(runtime, "review.unblur") == 0
    assert a.get("/review/999999").status_code == 404
    assert a.get(f"/review/{2**40}").status_code == 404
    assert a.get("/review/abc").status_code == 422
    assert a.get("/review/999999/preview").status_code == 404
    assert a.post("/review/999999/unblur", data={"csrf_token": csrf_a}).status_code == 404
    r = a.post(f"/review/{match}/unblur", data={"csrf_token": csrf_a, "reason": "x" * 600})
    assert r.status_code == 422
    assert count(runtime, "review.unblur") == 0
    assert a.get("/review?status=nonsense&assigned=everyone").status_code == 422
    assert a.get("/review?status=nonsense&source=x&signal=evil").status_code == 200
    for data in ({"action": "delete", "match_ids": [match]}, {"action": "confirm"},
                 {"action": "confirm", "match_ids": ["x"]},
                 {"action": "reject", "match_ids": [match]}):
        r = a.post("/review/bulk", data={"csrf_token": csrf_a, **data})
        assert r.status_code == 422, data
    r = a.post("/review/bulk", data={"csrf_token": "forged", "action": "confirm",
                                     "match_ids": [match]})
    assert r.status_code == 403
    r = b.post("/review/bulk", data={"csrf_token": csrf_b, "action": "confirm",
                                     "match_ids": [match]})
    assert r.status_code == 303 and "failed=1" in r.headers["location"]
    r = a.post(f"/review/{match}/decide", data={"csrf_token": csrf_a, "action": "delete"})
    assert r.status_code == 422
    r = a.post(f"/review/{match}/assign", data={"csrf_token": csrf_a,
                                                "assignee": str(world.staff["analyst_b"].id)})
    assert r.status_code == 404
    r = b.post(f"/review/{match}/assign", data={"csrf_token": csrf_b, "assignee": ""})
    assert r.status_code == 404

    # a good round trip: the clear view is audited and never cached
    r = a.post(f"/review/{match}/unblur", data={"csrf_token": csrf_a},
               headers={"HX-Request": "true"})
    assert r.status_code == 200 and 'data-blurred="false"' in r.text
    assert "no-store" in r.headers["cache-control"]
    assert count(runtime, "review.unblur") == 1
    r = a.post("/review/bulk", data={"csrf_token": csrf_a, "action": "confirm",
                                     "match_ids": [match], "back": "status=pending"})
    assert r.status_code == 303
    assert r.headers["location"] == "/review?status=pending&done=1&failed=0"
    r = a.post("/review/bulk", data={"csrf_token": csrf_a, "action": "assign",
                                     "match_ids": [match], "back": "//evil.example/"})
    assert r.headers["location"].startswith("/review?done=1")

    # the takedown pages
    r = a.get("/takedowns")
    assert r.status_code == 200 and seeded.case_code in r.text
    with runtime.sessions() as session:
        from jikimi.takedown.models import TakedownRequest

        request_id = session.scalars(select(TakedownRequest.id)).one()
    assert a.get(f"/takedowns/{request_id}").status_code == 200
    assert b.get(f"/takedowns/{request_id}").status_code == 404
    assert a.get("/takedowns/999999").status_code == 404
    assert a.get("/takedowns/abc").status_code == 422
    assert a.get(f"/takedowns/{2**40}").status_code == 404
    for path, data in ((f"/takedowns/{request_id}/transition", {"status": "bogus"}),
                       (f"/takedowns/{request_id}/preview", {"language": "xx"}),
                       (f"/takedowns/{request_id}/preview", {"recipient": "not an address"})):
        r = a.post(path, data={"csrf_token": csrf_a, **data})
        assert r.status_code == 422, (path, data)
    r = a.post(f"/takedowns/{request_id}/mark-sent", data={"csrf_token": csrf_a})
    assert r.status_code == 409  # nothing prepared yet
    r = a.post(f"/takedowns/{request_id}/verify", data={"csrf_token": csrf_a})
    assert r.status_code == 409  # a draft is not verified
    r = b.post(f"/takedowns/{request_id}/transition",
               data={"csrf_token": csrf_b, "status": "refused"})
    assert r.status_code == 404
    r = a.post(f"/takedowns/{request_id}/transition",
               data={"csrf_token": "forged", "status": "refused"})
    assert r.status_code == 403
    r = a.post(f"/takedowns/{request_id}/transition",
               data={"csrf_token": csrf_a, "status": "refused"})
    assert r.status_code == 409  # a draft cannot be refused
    assert a.get("/takedowns/statistics").status_code == 200
    csv = a.get("/takedowns/statistics.csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert a.get("/takedowns/overdue-banner").text.strip() == ""
    assert counsellor.get("/takedowns/overdue-banner").text == ""

    # the platform directory: admins edit, analysts read
    assert a.get("/takedowns/platforms").status_code == 200
    assert a.get("/takedowns/platforms/nowhere").status_code == 404
    r = a.post("/takedowns/platforms/telegram", data={"csrf_token": csrf_a, "name": "T"})
    assert r.status_code == 403
    admin, csrf_admin = session_for(app, world.staff["admin_a"], totp=True)
    form = {"csrf_token": csrf_admin, "name": "Telegram", "language": "en",
            "response_hours": "24", "response_hours_basis": "test", "channels": "not json",
            "domains": "[]"}
    r = admin.post("/takedowns/platforms/telegram", data=form)
    assert r.status_code == 422
    r = admin.post("/takedowns/platforms/telegram", data={**form, "channels": "[]"})
    assert r.status_code == 422 and "channels" in r.text
    r = admin.post("/takedowns/platforms/telegram", data={**form, "response_hours": "x"})
    assert r.status_code == 422
    with runtime.context(_analyst(runtime, world)) as ctx:
        assert review.queue(ctx, status=review.ReviewStatus.CONFIRMED)


def _analyst(runtime, world):  # type: ignore[no-untyped-def]
    from jikimi.core.actors import cli_actor

    with runtime.context(cli_actor("test")) as ctx:
        return accounts.actor_for(accounts.get_user(ctx, world.staff["analyst_a"].id))
