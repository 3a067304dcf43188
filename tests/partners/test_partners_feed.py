"""jikimi's own feed through the reference client: sync, withdrawal becomes removal at once,
forged and replayed pages fail verification, revoked keys get 401 and busy keys 429, lookups
and feedback; an audit entry for every partner call."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from tests.conftest import World, auth
from tests.partners.conftest import (
    add_partner,
    flip_bits,
    public_key,
    set_consent,
    sharing_case,
    staff_actor,
)

from jikimi import cases, partners
from jikimi.core.actors import cli_actor
from jikimi.core.audit import AuditEntry
from jikimi.errors import NotAuthenticated
from jikimi.partners.client import FeedVerificationError, LocalCopy, PartnerClient, verify_page
from jikimi.partners.models import PartnerKey


def partner_audits(runtime, action: str | None = None) -> int:  # type: ignore[no-untyped-def]
    with runtime.sessions() as session:
        query = select(func.count()).select_from(AuditEntry).where(
            AuditEntry.actor.like("partner:%"))
        if action:
            query = query.where(AuditEntry.action == action)
        return int(session.scalar(query) or 0)


def test_sync_withdraw_lookup_feedback(client, runtime, world: World, tmp_path: Path) -> None:
    shared = sharing_case(runtime, world, images=2, seed=1)
    minor = sharing_case(runtime, world, images=1, minor=True, seed=2)
    private = sharing_case(runtime, world, images=1, consent=False, seed=3)
    created = client.post("/api/v1/partners", headers=auth(world.staff["admin_a"]),
                          json={"name": "Platform A", "contact": "abuse@platform-a.test"})
    assert created.status_code == 201, created.text
    key = created.json()["key"]
    assert key.startswith("jkp_")
    # counsellors cannot manage partners; the key is never listed again
    assert client.get("/api/v1/partners", headers=auth(world.staff["counsellor_a"])
                      ).status_code == 403
    listed = client.get("/api/v1/partners", headers=auth(world.staff["admin_a"])).json()
    assert key not in json.dumps(listed) and listed[0]["keys"][0]["active"]

    state = tmp_path / "copy.json"
    reference = PartnerClient("http://testserver", key, public_key(runtime), state, http=client,
                              page_size=4)
    calls_before = partner_audits(runtime)
    first = reference.sync()
    assert first.entries == 9 and first.pages == 3  # 3 images x (pdq, sha256, md5), pages of 4
    local = LocalCopy.load(state)
    values = {e["value"] for e in local.entries.values()}
    assert set(shared.pdqs) | set(minor.pdqs) <= values
    assert not values & set(private.pdqs + private.sha256s)
    categories = {e["value"]: e["category"] for e in local.entries.values()}
    assert categories[minor.pdqs[0]] == "csam" and categories[shared.pdqs[0]] == "ncii"
    # nothing identifying: no case code anywhere in the copy, ids are opaque
    raw = state.read_text()
    assert shared.code not in raw and minor.code not in raw and "DSC-" not in raw
    assert all(len(i) >= 20 for i in local.entries)

    # lookup: a near-duplicate PDQ and an exact digest match; unrelated does not
    lookup = client.post("/api/v1/partner/lookup", headers={"Authorization": f"Bearer {key}"},
                         json={"fingerprints": [
                             {"signal_type": "pdq", "value": flip_bits(shared.pdqs[0], 8)},
                             {"signal_type": "md5", "value": "0" * 32},
                             {"signal_type": "sha256", "value": minor.sha256s[0]}]})
    assert lookup.status_code == 200, lookup.text
    body = lookup.json()
    assert body["matched"] and {m["query"] for m in body["matches"]} == {0, 2}
    pdq_match = next(m for m in body["matches"] if m["query"] == 0)
    assert pdq_match["distance"] == 8 and pdq_match["category"] == "ncii"
    assert "DSC-" not in lookup.text
    private_lookup = reference.lookup_remote([("pdq", private.pdqs[0])])
    assert not private_lookup["matched"]
    local_hits = reference.lookup_local([("pdq", flip_bits(shared.pdqs[1], 3))])
    assert local_hits and local_hits[0]["distance"] == 3

    # feedback shows on the case (takedown progress) and in the statistics
    sent = reference.feedback([{"entry_id": pdq_match["id"], "action": "blocked",
                                "content_id": "upload-991", "seen_at": "2026-11-25T01:02:03Z"},
                               {"entry_id": "no-such-entry", "action": "removed"}])
    assert sent == {"accepted": 1, "unknown": ["no-such-entry"]}
    bad = reference.http.post("http://testserver/api/v1/partner/feedback",
                              headers=reference.headers,
                              json={"reports": [{"entry_id": pdq_match["id"],
                                                 "action": "exploded"}]})
    assert bad.status_code == 422
    on_case = client.get(f"/api/v1/cases/{shared.code}/partner-feedback",
                         headers=auth(world.staff["counsellor_a"])).json()
    assert [(f["partner"], f["action"], f["partner_content_id"]) for f in on_case] == [
        ("Platform A", "blocked", "upload-991")]
    assert client.get(f"/api/v1/cases/{shared.code}/partner-feedback",
                      headers=auth(world.staff["counsellor_b"])).status_code in (403, 404)
    with runtime.context(staff_actor(world.staff["counsellor_a"])) as ctx:
        assert [f.action for f in partners.feedback_for_case(ctx, shared.code)] == ["blocked"]
    stats = client.get("/api/v1/partners/statistics", headers=auth(world.staff["admin_a"])).json()
    assert stats["by_action"] == {"blocked": 1} and stats["by_partner"] == {"Platform A": 1}
    assert stats["active_items"] == 9 and stats["sharing_cases"] == 2

    # the victim withdraws sharing consent: the next sync removes her hashes at once
    set_consent(runtime, world, shared.code, withdraw=True)
    second = reference.sync()
    assert second.removed == 6 and second.entries == 3
    assert not {e["value"] for e in LocalCopy.load(state).entries.values()} & set(shared.pdqs)
    assert not reference.lookup_remote([("pdq", shared.pdqs[0])])["matched"]
    # erasure of the other case too
    reference.feedback([{"entry_id": next(i for i, e in LocalCopy.load(state).entries.items()
                                          if e["value"] == minor.pdqs[0]),
                          "action": "removed", "content_id": "video/7"}])
    with runtime.context(staff_actor(world.staff["counsellor_a"])) as ctx:
        cases.erase_case(ctx, minor.code)
        erased_reports = partners.feedback_for_case(ctx, minor.code)
    assert [(f.action, f.partner_content_id) for f in erased_reports] == [("removed", "")]
    assert reference.sync().entries == 0
    # a new partner never receives the withdrawn values, not even as removals
    late = add_partner(runtime, "Platform Late")
    late_client = PartnerClient("http://testserver", late.key, public_key(runtime),
                                tmp_path / "late.json", http=client)
    late_client.sync()
    assert shared.pdqs[0] not in (tmp_path / "late.json").read_text()
    # consent given again: the hashes come back (new consent, new additions)
    set_consent(runtime, world, shared.code, withdraw=False)
    assert reference.sync().entries == 6

    # every partner call was audited
    partner_calls = 1 + 3 + 1 + 1 + 1 + 1 + 2 + 1 + 1 + 1 + 1  # lookups, pages, feedback...
    assert partner_audits(runtime) - calls_before >= partner_calls - 2
    assert partner_audits(runtime, "partner.lookup") == 3
    assert partner_audits(runtime, "partner.feedback") == 2

    # revoked: 401, audited as a refusal
    key_id = created.json()["key_id"]
    assert client.post(f"/api/v1/partner-keys/{key_id}/revoke",
                       headers=auth(world.staff["admin_a"])).status_code == 200
    with pytest.raises(NotAuthenticated):
        reference.sync()
    denied = client.get("/api/v1/partner/hashes", headers={"Authorization": f"Bearer {key}"})
    assert denied.status_code == 401 and denied.json()["error"]["code"] == "partner_key_revoked"
    assert partner_audits(runtime, "partner.refused") == 2
    for headers in ({}, {"Authorization": "Bearer jkp_000000000000_" + "x" * 43},
                    {"Authorization": "Basic abc"}, {"Authorization": f"Bearer {key}x"}):
        assert client.get("/api/v1/partner/hashes", headers=headers).status_code == 401
    # staff tokens are not partner keys, and partner keys are not staff tokens
    assert client.get("/api/v1/partner/hashes",
                      headers=auth(world.staff["admin_a"])).status_code == 401
    assert client.get("/api/v1/cases", headers={"Authorization": f"Bearer {late.key}"}
                      ).status_code == 401


def test_forged_and_replayed_pages_fail(client, runtime, world: World, tmp_path: Path) -> None:
    sharing_case(runtime, world, images=1, seed=5)
    issued = add_partner(runtime, "Platform F")
    headers = {"Authorization": f"Bearer {issued.key}"}
    pinned = public_key(runtime)
    page = client.get("/api/v1/partner/hashes", headers=headers,
                      params={"cursor": "0", "nonce": "nonce-one-1234"}).json()
    assert verify_page(page, pinned, cursor="0", nonce="nonce-one-1234")["changes"]
    # forged: a value swapped, an entry removed, a signature from another key
    forged = copy.deepcopy(page)
    forged["page"]["changes"][0]["value"] = "f" * 64
    with pytest.raises(FeedVerificationError, match="signature"):
        verify_page(forged, pinned, cursor="0", nonce="nonce-one-1234")
    dropped = copy.deepcopy(page)
    dropped["page"]["changes"].pop()
    with pytest.raises(FeedVerificationError):
        verify_page(dropped, pinned, cursor="0", nonce="nonce-one-1234")
    import base64

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from jikimi.partners.feed import canonical_json
    other = Ed25519PrivateKey.generate()
    resigned = copy.deepcopy(forged)
    resigned["signature"] = base64.b64encode(other.sign(
        b"jikimi partner feed v1\n" + canonical_json(forged["page"]))).decode()
    with pytest.raises(FeedVerificationError):
        verify_page(resigned, pinned, cursor="0", nonce="nonce-one-1234")
    for junk in ({}, {"page": "x", "signature": "y"}, {"page": {}, "signature": "!!"}, []):
        with pytest.raises(FeedVerificationError):
            verify_page(junk, pinned, cursor="0", nonce=None)
    # replayed: the same genuine page served again for a later request
    with pytest.raises(FeedVerificationError, match="nonce"):
        verify_page(page, pinned, cursor="0", nonce="nonce-two-5678")
    with pytest.raises(FeedVerificationError, match="cursor"):
        verify_page(page, pinned, cursor=page["page"]["next_cursor"], nonce=None)
    # the reference client behind a man in the middle that replays the recorded page
    def replay(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=page)

    mitm = PartnerClient("http://centre.test", issued.key, pinned, tmp_path / "copy.json",
                         http=httpx.Client(transport=httpx.MockTransport(replay)))
    with pytest.raises(FeedVerificationError, match="nonce"):
        mitm.sync()
    assert not (tmp_path / "copy.json").exists()  # nothing applied
    # a genuine page for another partner
    other_partner = add_partner(runtime, "Platform G")
    theirs = client.get("/api/v1/partner/hashes",
                        headers={"Authorization": f"Bearer {other_partner.key}"},
                        params={"nonce": "nonce-three-9"}).json()
    with pytest.raises(FeedVerificationError, match="another partner"):
        verify_page(theirs, pinned, cursor="0", nonce="nonce-three-9", partner="Platform F")
    # the published key is the pinned one
    assert client.get("/api/v1/partner/public-key").json()["public_key"] == pinned


def test_rate_limit_and_scopes(client, runtime, world: World) -> None:
    limited = add_partner(runtime, "Platform Slow", rate_per_minute=3, scopes=["lookup"])
    headers = {"Authorization": f"Bearer {limited.key}"}
    body = {"fingerprints": [{"signal_type": "md5", "value": "a" * 32}]}
    codes = [client.post("/api/v1/partner/lookup", headers=headers, json=body).status_code
             for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    refused = client.post("/api/v1/partner/lookup", headers=headers, json=body)
    assert refused.status_code == 429 and refused.headers["Retry-After"]
    assert partner_audits(runtime, "partner.refused") == 2
    # the feed is outside this key's scopes
    other = add_partner(runtime, "Platform Lookup Only", scopes=["lookup"])
    forbidden = client.get("/api/v1/partner/hashes",
                           headers={"Authorization": f"Bearer {other.key}"})
    assert forbidden.status_code == 403 and forbidden.json()["error"]["code"] == "partner_scope"
    # bad lookups: wrong type, malformed value, too many, media instead of fingerprints
    okh = {"Authorization": f"Bearer {other.key}"}
    for bad in ({"fingerprints": [{"signal_type": "face", "value": "x"}]},
                {"fingerprints": [{"signal_type": "pdq", "value": "zz"}]},
                {"fingerprints": [{"signal_type": "md5", "value": "a" * 32}] * 101},
                {"fingerprints": []}, {"file": "aGVsbG8="}):
        assert client.post("/api/v1/partner/lookup", headers=okh, json=bad).status_code == 422
    assert client.post("/api/v1/partner/lookup", headers=okh, content=b"\x89PNG\r\n",
                       ).status_code == 422


def test_rotate_with_grace_and_disable(client, runtime, world: World) -> None:
    first = add_partner(runtime, "Platform R")
    # stored as a keyed digest only: nothing in the table holds the key or its secret part
    with runtime.sessions() as session:
        stored = session.execute(select(PartnerKey)).scalars().one()
        row = " ".join(str(getattr(stored, c.key)) for c in PartnerKey.__table__.columns)
    assert first.key not in row and first.key.split("_", 2)[2] not in row
    assert stored.secret_digest != hashlib.sha256(first.key.encode()).hexdigest()
    rotated = client.post("/api/v1/partners/Platform R/rotate",
                          headers=auth(world.staff["admin_a"]), json={"grace_minutes": 10})
    assert rotated.status_code == 200
    new_key = rotated.json()["key"]
    for key in (first.key, new_key):  # both work during the grace period
        assert client.get("/api/v1/partner/hashes",
                          headers={"Authorization": f"Bearer {key}"}).status_code == 200
    with runtime.context(cli_actor("test")) as ctx:
        partners.rotate_key(ctx, "Platform R")  # no grace: the others stop at once
        partners.revoke_partner(ctx, "Platform R")
        listed = partners.list_partners(ctx)
    assert all(not k.active for k in listed[0].keys) and listed[0].disabled
    assert client.get("/api/v1/partner/hashes",
                      headers={"Authorization": f"Bearer {new_key}"}).status_code == 401
