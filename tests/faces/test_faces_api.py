"""Face enrolment and search through the API, and erasure of a case's fingerprints."""

from __future__ import annotations

from pathlib import Path

from faces_media import mean_pixel_model
from tests.conftest import SHARED_DATA, World, auth
from tests.totp_codes import unused_totp_code

FACES = SHARED_DATA / "faces"


def test_enrol_search_and_erase_through_api(client, world: World) -> None:  # type: ignore[no-untyped-def]
    counsellor = auth(world.staff["counsellor_a"])
    opened = client.post("/api/v1/cases", json={"channel": "web"}, headers=counsellor).json()
    code, secret = opened["case"]["code"], opened["victim_secret"]
    photo = (FACES / "rose_leslie" / "01.jpg").read_bytes()
    files = {"files": ("ref.jpg", photo, "image/jpeg")}
    refused = client.post(f"/api/v1/cases/{code}/faces", files=files, headers=counsellor)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "consent_required"
    client.post(f"/api/v1/cases/{code}/consents", json={"purpose": "face_search"},
                headers=counsellor)
    other = client.post(f"/api/v1/cases/{code}/faces", files=files,
                        headers=auth(world.staff["counsellor_b"]))
    assert other.status_code == 403
    enrolled = client.post(f"/api/v1/cases/{code}/faces", files=files, headers=counsellor)
    assert enrolled.status_code == 201 and enrolled.json()["faces"] == 1
    analyst = auth(world.staff["analyst_a"])
    probe = (FACES / "rose_leslie" / "02.jpg").read_bytes()
    found = client.post("/api/v1/faces/search", files={"file": ("p.jpg", probe, "image/jpeg")},
                        headers=analyst).json()
    assert found["kind"] == "image" and found["frames"] == 1
    assert [m["case"] for f in found["faces"] for m in f["matches"]] == [code]
    assert found["faces"][0]["label"].startswith("possible deepfake")
    assert found["faces"][0]["time"] is None
    # no synthetic-media model is configured: nothing is presented as a detection
    assert found["synthetic"] is None
    assert found["detector"]["configured"] is False
    assert found["detector"]["note"].startswith("No synthetic-media detector is configured")
    # the victim erases her case: her face embeddings are gone from the index at once
    assert client.post("/api/v1/victim/erase",
                       json={"code": code, "secret": secret}).status_code == 200
    after = client.post("/api/v1/faces/search", files={"file": ("p.jpg", probe, "image/jpeg")},
                        headers=analyst).json()
    assert after["faces"] and all(not f["matches"] for f in after["faces"])


def test_bad_face_uploads(client, world: World) -> None:  # type: ignore[no-untyped-def]
    analyst = auth(world.staff["analyst_a"])
    for data, status in [(b"", 415), (b"<html>", 415), (b"\xff\xd8\xff" + b"\0" * 50, 422)]:
        r = client.post("/api/v1/faces/search", files={"file": ("x.jpg", data, "image/jpeg")},
                        headers=analyst)
        assert r.status_code == status, r.text
    r = client.post("/api/v1/faces/search", headers=analyst)
    assert r.status_code == 422


def test_faces_page_says_what_the_detector_is(client, world: World, runtime,  # type: ignore[no-untyped-def]
                                              tmp_path: Path) -> None:
    """No model: said plainly, in Korean by default. A model without an evaluation record:
    its score is shown as from an unevaluated model. A broken model: said, and not used."""
    member = world.staff["analyst_a"]
    body = {"email": member.email, "password": member.password}
    if member.totp_secret:
        body["totp"] = unused_totp_code(member.totp_secret)
    assert client.post("/api/v1/auth/login", json=body).status_code == 200
    analyst = auth(member)
    page = client.get("/faces")
    assert page.status_code == 200, page.text
    assert "합성 미디어 탐지기가 설정되어 있지 않습니다" in page.text
    assert "합성 미디어 점수" not in page.text
    model = mean_pixel_model(tmp_path / "mean.onnx")
    runtime.settings.synthetic_media_model = model
    try:
        page = client.get("/faces?lang=en")
        assert "A synthetic-media model is configured (mean.onnx), but no evaluation" in page.text
        found = client.post("/api/v1/faces/search", headers=analyst, files={
            "file": ("p.jpg", (FACES / "obama" / "02.jpg").read_bytes(), "image/jpeg")}).json()
        assert 0 < found["synthetic"]["score"] < 1 and not found["synthetic"]["evaluated"]
        assert found["detector"]["model"] == "mean.onnx"
        model.write_bytes(b"\x08\x07garbage")
        page = client.get("/faces?lang=ko")
        assert "설정된 합성 미디어 모델을 사용할 수 없어" in page.text
        found = client.post("/api/v1/faces/search", headers=analyst, files={
            "file": ("p.jpg", (FACES / "obama" / "02.jpg").read_bytes(), "image/jpeg")}).json()
        assert found["synthetic"] is None and found["faces"]
        assert "not a valid ONNX model" in found["detector"]["error"]
    finally:
        runtime.settings.synthetic_media_model = None
