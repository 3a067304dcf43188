"""The victim's own access with case code + secret, and erasure at her request."""

from __future__ import annotations

from tests.conftest import World, auth


def open_case(client, world: World) -> dict:  # type: ignore[no-untyped-def,type-arg]
    response = client.post("/api/v1/cases", json={"channel": "hotline", "phone": "010-2222-3333",
                                                  "email": "v@example.org"},
                           headers=auth(world.staff["counsellor_a"]))
    assert response.status_code == 201
    return response.json()  # type: ignore[no-any-return]


def test_victim_sees_status_with_code_and_secret(client, world: World) -> None:  # type: ignore[no-untyped-def]
    opened = open_case(client, world)
    code, secret = opened["case"]["code"], opened["victim_secret"]
    seen = client.post("/api/v1/victim/case", json={"code": code, "secret": secret})
    assert seen.status_code == 200
    assert seen.json()["status"] == "open"
    assert "phone" not in seen.text and "010-2222-3333" not in seen.text
    # typing slips: lower case, no dashes, spaces
    sloppy = secret.lower().replace("-", " ")
    assert client.post("/api/v1/victim/case",
                       json={"code": code.lower(), "secret": sloppy}).status_code == 200


def test_wrong_secret_refused_in_korean(client, world: World) -> None:  # type: ignore[no-untyped-def]
    code = open_case(client, world)["case"]["code"]
    wrong = client.post("/api/v1/victim/case", json={"code": code, "secret": "AAAA-BBBB-CCCC"},
                        headers={"Accept-Language": "ko-KR,ko;q=0.9"})
    assert wrong.status_code == 401
    assert wrong.json()["error"]["message"] == "사건 번호 또는 비밀번호가 맞지 않습니다."
    missing = client.post("/api/v1/victim/case",
                          json={"code": "DSC-2026-999999", "secret": "AAAA-BBBB-CCCC"})
    assert missing.status_code == 401


def test_victim_guessing_is_rate_limited(client, world: World) -> None:  # type: ignore[no-untyped-def]
    code = open_case(client, world)["case"]["code"]
    statuses = [client.post("/api/v1/victim/case",
                            json={"code": code, "secret": f"AAAA-BBBB-{i:04d}"}).status_code
                for i in range(12)]
    assert 429 in statuses


def test_erasure_leaves_tombstone(client, world: World, runtime) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    opened = open_case(client, world)
    code, secret = opened["case"]["code"], opened["victim_secret"]
    counsellor = auth(world.staff["counsellor_a"])
    client.post(f"/api/v1/cases/{code}/notes", json={"text": "첫 상담"}, headers=counsellor)
    client.post(f"/api/v1/cases/{code}/consents", json={"purpose": "partner_sharing"},
                headers=counsellor)
    erased = client.post("/api/v1/victim/erase", json={"code": code, "secret": secret})
    assert erased.status_code == 200 and erased.json()["erased"] is True
    # the secret no longer works; staff see a tombstone with no contact, notes or consents
    assert client.post("/api/v1/victim/case",
                       json={"code": code, "secret": secret}).status_code == 401
    detail = client.get(f"/api/v1/cases/{code}", headers=counsellor).json()
    assert detail["erased"] is True and detail["contact"] is None
    assert detail["status"] == "closed" and detail["consents"] == []
    assert client.get(f"/api/v1/cases/{code}/notes", headers=counsellor).json() == []
    kinds = [e["kind"] for e in client.get(f"/api/v1/cases/{code}/timeline",
                                           headers=counsellor).json()]
    assert kinds == ["erased"]
    with runtime.engine.connect() as conn:
        row = conn.execute(text("SELECT contact_enc, victim_secret_hash FROM cases WHERE code=:c"),
                           {"c": code}).one()
        assert row == (None, None)
        notes = conn.execute(text("SELECT count(*) FROM counselling_notes")).scalar_one()
        assert notes == 0
    # an erased case cannot change any more
    change = client.post(f"/api/v1/cases/{code}/status", json={"status": "reopened"},
                         headers=counsellor)
    assert change.status_code == 409 and change.json()["error"]["code"] == "case_erased"
