"""Serving at scale (issue 16): a platform's lookup never does the feed's bookkeeping; the
import that adds the fingerprints does it, in bulk, in its own transaction."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event
from tests.conftest import World
from tests.foundation.test_cli import jikimi
from tests.partners.conftest import (
    add_partner,
    flip_bits,
    random_pdq,
    set_consent,
    sharing_case,
)

from jikimi import partners
from jikimi.core.actors import cli_actor
from jikimi.core.runtime import Runtime

IMPORTED = 3000


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements run on ``engine`` inside the block."""
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def test_import_does_the_bookkeeping_and_lookups_none(  # type: ignore[no-untyped-def]
        client, runtime: Runtime, world: World, cli_env: dict[str, str], tmp_path: Path) -> None:
    shared = sharing_case(runtime, world, images=1, seed=71)
    rng = random.Random(7)
    hashes = [random_pdq(rng) for _ in range(IMPORTED)]
    listing = tmp_path / "hashes.txt"
    listing.write_text("\n".join(hashes) + "\n")
    out = jikimi(cli_env, "banks", "import", shared.bank, str(listing))
    assert f"{IMPORTED} fingerprints imported" in out.stdout
    # the import brought the feed up to date in its own transaction, in bulk
    with runtime.sessions() as session:
        counts = partners.feed_counts(session)
        assert partners.feed_is_current(session)
    assert counts["active_items"] == IMPORTED + 3 and counts["sharing_cases"] == 1
    key = add_partner(runtime, "Platform Scale").key
    headers = {"Authorization": f"Bearer {key}"}
    near = flip_bits(hashes[1234], 5)
    with statements(runtime.engine) as seen:
        found = client.post("/api/v1/partner/lookup", headers=headers, json={
            "fingerprints": [{"signal_type": "pdq", "value": near}]})
    assert found.status_code == 200, found.text
    assert found.json()["matched"] and found.json()["matches"][0]["distance"] == 5
    bookkeeping = [s for s in seen if "partner_feed_state" in s or (
        ("partner_feed" in s or "partner_hash_records" in s)
        and not s.lstrip().upper().startswith("SELECT"))]
    assert bookkeeping == [], bookkeeping
    # the StopNCII shape has every imported PDQ, each once
    with runtime.context(cli_actor("test")) as ctx:
        principal = partners.authenticate(ctx, key)
    with runtime.context(principal.actor) as ctx:
        fetched = partners.stopncii_fetch(ctx, principal, start_timestamp=10, page_size=1000)
    assert fetched["hasMoreRecords"] and fetched["count"] == 1000


def test_consent_after_import_shares_the_case_in_its_transaction(runtime: Runtime,
                                                                 world: World) -> None:
    """Consent given after the fingerprints were registered: the feed takes the case's
    entries when the consent commits, not when a platform next asks."""
    quiet = sharing_case(runtime, world, images=3, seed=72, consent=False)
    with runtime.sessions() as session:
        assert partners.feed_counts(session)["active_items"] == 0
    set_consent(runtime, world, quiet.code, withdraw=False)
    with runtime.sessions() as session:
        assert partners.feed_counts(session)["active_items"] == 9
        assert partners.feed_is_current(session)
    set_consent(runtime, world, quiet.code, withdraw=True)
    with runtime.sessions() as session:
        assert partners.feed_counts(session)["active_items"] == 0
