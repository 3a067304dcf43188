"""The review API on seeded matches: filters, detail, previews (blurred unless asked, unblur
audited, nothing cached), bulk decisions, assignment, and bad input for every endpoint."""

from __future__ import annotations

import hashlib
import io
import threading

from PIL import Image
from sqlalchemy import select
from tests.conftest import auth
from tests.review.seeding import seed_matches

from jikimi.core.audit import AuditEntry
from jikimi.review import make_preview


def audit_actions(runtime, action: str) -> list[AuditEntry]:  # type: ignore[no-untyped-def]
    with runtime.sessions() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_review_api(client, runtime, world, site, media) -> None:  # type: ignore[no-untyped-def]
    seeded = seed_matches(runtime, world, site, media)
    analyst, other = world.staff["analyst_a"], world.staff["analyst_b"]
    h = auth(analyst)
    queue = client.get("/api/v1/review", headers=h).json()
    assert [q["match_id"] for q in queue] == seeded.match_ids
    assert set(seeded.by_name) == set(media.copies)
    assert all(q["minor"] and q["case_code"] == seeded.case_code for q in queue)
    assert all(q["platform"] is None for q in queue)  # 127.0.0.1 is no platform
    assert client.get("/api/v1/review?platform=unknown", headers=h).json() == queue
    assert client.get("/api/v1/review?platform=telegram", headers=h).json() == []
    sha = [q for q in queue if q["signal_type"] == "sha256"]
    assert client.get("/api/v1/review?signal_type=sha256", headers=h).json() == sha
    assert client.get(f"/api/v1/review?source_id={seeded.source_id}", headers=h).json() == queue
    assert client.get("/api/v1/review?case=DSC-1999-000001", headers=h).json() == []
    assert client.get("/api/v1/review", headers=auth(other)).json() == []

    # detail: fingerprint, distance, dihedral variant, registered entry, case, context
    mirrored = seeded.by_name["copy-mirrored.png"][0]
    d = client.get(f"/api/v1/review/{mirrored}", headers=h).json()
    assert d["entry"]["variant"] != "original" or d["entry"]["entry_variant"] != "original"
    assert d["registered"]["bank"] == "victim-a" and d["registered"]["value"]
    assert d["case"] == {"code": seeded.case_code, "minor": True, "status": "open",
                         "same_centre": True} or d["case"]["code"] == seeded.case_code
    assert d["item"]["fingerprint"] and d["item"]["source_name"] == "gallery"
    assert any(site.url in str(v) for v in d["item"]["context"].values())
    assert d["threshold"] == 31 and "confirmed" in d["next_statuses"]

    # previews: blurred by default, the clear view only by POST, audited first
    body = media.copies["copy-mirrored.png"]
    r = client.get(f"/api/v1/review/{mirrored}/preview", headers=h)
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    assert "no-store" in r.headers["cache-control"]
    assert r.headers["x-jikimi-preview"] == "blurred"
    assert r.content == make_preview(body, blurred=True)
    assert r.content != make_preview(body, blurred=False)
    assert Image.open(io.BytesIO(r.content)).mode == "L"
    assert Image.open(io.BytesIO(r.content)).size[0] <= 320
    assert not audit_actions(runtime, "review.unblur")
    r = client.post(f"/api/v1/review/{mirrored}/preview/unblurred",
                    json={"reason": "확인 필요"}, headers=h)
    assert r.status_code == 200 and r.headers["x-jikimi-preview"] == "clear"
    assert r.content == make_preview(body, blurred=False)
    unblurs = audit_actions(runtime, "review.unblur")
    assert [(u.record_id, u.actor) for u in unblurs] == [
        (str(mirrored), f"staff:{analyst.id}")]
    # nothing of the media is kept anywhere on disk
    digest = hashlib.sha256(body).hexdigest()
    assert digest not in str(list((runtime.settings.resolved_data_dir).rglob("*")))
    # the place no longer holds it: 502, not a crash
    del site.files["/media/copy-mirrored.png"]
    r = client.get(f"/api/v1/review/{mirrored}/preview", headers=h)
    assert r.status_code == 502 and r.json()["error"]["code"] == "http_status"

    # assignment, then the assigned filter
    r = client.post("/api/v1/review/assign", headers=h,
                    json={"match_ids": [mirrored], "user_id": analyst.id})
    assert r.json() == [{"match_id": mirrored, "ok": True, "status": "pending",
                         "error": None, "code": None}]
    mine = client.get("/api/v1/review?assigned=me", headers=h).json()
    assert [m["match_id"] for m in mine] == [mirrored]
    assert mine[0]["assignee"] == analyst.email
    assert mirrored not in [m["match_id"] for m in
                            client.get("/api/v1/review?assigned=none", headers=h).json()]

    # bulk: reject needs a reason; confirm reports each match
    rest = [m for m in seeded.match_ids if m != mirrored]
    r = client.post("/api/v1/review/bulk", headers=h,
                    json={"match_ids": rest, "action": "reject"})
    assert r.status_code == 422
    r = client.post("/api/v1/review/bulk", headers=h,
                    json={"match_ids": [*rest, 999_999], "action": "confirm"})
    outcomes = {o["match_id"]: o for o in r.json()}
    assert all(outcomes[m]["ok"] for m in rest)
    assert outcomes[999_999]["code"] == "not_found"
    r = client.post("/api/v1/review/bulk", headers=h,
                    json={"match_ids": rest[:1], "action": "confirm"})
    assert r.json()[0]["code"] == "invalid_transition"
    confirmed = client.get("/api/v1/review?status=confirmed", headers=h).json()
    assert {c["match_id"] for c in confirmed} == set(rest)
    assert len(audit_actions(runtime, "review.confirmed")) == len(rest)


def test_review_api_bad_input(client, runtime, world, site, media) -> None:  # type: ignore[no-untyped-def]
    seeded = seed_matches(runtime, world, site, media)
    match = seeded.match_ids[0]
    a, b = auth(world.staff["analyst_a"]), auth(world.staff["analyst_b"])
    # another centre's analyst: 404 on everything about the match (it is not hers to know)
    assert client.get(f"/api/v1/review/{match}", headers=b).status_code == 404
    assert client.get(f"/api/v1/review/{match}/preview", headers=b).status_code == 404
    r = client.post(f"/api/v1/review/{match}/preview/unblurred", json={}, headers=b)
    assert r.status_code == 404
    assert not audit_actions(runtime, "review.unblur")
    r = client.post("/api/v1/review/bulk", json={"match_ids": [match], "action": "confirm"},
                    headers=b)
    assert r.json()[0]["code"] == "not_found"
    r = client.post("/api/v1/review/assign", json={"match_ids": [match], "user_id": None},
                    headers=b)
    assert r.json()[0]["code"] == "not_found"
    # other roles
    for role in ("counsellor_a", "investigator_a"):
        h = auth(world.staff[role])
        assert client.get(f"/api/v1/review/{match}", headers=h).status_code == 403
        assert client.get(f"/api/v1/review/{match}/preview", headers=h).status_code == 403
    assert client.get(f"/api/v1/review/{match}").status_code == 401
    # unknown ids, wrong types, out of range
    for path in ("/api/v1/review/999999", "/api/v1/review/999999/preview"):
        assert client.get(path, headers=a).status_code == 404
    assert client.post("/api/v1/review/999999/preview/unblurred", json={},
                       headers=a).status_code == 404
    assert client.post("/api/v1/review/999999/release", json={}, headers=a).status_code == 404
    for path in ("/api/v1/review/abc", "/api/v1/review/0/preview", "/api/v1/review/-1",
                 f"/api/v1/review/{2**40}"):
        assert client.get(path, headers=a).status_code == 422, path
    for body in ({}, {"match_ids": [], "action": "confirm"},
                 {"match_ids": ["x"], "action": "confirm"},
                 {"match_ids": [match], "action": "delete"},
                 {"match_ids": list(range(1, 600)), "action": "confirm"},
                 {"match_ids": [match], "action": "confirm", "extra": 1},
                 {"match_ids": [match], "action": "reject", "reason": "x\x00y"}):
        assert client.post("/api/v1/review/bulk", json=body, headers=a).status_code == 422, body
    for body in ({"match_ids": [match]}, {"match_ids": [match], "user_id": "me"},
                 {"match_ids": [match], "user_id": 0}):
        assert client.post("/api/v1/review/assign", json=body, headers=a).status_code == 422
    r = client.post("/api/v1/review/assign", json={"match_ids": [match], "user_id": 999999},
                    headers=a)
    assert r.status_code == 404
    counsellor = world.staff["counsellor_a"].id
    r = client.post("/api/v1/review/assign", json={"match_ids": [match],
                                                   "user_id": counsellor}, headers=a)
    assert r.status_code == 422 and r.json()["error"]["code"] == "bad_assignee"
    r = client.post("/api/v1/review/assign", headers=a, json={
        "match_ids": [match], "user_id": world.staff["analyst_b"].id})
    assert r.status_code == 404  # not in this centre
    for query in ("assigned=everyone", "platform=../etc", "status=maybe", "limit=0",
                  "source_id=x"):
        assert client.get(f"/api/v1/review?{query}", headers=a).status_code == 422, query
    r = client.post(f"/api/v1/review/{match}/preview/unblurred", json={"reason": "x" * 501},
                    headers=a)
    assert r.status_code == 422
    assert not audit_actions(runtime, "review.unblur")
    # not quarantined: release is refused
    r = client.post(f"/api/v1/review/{match}/release", json={}, headers=a)
    assert r.status_code == 409


def test_decisions_on_one_match_go_in_turn(client, runtime, world, site, media) -> None:  # type: ignore[no-untyped-def]
    """While one analyst's confirmation is not committed, another's waits for it and then
    hears that the match is decided (409), on both databases: never a server error from a
    decision row it could not see yet, never the match confirmed twice."""
    from jikimi import accounts, review
    from jikimi.core.actors import cli_actor

    seeded = seed_matches(runtime, world, site, media)
    match_id = seeded.match_ids[0]
    with runtime.context(cli_actor("test")) as ctx:
        first = accounts.actor_for(accounts.get_user(ctx, world.staff["analyst_a"].id))
    decided = threading.Event()
    answers = []

    def second_analyst() -> None:
        decided.wait(10)
        answers.append(client.post(f"/api/v1/review/{match_id}/confirm", json={},
                                   headers=auth(world.staff["analyst_a"])))

    thread = threading.Thread(target=second_analyst)
    thread.start()
    with runtime.context(first) as ctx:
        review.confirm(ctx, match_id)
        decided.set()
        thread.join(0.7)
        assert thread.is_alive()  # the second decision waits for the first
    thread.join(30)
    assert [a.status_code for a in answers] == [409], answers[0].text
    assert answers[0].json()["error"]["code"] == "invalid_transition"
    assert [e.record_id for e in audit_actions(runtime, "review.confirmed")] == [str(match_id)]
    r = client.post("/api/v1/review/bulk", headers=auth(world.staff["analyst_a"]),
                    json={"match_ids": [match_id], "action": "confirm"})
    assert r.json()[0]["ok"] is False and r.json()[0]["code"] == "invalid_transition"
