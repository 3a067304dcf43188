"""Every API endpoint for every role: allowed where the access rule says, 403 otherwise.

The case under test belongs to centre A and is assigned to ``counsellor_a`` only. Staff of
centre B must get 403 on it; so must a colleague counsellor who is not assigned.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from tests.conftest import World, auth

ROLES = ["counsellor_a", "counsellor_a2", "analyst_a", "investigator_a", "admin_a",
         "central_admin", "counsellor_b", "analyst_b", "investigator_b", "admin_b"]

ALL = set(ROLES)
CASE_READERS = {"counsellor_a", "analyst_a", "admin_a"}
ADMINS = {"admin_a", "admin_b", "central_admin"}


@dataclass
class Endpoint:
    name: str
    method: str
    path: str  # {code} and {user} are filled in per attempt
    allowed: set[str]
    ok: int = 200
    body: Callable[[World], Any] | None = None


ENDPOINTS = [
    Endpoint("list cases", "GET", "/api/v1/cases", ALL - {"central_admin"}),
    Endpoint("open case", "POST", "/api/v1/cases",
             {"counsellor_a", "counsellor_a2", "admin_a", "counsellor_b", "admin_b"}, 201,
             lambda w: {"channel": "hotline"}),
    Endpoint("read case", "GET", "/api/v1/cases/{code}", CASE_READERS),
    Endpoint("timeline", "GET", "/api/v1/cases/{code}/timeline", CASE_READERS),
    Endpoint("consents", "GET", "/api/v1/cases/{code}/consents", CASE_READERS),
    Endpoint("change status", "POST", "/api/v1/cases/{code}/status",
             {"counsellor_a", "admin_a"}, 200, lambda w: {"status": "active"}),
    Endpoint("assign", "POST", "/api/v1/cases/{code}/assignments", {"admin_a"}, 200,
             lambda w: {"user_id": w.staff["investigator_a"].id}),
    Endpoint("unassign", "DELETE", "/api/v1/cases/{code}/assignments/{counsellor}",
             {"admin_a"}),
    Endpoint("read notes", "GET", "/api/v1/cases/{code}/notes", {"counsellor_a"}),
    Endpoint("add note", "POST", "/api/v1/cases/{code}/notes", {"counsellor_a"}, 201,
             lambda w: {"text": "상담 내용"}),
    Endpoint("record consent", "POST", "/api/v1/cases/{code}/consents", {"counsellor_a"}, 200,
             lambda w: {"purpose": "face_search"}),
    Endpoint("erase", "POST", "/api/v1/cases/{code}/erase", {"counsellor_a", "admin_a"}, 200,
             lambda w: {"reason": "victim request"}),
    Endpoint("statistics", "GET", "/api/v1/stats", ADMINS),
    Endpoint("list users", "GET", "/api/v1/users", ADMINS),
    Endpoint("read user", "GET", "/api/v1/users/{counsellor}", {"admin_a", "central_admin"}),
    Endpoint("update user", "PATCH", "/api/v1/users/{counsellor}", {"admin_a", "central_admin"},
             200, lambda w: {"display_name": "상담원"}),
    Endpoint("unlock user", "POST", "/api/v1/users/{counsellor}/unlock",
             {"admin_a", "central_admin"}),
    Endpoint("list centres", "GET", "/api/v1/centres", ALL),
    Endpoint("add centre", "POST", "/api/v1/centres", {"central_admin"}, 201, None),
    Endpoint("verify audit", "GET", "/api/v1/audit/verify", ADMINS),
    Endpoint("me", "GET", "/api/v1/auth/me", ALL),
    Endpoint("list my tokens", "GET", "/api/v1/me/tokens", ALL),
    Endpoint("create token", "POST", "/api/v1/me/tokens", ALL, 201, lambda w: {"name": "ci"}),
]

_counter = iter(range(10**6))


def _body(endpoint: Endpoint, world: World) -> Any:
    if endpoint.name == "add centre":
        return {"name": f"센터 {next(_counter)}"}
    if endpoint.name == "add user":
        return None
    return endpoint.body(world) if endpoint.body else None


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_endpoint_for_every_role(client, world: World, endpoint: Endpoint) -> None:  # type: ignore[no-untyped-def]
    counsellor = world.staff["counsellor_a"]
    for role in ROLES:
        code = client.post("/api/v1/cases", json={"channel": "web"},
                           headers=auth(counsellor)).json()["case"]["code"]
        path = endpoint.path.format(code=code, counsellor=counsellor.id)
        response = client.request(endpoint.method, path, json=_body(endpoint, world),
                                  headers=auth(world.staff[role]))
        expected = endpoint.ok if role in endpoint.allowed else 403
        assert response.status_code == expected, (
            f"{endpoint.name} as {role}: {response.status_code} {response.text}")
        if expected == 403:
            assert response.json()["error"]["code"] in ("forbidden", "csrf_failed")


def test_create_users_by_role(client, world: World) -> None:  # type: ignore[no-untyped-def]
    for n, role in enumerate(ROLES):
        body = {"email": f"new{n}@test.invalid", "role": "analyst"}
        response = client.post("/api/v1/users", json=body, headers=auth(world.staff[role]))
        expected = 201 if role in ADMINS else 403
        assert response.status_code == expected, f"{role}: {response.text}"
    # an admin cannot create staff in another centre, nor central admins
    admin_a = auth(world.staff["admin_a"])
    other = client.post("/api/v1/users", json={"email": "x@test.invalid", "role": "analyst",
                                               "centre_id": world.centre_b}, headers=admin_a)
    assert other.status_code == 403
    central = client.post("/api/v1/users", json={"email": "y@test.invalid",
                                                 "role": "central_admin"}, headers=admin_a)
    assert central.status_code == 403


def test_investigator_sees_case_with_police_referral_consent(client, world: World) -> None:  # type: ignore[no-untyped-def]
    counsellor = auth(world.staff["counsellor_a"])
    code = client.post("/api/v1/cases", json={"channel": "web"},
                       headers=counsellor).json()["case"]["code"]
    investigator = auth(world.staff["investigator_a"])
    assert client.get(f"/api/v1/cases/{code}", headers=investigator).status_code == 403
    client.post(f"/api/v1/cases/{code}/consents", json={"purpose": "police_referral"},
                headers=counsellor)
    seen = client.get(f"/api/v1/cases/{code}", headers=investigator)
    assert seen.status_code == 200 and seen.json()["contact"] is None
    assert client.get(f"/api/v1/cases/{code}/notes", headers=investigator).status_code == 403
    assert client.get(f"/api/v1/cases/{code}",
                      headers=auth(world.staff["investigator_b"])).status_code == 403


def test_lists_only_show_own_centre_and_assignment(client, world: World) -> None:  # type: ignore[no-untyped-def]
    a = client.post("/api/v1/cases", json={"channel": "web"},
                    headers=auth(world.staff["counsellor_a"])).json()["case"]["code"]
    b = client.post("/api/v1/cases", json={"channel": "web"},
                    headers=auth(world.staff["counsellor_b"])).json()["case"]["code"]

    def codes(role: str) -> set[str]:
        return {c["code"] for c in client.get("/api/v1/cases",
                                              headers=auth(world.staff[role])).json()}

    assert codes("counsellor_a") == {a}
    assert codes("counsellor_a2") == set()
    assert codes("analyst_a") == {a} and codes("admin_a") == {a}
    assert codes("counsellor_b") == {b} and codes("analyst_b") == {b}


def test_unknown_case_is_404_and_bad_code_422(client, world: World) -> None:  # type: ignore[no-untyped-def]
    admin = auth(world.staff["admin_a"])
    assert client.get("/api/v1/cases/DSC-2026-999999", headers=admin).status_code == 404
    assert client.get("/api/v1/cases/nonsense", headers=admin).status_code == 422


def test_no_credentials_is_401(client, world: World) -> None:  # type: ignore[no-untyped-def]
    for endpoint in ENDPOINTS:
        path = endpoint.path.format(code="DSC-2026-000001", counsellor=1)
        response = client.request(endpoint.method, path, json=_body(endpoint, world))
        assert response.status_code == 401, endpoint.name
