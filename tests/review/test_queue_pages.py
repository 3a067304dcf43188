"""The review queue is filtered, sorted and paged by the database (issue 16: it read every
match a centre ever had for each request). Whatever the page size, each status's queue is
exactly the matches of that status in harm order, and the counts are the queue's."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from tests.review.seeding import scan_folder, seed_matches

from jikimi import accounts, cases, matching, review
from jikimi.core.actors import cli_actor
from jikimi.hashing import fingerprint_bytes
from jikimi.review import service as review_service


def _harm_key(e: review.QueueEntry) -> tuple[bool, int, bool, int, int]:
    rank = {"sha256": 0, "md5": 0, "pdq": 1, "vpdq": 1, "face": 2}
    return (not e.minor, rank.get(e.signal_type, 3), not e.reliable, e.distance, e.match_id)


def test_every_status_page_by_page_is_the_whole_queue_filtered(  # type: ignore[no-untyped-def]
        runtime, world, site, media, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seed_matches(runtime, world, site, media)
    flood = tmp_path / "flood"  # an entry matching many items: its matches are quarantined
    flood.mkdir()
    for n in range(40):
        (flood / f"meme-{n:02d}.jpg").write_bytes(media.copies["copy-recompressed.jpg"])
    # an adult's case registering the same picture and another one: exact copies of both in
    # the folder too (an adult's case ranks below a minor's, an exact copy above a near one)
    with runtime.context(cli_actor("test")) as ctx:
        actor = accounts.actor_for(accounts.get_user(ctx, world.staff["analyst_a"].id))
        counsellor = accounts.actor_for(accounts.get_user(ctx, world.staff["counsellor_a"].id))
    with runtime.context(counsellor) as ctx:
        centre = accounts.resolve_centre(ctx.session, world.centre_a)
        adult = cases.open_case(ctx, centre, cases.IntakeChannel.WEB, minor=False).case.code
    with runtime.context(counsellor) as ctx:
        matching.create_bank(ctx, "adult", case=cases.case_ref(ctx, adult),
                             case_access_checked=True)
        for n, data in enumerate(media.registered[:2]):
            matching.add_entries(ctx, "adult", matching.entries_for_fingerprints(
                fingerprint_bytes(data, with_variants=True), label=f"adult-{n}"),
                case_access_checked=True)
    for n, data in enumerate(media.registered[:2]):
        (flood / f"exact-{n}.png").write_bytes(data)
    scan_folder(runtime, actor, flood)
    with runtime.context(actor) as ctx:
        held = [e.match_id for e in review.queue(ctx, status=review.ReviewStatus.QUARANTINED)]
        pending = [e.match_id for e in review.queue(ctx)]
        assert len(held) >= 40 and pending
        first, second, third = held[2], held[3], pending[0]
        review.confirm(ctx, first)
        review.reject(ctx, second, "다른 사진")
        review.decide_many(ctx, [third], review.ReviewStatus.QUARANTINED)  # held by a person
        review.release(ctx, held[0], "checked")  # back in the queue for good
        review.assign(ctx, [held[1], held[4]], world.staff["analyst_a"].id)  # still held
    with runtime.context(actor) as ctx:
        everything = review.queue(ctx, status=None, limit=10**6)
        counted = review.counts(ctx)
    assert [e.match_id for e in everything] == [e.match_id for e in sorted(everything,
                                                                           key=_harm_key)]
    statuses = {e.match_id: e.status for e in everything}
    assert statuses[first] == "confirmed" and statuses[second] == "rejected"
    assert statuses[third] == "quarantined" and statuses[held[0]] == "pending"
    assert statuses[held[1]] == "quarantined"
    assert counted == dict(Counter(str(e.status) for e in everything))
    assert set(counted) == {"pending", "confirmed", "rejected", "quarantined"}
    assert {e.minor for e in everything} == {True, False}  # every part of the order in play
    assert {e.signal_type for e in everything} >= {"sha256", "pdq"}
    for page in (1, 2, 3, review_service.QUEUE_PAGE):
        monkeypatch.setattr(review_service, "QUEUE_PAGE", page)
        for status in review.ReviewStatus:
            whole = [e.match_id for e in everything if e.status == status]
            for limit in (1, 2, 5, len(whole), len(whole) + 1, 500):
                with runtime.context(actor) as ctx:
                    got = review.queue(ctx, status=status, limit=limit)
                assert [e.match_id for e in got] == whole[:limit], (page, status, limit)
                assert all(e.status == status for e in got)
        with runtime.context(actor) as ctx:
            known = review.queue(ctx, status=None, platform="unknown", limit=7)
            assert [e.match_id for e in known] == [
                e.match_id for e in everything if e.platform is None][:7]
    # another centre sees none of it, counted or listed
    with runtime.context(cli_actor("test")) as ctx:
        other = accounts.actor_for(accounts.get_user(ctx, world.staff["analyst_b"].id))
    with runtime.context(other) as ctx:
        assert review.queue(ctx, status=None) == [] and review.counts(ctx) == {}
