"""The lean door for POST /api/v1/partner/lookup (``partners.fastpath``): it answers with the
same rules as the route (key, rate limit, audit, removals at once), keeps the app's security
headers and body limit, and hands the route every request it does not answer."""

from __future__ import annotations

from sqlalchemy import select
from tests.conftest import World
from tests.partners.conftest import add_partner, flip_bits, set_consent, sharing_case

import jikimi.partners.fastpath as fastpath
from jikimi.core.audit import AuditEntry, audit_key, verify_chain


def counted(monkeypatch) -> list[int]:  # type: ignore[no-untyped-def]
    """Counts the lookups the fast path answered itself."""
    calls: list[int] = []
    original = fastpath._answer

    async def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        return await original(*args, **kwargs)

    monkeypatch.setattr(fastpath, "_answer", counting)
    return calls


def test_fast_path_answers_audits_and_sees_a_withdrawal_at_once(
        client, runtime, world: World, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    calls = counted(monkeypatch)
    shared = sharing_case(runtime, world, images=1, seed=11)
    key = add_partner(runtime, "Platform Fast").key
    headers = {"Authorization": f"Bearer {key}"}
    body = {"fingerprints": [{"signal_type": "pdq", "value": flip_bits(shared.pdqs[0], 5)},
                             {"signal_type": "pdq", "value": "f" * 64}]}
    found = client.post("/api/v1/partner/lookup", headers=headers, json=body)
    assert found.status_code == 200, found.text
    answer = found.json()
    assert answer["matched"] and [m["query"] for m in answer["matches"]] == [0]
    assert answer["matches"][0]["distance"] == 5 and answer["matches"][0]["signal_type"] == "pdq"
    # the app's headers are on the fast path's answers too
    assert found.headers["x-content-type-options"] == "nosniff"
    assert found.headers["cache-control"] == "no-store"
    assert "content-security-policy" in found.headers
    with runtime.sessions() as session:
        entry = session.scalars(select(AuditEntry).where(
            AuditEntry.action == "partner.lookup").order_by(AuditEntry.seq.desc())).first()
        assert entry is not None and '"matches": 1' in entry.details
        assert verify_chain(session, audit_key(runtime.keys.signing_secret)).ok
    # the victim withdraws sharing: the very next lookup no longer answers her entry
    set_consent(runtime, world, shared.code, withdraw=True)
    after = client.post("/api/v1/partner/lookup", headers=headers, json=body)
    assert after.status_code == 200 and after.json() == {"matched": False, "matches": []}
    assert len(calls) == 2


def test_refusals_and_bad_bodies_answer_as_the_route(
        client, runtime, world: World, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    calls = counted(monkeypatch)
    key = add_partner(runtime, "Platform Careful").key
    body = {"fingerprints": [{"signal_type": "md5", "value": "a" * 32}]}
    # an unknown key: 401 with the error body, the refusal audited
    refused = client.post("/api/v1/partner/lookup", json=body,
                          headers={"Authorization": "Bearer jkp_nothing.nothing"})
    assert refused.status_code == 401 and refused.json()["error"]["code"]
    assert refused.headers["x-content-type-options"] == "nosniff"
    with runtime.sessions() as session:
        assert session.scalars(select(AuditEntry).where(
            AuditEntry.action == "partner.refused")).first() is not None
    headers = {"Authorization": f"Bearer {key}"}
    # a value the service refuses: its 422 with the service's message
    bad = client.post("/api/v1/partner/lookup", headers=headers, json={
        "fingerprints": [{"signal_type": "pdq", "value": "zz"}]})
    assert bad.status_code == 422 and bad.json()["error"]["code"]
    assert len(calls) == 2
    # not the model's shape, or not JSON: the route's own 422 with the fields listed
    shape = client.post("/api/v1/partner/lookup", headers=headers, json={"fingerprints": [],
                                                                          "extra": 1})
    assert shape.status_code == 422 and shape.json()["error"]["fields"]
    png = client.post("/api/v1/partner/lookup", headers=headers, content=b"\x89PNG\r\n")
    assert png.status_code == 422
    # too large a body: the app's body limit still applies
    huge = client.post("/api/v1/partner/lookup", headers={
        **headers, "Content-Type": "application/json"}, content=b" " * (5 * 1024 * 1024))
    assert huge.status_code == 413
    assert len(calls) == 2  # the route answered those
