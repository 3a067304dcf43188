"""The feed follows the banks and the consents: entries added and removed after the first
pull, non-shareable signal types, the StopNCII aggregate of a hash shared by two cases, and
bad input to the partner endpoints."""

from __future__ import annotations

from sqlalchemy import select
from tests.conftest import World, auth
from tests.partners.conftest import add_partner, set_consent, sharing_case, staff_actor

from jikimi import matching, partners
from jikimi.core.actors import cli_actor
from jikimi.matching import BankEntry, NewEntry
from jikimi.partners.accounts import PartnerPrincipal
from jikimi.partners.models import FeedItem


def principal(runtime, name: str) -> PartnerPrincipal:  # type: ignore[no-untyped-def]
    issued = add_partner(runtime, name)
    with runtime.context(cli_actor("test")) as ctx:
        return partners.authenticate(ctx, issued.key)


def pull(runtime, who: PartnerPrincipal, cursor: str) -> dict:  # type: ignore[no-untyped-def,type-arg]
    with runtime.context(who.actor) as ctx:
        return partners.feed_page(ctx, who, cursor=cursor)["page"]  # type: ignore[no-any-return]


def test_feed_follows_bank_changes(runtime, world: World) -> None:
    shared = sharing_case(runtime, world, images=1, seed=41)
    other = sharing_case(runtime, world, images=1, seed=42)
    who = principal(runtime, "Platform X")
    first = pull(runtime, who, "0")
    assert len(first["changes"]) == 6
    counsellor = staff_actor(world.staff["counsellor_a"])
    with runtime.context(counsellor) as ctx:
        # a new image of the case, and the same PDQ as the other case (one StopNCII
        # record, two case numbers)
        matching.add_entries(ctx, shared.bank, [
            NewEntry("pdq", "ab" * 32, 90, "original", "new"),
            NewEntry("pdq", other.pdqs[0], 90, "original", "dup")], case_access_checked=True)
        entry = ctx.session.scalar(select(BankEntry).where(
            BankEntry.value == shared.sha256s[0]))
        assert entry is not None
    with runtime.context(cli_actor("test")) as ctx:
        matching.remove_entry(ctx, entry.id)
    second = pull(runtime, who, first["next_cursor"])
    ops = sorted((c["op"], c.get("value")) for c in second["changes"])
    assert ops == sorted([("add", "ab" * 32), ("add", other.pdqs[0]), ("remove", None)])
    with runtime.context(who.actor) as ctx:
        fetched = partners.stopncii_fetch(ctx, who, start_timestamp=10)
    dup = next(r for r in fetched["hashRecords"] if r["hashValue"] == other.pdqs[0])
    assert len(dup["caseNumbers"]) == 2 and dup["hashStatus"] == "Active"
    # one of the two cases withdraws: the hash stays Active for the other
    set_consent(runtime, world, shared.code, withdraw=True)
    with runtime.context(who.actor) as ctx:
        later = partners.stopncii_fetch(ctx, who, start_timestamp=fetched["nextSetTimestamp"])
    records = {r["hashValue"]: r for r in later["hashRecords"]}
    assert records[other.pdqs[0]]["hashStatus"] == "Active"
    assert sorted(records[other.pdqs[0]]["caseNumbers"].values()) == ["Active", "Deleted"]
    assert records[shared.pdqs[0]]["hashStatus"] == "Deleted"
    with runtime.sessions() as session:
        kinds = set(session.scalars(select(FeedItem.signal_type)))
    assert kinds <= {"pdq", "sha256", "md5", "vpdq"}


def test_bad_input_to_partner_endpoints(client, runtime, world: World) -> None:
    issued = add_partner(runtime, "Platform Y")
    h = {"Authorization": f"Bearer {issued.key}"}
    for params in ({"cursor": "-1"}, {"cursor": "abc"}, {"cursor": "9" * 13},
                   {"nonce": "short"}, {"nonce": "x" * 65}, {"nonce": "bad nonce!!"},
                   {"limit": "0"}, {"limit": "100000"}):
        response = client.get("/api/v1/partner/hashes", headers=h, params=params)
        assert response.status_code == 422, (params, response.text)
    for params in ({"startTimestamp": "-5"}, {"nextPageToken": "1.2"},
                   {"nextPageToken": "x" * 200}, {"pageSize": "0"}):
        assert client.get("/api/v1/stopncii/FetchHashes", headers=h,
                          params=params).status_code == 422
    for body in (b"{", b"[]", b'{"hashFeedbacks": []}', b'{"hashFeedbacks": [{"x": 1}]}'):
        assert client.post("/api/v1/stopncii/SubmitFeedback", headers=h,
                           content=body).status_code == 422
    unknown = client.post("/api/v1/stopncii/SubmitFeedback", headers=h, json={
        "count": 1, "hashFeedbacks": [{"hashValue": "0" * 64, "feedbackValue": "Blocked",
                                       "tags": []}]})
    assert unknown.json() == {"count": 0, "unknownHashes": ["0" * 64]}
    for body in ({"reports": []}, {"reports": [{"entry_id": "x", "action": "blocked",
                                                "seen_at": "yesterday"}]},
                 {"reports": [{"entry_id": "x", "action": "blocked",
                               "seen_at": "2999-01-01T00:00:00Z"}]},
                 {"reports": [{"entry_id": "x" * 41, "action": "blocked"}]}):
        assert client.post("/api/v1/partner/feedback", headers=h,
                           json=body).status_code == 422
    # Korean error messages by default
    revoked = client.get("/api/v1/partner/hashes",
                         headers={"Authorization": "Bearer jkp_0123456789ab_" + "y" * 43,
                                  "Accept-Language": "ko"})
    assert revoked.status_code == 401 and "협력사" in revoked.json()["error"]["message"]


def test_subscriptions_api(client, runtime, world: World, tmp_path) -> None:  # type: ignore[no-untyped-def]
    signals = tmp_path / "list.txt"
    signals.write_text("pdq " + "12" * 32 + "\n")
    analyst = auth(world.staff["analyst_a"])
    assert client.post("/api/v1/banks", headers=analyst, json={"name": "hotlines"}
                       ).status_code == 201
    made = client.post("/api/v1/partners/subscriptions", headers=analyst, json={
        "name": "file", "bank": "hotlines", "exchange": "local_file",
        "config": {"filename": str(signals)}})
    assert made.status_code == 201, made.text
    fetched = client.post("/api/v1/partners/subscriptions/file/fetch", headers=analyst)
    assert fetched.status_code == 200 and fetched.json()["entries"] == 1
    listed = client.get("/api/v1/partners/subscriptions", headers=analyst).json()
    assert listed[0]["last_fetch_at"] and listed[0]["checkpoint"] == {}
    counsellor = auth(world.staff["counsellor_a"])
    assert client.post("/api/v1/partners/subscriptions/file/fetch",
                       headers=counsellor).status_code == 403
    assert client.post("/api/v1/partners/subscriptions/file/fetch").status_code == 401
    case_bank = sharing_case(runtime, world, images=1, seed=51).bank
    refused = client.post("/api/v1/partners/subscriptions", headers=auth(world.staff["admin_a"]),
                          json={"name": "leak", "bank": case_bank, "exchange": "local_file",
                                "config": {"filename": str(signals)}})
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "case_bank"


VIDEO = '[[0,0.0,100,"' + "f0" * 32 + '"],[1,1.0,100,"' + "0f" * 32 + '"]]'


def test_videos_and_negative_banks(client, runtime, world: World) -> None:  # type: ignore[no-untyped-def]
    shared = sharing_case(runtime, world, images=1, seed=71)
    with runtime.context(staff_actor(world.staff["counsellor_a"])) as ctx:
        matching.add_entries(ctx, shared.bank, [
            NewEntry("vpdq", VIDEO, None, "original", "video-1"),
            NewEntry("md5", "cd" * 16, None, "original", "video-1")], case_access_checked=True)
    who = principal(runtime, "Platform V")
    with runtime.context(who.actor) as ctx:
        records = partners.stopncii_fetch(ctx, who, start_timestamp=10)["hashRecords"]
    kinds = {(r["signalType"], r["hashValue"]) for r in records}
    # the video's MD5 is a VideoMD5; the image's MD5 is not in the StopNCII shape
    assert ("VideoMD5", "cd" * 16) in kinds and ("ImagePDQ", shared.pdqs[0]) in kinds
    assert not any(v == shared.md5s[0] for _k, v in kinds)
    h = {"Authorization": f"Bearer {add_partner(runtime, 'Platform W').key}"}
    found = client.post("/api/v1/partner/lookup", headers=h, json={"fingerprints": [
        {"signal_type": "vpdq", "value": VIDEO}]}).json()
    assert found["matched"] and found["matches"][0]["signal_type"] == "vpdq"
    # known benign content in a negative bank suppresses the answer
    with runtime.context(cli_actor("test")) as ctx:
        matching.create_bank(ctx, "benign", negative=True)
        matching.add_entries(ctx, "benign", [NewEntry("pdq", shared.pdqs[0], 90)])
    suppressed = client.post("/api/v1/partner/lookup", headers=h, json={"fingerprints": [
        {"signal_type": "pdq", "value": shared.pdqs[0]}]}).json()
    assert suppressed == {"matched": False, "matches": []}
