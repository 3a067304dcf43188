"""The review queue through the CLI and the API: order by harm, decisions, quarantine."""

from __future__ import annotations

import json
from pathlib import Path

from tests.foundation.test_cli import jikimi
from tests.scans.conftest import Media, Site
from tests.scans.test_scans import add_source, scan


def test_queue_order_decisions_and_quarantine(install: dict[str, str], site: Site,
                                             media: Media, tmp_path: Path) -> None:
    minor_case = json.loads(jikimi(install, "cases", "open", "--channel", "web", "--minor",
                                   "--format", "json").stdout)["code"]
    registered = tmp_path / "minor"
    registered.mkdir()
    (registered / "m.png").write_bytes(media.registered[2])
    jikimi(install, "banks", "create", "minor-bank", "--case", minor_case)
    jikimi(install, "banks", "add", "minor-bank", str(registered))
    scan(install, add_source(install, "urls", "--url", site.url + "/gallery.html"))
    queue = json.loads(jikimi(install, "review", "list", "--format", "json").stdout)
    assert queue, "no matches to review"
    assert queue[0]["minor"] is True and queue[0]["case_code"] == minor_case
    assert [q["minor"] for q in queue] == sorted((q["minor"] for q in queue), reverse=True)
    first, second = queue[0]["match_id"], queue[1]["match_id"]
    jikimi(install, "review", "confirm", str(first))
    no_reason = jikimi(install, "review", "reject", str(second), "--reason", "", check=False)
    assert no_reason.returncode == 1 and "why" in no_reason.stderr
    jikimi(install, "review", "reject", str(second), "--reason", "다른 사진")
    again = jikimi(install, "review", "confirm", str(first), check=False)
    assert again.returncode == 1 and "cannot go from confirmed to confirmed" in again.stderr
    pending = json.loads(jikimi(install, "review", "list", "--format", "json").stdout)
    assert {first, second}.isdisjoint({q["match_id"] for q in pending})
    confirmed = json.loads(jikimi(install, "review", "list", "--status", "confirmed",
                                  "--format", "json").stdout)
    assert [q["match_id"] for q in confirmed] == [first]
    # a registered entry that matches many unrelated items is held, not queued
    flood = tmp_path / "flood"
    flood.mkdir()
    for n in range(30):
        (flood / f"meme-{n:02d}.jpg").write_bytes(media.copies["copy-recompressed.jpg"])
    scan(install, add_source(install, "archive", "--path", str(flood)))
    held = json.loads(jikimi(install, "review", "list", "--status", "quarantined", "--format",
                             "json").stdout)
    assert len(held) >= 30
    pending = json.loads(jikimi(install, "review", "list", "--format", "json").stdout)
    assert not any("meme-" in q["locator"] for q in pending)


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
