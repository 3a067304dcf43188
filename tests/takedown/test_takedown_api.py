"""The takedown API: per-record authorisation, sending (the e-mail leaves right after the
request commits), web-form requests, transitions, verification, statistics and the platform
directory, with bad input refused."""

from __future__ import annotations

from sqlalchemy import select
from tests.conftest import World, auth
from tests.takedown.conftest import Recorder
from tests.takedown.seed import seed_case, seed_match

from jikimi import cases
from jikimi.core.actors import cli_actor
from jikimi.core.audit import AuditEntry
from jikimi.core.runtime import Runtime


def test_takedown_api(client, runtime: Runtime, world: World,  # type: ignore[no-untyped-def]
                      smtp_server: tuple[Recorder, int]) -> None:
    recorder, _port = smtp_server
    s = world.staff
    seeded = seed_case(runtime, world.centre_a)
    with runtime.context(cli_actor()) as ctx:
        cases.assign(ctx, seeded.case_code, s["counsellor_a"].id)
    urls = ["https://www.tumblr.com/p/1", "https://x.com/u/status/2", "http://127.0.0.1:1/a.jpg"]
    match_ids = [seed_match(runtime, seeded, u, content=f"c{n}") for n, u in enumerate(urls)]
    analyst = auth(s["analyst_a"])
    for match_id in match_ids:
        r = client.post(f"/api/v1/review/{match_id}/confirm", json={}, headers=analyst)
        assert r.status_code == 200, r.text
    listed = client.get("/api/v1/takedowns", headers=analyst).json()
    ids = {row["platform_id"]: row["id"] for row in listed}
    assert set(ids) == {"tumblr", "x", "site:127.0.0.1"}
    tumblr, x, local = ids["tumblr"], ids["x"], ids["site:127.0.0.1"]
    # who may see what
    assert client.get("/api/v1/takedowns", headers=auth(s["analyst_b"])).json() == []
    assert client.get(f"/api/v1/takedowns/{tumblr}", headers=auth(s["analyst_b"])
                      ).status_code == 404
    assert client.get(f"/api/v1/takedowns/{tumblr}", headers=auth(s["counsellor_a"])
                      ).status_code == 200
    assert client.get(f"/api/v1/takedowns/{tumblr}", headers=auth(s["counsellor_a2"])
                      ).status_code == 403
    assert len(client.get("/api/v1/takedowns", headers=auth(s["counsellor_a"])).json()) == 3
    assert client.get("/api/v1/takedowns", headers=auth(s["central_admin"])).status_code == 403
    assert client.post(f"/api/v1/takedowns/{tumblr}/send", json={},
                       headers=auth(s["counsellor_a"])).status_code == 403
    assert client.get("/api/v1/takedowns/999999", headers=analyst).status_code == 404
    assert client.get("/api/v1/takedowns/abc", headers=analyst).status_code == 422
    # bad bodies
    for body in ({"recipient": 123}, {"unknown": True}, {"language": "../etc"},
                 {"recipient": "a@b.example\r\nBcc: x@y.example"},
                 {"legal_basis": ["x" * 100]}):
        r = client.post(f"/api/v1/takedowns/{tumblr}/send", json=body, headers=analyst)
        assert r.status_code == 422, (body, r.text)
    r = client.post(f"/api/v1/takedowns/{tumblr}/send", content=b"{not json",
                    headers={**analyst, "Content-Type": "application/json"})
    assert r.status_code == 422
    # e-mail: queued in the request, sent right after it commits
    r = client.post(f"/api/v1/takedowns/{tumblr}/send", json={}, headers=auth(s["analyst_a"],
                                                                          "ko"))
    assert r.status_code == 200 and r.json()["outbox_status"] == "queued"
    assert len(recorder.messages) == 1 and recorder.messages[0][0] == ["abuse@tumblr.com"]
    shown = client.get(f"/api/v1/takedowns/{tumblr}", headers=analyst).json()
    assert shown["status"] == "sent" and shown["outbox"][0]["status"] == "sent"
    again = client.post(f"/api/v1/takedowns/{tumblr}/send", json={}, headers=analyst)
    assert again.status_code == 409
    # web form: prepared, then marked sent
    prepared = client.post(f"/api/v1/takedowns/{x}/send", json={}, headers=analyst).json()
    assert prepared["channel"] == "web_form" and prepared["status"] == "draft"
    r = client.post(f"/api/v1/takedowns/{x}/mark-sent", json={"note": "form submitted"},
                    headers=analyst)
    assert r.status_code == 200 and r.json()["status"] == "sent"
    for body, code in (({"status": "bogus"}, 422), ({"status": "draft"}, 422),
                       ({"status": "removed"}, 422), ({"status": "acknowledged"}, 200),
                       ({"status": "acknowledged"}, 409)):
        r = client.post(f"/api/v1/takedowns/{x}/transition", json=body, headers=analyst)
        assert r.status_code == code, (body, r.text)
    # verification runs after the request commits: an unreachable server is not a removal
    assert client.post(f"/api/v1/takedowns/{local}/verify", headers=analyst
                       ).status_code == 409  # still a draft
    client.post(f"/api/v1/takedowns/{local}/send", json={}, headers=analyst)
    client.post(f"/api/v1/takedowns/{local}/mark-sent", json={}, headers=analyst)
    r = client.post(f"/api/v1/takedowns/{local}/verify", headers=analyst)
    assert r.status_code == 202
    checked = client.get(f"/api/v1/takedowns/{local}", headers=analyst).json()
    assert checked["status"] == "sent"
    assert [(c["outcome"], c["http_status"]) for c in checked["checks"]] == [
        ("unreachable", None)]
    # statistics
    stats = client.get("/api/v1/takedowns/statistics", headers=auth(s["admin_a"])).json()
    assert stats["sent_total"] == 3 and stats["by_status"]["sent"] == 2
    csv = client.get("/api/v1/takedowns/statistics.csv", headers=auth(s["admin_a"]))
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.text.splitlines()[0] == "month,platform,requests_sent,removed," \
                                       "median_hours_to_removal"
    assert client.get("/api/v1/takedowns/statistics", headers=auth(s["counsellor_a"])
                      ).status_code == 403
    # the platform directory
    platforms = client.get("/api/v1/platforms", headers=auth(s["counsellor_a"])).json()
    telegram = next(p for p in platforms if p["id"] == "telegram")
    assert telegram["has_unverified_contacts"] and not telegram["channels"][0]["verified"]
    admin = auth(s["admin_a"])
    assert client.patch("/api/v1/platforms/tumblr", json={"response_hours": 12},
                        headers=analyst).status_code == 403
    r = client.patch("/api/v1/platforms/tumblr", json={"response_hours": 12}, headers=admin)
    assert r.status_code == 200 and r.json()["overridden"] and r.json()["response_hours"] == 12
    for body in ({"channels": "x"}, {"response_hours": -1}, {"id": "other"}, {},
                 {"domains": [{"domain": "127.0.0.1"}]}):
        assert client.patch("/api/v1/platforms/tumblr", json=body, headers=admin
                            ).status_code == 422, body
    assert client.patch("/api/v1/platforms/Bad-Id", json={"name": "x"}, headers=admin
                        ).status_code == 422
    assert client.delete("/api/v1/platforms/tumblr/edit", headers=admin).status_code == 204
    assert client.get("/api/v1/platforms/tumblr", headers=admin).json()["overridden"] is False
    with runtime.sessions() as session:
        actions = set(session.scalars(select(AuditEntry.action)))
    assert {"takedown.propose", "takedown.send", "takedown.emailed", "takedown.mark_sent",
            "takedown.acknowledged", "takedown.verify", "takedown.read", "platform.update",
            "platform.reset"} <= actions
