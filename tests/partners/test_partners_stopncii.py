"""python-threatexchange's own StopNCII client against a running jikimi (uvicorn on 127.0.0.1):
fetch the feed, see a withdrawal become a deletion, submit feedback that shows on the case;
and another jikimi subscribing a bank to this one through the StopNCII exchange."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import requests
from tests.conftest import World
from tests.partners.conftest import (
    add_partner,
    set_consent,
    sharing_case,
    staff_actor,
)
from threatexchange.exchanges.clients.stopncii.api import (
    StopNCIIAPI,
    StopNCIICaseStatus,
    StopNCIICSPFeedbackValue,
    StopNCIIEndpoint,
    StopNCIISignalType,
)

from jikimi import accounts, matching, partners
from jikimi.core.actors import cli_actor
from jikimi.core.config import Settings
from jikimi.core.runtime import Runtime


def _a_centre(ctx) -> None:  # type: ignore[no-untyped-def]
    """The installation's default centre (the first one), made once."""
    if not accounts.list_centres(ctx):
        accounts.add_centre(ctx, "센터")



def stopncii_client(url: str, key: str) -> StopNCIIAPI:
    return StopNCIIAPI(key, key, additional_function_keys={StopNCIIEndpoint.SubmitFeedback: key},
                       base_url_override=f"{url}/api/v1/stopncii")


def test_threatexchange_stopncii_client(live_url: str, runtime: Runtime, world: World,
                                        tmp_path: Path, sqlite_template: Path) -> None:
    shared = sharing_case(runtime, world, images=3, seed=11)
    issued = add_partner(runtime, "Platform S")
    api = stopncii_client(live_url, issued.key)

    # the whole feed in pages of two, following nextPageToken
    records, token, pages = {}, "", 0
    while True:
        page = api.fetch_hashes(page_size=2, next_page=token)
        pages += 1
        records.update({(r.signalType, r.hashValue): r for r in page.hashRecords})
        if not page.hasMoreRecords:
            break
        token = page.nextPageToken or ""
    checkpoint = page.nextSetTimestamp
    assert pages == 2
    assert set(records) == {(StopNCIISignalType.ImagePDQ, p) for p in shared.pdqs}
    for record in records.values():
        assert record.hashStatus is StopNCIICaseStatus.Active
        assert list(record.caseNumbers.values()) == [StopNCIICaseStatus.Active]
        assert all("DSC-" not in number and shared.code not in number
                   for number in record.caseNumbers)
    # fetch_hashes_iter as HMA uses it
    assert sum(r.count for r in api.fetch_hashes_iter()) == 3

    # another jikimi subscribes a bank to this one through the StopNCII exchange
    other_path = tmp_path / "other.sqlite3"
    shutil.copy(sqlite_template, other_path)
    other = Runtime.open(Settings(data_dir=tmp_path / "other",
                                  database_url=f"sqlite:///{other_path}"))
    with other.context(cli_actor("test")) as ctx:
        _a_centre(ctx)  # banks belong to a centre
        matching.create_bank(ctx, "from-seoul", purpose="StopNCII-shaped feed of Seoul")
        sub = partners.subscribe(ctx, "seoul", "from-seoul", "stopncii", {}, {
            "fetch_function_key": issued.key, "subscription_key": issued.key,
            "base_url_override": f"{live_url}/api/v1/stopncii"})
        assert sub.has_credentials and sub.checkpoint is None
    first = partners.fetch(other, cli_actor("test"), "seoul")
    assert first.entries == 3 and first.last_error == "" and first.checkpoint
    assert first.checkpoint["update_time"] >= checkpoint - 1

    # feedback from the platform shows on the case
    api.submit_feedback(StopNCIISignalType.ImagePDQ, shared.pdqs[0],
                        StopNCIICSPFeedbackValue.Blocked, {"upload"})
    api.submit_feedback(StopNCIISignalType.ImagePDQ, shared.pdqs[1],
                        StopNCIICSPFeedbackValue.PendingReview)
    with runtime.context(staff_actor(world.staff["counsellor_a"])) as ctx:
        feedback = partners.feedback_for_case(ctx, shared.code)
    assert sorted((f.action, f.via, f.partner) for f in feedback) == [
        ("blocked", "stopncii", "Platform S"), ("matched", "stopncii", "Platform S")]

    # the victim withdraws: the next incremental fetch turns her hashes into deletions
    set_consent(runtime, world, shared.code, withdraw=True)
    later = {(r.signalType, r.hashValue): r
             for p in api.fetch_hashes_iter(start_timestamp=checkpoint) for r in p.hashRecords}
    assert set(later) == set(records)
    for record in later.values():
        assert record.hashStatus is StopNCIICaseStatus.Deleted
        assert list(record.caseNumbers.values()) == [StopNCIICaseStatus.Deleted]
    # ... and the subscribed bank of the other jikimi loses them on its next fetch
    try:
        second = partners.fetch(other, cli_actor("test"), "seoul")
        assert second.entries == 0 and second.last_error == ""
    finally:
        other.close()
    # a platform that subscribes only now never sees the withdrawn hashes
    newcomer = stopncii_client(live_url, add_partner(runtime, "Platform New").key)
    assert [r for p in newcomer.fetch_hashes_iter() for r in p.hashRecords] == []

    # refused: revoked key, wrong function key, SubmitHashes, bad page token
    bad = requests.get(f"{live_url}/api/v1/stopncii/FetchHashes",
                       headers={"Ocp-Apim-Subscription-Key": issued.key,
                                "x-functions-key": "something-else"}, timeout=10)
    assert bad.status_code == 401
    tampered = requests.get(f"{live_url}/api/v1/stopncii/FetchHashes",
                            params={"nextPageToken": "10.0.deadbeef"},
                            headers={"Ocp-Apim-Subscription-Key": issued.key}, timeout=10)
    assert tampered.status_code == 422
    submitted = requests.post(f"{live_url}/api/v1/stopncii/SubmitHashes",
                              headers={"Ocp-Apim-Subscription-Key": issued.key},
                              json={"count": 0, "hashRecords": []}, timeout=10)
    assert submitted.status_code == 403
    with runtime.context(cli_actor("test")) as ctx:
        partners.revoke_key(ctx, issued.key_id)
    with pytest.raises(requests.HTTPError) as revoked:
        api.fetch_hashes()
    assert revoked.value.response.status_code == 401
