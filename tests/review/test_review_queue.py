"""The review queue: order by harm, decisions through the CLI (list, show, confirm, reject,
bulk, assign), and quarantine of an entry that floods."""

from __future__ import annotations

import json
from pathlib import Path

from tests.foundation.test_cli import jikimi
from tests.review.seeding import scan_folder, seed_matches

from jikimi import accounts, review
from jikimi.core.actors import cli_actor


def test_queue_order_cli_and_quarantine(cli_env, runtime, world, site, media,  # type: ignore[no-untyped-def]
                                        tmp_path: Path) -> None:
    seeded = seed_matches(runtime, world, site, media)
    # an adult's case with an exact copy ranks below the minor's
    queue = json.loads(jikimi(cli_env, "review", "list", "--format", "json").stdout)
    assert [q["match_id"] for q in queue] == seeded.match_ids
    assert queue[0]["minor"] is True and queue[0]["case_code"] == seeded.case_code
    assert [q["distance"] for q in queue if q["signal_type"] == "pdq"] == sorted(
        q["distance"] for q in queue if q["signal_type"] == "pdq")
    # one match per item and registered picture (not one per variant that matched)
    assert len({q["locator"] for q in queue}) == len(queue) == 3
    first, second, third = seeded.match_ids[:3]
    jikimi(cli_env, "review", "confirm", str(first))
    no_reason = jikimi(cli_env, "review", "reject", str(second), "--reason", "", check=False)
    assert no_reason.returncode == 1 and "why" in no_reason.stderr
    bulk = jikimi(cli_env, "review", "reject", str(second), str(first),
                  "--reason", "다른 사진")
    assert f"match {second}: rejected" in bulk.stdout
    assert f"match {first}: rejected" in bulk.stdout  # confirmed → rejected is allowed
    analyst = world.staff["analyst_a"]
    jikimi(cli_env, "review", "assign", str(third), "--to", str(analyst.id))
    with runtime.context(cli_actor("test")) as ctx:
        assert [m.match_id for m in review.queue(ctx, assigned=str(analyst.id))] == [third]
        pending = {q.match_id for q in review.queue(ctx)}
        assert {first, second}.isdisjoint(pending) and third in pending
        rejected = review.queue(ctx, status=review.ReviewStatus.REJECTED)
        assert {q.match_id for q in rejected} == {first, second}
        assert {q.reason for q in rejected} == {"다른 사진"}
        again = review.decide_many(ctx, [second], review.ReviewStatus.REJECTED, "x")
        assert again[0].code == "invalid_transition"

    # a registered entry that matches many unrelated items is held, not queued
    flood = tmp_path / "flood"
    flood.mkdir()
    for n in range(30):
        (flood / f"meme-{n:02d}.jpg").write_bytes(media.copies["copy-recompressed.jpg"])
    with runtime.context(cli_actor("test")) as ctx:
        user = accounts.get_user(ctx, analyst.id)
        actor = accounts.actor_for(user)
    source = scan_folder(runtime, actor, flood)
    with runtime.context(actor) as ctx:
        held = review.queue(ctx, status=review.ReviewStatus.QUARANTINED)
        assert len({h.locator for h in held}) >= 30
        assert all(h.quarantine_items > review.QUARANTINE_ITEMS for h in held)
        assert not any("meme-" in q.locator for q in review.queue(ctx))
        # released matches return to the queue and stay there
        released = held[0].match_id
        review.release(ctx, released, "checked the registration")
        assert released in {q.match_id for q in review.queue(ctx)}
        # the source filter does not change what is quarantined
        only = review.queue(ctx, status=review.ReviewStatus.QUARANTINED, source_id=source)
        assert {h.match_id for h in only} == {h.match_id for h in held
                                              if h.source_id == source} - {released}


def test_review_api_permissions(client, world) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import auth

    assert client.get("/api/v1/review", headers=auth(world.staff["analyst_a"])).json() == []
    for role in ("counsellor_a", "investigator_a", "central_admin"):
        r = client.get("/api/v1/review", headers=auth(world.staff[role]))
        assert r.status_code == 403, role
    r = client.post("/api/v1/review/999999/confirm", json={},
                    headers=auth(world.staff["analyst_a"]))
    assert r.status_code == 404
    r = client.post("/api/v1/review/1/reject", json={"reason": "x" * 2000},
                    headers=auth(world.staff["analyst_a"]))
    assert r.status_code == 422
