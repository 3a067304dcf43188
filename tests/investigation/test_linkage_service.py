"""Acceptance: three Telegram channels sharing two pieces of content, scanned into a real
database, give the expected clusters through the service, the API, the exports and the CLI."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from sqlalchemy import select
from tests.conftest import World, auth
from tests.foundation.test_cli import jikimi
from tests.investigation.conftest import A_ID, A, B, C, Linked, staff_actor

from jikimi import investigation, review
from jikimi.core.audit import AuditEntry
from jikimi.core.runtime import Runtime

GRAPHML = "{http://graphml.graphdrawing.org/xmlns}"


def test_three_channels_two_contents(runtime: Runtime, world: World, linked: Linked,
                                     client, cli_env: dict[str, str],  # type: ignore[no-untyped-def]
                                     tmp_path: Path, database_url: str) -> None:
    investigator = staff_actor(runtime, world, "investigator_a")
    with runtime.context(investigator) as ctx:
        out = investigation.centre_linkage(ctx)
        strict = investigation.centre_linkage(ctx, min_shared=2)
        case = investigation.case_linkage(ctx, linked.case_code)

    # --- the centre: X in A and B, Y in A, B (recompressed) and C (mirrored) ---------------
    by_key = {p.key: p for p in out.places}
    assert set(by_key) == {A, B, C}
    assert by_key[A].label == "test" and by_key[B].label == "재업로드 채널 B"
    shared = [c for c in out.contents if len(c.places) > 1]
    assert [c.places for c in shared] == [[A, B], [A, B, C]]
    assert [set(k.places) for k in out.clusters] == [{A, B, C}]
    assert [set(k.places) for k in strict.clusters] == [{A, B}]
    assert strict.clusters[0].contents == [c.id for c in shared]
    weights = {(e.a, e.b): e.weight for e in out.edges}
    assert weights == {(A, B): 2, (A, C): 1, (B, C): 1}
    assert by_key[A].first_to_post == 3  # X, Y and the unrelated thumbnail
    # posters: one person reposting in B (new export, "user555") and C (old export, 555)
    reposter = next(p for p in out.posters if p.key == "telegram:user555")
    assert reposter.sightings == 3 and reposter.places == [B, C]
    assert {(f.place, f.origin_key, f.count) for f in out.forwards} == {(B, A, 2)}
    # times come from the messages (posted), in spread order
    assert all(e.at_kind == "posted" for e in out.timeline)
    y = shared[1]
    assert [e.place for e in out.timeline if e.content == y.id] == [A, B, C]

    # --- the case: only content X, registered for it ---------------------------------------
    assert [c.places for c in case.contents] == [[A, B]]
    assert case.contents[0].case_codes == [linked.case_code]
    assert [set(k.places) for k in case.clusters] == [{A, B}]

    # --- exports ----------------------------------------------------------------------------
    with runtime.context(investigator) as ctx:
        graphml = investigation.export_linkage(ctx, None, "graphml")
        places_csv = investigation.export_linkage(ctx, None, "csv", table="places")
    root = ET.fromstring(graphml.content)
    co_shares = [e for e in root.iter(f"{GRAPHML}edge")
                 if any(d.text == "co_shares" for d in e)]
    assert len(co_shares) == 3
    nx = pytest.importorskip("networkx")
    (tmp_path / "g.graphml").write_bytes(graphml.content)
    graph = nx.read_graphml(tmp_path / "g.graphml")
    places = graph.subgraph([n for n, d in graph.nodes(data=True)
                             if d["kind"].startswith("place/telegram")])
    assert sorted(map(sorted, nx.connected_components(places))) == [
        sorted(f"place:{k}" for k in (A, B, C))]
    rows = list(csv.DictReader(io.StringIO(places_csv.content.decode("utf-8-sig"))))
    assert {r["label"] for r in rows} == {"test", "재업로드 채널 B", "'=cmd|' /C calc'!A0"}

    # --- the API, as each role sees it ------------------------------------------------------
    inv = auth(world.staff["investigator_a"])
    r = client.get("/api/v1/investigation/linkage", headers=inv)
    assert r.status_code == 200 and len(r.json()["clusters"]) == 1
    r = client.get(f"/api/v1/investigation/cases/{linked.case_code}/linkage/export",
                   params={"format": "graphml"}, headers=inv)
    assert r.status_code == 200 and r.headers["content-type"] == "application/graphml+xml"
    ET.fromstring(r.content)
    counsellor = auth(world.staff["counsellor_a"])
    assert client.get(f"/api/v1/investigation/cases/{linked.case_code}/linkage",
                      headers=counsellor).status_code == 200
    assert client.get(f"/api/v1/investigation/cases/{linked.case_code}/linkage/export",
                      headers=counsellor).status_code == 403
    assert client.get("/api/v1/investigation/linkage", headers=counsellor).status_code == 403
    analyst = auth(world.staff["analyst_a"])
    assert client.get(f"/api/v1/investigation/cases/{linked.case_code}/linkage",
                      headers=analyst).status_code == 403
    other = auth(world.staff["investigator_b"])
    assert client.get(f"/api/v1/investigation/cases/{linked.case_code}/linkage",
                      headers=other).status_code == 403
    assert client.get("/api/v1/investigation/linkage", headers=other).json()["places"] == []
    assert client.get("/api/v1/investigation/cases/DSC-2026-999999/linkage",
                      headers=inv).status_code == 404
    assert client.get("/api/v1/investigation/cases/not-a-code/linkage",
                      headers=inv).status_code == 422
    for bad in ({"format": "xlsx"}, {"table": "secrets"}, {"min_shared": "0"},
                {"pdq_threshold": "99"}):
        assert client.get("/api/v1/investigation/linkage/export", params=bad,
                          headers=inv).status_code == 422, bad
    assert client.get("/api/v1/investigation/linkage").status_code == 401

    # --- the CLI (the same services; once, on SQLite, to keep the suite fast) ---------------
    if database_url.startswith("sqlite"):
        target = tmp_path / "out" / "linkage.graphml"
        jikimi(cli_env, "investigation", "linkage", "--format", "graphml", "--min-shared", "2",
               "--to", str(target))
        graph = nx.read_graphml(target)
        co_shares = [(u, v) for u, v, d in graph.edges(data=True) if d["relation"] == "co_shares"]
        assert len(co_shares) == 3
        summary = jikimi(cli_env, "investigation", "linkage", linked.case_code)
        assert "1 contents in 2 places, 1 clusters" in summary.stdout
        bad = jikimi(cli_env, "investigation", "linkage", "DSC-2026-999999", check=False)
        assert bad.returncode == 1 and "no case" in bad.stderr

    # --- every read and export is audited ---------------------------------------------------
    with runtime.sessions() as session:
        actions = [(a.action, a.record_type) for a in session.scalars(
            select(AuditEntry).where(AuditEntry.action.like("investigation.%")))]
    assert ("investigation.linkage_read", "case") in actions
    assert ("investigation.export", "centre") in actions
    assert ("investigation.export", "case") in actions
    assert str(A_ID) in A

    # --- a rejected match no longer ties content to the case (and nothing stale is served) --
    analyst = staff_actor(runtime, world, "analyst_a")
    with runtime.context(analyst) as ctx:
        for entry in review.queue(ctx, case_code=linked.case_code, status=None):
            review.reject(ctx, entry.match_id, "not the registered picture")
    with runtime.context(investigator) as ctx:
        assert investigation.case_linkage(ctx, linked.case_code).contents == []
        assert len(investigation.centre_linkage(ctx).clusters) == 1
