"""Verified removal and the re-upload watch against a real local site: a scan finds a copy of
a victim's registered image, the analyst confirms it and sends the takedown, the site takes the
image down mid-test and `jikimi takedowns verify` moves the request to removed; then the same
picture appears at a new URL, and `jikimi scan` links it to the case as a new takedown."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import World
from tests.foundation.test_cli import jikimi
from tests.scans.conftest import Media, Site, encode, scene

from jikimi import cases, matching, review, scans
from jikimi.accounts import list_centres
from jikimi.cases import IntakeChannel
from jikimi.core.actors import cli_actor
from jikimi.core.runtime import Runtime
from jikimi.hashing import fingerprint_bytes
from jikimi.matching import Matcher
from jikimi.takedown import service


def test_removal_is_verified_and_a_reupload_opens_a_new_takedown(
        runtime: Runtime, world: World, cli_env: dict[str, str], site: Site, media: Media,
        tmp_path: Path) -> None:
    operator = cli_actor("test")
    with runtime.context(operator) as ctx:
        centre = next(c for c in list_centres(ctx) if c.id == world.centre_a)
        code = cases.open_case(ctx, centre, IntakeChannel.WEB, name="김지은").case.code
        case_id, _ = cases.case_ref(ctx, code)
        matching.create_bank(ctx, "victim", case=(case_id, code))
        fp = fingerprint_bytes(media.registered[0], with_variants=True)
        matching.add_entries(ctx, "victim", matching.entries_for_fingerprints(fp))
        copy_url = f"{site.url}/media/copy-recompressed.jpg"
        source = scans.add_source(ctx, "urls", "watched", {"urls": [copy_url]})
    with runtime.sessions() as session:
        matcher = Matcher.load(tmp_path / "index", session, runtime.keys)
    summary = scans.run_scan(runtime, operator, matcher, source.id)
    assert summary.matched >= 1
    with runtime.context(operator) as ctx:
        entry = review.queue(ctx)[0]
        assert entry.locator == copy_url and entry.case_code == code
        review.confirm(ctx, entry.match_id)
        draft = service.list_requests(ctx, case_code=code)[0]
        assert draft.platform_id == "site:127.0.0.1" and draft.status == "draft"
        prepared = service.send_request(ctx, draft.id)
        assert prepared.channel == "manual" and copy_url in (prepared.notice_body or "")
        service.mark_sent(ctx, draft.id, note="sent to the host's abuse address")
    # still online: the content still matches, nothing changes
    first = service.verify(runtime, operator, draft.id)
    assert (first.checked, first.still_present, first.changes) == (1, 1, [])
    # the site takes it down
    del site.files["/media/copy-recompressed.jpg"]
    out = jikimi(cli_env, "takedowns", "verify", "--format", "json")
    report = json.loads(out.stdout)
    assert report["removed"] == 1
    assert report["changes"] == [{"id": draft.id, "from_status": "sent",
                                  "to_status": "removed"}]
    with runtime.context(operator) as ctx:
        done = service.get_request(ctx, draft.id)
    assert done.status == "removed" and done.removed_at and done.items[0].state == "removed"
    assert [(c.http_status, c.outcome) for c in done.checks] == [(200, "still_present"),
                                                                 (404, "removed")]
    # the same picture, re-encoded, at a new URL on a page the centre watches
    site.files["/new/again.jpg"] = ("image/jpeg", encode(scene(11), quality=55))
    site.files["/new/index.html"] = ("text/html", b'<html><img src="/new/again.jpg"></html>')
    with runtime.context(operator) as ctx:
        watched = scans.add_source(ctx, "urls", "board", {"urls": [f"{site.url}/new/index.html"]})
    jikimi(cli_env, "scan", str(watched.id), "--format", "json")
    with runtime.context(operator) as ctx:
        requests = service.list_requests(ctx, case_code=code)
        new = next(r for r in requests if r.id != draft.id)
        assert new.status == "draft" and new.reupload and new.reupload_of == draft.id
        detail = service.get_request(ctx, new.id)
        assert [i.url for i in detail.items] == [f"{site.url}/new/again.jpg"]
        assert detail.items[0].reupload and detail.case_code == code
        assert any(e.kind == "reupload" and e.actor == "system:reupload-watch"
                   for e in detail.events)
        stats = service.statistics(ctx)
        assert stats.removed_total == 1 and stats.median_hours_to_removal is not None
