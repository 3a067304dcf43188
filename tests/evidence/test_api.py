"""The evidence API: roles and centres, a custody event for every access (API and CLI),
previews blurred unless deliberately unblurred, destruction on a recorded decision."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select
from tests.conftest import World, auth
from tests.evidence.conftest import EvidenceCase, Site
from tests.evidence.test_capture import staff
from tests.foundation.test_cli import jikimi

from jikimi import evidence
from jikimi.core.audit import AuditEntry
from jikimi.core.runtime import Runtime
from jikimi.evidence import capture as capturing
from jikimi.evidence.models import CustodyEvent, EvidenceItem
from jikimi.evidence.package import load_public_key, public_key_pem, verify_package


def _events(runtime: Runtime) -> list[tuple[int, str, str, str]]:
    with runtime.sessions() as session:
        return [(e.item_id, e.action, e.via, e.actor) for e in session.scalars(
            select(CustodyEvent).order_by(CustodyEvent.id))]


def _audited(runtime: Runtime, action: str) -> int:
    with runtime.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == action)) or 0)


def test_api_roles_custody_and_retention(client: TestClient, runtime: Runtime, world: World,
                                         ecase: EvidenceCase, site: Site,
                                         cli_env: dict[str, str], tmp_path: Path) -> None:
    s = world.staff
    inv, couns = auth(s["investigator_a"]), auth(s["counsellor_a"])
    base = f"/api/v1/cases/{ecase.code}/evidence"

    # Capture: investigators and admins of the case's centre only.
    for who in ("counsellor_a", "analyst_a", "investigator_b", "admin_b"):
        r = client.post(base, json={"url": f"{site.base}/go"}, headers=auth(s[who]))
        assert r.status_code == 403, (who, r.text)
    r = client.post(base, json={"url": "javascript:alert(1)"}, headers=inv)
    assert r.status_code == 422
    r = client.post(base, json={"url": f"{site.base}/nothing-here"}, headers=inv)
    assert r.status_code == 502 and "404" in r.text
    r = client.post(base, json={"url": f"{site.base}/go", "reason": "신고", "screenshot": False},
                    headers=inv)
    assert r.status_code == 201, r.text
    item = r.json()
    item_id = item["id"]
    assert item["final_url"].endswith("/post/123") and item["media_count"] == 3
    assert _events(runtime) == [(item_id, "captured", "api", f"staff:{s['investigator_a'].id}")]

    # Another centre's case, and a case without consent: refused.
    r = client.post(f"/api/v1/cases/{ecase.other_code}/evidence", json={"url": site.base},
                    headers=inv)
    assert r.status_code == 403

    # Every access is a custody event, in the order made.
    before = len(_events(runtime))
    calls = [
        ("listed", lambda: client.get(base, headers=couns)),
        ("viewed", lambda: client.get(f"/api/v1/evidence/{item_id}", headers=couns)),
        ("viewed", lambda: client.get(f"/api/v1/evidence/{item_id}/custody", headers=inv)),
        ("previewed", lambda: client.get(f"/api/v1/evidence/{item_id}/preview", headers=couns)),
        ("decrypted", lambda: client.post(f"/api/v1/evidence/{item_id}/content",
                                          json={"reason": "분석"}, headers=inv)),
        ("exported", lambda: client.post(f"{base}/package", json={"reason": "경찰 제출"},
                                         headers=inv)),
    ]
    responses = {}
    for expected, call in calls:
        r = call()
        assert r.status_code in (200, 204), (expected, r.text)
        responses[expected] = r
        events = _events(runtime)
        assert len(events) == before + 1 and events[-1][1:3] == (expected, "api"), expected
        before += 1
    assert responses["previewed"].status_code == 204  # captured without a screenshot
    assert responses["decrypted"].content[:2] == b"\x1f\x8b"  # gzipped WARC
    custody = responses["viewed"].json()
    assert [e["action"] for e in custody][:3] == ["captured", "listed", "viewed"]
    package = tmp_path / "api.zip"
    package.write_bytes(responses["exported"].content)
    assert verify_package(package, load_public_key(public_key_pem(runtime.keys))).ok
    assert _audited(runtime, "evidence.exported") == 1

    # Refusals: other centres, roles, missing reasons.
    for who in ("investigator_b", "counsellor_b", "admin_b", "analyst_a", "counsellor_a2"):
        assert client.get(base, headers=auth(s[who])).status_code == 403, who
        # another centre's item does not exist for her (404); her centre's: the role (403)
        assert client.get(f"/api/v1/evidence/{item_id}", headers=auth(s[who])).status_code \
            == (404 if who.endswith("_b") else 403), who
    assert client.post(f"/api/v1/evidence/{item_id}/content", json={"reason": "x"},
                       headers=couns).status_code == 403
    assert client.post(f"/api/v1/evidence/{item_id}/unblur", json={"reason": "x"},
                       headers=couns).status_code == 403
    assert client.post(f"/api/v1/evidence/{item_id}/content", json={},
                       headers=inv).status_code == 422
    assert client.get("/api/v1/evidence/999999", headers=inv).status_code == 404

    # The CLI: every access is an event too (via cli, the named operator).
    before = len(_events(runtime))
    jikimi(cli_env, "evidence", "list", ecase.code, "--format", "json", "--by", "lee")
    out = jikimi(cli_env, "evidence", "show", str(item_id), "--format", "json", "--by", "lee")
    assert json.loads(out.stdout)["sha256"] == item["sha256"]
    warc = tmp_path / "item.warc.gz"
    jikimi(cli_env, "evidence", "open", str(item_id), "--to", str(warc), "--reason", "검토",
           "--by", "lee")
    assert warc.read_bytes() == responses["decrypted"].content
    log = json.loads(jikimi(cli_env, "evidence", "custody", str(item_id), "--format", "json",
                            "--by", "lee").stdout)
    events = _events(runtime)[before:]
    assert [e[1:] for e in events] == [("listed", "cli", "system:cli:lee"),
                                       ("viewed", "cli", "system:cli:lee"),
                                       ("decrypted", "cli", "system:cli:lee"),
                                       ("viewed", "cli", "system:cli:lee")]
    assert log[-1]["action"] == "viewed" and log[-1]["details"] == {"what": "custody log"}

    # Retention: only an admin destroys, with a reason; the record and its log stay.
    r = client.post(f"/api/v1/evidence/{item_id}/destroy", json={"reason": "x"}, headers=inv)
    assert r.status_code == 403
    r = client.post(f"/api/v1/evidence/{item_id}/destroy",
                    json={"reason": "공소시효 만료, 보존 기간 종료 (결정 2026-17)"},
                    headers=auth(s["admin_a"]))
    assert r.status_code == 200 and r.json()["status"] == "destroyed"
    with runtime.sessions() as session:
        row = session.get(EvidenceItem, item_id)
        assert row is not None and row.wrapped_key is None
        uid = row.uid
    assert not (runtime.settings.resolved_data_dir / "evidence" / f"{uid}.jkev").exists()
    assert _events(runtime)[-1][1] == "destroyed"
    r = client.post(f"/api/v1/evidence/{item_id}/content", json={"reason": "again"}, headers=inv)
    assert r.status_code == 409
    listed = client.get(base, headers=couns).json()
    assert listed[0]["status"] == "destroyed"
    # A package after destruction lists the item with its hashes, without its content.
    r = client.post(f"{base}/package", json={}, headers=inv)
    with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
        assert not [n for n in zf.namelist() if n.startswith("items/")]
        manifest = json.loads(zf.read("manifest.json"))
    assert manifest["items"][0]["status"] == "destroyed"


def test_blurred_preview_and_unblur(client: TestClient, runtime: Runtime, world: World,
                                    ecase: EvidenceCase, site: Site,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Without Chromium: a capture whose WARC holds a screenshot record (made here)."""

    shot = io.BytesIO()
    Image.new("RGB", (1280, 900), (200, 30, 30)).save(shot, "PNG")
    real = capturing.capture

    def with_screenshot(url: str, options: object, client: object = None,
                        guard: object = None) -> capturing.Capture:
        got = real(url, capturing.CaptureOptions(screenshot=False))
        got.screenshot = shot.getvalue()
        return got

    monkeypatch.setattr(capturing, "capture", with_screenshot)
    with runtime.context(staff(world, "investigator_a")) as ctx:
        item = evidence.capture_url(ctx, ecase.code, f"{site.base}/post/123")
    assert item.screenshot_sha256
    r = client.get(f"/api/v1/evidence/{item.id}/preview", headers=auth(world.staff["counsellor_a"]))
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    preview = Image.open(io.BytesIO(r.content))
    assert preview.mode == "L" and preview.width <= 480  # greyscale, small
    r = client.post(f"/api/v1/evidence/{item.id}/unblur", json={"reason": "식별 확인"},
                    headers=auth(world.staff["investigator_a"]))
    assert r.status_code == 200 and r.content == shot.getvalue()
    assert _events(runtime)[-2:] == [
        (item.id, "previewed", "api", f"staff:{world.staff['counsellor_a'].id}"),
        (item.id, "unblurred", "api", f"staff:{world.staff['investigator_a'].id}")]
