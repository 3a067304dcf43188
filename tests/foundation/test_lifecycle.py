"""The case status transition table, exhaustively, and through the service and API."""

from __future__ import annotations

import itertools

import pytest
from tests.conftest import auth

from jikimi.cases import CASE_TRANSITIONS, CaseStatus
from jikimi.errors import Conflict

EXPECTED = {
    ("open", "active"), ("open", "monitoring"), ("open", "closed"),
    ("active", "monitoring"), ("active", "closed"),
    ("monitoring", "active"), ("monitoring", "closed"),
    ("closed", "reopened"),
    ("reopened", "active"), ("reopened", "monitoring"), ("reopened", "closed"),
}


@pytest.mark.parametrize(("current", "target"), list(itertools.product(CaseStatus, CaseStatus)))
def test_table_is_exactly_the_documented_one(current: CaseStatus, target: CaseStatus) -> None:
    allowed = (current.value, target.value) in EXPECTED
    assert CASE_TRANSITIONS.can(current, target) is allowed
    if allowed:
        CASE_TRANSITIONS.check(current, target)
    else:
        with pytest.raises(Conflict):
            CASE_TRANSITIONS.check(current, target)


def test_status_changes_through_api_and_timeline(client, world) -> None:  # type: ignore[no-untyped-def]
    counsellor = auth(world.staff["counsellor_a"])
    code = client.post("/api/v1/cases", json={"channel": "walk_in"},
                       headers=counsellor).json()["case"]["code"]
    for target in ("active", "closed", "reopened", "monitoring"):
        r = client.post(f"/api/v1/cases/{code}/status",
                        json={"status": target, "reason": "test"}, headers=counsellor)
        assert r.status_code == 200, r.text
        assert r.json()["status"] == target
    bad = client.post(f"/api/v1/cases/{code}/status", json={"status": "open"}, headers=counsellor)
    assert bad.status_code == 409
    assert bad.json()["error"]["code"] == "invalid_transition"
    kinds = [e["kind"] for e in client.get(f"/api/v1/cases/{code}/timeline",
                                           headers=counsellor).json()]
    assert kinds == ["intake", "status", "status", "status", "status"]
    detail = client.get(f"/api/v1/cases/{code}", headers=counsellor).json()
    assert detail["closed_at"] is None and detail["status"] == "monitoring"
