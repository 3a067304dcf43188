"""The portal beyond single pictures: videos (vPDQ frame lists), the submission file that
`jikimi hash --submission` writes, cases opened on the portal, and face enrolment with the
victim's own consent (the photo is embedded in memory and never stored)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from tests.conftest import World
from tests.foundation.test_cli import jikimi
from tests.portal.test_portal_api import (
    MD5,
    PDQ,
    SHA,
    entries,
    item_for,
    open_case,
    png_bytes,
)

from jikimi.core.actors import cli_actor
from jikimi.core.runtime import Runtime
from jikimi.hashing import VideoFingerprints, fingerprint_file
from jikimi.matching import Bank, BankEntry

FACES = Path(__file__).resolve().parents[3] / "shared" / "data" / "faces"


def small_video(path: Path, seconds: int = 3) -> Path:
    """A benign generated test pattern (ffmpeg's testsrc), VP8 in WebM."""
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    f"testsrc=duration={seconds}:size=160x120:rate=10", "-c:v", "libvpx",
                    "-b:v", "200k", str(path)], check=True, timeout=60)
    return path


def frames(n: int, start: int = 0) -> list[dict[str, Any]]:
    return [{"frame": start + k * 25, "timestamp": float(start + k), "quality": 90,
             "pdq": f"{k + 1:064x}"} for k in range(n)]


def video_item(n: int = 3, **changes: Any) -> dict[str, Any]:
    return {"kind": "video", "label": "영상", "sha256": SHA, "md5": MD5, "frames": frames(n),
            **changes}


def test_video_frames_stored_as_vpdq(portal_client, world: World, runtime: Runtime,
                                     tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    code, secret = open_case(portal_client, world)
    fp = fingerprint_file(small_video(tmp_path / "clip.webm"))
    assert isinstance(fp, VideoFingerprints)
    item = {"kind": "video", "label": "영상 1", "sha256": fp.sha256, "md5": fp.md5,
            "frames": [f.to_json() for f in fp.frames]}
    response = portal_client.post("/api/v1/victim/fingerprints",
                                  json={"code": code, "secret": secret, "items": [item]})
    assert response.status_code == 201, response.text
    assert response.json()["added"] == 3
    rows = {r.signal_type: r for r in entries(runtime, code)}
    assert set(rows) == {"vpdq", "sha256", "md5"}
    stored = json.loads(rows["vpdq"].value)
    assert [f[3] for f in stored] == [f.pdq for f in fp.frames]
    # The centre's own upload of the same video finds her case.
    found = portal_client.post("/api/v1/match",
                               files={"file": ("v.webm", (tmp_path / "clip.webm").read_bytes())},
                               headers={"Authorization":
                                        f"Bearer {world.staff['analyst_a'].token}"})
    assert found.status_code == 200, found.text
    assert code in {m["case_code"] for m in found.json()["matches"]}
    status = portal_client.post("/api/v1/victim/fingerprints/status",
                                json={"code": code, "secret": secret}).json()
    assert [(i["label"], i["kind"], i["found"]) for i in status["items"]] == [
        ("영상 1", "video", 0)]


MALFORMED_VIDEOS: dict[str, Any] = {
    "3601 frames": [video_item(3601)],
    "no frames": [video_item(0)],
    "frames out of order": [video_item(frames=list(reversed(frames(3))))],
    "repeated frame number": [video_item(frames=frames(2) + frames(1))],
    "video with pdq": [video_item(pdq=PDQ, quality=80)],
    "video with variants": [video_item(variants=[{"name": "rot90", "pdq": PDQ,
                                                  "quality": 80}])],
    "image with frames": [{"label": "", "sha256": SHA, "md5": MD5, "pdq": PDQ, "quality": 80,
                           "frames": frames(2)}],
    "image without pdq": [{"label": "", "sha256": SHA, "md5": MD5}],
    "frame pdq short": [video_item(frames=[{**frames(1)[0], "pdq": "f" * 63}])],
    "frame quality 101": [video_item(frames=[{**frames(1)[0], "quality": 101}])],
    "frame negative time": [video_item(frames=[{**frames(1)[0], "timestamp": -1.0}])],
    "frame extra field": [video_item(frames=[{**frames(1)[0], "jpeg": "/9j/"}])],
    "unknown kind": [video_item(kind="audio")],
    "6001 frames in all": [video_item(3000, sha256=f"{n:064x}") for n in range(1, 3)]
    + [video_item(1, sha256="c" * 64)],
}


@pytest.mark.parametrize("case", list(MALFORMED_VIDEOS), ids=list(MALFORMED_VIDEOS))
def test_malformed_videos_refused(portal_client, world: World, runtime: Runtime,
                                  case: str) -> None:  # type: ignore[no-untyped-def]
    code, secret = open_case(portal_client, world)
    response = portal_client.post("/api/v1/victim/fingerprints",
                                  json={"code": code, "secret": secret,
                                        "items": MALFORMED_VIDEOS[case]})
    assert response.status_code == 422, response.text[:300]
    assert response.json()["error"]["code"] == "invalid_request"
    assert entries(runtime, code) == []


def test_100000_frames_refused(portal_client, world: World, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    code, secret = open_case(portal_client, world)
    body = json.dumps({"code": code, "secret": secret, "items": [video_item(100_000)]})
    response = portal_client.post("/api/v1/victim/fingerprints", content=body,
                                  headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "body_too_large"
    assert entries(runtime, code) == []


def test_cli_submission_round_trip(portal_client, world: World, runtime: Runtime,
                                   cli_env: dict[str, str], tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """`jikimi hash --submission` writes what the portal sends; the API takes the file as it
    is, with her code and secret added; same fingerprints as the server's own."""
    pictures = []
    for seed in (1, 2):
        path = tmp_path / f"사진{seed}.png"
        path.write_bytes(png_bytes(seed))
        pictures.append(path)
    clip = small_video(tmp_path / "clip.webm", 2)
    out = tmp_path / "submission.json"
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20)
    done = jikimi(cli_env, "hash", "--submission", str(out), *map(str, pictures), str(clip),
                  str(broken), check=False)
    assert done.returncode == 1  # the broken file failed; the others are in the submission
    assert "3 item(s)" in done.stderr
    submission = json.loads(out.read_text())
    assert submission["format"] == "jikimi-submission" and submission["version"] == 1
    assert [i["kind"] for i in submission["items"]] == ["image", "image", "video"]
    assert [i["label"] for i in submission["items"]] == ["file 1", "file 2", "file 3"]
    assert b"IHDR" not in out.read_bytes()

    code, secret = open_case(portal_client, world)
    response = portal_client.post("/api/v1/victim/fingerprints",
                                  json={**submission, "code": code, "secret": secret})
    assert response.status_code == 201, response.text
    rows = entries(runtime, code)
    for path, item in zip(pictures, submission["items"], strict=False):
        fp = fingerprint_file(path, with_variants=True)
        stored = {(r.variant, r.value, r.quality) for r in rows
                  if r.content_id == fp.sha256 and r.signal_type == "pdq"}
        assert stored == {(v.name, v.hex, v.quality) for v in fp.variants}  # type: ignore[union-attr]
        assert item["sha256"] == fp.sha256
    assert any(r.signal_type == "vpdq" for r in rows)

    # A file that is not a submission, or a newer version, is refused clearly.
    for bad in ({**submission, "format": "stopncii"}, {**submission, "version": 2}):
        refused = portal_client.post("/api/v1/victim/fingerprints",
                                     json={**bad, "code": code, "secret": secret})
        assert refused.status_code == 422


def test_victim_opens_a_case(portal_client, world: World, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    opened = portal_client.post("/api/v1/victim/cases", headers={"Accept-Language": "ko"})
    assert opened.status_code == 201, opened.text
    body = opened.json()
    assert set(body) == {"code", "secret"}
    code, secret = body["code"], body["secret"]
    # The new case works at once with its code and secret.
    status = portal_client.post("/api/v1/victim/fingerprints/status",
                                json={"code": code, "secret": secret})
    assert status.status_code == 200
    assert status.json()["case"]["status"] == "open"
    assert portal_client.post("/api/v1/victim/fingerprints", json={
        "code": code, "secret": secret,
        "items": [{"label": "", "sha256": SHA, "md5": MD5, "pdq": PDQ,
                   "quality": 80}]}).status_code == 201
    with runtime.context(cli_actor("test")) as ctx:
        row = ctx.session.execute(text(
            "select intake_channel, intake_by, contact_enc from cases where code = :c"),
            {"c": code}).one()
    assert row[0] == "web" and row[1] == "system:portal" and row[2] is None
    # A few per address and hour: the flood stops with a clear message.
    codes = {code}
    for _ in range(2):
        again = portal_client.post("/api/v1/victim/cases")
        assert again.status_code == 201
        codes.add(again.json()["code"])
    assert len(codes) == 3
    limited = portal_client.post("/api/v1/victim/cases", headers={"Accept-Language": "en"})
    assert limited.status_code == 429
    assert "1366" in limited.json()["error"]["message"]


needs_faces = pytest.mark.skipif(not (FACES / "obama" / "01.jpg").exists(),
                                 reason=f"face fixtures missing: {FACES}")


@needs_faces
def test_face_enrolment_from_the_portal(portal_client, world: World, runtime: Runtime,
                                        settings) -> None:  # type: ignore[no-untyped-def]
    """Refused without her consent; with the consent she gives on the portal, one photo is
    embedded and discarded: its bytes are nowhere in the database or the data directory;
    withdrawal removes the template at once."""
    code, secret = open_case(portal_client, world)
    photo = (FACES / "obama" / "01.jpg").read_bytes()
    headers = {"Content-Type": "image/jpeg", "X-Case-Code": code, "X-Case-Secret": secret}
    refused = portal_client.post("/api/v1/victim/faces", content=photo, headers=headers)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "consent_required"
    wrong = portal_client.post("/api/v1/victim/faces", content=photo,
                               headers={**headers, "X-Case-Secret": "AAAA-BBBB-CCCC-DDDD"})
    assert wrong.status_code == 401

    creds = {"code": code, "secret": secret}
    consent = portal_client.post("/api/v1/victim/faces/consent", json=creds)
    assert consent.status_code == 200, consent.text
    assert "face_search" in consent.json()["consents"]
    enrolled = portal_client.post("/api/v1/victim/faces", content=photo, headers=headers)
    assert enrolled.status_code == 201, enrolled.text
    assert enrolled.json() == {"code": code, "photos": 1, "faces": 1, "skipped": 0}
    # Wrong kinds of upload.
    assert portal_client.post("/api/v1/victim/faces", content=b"",
                              headers=headers).status_code == 422
    assert portal_client.post("/api/v1/victim/faces", content=b"<html>",
                              headers={**headers, "Content-Type": "text/html"}
                              ).status_code == 422
    corrupt = portal_client.post("/api/v1/victim/faces", content=photo[:2000], headers=headers)
    assert 400 <= corrupt.status_code < 500

    status = portal_client.post("/api/v1/victim/fingerprints/status", json=creds).json()
    assert status["faces"] == 1
    with runtime.context(cli_actor("test")) as ctx:
        faces = list(ctx.session.scalars(
            select(BankEntry).join(Bank, Bank.id == BankEntry.bank_id)
            .where(Bank.case_code == code, BankEntry.signal_type == "face")))
        assert len(faces) == 1 and faces[0].removed_at is None
    # No photo anywhere: not in any file of the installation, not in the database.
    needle = photo[200:264]
    for path in Path(settings.data_dir).rglob("*"):
        if path.is_file():
            assert needle not in path.read_bytes(), path
    if (settings.database_url or "").startswith("sqlite:///"):
        db = Path(settings.database_url.removeprefix("sqlite:///"))
        assert needle not in db.read_bytes()
    # A staff search with another photo of the same person finds her case.
    other = (FACES / "obama" / "02.jpg").read_bytes()
    found = portal_client.post("/api/v1/faces/search", files={"file": ("q.jpg", other)},
                               headers={"Authorization":
                                        f"Bearer {world.staff['analyst_a'].token}"})
    assert found.status_code == 200, found.text
    assert code in json.dumps(found.json())

    withdrawn = portal_client.post("/api/v1/victim/faces/withdraw", json=creds)
    assert withdrawn.status_code == 200
    assert "face_search" not in withdrawn.json()["consents"]
    assert portal_client.post("/api/v1/victim/fingerprints/status",
                              json=creds).json()["faces"] == 0
    again = portal_client.post("/api/v1/victim/faces", content=photo, headers=headers)
    assert again.status_code == 403


def test_status_shows_copies_found_and_deletion_progress(portal_client, world: World,
                                                         runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    """A copy of her picture found by a scan, a deletion request for it: her status page says
    where things stand in plain terms (found, requested, removed), nothing more."""
    from jikimi.scans import Item, ItemMatch, ItemVersion, SourceRecord
    from jikimi.takedown import service as takedown_service
    from jikimi.takedown.models import TakedownItem, TakedownRequest

    code, secret = open_case(portal_client, world)
    item = item_for(png_bytes(3), "내 사진")
    assert portal_client.post("/api/v1/victim/fingerprints", json={
        "code": code, "secret": secret, "items": [item]}).status_code == 201
    creds = {"code": code, "secret": secret}
    before = portal_client.post("/api/v1/victim/fingerprints/status", json=creds).json()
    assert before["found"] == 0 and before["takedowns"] == []

    urls = ["https://files.example.net/a.jpg", "https://files.example.net/b.jpg"]
    with runtime.sessions() as session, session.begin():
        entry = session.scalar(select(BankEntry).where(
            BankEntry.content_id == item["sha256"], BankEntry.variant == "original",
            BankEntry.signal_type == "pdq"))
        assert entry is not None
        source = SourceRecord(centre_id=world.centre_a, type="urls", name="seen",
                              config=json.dumps({"urls": urls}), created_by="test")
        session.add(source)
        session.flush()
        for n, url in enumerate(urls):
            found = Item(source_id=source.id, item_key=url, locator=url,
                         context=json.dumps({"page_url": url}))
            session.add(found)
            session.flush()
            version = ItemVersion(item_id=found.id, sha256=f"{n:064x}", kind="image",
                                  fingerprints=json.dumps({"kind": "image", "pdq": item["pdq"]}))
            session.add(version)
            session.flush()
            match = ItemMatch(item_version_id=version.id, entry_id=entry.id,
                              bank_id=entry.bank_id, case_code=code, signal_type="pdq",
                              distance=2, variant="original", entry_variant="original",
                              centre_id=world.centre_a)
            session.add(match)
            session.flush()
            takedown_service.propose(session, match, "staff:test")
    status = portal_client.post("/api/v1/victim/fingerprints/status", json=creds).json()
    assert status["found"] == 2
    assert [i["found"] for i in status["items"]] == [2]
    assert [(t["stage"], t["addresses"], t["removed"]) for t in status["takedowns"]] == [
        ("preparing", 2, 0)]
    with runtime.sessions() as session, session.begin():
        request = session.scalar(select(TakedownRequest).where(TakedownRequest.case_code == code))
        assert request is not None
        request.status = "partially_removed"
        first = session.scalar(select(TakedownItem).where(TakedownItem.request_id == request.id)
                               .order_by(TakedownItem.id).limit(1))
        assert first is not None
        first.state = "removed"
    status = portal_client.post("/api/v1/victim/fingerprints/status", json=creds).json()
    assert [(t["stage"], t["addresses"], t["removed"]) for t in status["takedowns"]] == [
        ("partly_removed", 2, 1)]
    assert "example.net" in status["takedowns"][0]["site"]


def test_notes_are_hers_encrypted_and_erased(portal_client, world: World,
                                             runtime: Runtime, settings) -> None:  # type: ignore[no-untyped-def]
    from jikimi.portal.models import VictimNote

    code, secret = open_case(portal_client, world)
    creds = {"code": code, "secret": secret}
    note = "2026년 3월 단톡방에서 처음 봤음\n두 번째 줄"
    item = {**item_for(png_bytes(4), "사진"), "note": note}
    bad = portal_client.post("/api/v1/victim/fingerprints",
                             json={**creds, "items": [{**item, "note": "a\x07b"}]})
    assert bad.status_code == 422
    long = portal_client.post("/api/v1/victim/fingerprints",
                              json={**creds, "items": [{**item, "note": "가" * 501}]})
    assert long.status_code == 422
    assert portal_client.post("/api/v1/victim/fingerprints",
                              json={**creds, "items": [item]}).status_code == 201
    status = portal_client.post("/api/v1/victim/fingerprints/status", json=creds).json()
    assert [i["note"] for i in status["items"]] == [note]
    with runtime.context(cli_actor("test")) as ctx:
        rows = list(ctx.session.scalars(select(VictimNote)))
        assert len(rows) == 1 and note.encode() not in rows[0].note_enc
    if (settings.database_url or "").startswith("sqlite:///"):
        db = Path(settings.database_url.removeprefix("sqlite:///"))
        assert "단톡방".encode() not in db.read_bytes()
    # The same item again without a note keeps hers; with a new note replaces it.
    again = {**item, "note": ""}
    portal_client.post("/api/v1/victim/fingerprints", json={**creds, "items": [again]})
    status = portal_client.post("/api/v1/victim/fingerprints/status", json=creds).json()
    assert [i["note"] for i in status["items"]] == [note]
    assert portal_client.post("/api/v1/victim/erase", json=creds).status_code == 200
    with runtime.context(cli_actor("test")) as ctx:
        assert list(ctx.session.scalars(select(VictimNote))) == []
