"""Contact data is encrypted at rest: the raw database holds no trace of it in any format."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import auth

PHONE = "010-4821-7365"
EMAIL = "haneul.victim@example.org"
NAME = "박하늘"


def _variants() -> list[bytes]:
    digits = re.sub(r"\D", "", PHONE)
    forms = {PHONE, digits, "010 4821 7365", "+82-10-4821-7365", "+821048217365",
             "4821-7365", "48217365", EMAIL, EMAIL.upper(), "haneul.victim", NAME}
    out: list[bytes] = []
    for form in forms:
        out.append(form.encode("utf-8"))
        out.append(form.encode("utf-16-le"))
    return out


def test_contact_never_in_raw_sqlite(client, world, settings) -> None:  # type: ignore[no-untyped-def]
    if not (settings.database_url or "").startswith("sqlite"):
        return  # the raw-file check is about the SQLite file; PostgreSQL runs the API part
    counsellor = world.staff["counsellor_a"]
    response = client.post("/api/v1/cases", json={"channel": "hotline", "phone": PHONE,
                                                  "email": EMAIL, "name": NAME},
                           headers=auth(counsellor))
    assert response.status_code == 201
    code = response.json()["case"]["code"]
    shown = client.get(f"/api/v1/cases/{code}", headers=auth(counsellor)).json()
    assert shown["contact"] == {"name": NAME, "phone": PHONE, "email": EMAIL}
    client.post(f"/api/v1/cases/{code}/notes", json={"text": f"called back on {PHONE}"},
                headers=auth(counsellor))
    db_path = Path(settings.database_url.split("///", 1)[1])
    blobs = b"".join(p.read_bytes() for p in db_path.parent.glob(db_path.name + "*"))
    assert code.encode() in blobs  # the file is readable: the check is real
    for variant in _variants():
        assert variant not in blobs, f"{variant!r} found in the raw database"


def test_contact_visible_only_to_assigned_counsellor(client, world) -> None:  # type: ignore[no-untyped-def]
    counsellor = world.staff["counsellor_a"]
    code = client.post("/api/v1/cases", json={"channel": "web", "phone": PHONE},
                       headers=auth(counsellor)).json()["case"]["code"]
    for role in ("admin_a", "analyst_a"):
        body = client.get(f"/api/v1/cases/{code}", headers=auth(world.staff[role])).json()
        assert body["contact"] is None
        assert PHONE not in str(body)
