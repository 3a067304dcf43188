"""The victim portal's API: fingerprints in (never images), checked strictly, stored in the
case's bank; status, withdrawal of sharing and erasure; and the portal's pages."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from fastapi import FastAPI
from PIL import Image, ImageDraw
from sqlalchemy import select
from tests.conftest import World, auth

from jikimi.core.actors import cli_actor
from jikimi.core.runtime import Runtime
from jikimi.hashing import ImageFingerprints, fingerprint_bytes
from jikimi.matching import Bank, BankEntry, entry_label
from jikimi.portal.routes import router as portal_router

PDQ = "f" * 64
SHA = "a" * 64
MD5 = "b" * 32


def with_portal(app: FastAPI) -> FastAPI:
    """The portal router, until jikimi.api.app mounts it."""
    if not any(getattr(r, "path", None) == "/api/v1/victim/fingerprints" for r in app.routes):
        app.include_router(portal_router)
    return app


def open_case(client, world: World) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/cases", json={"channel": "web"},
                           headers=auth(world.staff["counsellor_a"]))
    assert response.status_code == 201
    body = response.json()
    return body["case"]["code"], body["victim_secret"]


def png_bytes(seed: int = 0) -> bytes:
    """A benign test picture: gradients and shapes."""
    img = Image.new("RGB", (320, 240))
    px = img.load()
    assert px is not None
    for y in range(240):
        for x in range(320):
            px[x, y] = ((x + seed * 37) % 256, (y * 2) % 256, ((x + y) // 2 + seed) % 256)
    draw = ImageDraw.Draw(img)
    draw.ellipse((40 + seed, 30, 180, 170), fill=(240, 200, 40))
    draw.rectangle((200, 60, 300, 220 - seed), fill=(20, 60, 160))
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


def item_for(data: bytes, label: str) -> dict[str, Any]:
    """What the browser sends for one picture (computed here by the server's own code)."""
    fp = fingerprint_bytes(data, with_variants=True)
    assert isinstance(fp, ImageFingerprints)
    return {"label": label, "sha256": fp.sha256, "md5": fp.md5, "pdq": fp.pdq,
            "quality": fp.quality,
            "variants": [{"name": v.name, "pdq": v.hex, "quality": v.quality}
                         for v in fp.variants if v.name != "original"]}


def entries(runtime: Runtime, code: str) -> list[BankEntry]:
    with runtime.context(cli_actor("test")) as ctx:
        rows = list(ctx.session.scalars(
            select(BankEntry).join(Bank, Bank.id == BankEntry.bank_id)
            .where(Bank.case_code == code).order_by(BankEntry.id)))
        ctx.session.expunge_all()
        return rows


def banks(runtime: Runtime) -> list[str]:
    with runtime.context(cli_actor("test")) as ctx:
        return list(ctx.session.scalars(select(Bank.name)))


def test_submission_stored_in_the_case_bank_and_matches(portal_client, world: World,
                                                        runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    code, secret = open_case(portal_client, world)
    first, second = png_bytes(0), png_bytes(9)
    items = [item_for(first, "사진 1"), item_for(second, "photo 2")]
    response = portal_client.post("/api/v1/victim/fingerprints",
                                  json={"code": code, "secret": secret, "items": items})
    assert response.status_code == 201, response.text
    expected = sum(1 + len(i["variants"]) + 2 for i in items)
    assert response.json() == {"code": code, "items": 2, "added": expected,
                               "fingerprints": expected}

    with runtime.context(cli_actor("test")) as ctx:
        bank = ctx.session.scalar(select(Bank).where(Bank.name == f"case {code}"))
        assert bank is not None
        assert (bank.owner_kind, bank.case_code, bank.negative) == ("case", code, False)
        assert bank.centre_id == world.centre_a
        assert bank.created_by == f"victim:{code}"
    rows = entries(runtime, code)
    assert len(rows) == expected
    assert all(r.created_by == f"victim:{code}" for r in rows)
    for item in items:
        mine = [r for r in rows if r.content_id == item["sha256"]]
        # her labels are stored encrypted (issue 13), never in clear
        assert {r.label for r in mine} == {""}
        assert {entry_label(runtime.keys, r) for r in mine} == {item["label"]}
        by_kind = {(r.signal_type, r.variant): (r.value, r.quality) for r in mine}
        assert by_kind[("pdq", "original")] == (item["pdq"], item["quality"])
        assert by_kind[("sha256", "original")] == (item["sha256"], None)
        assert by_kind[("md5", "original")] == (item["md5"], None)
        for v in item["variants"]:
            assert by_kind[("pdq", v["name"])] == (v["pdq"], v["quality"])

    # The same pictures again add nothing.
    again = portal_client.post("/api/v1/victim/fingerprints",
                               json={"code": code, "secret": secret, "items": items[:1]})
    assert again.status_code == 201
    assert again.json()["added"] == 0

    # An analyst's upload of the same picture, mirrored, finds her case.
    mirrored = io.BytesIO()
    Image.open(io.BytesIO(first)).transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(
        mirrored, format="PNG")
    found = portal_client.post("/api/v1/match", files={"file": ("x.png", mirrored.getvalue())},
                               headers=auth(world.staff["analyst_a"]))
    assert found.status_code == 200, found.text
    assert found.json()["matched"] is True
    assert {m["case_code"] for m in found.json()["matches"]} == {code}

    status = portal_client.post("/api/v1/victim/fingerprints/status",
                                json={"code": code, "secret": secret})
    assert status.status_code == 200
    body = status.json()
    assert body["case"]["code"] == code and body["case"]["status"] == "open"
    assert body["fingerprints"] == expected
    assert [(i["label"], i["content_id"]) for i in body["items"]] == [
        ("사진 1", items[0]["sha256"]), ("photo 2", items[1]["sha256"])]


def test_wrong_secret_stores_nothing(portal_client, world: World, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    code, _secret = open_case(portal_client, world)
    body = {"code": code, "secret": "AAAA-BBBB-CCCC-DDDD", "items": [item_for(png_bytes(), "x")]}
    response = portal_client.post("/api/v1/victim/fingerprints", json=body,
                                  headers={"Accept-Language": "ko"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "victim_login_failed"
    assert response.json()["error"]["message"] == "사건 번호 또는 비밀번호가 맞지 않습니다."
    unknown = portal_client.post("/api/v1/victim/fingerprints",
                                 json={**body, "code": "DSC-2026-999999"})
    assert unknown.status_code == 401
    assert entries(runtime, code) == []
    assert f"case {code}" not in banks(runtime)


def _good() -> dict[str, Any]:
    return {"label": "사진", "sha256": SHA, "md5": MD5, "pdq": PDQ, "quality": 80,
            "variants": [{"name": "rot90", "pdq": PDQ, "quality": 80}]}


def _variant(**changes: Any) -> dict[str, Any]:
    item = _good()
    item["variants"] = [{**item["variants"][0], **changes}]
    return item


MALFORMED: dict[str, Any] = {
    "pdq 63 digits": [{**_good(), "pdq": "f" * 63}],
    "pdq 65 digits": [{**_good(), "pdq": "f" * 65}],
    "pdq not hex": [{**_good(), "pdq": "g" * 64}],
    "pdq with spaces": [{**_good(), "pdq": " " + "f" * 63}],
    "sha256 short": [{**_good(), "sha256": "a" * 63}],
    "sha256 not hex": [{**_good(), "sha256": "z" * 64}],
    "md5 long": [{**_good(), "md5": "b" * 33}],
    "md5 not hex": [{**_good(), "md5": "x" * 32}],
    "quality 101": [{**_good(), "quality": 101}],
    "quality -1": [{**_good(), "quality": -1}],
    "quality string": [{**_good(), "quality": "80"}],
    "quality float": [{**_good(), "quality": 80.5}],
    "quality bool": [{**_good(), "quality": True}],
    "variant quality 101": [_variant(quality=101)],
    "variant pdq short": [_variant(pdq="f" * 10)],
    "variant unknown": [_variant(name="rot45")],
    "variant original": [_variant(name="original")],
    "variants repeated": [{**_good(), "variants": [_good()["variants"][0]] * 2}],
    "21 variants": [{**_good(), "variants": [
        {"name": "rot90", "pdq": PDQ, "quality": 50}] * 21}],
    "101 items": [_good()] * 101,
    "no items": [],
    "label 201 chars": [{**_good(), "label": "가" * 201}],
    "label control char": [{**_good(), "label": "a\x07b"}],
    "label newline": [{**_good(), "label": "a\nb"}],
    "label bidi override": [{**_good(), "label": "a\u202eb"}],
    "image bytes field": [{**_good(), "image": "iVBORw0KGgo="}],
    "missing md5": [{k: v for k, v in _good().items() if k != "md5"}],
    "items not a list": {"pdq": PDQ},
}


@pytest.mark.parametrize("case", list(MALFORMED), ids=list(MALFORMED))
def test_malformed_submissions_refused(portal_client, world: World, runtime: Runtime,
                                       case: str) -> None:  # type: ignore[no-untyped-def]
    code, secret = open_case(portal_client, world)
    response = portal_client.post("/api/v1/victim/fingerprints",
                                  json={"code": code, "secret": secret, "items": MALFORMED[case]})
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid_request"
    assert entries(runtime, code) == []
    # ... and the good version of the same submission goes through.
    good = portal_client.post("/api/v1/victim/fingerprints",
                              json={"code": code, "secret": secret, "items": [_good()]})
    assert good.status_code == 201


@pytest.mark.parametrize("body", [
    b"", b"{", b"null", b"[]", b'"x"', b"\xff\xfe garbage",
    b'{"code": "DSC-2026-000001", "items": []}',
    b'{"code": 5, "secret": "AAAA-BBBB", "items": []}',
])
def test_hostile_bodies(portal_client, world: World, body: bytes) -> None:  # type: ignore[no-untyped-def]
    response = portal_client.post("/api/v1/victim/fingerprints", content=body,
                                  headers={"Content-Type": "application/json"})
    assert 400 <= response.status_code < 500
    assert "error" in response.json()


def test_oversized_body_refused(portal_client, world: World, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    code, secret = open_case(portal_client, world)
    item = {**_good(), "label": "x" * 200}
    body = json.dumps({"code": code, "secret": secret, "items": [item] * 100,
                       "padding": "y" * 1_100_000})
    response = portal_client.post("/api/v1/victim/fingerprints", content=body,
                                  headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "body_too_large"
    assert entries(runtime, code) == []


def test_largest_valid_submission_fits(portal_client, world: World, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    """100 items with 15 variants and 200-character labels stay under the body limit."""
    code, secret = open_case(portal_client, world)
    names = ["rot90", "rot180", "rot270", "flip_v", "flip_h", "transpose", "transverse",
             "unframed", "unframed_bands", "unframed_ui", "unframed_ui2", "crop5", "crop10",
             "crop15", "crop20"]
    items = [{"label": "가" * 200, "sha256": f"{n:064x}", "md5": f"{n:032x}",
              "pdq": f"{n + 1:064x}", "quality": 100,
              "variants": [{"name": name, "pdq": f"{n * 100 + k + 7:064x}", "quality": 100}
                           for k, name in enumerate(names)]} for n in range(100)]
    response = portal_client.post("/api/v1/victim/fingerprints",
                                  json={"code": code, "secret": secret, "items": items})
    assert response.status_code == 201, response.text[:300]
    assert response.json()["added"] == 100 * 18


def test_guessing_is_rate_limited(portal_client, world: World, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    code, secret = open_case(portal_client, world)
    body = {"code": code, "secret": "WRONG-WRONG", "items": [_good()]}
    for _ in range(10):
        assert portal_client.post("/api/v1/victim/fingerprints", json=body).status_code == 401
    limited = portal_client.post("/api/v1/victim/fingerprints",
                                 json={**body, "secret": secret})
    assert limited.status_code == 429
    assert entries(runtime, code) == []


def test_withdraw_sharing_and_erase(portal_client, world: World, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    code, secret = open_case(portal_client, world)
    counsellor = auth(world.staff["counsellor_a"])
    creds = {"code": code, "secret": secret}
    # Nothing to withdraw yet.
    assert portal_client.post("/api/v1/victim/sharing/withdraw", json=creds).status_code == 409
    assert portal_client.post(f"/api/v1/cases/{code}/consents",
                              json={"purpose": "partner_sharing"},
                              headers=counsellor).status_code == 200
    assert portal_client.post("/api/v1/victim/fingerprints",
                              json={**creds, "items": [_good()]}).status_code == 201

    wrong = portal_client.post("/api/v1/victim/sharing/withdraw",
                               json={**creds, "secret": "AAAA-BBBB-CCCC-DDDD"})
    assert wrong.status_code == 401
    withdrawn = portal_client.post("/api/v1/victim/sharing/withdraw", json=creds)
    assert withdrawn.status_code == 200, withdrawn.text
    assert "partner_sharing" not in withdrawn.json()["consents"]
    detail = portal_client.get(f"/api/v1/cases/{code}", headers=counsellor).json()
    record = [r for r in detail["consent_records"] if r["purpose"] == "partner_sharing"][-1]
    assert record["granted"] is False and record["withdrawn_by"] == f"victim:{code}"
    # Sharing stops; her fingerprints stay with the centre.
    assert len([r for r in entries(runtime, code) if r.removed_at is None]) == 4

    erased = portal_client.post("/api/v1/victim/erase", json=creds)
    assert erased.status_code == 200
    rows = entries(runtime, code)
    assert rows and all(r.removed_at is not None for r in rows)
    # After erasure the secret no longer opens anything.
    after = portal_client.post("/api/v1/victim/fingerprints",
                               json={**creds, "items": [_good()]})
    assert after.status_code == 401


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)


@pytest.mark.parametrize("path", ["/portal", "/portal/register", "/portal/status",
                                  "/portal/new", "/portal/faces"])
def test_pages_korean_english_and_csp(portal_client, path: str) -> None:  # type: ignore[no-untyped-def]
    ko = portal_client.get(path)
    assert ko.status_code == 200
    assert '<html lang="ko">' in ko.text
    assert "빠른 나가기" in ko.text
    assert "script-src 'self'" in ko.headers["content-security-policy"]
    assert not INLINE_SCRIPT.search(ko.text)
    assert " style=" not in ko.text and " on" + "click=" not in ko.text
    en = portal_client.get(path + "?lang=en")
    assert '<html lang="en">' in en.text and "Quick exit" in en.text
    assert "빠른 나가기" not in en.text


def test_home_says_images_stay_on_the_device(portal_client) -> None:  # type: ignore[no-untyped-def]
    en = portal_client.get("/portal?lang=en").text
    assert "Your pictures never leave your device" in en
    ko = portal_client.get("/portal?lang=ko").text
    assert "사진은 기기 밖으로 나가지 않습니다" in ko


def test_register_page_labels_every_field(portal_client) -> None:  # type: ignore[no-untyped-def]
    page = portal_client.get("/portal/register").text
    for field in ("code", "secret", "files"):
        assert f'<label for="{field}">' in page
        assert f'id="{field}"' in page


def test_static_files(portal_client) -> None:  # type: ignore[no-untyped-def]
    for name, kind in [("portal.js", "javascript"), ("pdq.js", "javascript"),
                       ("portal.css", "text/css")]:
        response = portal_client.get(f"/portal/static/{name}")
        assert response.status_code == 200
        assert kind in response.headers["content-type"]
    for name in ("../routes.py", "routes.py", "..%2Froutes.py", "nope.js"):
        assert portal_client.get(f"/portal/static/{name}").status_code == 404
