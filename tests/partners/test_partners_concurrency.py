"""Concurrent partner calls on a running jikimi finish (no lock cycle between the database's
row locks and the matcher's lock) and every one is audited."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import func, select
from tests.conftest import World
from tests.partners.conftest import add_partner, flip_bits, sharing_case

from jikimi.core.audit import AuditEntry


def test_concurrent_lookups(live_url: str, runtime, world: World) -> None:  # type: ignore[no-untyped-def]
    shared = sharing_case(runtime, world, images=2, seed=61)
    keys = [add_partner(runtime, f"Platform {n}").key for n in range(2)]
    # the feed is brought up to date by pulls (lookups see additions within seconds)
    assert httpx.get(f"{live_url}/api/v1/partner/hashes", timeout=20,
                     headers={"Authorization": f"Bearer {keys[0]}"}).status_code == 200

    def ask(number: int) -> bool:
        body = {"fingerprints": [{"signal_type": "pdq",
                                  "value": flip_bits(shared.pdqs[number % 2], number % 9)}]}
        response = httpx.post(f"{live_url}/api/v1/partner/lookup", json=body, timeout=20,
                              headers={"Authorization": f"Bearer {keys[number % 2]}"})
        response.raise_for_status()
        return bool(response.json()["matched"])

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(ask, range(40)))
    assert all(answers)
    with runtime.sessions() as session:
        audited = session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "partner.lookup"))
    assert audited == 40
