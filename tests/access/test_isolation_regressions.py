"""Regression tests for the centre-isolation findings of issue 13, each through the doors an
attacker with a staff account (or the operator) uses: the CLI, the API and the web pages."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from tests.access.test_authorisation_matrix import _cli
from tests.conftest import World, auth
from tests.review.test_pages import session_for
from tests.scans.conftest import Media, Site

from jikimi.core.database import upgrade_database
from jikimi.core.runtime import Runtime


def _case_bank_at_cli(cli_env: dict[str, str], world: World, media: Media, tmp_path: Path,
                      *, bank: str = "victim-bank") -> tuple[str, Path]:
    """Centre A's case, opened at the CLI, with a case bank and one labelled picture."""
    opened = json.loads(_cli(cli_env, "cases", "open", "--channel", "hotline", "--centre",
                             str(world.centre_a), "--format", "json"))
    picture = tmp_path / "my-private-label.png"
    picture.write_bytes(media.registered[0])
    _cli(cli_env, "banks", "create", bank, "--case", opened["code"])
    _cli(cli_env, "banks", "add", bank, str(picture))
    return opened["code"], picture


def test_other_centres_neither_list_nor_read_a_case_bank(
        app: Any, client: TestClient, world: World, cli_env: dict[str, str], media: Media,
        tmp_path: Path) -> None:
    code, _picture = _case_bank_at_cli(cli_env, world, media, tmp_path)
    a, b = auth(world.staff["analyst_a"]), auth(world.staff["analyst_b"])
    # the owning centre sees the bank, its entries and the victim's label
    mine = {x["name"]: x for x in client.get("/api/v1/banks", headers=a).json()}
    assert mine["victim-bank"]["case_code"] == code
    assert mine["victim-bank"]["centre_id"] == world.centre_a
    entries = client.get("/api/v1/banks/victim-bank/entries?limit=1000", headers=a).json()
    assert {e["label"] for e in entries} == {"my-private-label.png"}
    # another centre: not in the list, no case code anywhere, 404 on the bank and entries
    for role in ("analyst_b", "admin_b", "counsellor_b", "investigator_b"):
        h = auth(world.staff[role])
        listed = client.get("/api/v1/banks", headers=h)
        assert listed.status_code in (200, 403)
        if listed.status_code == 200:
            assert "victim-bank" not in listed.text and code not in listed.text
        assert client.get("/api/v1/banks/victim-bank", headers=h).status_code == 404
        assert client.get("/api/v1/banks/victim-bank/entries", headers=h).status_code == 404
    web_b, _csrf = session_for(app, world.staff["analyst_b"])
    page = web_b.get("/banks/victim-bank")
    assert page.status_code == 404 and "my-private-label" not in page.text
    assert "victim-bank" not in web_b.get("/banks").text
    # the central admin sees counts: no name, no case code, no entries or labels
    central = auth(world.staff["central_admin"])
    counted = [x for x in client.get("/api/v1/banks", headers=central).json()
               if x["centre_id"] == world.centre_a]
    assert [x["entries"] for x in counted] == [len(entries)]
    assert counted[0]["case_code"] is None and counted[0]["name"] != "victim-bank"
    assert code not in client.get("/api/v1/banks", headers=central).text
    assert client.get("/api/v1/banks/victim-bank/entries",
                      headers=central).status_code in (403, 404)
    # /match reports a hit in the case bank to its centre only (no case code elsewhere)
    md5 = hashlib.md5(media.registered[0]).hexdigest()
    hit = client.post("/api/v1/match", json={"md5": md5}, headers=a).json()
    assert [m["case_code"] for m in hit["matches"]] == [code]
    for role in ("analyst_b", "central_admin"):
        other = client.post("/api/v1/match", json={"md5": md5},
                            headers=auth(world.staff[role]))
        assert other.status_code == 200 and other.json()["matches"] == []
        assert code not in other.text
    # the web bank page of a reader of counts (a counsellor of the centre) lists no entries
    web_c, _ = session_for(app, world.staff["counsellor_a"])
    page = web_c.get("/banks/victim-bank")
    assert page.status_code == 200 and "my-private-label" not in page.text
    assert b  # analyst_b checked above


def test_labels_are_encrypted_at_rest_and_old_ones_sealed_by_db_upgrade(
        client: TestClient, world: World, cli_env: dict[str, str], media: Media,
        runtime: Runtime, tmp_path: Path) -> None:
    _case_bank_at_cli(cli_env, world, media, tmp_path)
    with runtime.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT id, label, label_enc FROM bank_entries")).all()
    assert rows and all(r.label == "" and r.label_enc for r in rows)
    assert not any(b"my-private-label" in bytes(r.label_enc) for r in rows)
    # a label stored in clear before migration 0009 is sealed by `jikimi db upgrade`
    with runtime.engine.begin() as conn:
        conn.execute(sa.text("UPDATE bank_entries SET label = 'old label', label_enc = NULL "
                             "WHERE id = :id"), {"id": rows[0].id})
    assert "1 bank entry labels encrypted" in _cli(cli_env, "db", "upgrade")
    with runtime.engine.connect() as conn:
        row = conn.execute(sa.text("SELECT label, label_enc FROM bank_entries WHERE id = :id"),
                           {"id": rows[0].id}).one()
    assert row.label == "" and row.label_enc and b"old label" not in bytes(row.label_enc)
    labels = {e["label"] for e in client.get("/api/v1/banks/victim-bank/entries",
                                             headers=auth(world.staff["analyst_a"])).json()}
    assert "old label" in labels


def test_cli_records_belong_to_a_centre(client: TestClient, world: World,
                                        cli_env: dict[str, str], media: Media,
                                        runtime: Runtime, tmp_path: Path) -> None:
    _case_bank_at_cli(cli_env, world, media, tmp_path)
    _cli(cli_env, "banks", "create", "plain")  # no case, no --centre: the default centre
    _cli(cli_env, "banks", "create", "for-b", "--centre", "부산센터")
    _cli(cli_env, "banks", "create", "shared", "--national")
    src_default = json.loads(_cli(cli_env, "sources", "add", "urls", "--name", "d", "--url",
                                  "https://example.org/a.jpg", "--format", "json"))["id"]
    src_b = json.loads(_cli(cli_env, "sources", "add", "urls", "--name", "b", "--url",
                            "https://example.org/b.jpg", "--centre", str(world.centre_b),
                            "--format", "json"))["id"]
    with runtime.engine.connect() as conn:
        banks = dict(conn.execute(sa.text("SELECT name, centre_id FROM banks")).all())
        sources = dict(conn.execute(sa.text("SELECT id, centre_id FROM sources")).all())
        nulls = conn.execute(sa.text(
            "SELECT (SELECT count(*) FROM banks WHERE centre_id IS NULL) + "
            "(SELECT count(*) FROM sources WHERE centre_id IS NULL)")).scalar_one()
    assert nulls == 0
    assert banks == {"victim-bank": world.centre_a, "plain": world.central_id,
                     "for-b": world.centre_b, "shared": world.central_id}
    assert sources == {src_default: world.central_id, src_b: world.centre_b}
    # the audit log still names the operator
    with runtime.engine.connect() as conn:
        actors = set(conn.execute(sa.text(
            "SELECT actor FROM audit_entries WHERE action IN ('bank.create', "
            "'source.create')")).scalars())
    assert actors == {"system:cli"}
    # centre B's analyst sees her centre's source and the national bank, not A's or the rest
    b = auth(world.staff["analyst_b"])
    assert [s["id"] for s in client.get("/api/v1/sources", headers=b).json()] == [src_b]
    names = {x["name"] for x in client.get("/api/v1/banks", headers=b).json()}
    assert names == {"for-b", "shared"}
    assert client.get("/api/v1/banks/shared/entries", headers=b).status_code == 200
    r = client.post("/api/v1/banks/shared/entries", headers=b,
                    json={"entries": [{"signal_type": "md5", "value": "1" * 32}]})
    assert r.status_code == 403  # national: read by every centre, changed by the central one
    # a bad --centre is one clear line
    from typer.testing import CliRunner

    from jikimi.cli.app import app as cli_app

    bad = CliRunner().invoke(cli_app, ["banks", "create", "x", "--centre", "없는센터"],
                             env=cli_env)
    assert bad.exit_code == 1 and "unknown_centre" in bad.output


def test_another_centre_cannot_add_to_or_delete_from_a_cli_case_bank(
        client: TestClient, world: World, cli_env: dict[str, str], media: Media,
        tmp_path: Path) -> None:
    _case_bank_at_cli(cli_env, world, media, tmp_path)
    a, b = auth(world.staff["analyst_a"]), auth(world.staff["analyst_b"])
    before = client.get("/api/v1/banks/victim-bank/entries", headers=a).json()
    r = client.post("/api/v1/banks/victim-bank/entries", headers=b,
                    json={"entries": [{"signal_type": "md5", "value": "3" * 32}]})
    assert r.status_code == 404
    r = client.post("/api/v1/banks/victim-bank/files", headers=b,
                    files={"file": ("x.png", media.registered[1], "image/png")})
    assert r.status_code == 404
    for entry in before:
        assert client.delete(f"/api/v1/bank-entries/{entry['id']}",
                             headers=b).status_code == 404
    after = client.get("/api/v1/banks/victim-bank/entries", headers=a).json()
    assert after == before and not any(e["removed"] for e in after)


def _queue(client: TestClient, member: Any) -> list[dict[str, Any]]:
    r = client.get("/api/v1/review", headers=auth(member))
    assert r.status_code == 200, r.text
    return list(r.json())


def test_matches_found_by_any_source_are_the_case_centres_and_hidden_from_others(
        app: Any, client: TestClient, world: World, cli_env: dict[str, str], media: Media,
        site: Site, tmp_path: Path) -> None:
    """A source made at the CLI (the central centre's by default) and one of centre B both
    find copies of centre A's victim's pictures: the matches are in A's queue only; B and the
    CLI source's centre get 404 on every one of them."""
    code, _picture = _case_bank_at_cli(cli_env, world, media, tmp_path)
    for n, data in enumerate(media.registered[1:], start=1):
        path = tmp_path / f"more-{n}.png"
        path.write_bytes(data)
        _cli(cli_env, "banks", "add", "victim-bank", str(path))
    gallery = site.url + "/gallery.html"
    cli_source = json.loads(_cli(cli_env, "sources", "add", "urls", "--name", "cli",
                                 "--url", gallery, "--format", "json"))["id"]
    _cli(cli_env, "scan", str(cli_source))
    b = auth(world.staff["analyst_b"])
    created = client.post("/api/v1/sources", headers=b, json={
        "type": "urls", "name": "b's", "config": {"urls": [gallery]}}).json()
    _cli(cli_env, "scan", str(created["id"]))

    queue_a = _queue(client, world.staff["analyst_a"])
    by_source = {e["source_id"] for e in queue_a}
    assert by_source == {cli_source, created["id"]}
    assert {e["case_code"] for e in queue_a} == {code}
    assert _queue(client, world.staff["analyst_b"]) == []
    # B's scan shows its items but not A's case's matches
    scans = client.get("/api/v1/scans", headers=b).json()
    detail = client.get(f"/api/v1/scans/{scans[0]['scan_id']}", headers=b).json()
    assert detail["items"] and not any(i["matches"] for i in detail["items"])
    assert code not in json.dumps(detail)

    web_b, csrf_b = session_for(app, world.staff["analyst_b"])
    for entry in queue_a:
        match = entry["match_id"]
        for member in ("analyst_b", "admin_b", "central_admin"):
            h = auth(world.staff[member])
            assert client.get(f"/api/v1/review/{match}", headers=h).status_code in (403, 404)
        assert client.get(f"/api/v1/review/{match}", headers=b).status_code == 404
        assert client.get(f"/api/v1/review/{match}/preview", headers=b).status_code == 404
        assert client.post(f"/api/v1/review/{match}/preview/unblurred", json={"reason": "x"},
                           headers=b).status_code == 404
        assert client.post(f"/api/v1/review/{match}/confirm", json={},
                           headers=b).status_code == 404
        assert client.post(f"/api/v1/review/{match}/reject", json={"reason": "mine"},
                           headers=b).status_code == 404
        assert web_b.get(f"/review/{match}").status_code == 404
        assert web_b.post(f"/review/{match}/decide", data={
            "csrf_token": csrf_b, "action": "reject", "reason": "x"}).status_code == 404
    # nothing was decided or unblurred by B; A still decides
    assert all(e["status"] == "pending" for e in _queue(client, world.staff["analyst_a"]))
    first = queue_a[0]["match_id"]
    r = client.post(f"/api/v1/review/{first}/confirm", json={},
                    headers=auth(world.staff["analyst_a"]))
    assert r.status_code == 200, r.text


def test_migration_0009_gives_every_record_an_owner(tmp_path: Path) -> None:
    """Records stored with no centre (CLI-made, before 0009) get their case's centre, else
    the central centre; afterwards the columns refuse NULL."""
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    upgrade_database(url, "0008")
    engine = sa.create_engine(url)
    now = "2026-01-01 00:00:00"
    with engine.begin() as conn:
        run = conn.execute
        run(sa.text("INSERT INTO centres (id, name, is_central, created_at) VALUES "
                    "(1, 'A', 0, :t), (2, 'C', 1, :t)"), {"t": now})
        run(sa.text("INSERT INTO cases (id, code, centre_id, status, intake_channel, "
                    "intake_at, intake_by, minor, created_at, updated_at) VALUES "
                    "(1, 'DSC-2026-000001', 1, 'open', 'web', :t, 'x', 0, :t, :t)"),
            {"t": now})
        run(sa.text("INSERT INTO banks (id, name, owner_kind, case_id, case_code, centre_id, "
                    "purpose, negative, pdq_threshold, created_at, created_by) VALUES "
                    "(1, 'case bank', 'case', 1, 'DSC-2026-000001', NULL, '', 0, 31, :t, "
                    "'system:cli'), (2, 'list', 'centre', NULL, NULL, NULL, '', 0, 31, :t, "
                    "'system:cli')"), {"t": now})
        run(sa.text("INSERT INTO bank_entries (id, bank_id, signal_type, value, value_key, "
                    "variant, content_id, label, created_at, created_by) VALUES "
                    "(1, 1, 'md5', :v, :v, 'original', 'c', 'her label', :t, 'x'), "
                    "(2, 2, 'md5', :w, :w, 'original', 'd', '', :t, 'x')"),
            {"t": now, "v": "1" * 32, "w": "2" * 32})
        run(sa.text("INSERT INTO sources (id, centre_id, type, name, config, active, "
                    "created_at, created_by) VALUES (1, NULL, 'urls', 's', '{}', 1, :t, 'x')"),
            {"t": now})
        run(sa.text("INSERT INTO items (id, source_id, item_key, locator, context, "
                    "first_seen, last_seen) VALUES (1, 1, 'k', 'https://x.example/1', '{}', "
                    ":t, :t)"), {"t": now})
        run(sa.text("INSERT INTO item_versions (id, item_id, sha256, kind, fingerprints, "
                    "first_seen, last_seen) VALUES (1, 1, :s, 'image', '{}', :t, :t)"),
            {"t": now, "s": "3" * 64})
        run(sa.text("INSERT INTO item_matches (id, item_version_id, entry_id, bank_id, "
                    "case_code, signal_type, distance, variant, entry_variant, reliable, "
                    "created_at) VALUES (1, 1, 1, 1, 'DSC-2026-000001', 'md5', 0, 'original', "
                    "'original', 1, :t), (2, 1, 2, 2, NULL, 'md5', 0, 'original', "
                    "'original', 1, :t)"), {"t": now})
    upgrade_database(url)
    with engine.connect() as conn:
        banks = conn.execute(sa.text("SELECT id, centre_id, national FROM banks "
                                     "ORDER BY id")).all()
        assert [tuple(b) for b in banks] == [(1, 1, 0), (2, 2, 1)]
        assert conn.execute(sa.text("SELECT centre_id FROM sources")).scalar_one() == 2
        matches = conn.execute(sa.text("SELECT id, centre_id FROM item_matches "
                                       "ORDER BY id")).all()
        assert [tuple(m) for m in matches] == [(1, 1), (2, 2)]
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(sa.text("UPDATE banks SET centre_id = NULL WHERE id = 1"))
    engine.dispose()
