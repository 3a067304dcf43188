"""Banks and matching through the HTTP API, as an analyst uses them."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageDraw
from tests.conftest import SHARED_DATA, World, auth

DIH = SHARED_DATA / "pdq-reference" / "images" / "reg-test-input" / "dih"
VIDEOS = SHARED_DATA / "vpdq-reference"


def scene(seed: int, size: tuple[int, int] = (640, 480)) -> bytes:
    """A benign generated picture: coloured shapes on a gradient."""
    import random

    rnd = random.Random(seed)
    img = Image.new("RGB", size)
    draw = ImageDraw.Draw(img)
    for y in range(size[1]):
        draw.line([(0, y), (size[0], y)], fill=(y % 256, (y * 3 + seed) % 256, 120))
    for _ in range(12):
        x0, y0 = rnd.randrange(size[0]), rnd.randrange(size[1])
        box = (x0, y0, x0 + rnd.randrange(40, 200), y0 + rnd.randrange(40, 200))
        colour = (rnd.randrange(256), rnd.randrange(256), rnd.randrange(256))
        (draw.ellipse if rnd.random() < 0.5 else draw.rectangle)(box, fill=colour)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=90)
    return out.getvalue()


def upload(client, path: str, data: bytes, member, name: str = "x.jpg", **params):  # type: ignore[no-untyped-def]
    return client.post(path, files={"file": (name, data, "application/octet-stream")},
                       headers=auth(member), params=params)


@pytest.fixture
def analyst(world: World):  # type: ignore[no-untyped-def]
    return world.staff["analyst_a"]


def test_register_and_find_mirrored_copy(client, world: World, analyst) -> None:  # type: ignore[no-untyped-def]
    assert client.post("/api/v1/banks", json={"name": "victims"},
                       headers=auth(analyst)).status_code == 201
    original = (DIH / "bridge-1-original.jpg").read_bytes()
    added = upload(client, "/api/v1/banks/victims/files", original, analyst, "bridge.jpg")
    assert added.status_code == 201, added.text
    assert added.json()["added"] >= 10  # PDQ + registration variants + SHA-256 + MD5
    for name in ("bridge-5-flipx.jpg", "bridge-2-rotate-90.jpg", "bridge-3-rotate-180.jpg"):
        result = upload(client, "/api/v1/match", (DIH / name).read_bytes(), analyst, name)
        assert result.status_code == 200, result.text
        body = result.json()
        assert body["matched"] is True, name
        best = min(body["matches"], key=lambda m: m["distance"])
        assert best["signal_type"] == "pdq" and best["distance"] <= 31
        assert best["entry_variant"] != "original"  # found through a registered variant
    exact = upload(client, "/api/v1/match", original, analyst).json()
    assert {m["signal_type"] for m in exact["matches"]} >= {"pdq", "sha256", "md5"}
    unrelated = upload(client, "/api/v1/match", scene(7), analyst).json()
    assert unrelated == {"matched": False, "matches": [], "suppressed_by": []}


def test_dihedral_query_names_the_variant(client, world: World, analyst) -> None:  # type: ignore[no-untyped-def]
    client.post("/api/v1/banks", json={"name": "plain"}, headers=auth(analyst))
    data = scene(1)
    fp = upload(client, "/api/v1/hash", data, analyst).json()
    client.post("/api/v1/banks/plain/entries",
                json={"entries": [{"signal_type": "pdq", "value": fp["pdq"], "quality": 100}]},
                headers=auth(analyst))
    flipped = Image.open(io.BytesIO(data)).transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    buffer = io.BytesIO()
    flipped.save(buffer, "PNG")
    # one query path: a hash imported without variants still finds the mirrored copy (PDQ's
    # dihedral hashes are looked up by every door), and the old ``dihedral`` flag changes nothing
    plain = upload(client, "/api/v1/match", buffer.getvalue(), analyst).json()
    assert plain["matched"] is True
    assert plain["matches"][0]["variant"] == "flip_h"
    with_dihedral = upload(client, "/api/v1/match", buffer.getvalue(), analyst,
                           dihedral="true").json()
    assert with_dihedral == plain


def test_match_by_fingerprints_and_exact_hashes(client, world: World, analyst) -> None:  # type: ignore[no-untyped-def]
    client.post("/api/v1/banks", json={"name": "files"}, headers=auth(analyst))
    sha = "a" * 64
    client.post("/api/v1/banks/files/entries",
                json={"entries": [{"signal_type": "sha256", "value": sha.upper()},
                                  {"signal_type": "md5", "value": "b" * 32}]},
                headers=auth(analyst))
    r = client.post("/api/v1/match", json={"sha256": sha}, headers=auth(analyst))
    assert r.status_code == 200 and r.json()["matches"][0]["signal_type"] == "sha256"
    r = client.post("/api/v1/match", json={"md5": "B" * 32}, headers=auth(analyst))
    assert r.json()["matched"] is True
    r = client.post("/api/v1/match", json={"md5": "c" * 32}, headers=auth(analyst))
    assert r.json()["matched"] is False


def test_per_bank_threshold_negative_bank_and_low_quality(client, world: World,  # type: ignore[no-untyped-def]
                                                          analyst) -> None:
    base = int("d8f8f0cce0f4a84f0e370a22028f67f0b36e2ed596623e1d33e6b39c4e9c9b22", 16)
    near = f"{base ^ ((1 << 20) - 1):064x}"  # 20 bits away
    entries = {"entries": [{"signal_type": "pdq", "value": f"{base:064x}", "quality": 100}]}
    h = auth(analyst)
    client.post("/api/v1/banks", json={"name": "strict", "pdq_threshold": 10}, headers=h)
    client.post("/api/v1/banks", json={"name": "loose"}, headers=h)
    client.post("/api/v1/banks/strict/entries", json=entries, headers=h)
    client.post("/api/v1/banks/loose/entries", json=entries, headers=h)
    r = client.post("/api/v1/match", json={"pdq": near, "quality": 100}, headers=h).json()
    assert [m["bank"] for m in r["matches"]] == ["loose"]
    low = client.post("/api/v1/match", json={"pdq": near, "quality": 20}, headers=h).json()
    assert low["matches"][0]["reliable"] is False and low["matched"] is False
    client.post("/api/v1/banks", json={"name": "benign", "negative": True}, headers=h)
    client.post("/api/v1/banks/benign/entries", json=entries, headers=h)
    suppressed = client.post("/api/v1/match", json={"pdq": near, "quality": 100},
                             headers=h).json()
    assert suppressed["matched"] is False and suppressed["matches"] == []
    assert [m["bank"] for m in suppressed["suppressed_by"]] == ["benign"]


def test_removed_entry_stops_matching_at_once(client, world: World, analyst) -> None:  # type: ignore[no-untyped-def]
    h = auth(analyst)
    client.post("/api/v1/banks", json={"name": "b"}, headers=h)
    client.post("/api/v1/banks/b/entries", json={"entries": [{"signal_type": "md5",
                                                              "value": "1" * 32}]}, headers=h)
    assert client.post("/api/v1/match", json={"md5": "1" * 32}, headers=h).json()["matched"]
    entry = client.get("/api/v1/banks/b/entries", headers=h).json()[0]
    assert client.delete(f"/api/v1/bank-entries/{entry['id']}", headers=h).status_code == 204
    assert not client.post("/api/v1/match", json={"md5": "1" * 32}, headers=h).json()["matched"]
    assert client.get("/api/v1/banks/b", headers=h).json()["entries"] == 0


def test_vpdq_match_from_reference_hashes(client, world: World, analyst) -> None:  # type: ignore[no-untyped-def]
    def frames(name: str, step: int = 1) -> list[dict[str, object]]:
        rows = (VIDEOS / name).read_text().split()
        out = []
        for row in rows[::step]:
            frame, quality, pdq, ts = row.split(",")
            out.append({"frame": int(frame), "quality": int(quality), "pdq": pdq,
                        "timestamp": float(ts)})
        return out

    import json

    h = auth(analyst)
    client.post("/api/v1/banks", json={"name": "videos"}, headers=h)
    r = client.post("/api/v1/banks/videos/entries", json={"entries": [
        {"signal_type": "vpdq", "value": json.dumps(frames("doorknob-hd-no-bar.txt"))}]},
        headers=h)
    assert r.status_code == 201, r.text
    same = client.post("/api/v1/match", json={"vpdq": frames("doorknob-hd-no-bar.txt", 30)},
                       headers=h).json()
    assert same["matched"] and same["matches"][0]["signal_type"] == "vpdq"
    other = client.post("/api/v1/match", json={"vpdq": frames("pattern-sd-grey-bar.txt", 30)},
                        headers=h).json()
    assert other["matched"] is False


def test_hash_endpoint_stores_nothing(client, world: World, analyst, runtime) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    r = upload(client, "/api/v1/hash", scene(3), analyst)
    assert r.status_code == 200 and r.json()["kind"] == "image" and len(r.json()["pdq"]) == 64
    with runtime.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM bank_entries")).scalar_one() == 0


def test_bank_permissions(client, world: World) -> None:  # type: ignore[no-untyped-def]
    for role, expected in [("counsellor_a", 403), ("investigator_a", 403), ("analyst_a", 201),
                           ("admin_a", 201), ("central_admin", 201)]:
        r = client.post("/api/v1/banks", json={"name": f"bank-{role}"},
                        headers=auth(world.staff[role]))
        assert r.status_code == expected, role
    # a centre's bank cannot be changed by another centre's analyst: it does not exist for her
    r = client.post("/api/v1/banks/bank-analyst_a/entries",
                    json={"entries": [{"signal_type": "md5", "value": "2" * 32}]},
                    headers=auth(world.staff["analyst_b"]))
    assert r.status_code == 404
    # every staff member may ask /match (she sees hits in the banks she may read)
    r = client.post("/api/v1/match", json={"md5": "2" * 32},
                    headers=auth(world.staff["counsellor_b"]))
    assert r.status_code == 200


@pytest.mark.parametrize(("data", "status", "code"), [
    (b"", 415, "unsupported_media"),
    (b"<html><body>not a picture</body></html>", 415, "unsupported_media"),
    (b"\xff\xd8\xff\xe0" + b"\x00" * 40, 422, "corrupt_media"),
])
def test_bad_uploads(client, world: World, analyst, data: bytes, status: int, code: str) -> None:  # type: ignore[no-untyped-def]
    r = upload(client, "/api/v1/hash", data, analyst, "photo.jpg")
    assert r.status_code == status, r.text
    assert r.json()["error"]["code"] == code
    r = upload(client, "/api/v1/match", data, analyst, "photo.jpg")
    assert r.status_code == status


@pytest.mark.parametrize("body", [
    {"pdq": "xyz"}, {"pdq": "0" * 63}, {"sha256": "g" * 64}, {}, {"vpdq": []},
    {"vpdq": [{"frame": 0, "quality": 500, "pdq": "0" * 64, "timestamp": 0}]},
    {"pdq": "0" * 64, "threshold": 99}, {"unknown": 1},
])
def test_bad_fingerprint_queries(client, world: World, analyst, body: dict) -> None:  # type: ignore[no-untyped-def,type-arg]
    r = client.post("/api/v1/match", json=body, headers=auth(analyst))
    assert r.status_code == 422, r.text


@pytest.mark.parametrize("entry", [
    {"signal_type": "pdq", "value": "nothex"}, {"signal_type": "tmk", "value": "0" * 64},
    {"signal_type": "md5", "value": "0" * 64}, {"signal_type": "pdq", "value": "0" * 64,
                                                "quality": 101},
    {"signal_type": "vpdq", "value": "[[0, 0, 100]]"}, {"signal_type": "vpdq", "value": "{"},
])
def test_bad_entries_change_nothing(client, world: World, analyst, entry: dict) -> None:  # type: ignore[no-untyped-def,type-arg]
    h = auth(analyst)
    client.post("/api/v1/banks", json={"name": "clean"}, headers=h)
    r = client.post("/api/v1/banks/clean/entries",
                    json={"entries": [{"signal_type": "md5", "value": "3" * 32}, entry]},
                    headers=h)
    assert r.status_code == 422, r.text
    assert client.get("/api/v1/banks/clean", headers=h).json()["entries"] == 0


def test_oversized_upload(client, world: World, analyst, runtime) -> None:  # type: ignore[no-untyped-def]
    runtime.settings.max_upload_bytes = 2_000_000
    r = upload(client, "/api/v1/hash", b"\x00" * 3_000_000, analyst)
    assert r.status_code in (413, 422)




def test_pictures_list_one_row_per_registered_file(app, client, world: World, analyst) -> None:  # type: ignore[no-untyped-def]
    """A photo is registered as ~200 fingerprints; staff see it as one picture, in the API and
    on the bank page (Korean by default), with its fingerprints counted by type."""
    from tests.review.test_pages import session_for

    h = auth(analyst)
    assert client.post("/api/v1/banks", json={"name": "pics"}, headers=h).status_code == 201
    for seed, name in ((1, "first.jpg"), (2, "second.jpg")):
        assert upload(client, "/api/v1/banks/pics/files", scene(seed), analyst,
                      name).status_code == 201
    first = client.get("/api/v1/banks/pics/pictures", headers=h).json()
    assert first["total"] == 2 and [p["label"] for p in first["items"]] == ["first.jpg",
                                                                           "second.jpg"]
    counts = first["items"][0]["fingerprints"]
    assert counts["sha256"] == 1 and counts["md5"] == 1 and counts["pdq"] >= 8
    assert counts["pdq_region"] >= 79 and first["items"][0]["quality"] >= 50
    entries = client.get("/api/v1/banks/pics/entries?limit=1000", headers=h).json()
    assert sum(counts.values()) == sum(1 for e in entries
                                       if e["content_id"] == first["items"][0]["content_id"])
    paged = client.get("/api/v1/banks/pics/pictures?limit=1&offset=1", headers=h).json()
    assert [p["label"] for p in paged["items"]] == ["second.jpg"] and paged["total"] == 2
    # removing one fingerprint shows on its picture
    md5 = next(e for e in entries if e["signal_type"] == "md5"
               and e["content_id"] == first["items"][0]["content_id"])
    assert client.delete(f"/api/v1/bank-entries/{md5['id']}", headers=h).status_code == 204
    after = client.get("/api/v1/banks/pics/pictures", headers=h).json()["items"][0]
    assert "md5" not in after["fingerprints"] and after["removed"] == 1
    # another centre's analyst: 404, as for the entries
    other = client.get("/api/v1/banks/pics/pictures", headers=auth(world.staff["analyst_b"]))
    assert other.status_code == 404
    web, _csrf = session_for(app, analyst)
    page = web.get("/banks/pics")
    assert page.status_code == 200
    assert page.text.count("<tr>") + page.text.count("<tr ") == 3  # header + two pictures
    assert "등록한 사진" in page.text and "영역 해시" in page.text and "second.jpg" in page.text
    assert client.get("/api/v1/banks/pics/pictures?limit=0", headers=h).status_code == 422
    # the grouping is kept between views: a picture registered since is listed at once
    assert upload(client, "/api/v1/banks/pics/files", scene(3), analyst,
                  "third.jpg").status_code == 201
    again = client.get("/api/v1/banks/pics/pictures", headers=h).json()
    assert again["total"] == 3 and again["items"][-1]["label"] == "third.jpg"
    assert client.get("/api/v1/banks/pics/pictures?offset=9", headers=h).json()["items"] == []
