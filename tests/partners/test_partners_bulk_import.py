"""Data volume (issue 16): `jikimi banks import` writes in bulk, audited once, with the change
log the followers read and the feed current when it returns; a bad line refuses the whole
list by its line number; `jikimi worker` writes the matcher snapshot (PDQ and region hashes)
and a serving process adopts it."""

from __future__ import annotations

import json
import random
import time
from pathlib import Path

import numpy as np
from sqlalchemy import func, select
from tests.conftest import World
from tests.foundation.test_cli import jikimi
from tests.partners.conftest import add_partner, flip_bits, random_pdq, sharing_case

from jikimi import matching, partners
from jikimi.core.actors import cli_actor
from jikimi.core.audit import AuditEntry
from jikimi.core.runtime import Runtime
from jikimi.matching import Bank, BankChange, BankEntry, NewEntry

IMPORTED = 1200


def _entries(runtime: Runtime, bank: str) -> int:
    with runtime.sessions() as session:
        return session.scalar(select(func.count()).select_from(BankEntry).join(
            Bank, Bank.id == BankEntry.bank_id).where(Bank.name == bank)) or 0


def _imports_audited(runtime: Runtime) -> list[dict[str, object]]:
    with runtime.sessions() as session:
        return [json.loads(d) for d in session.scalars(select(AuditEntry.details).where(
            AuditEntry.action == "bank.add_entries").order_by(AuditEntry.seq))]


def _lookup(client, key: str, value: str) -> dict[str, object]:  # type: ignore[no-untyped-def]
    answer = client.post("/api/v1/partner/lookup", headers={"Authorization": f"Bearer {key}"},
                         json={"fingerprints": [{"signal_type": "pdq", "value": value}]})
    assert answer.status_code == 200, answer.text
    body: dict[str, object] = answer.json()
    return body


def test_import_is_bulk_audited_once_logged_and_the_feed_current(  # type: ignore[no-untyped-def]
        client, runtime: Runtime, world: World, cli_env: dict[str, str], tmp_path: Path) -> None:
    shared = sharing_case(runtime, world, images=1, seed=91)
    key = add_partner(runtime, "Platform Bulk").key
    rng = random.Random(191)
    hashes = [random_pdq(rng) for _ in range(IMPORTED)]
    listing = tmp_path / "hashes.txt"
    # a comment, a blank line, upper-case hex, a repeated line and a hash already in the bank
    listing.write_text("# exported list\n\n" + "\n".join(h.upper() for h in hashes)
                       + f"\n{hashes[5]}\n{shared.pdqs[0]}\n")
    audited_before = len(_imports_audited(runtime))
    before = _entries(runtime, shared.bank)
    out = jikimi(cli_env, "banks", "import", shared.bank, str(listing))
    assert f"{IMPORTED} fingerprints imported (2 already present)" in out.stdout
    assert _entries(runtime, shared.bank) == before + IMPORTED
    # one audit entry for the import, saying how many
    audited = _imports_audited(runtime)
    assert len(audited) == audited_before + 1
    assert audited[-1]["added"] == IMPORTED and audited[-1]["given"] == IMPORTED + 2
    # one 'add' in the change log per new entry, values stored normalised
    with runtime.sessions() as session:
        logged = session.scalar(select(func.count()).select_from(BankChange).join(
            BankEntry, BankEntry.id == BankChange.entry_id).join(
            Bank, Bank.id == BankEntry.bank_id).where(
            Bank.name == shared.bank, BankChange.op == "add")) or 0
        stored = set(session.scalars(select(BankEntry.value).join(
            Bank, Bank.id == BankEntry.bank_id).where(Bank.name == shared.bank)))
        assert partners.feed_is_current(session)
        counts = partners.feed_counts(session)
    assert logged == before + IMPORTED and set(hashes) <= stored
    assert counts["active_items"] == 3 + IMPORTED
    # the running server answers right after, and finds an imported hash within seconds
    deadline = time.monotonic() + 10
    while not (answer := _lookup(client, key, flip_bits(hashes[700], 4)))["matched"]:
        assert time.monotonic() < deadline, "the imported hash never reached the lookups"
        time.sleep(0.1)
    assert answer["matches"][0]["distance"] == 4  # type: ignore[index]
    # the same list again adds nothing, logs nothing
    with runtime.sessions() as session:
        changes = session.scalar(select(func.count()).select_from(BankChange))
    again = jikimi(cli_env, "banks", "import", shared.bank, str(listing))
    assert "0 fingerprints imported" in again.stdout
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(BankChange)) == changes
    assert _entries(runtime, shared.bank) == before + IMPORTED
    assert len(_imports_audited(runtime)) == audited_before + 2


def test_a_bad_line_refuses_the_whole_list_by_its_number(
        runtime: Runtime, world: World, cli_env: dict[str, str], tmp_path: Path) -> None:
    shared = sharing_case(runtime, world, images=1, seed=92)
    rng = random.Random(192)
    listing = tmp_path / "bad.txt"
    good = [random_pdq(rng) for _ in range(3)]
    listing.write_text(f"# list\n{good[0]}\n\n{good[1]}\n{good[2][:-1]}z\n{random_pdq(rng)}\n")
    before, audited = _entries(runtime, shared.bank), len(_imports_audited(runtime))
    out = jikimi(cli_env, "banks", "import", shared.bank, str(listing), check=False)
    assert out.returncode == 1
    assert "line 5 of the hash list: a PDQ hash is 64 hexadecimal digits" in _said(out)
    listing.write_text(f"{good[0]}\npdq,{good[1]},140\n")
    out = jikimi(cli_env, "banks", "import", shared.bank, str(listing), check=False)
    assert out.returncode == 1 and "line 2 of the hash list: quality is 0 to 100" in _said(out)
    listing.write_text(f"{good[0]}\n{{not json\n")
    out = jikimi(cli_env, "banks", "import", shared.bank, str(listing), check=False)
    assert out.returncode == 1 and "line 2 of the hash list is not readable" in _said(out)
    assert _entries(runtime, shared.bank) == before  # nothing half-imported
    assert len(_imports_audited(runtime)) == audited


def _said(out: object) -> str:
    """What a command printed, with the terminal's line wrapping undone."""
    return " ".join((out.stdout + out.stderr).split())  # type: ignore[attr-defined]


def _mapped(index: object) -> bool:
    """Whether a PDQ index's arrays are mapped from a snapshot file (not built in memory)."""
    segments = index.index._state.all_segments  # type: ignore[attr-defined]
    return any(isinstance(seg.hashes, np.memmap) for seg in segments)


def test_the_worker_writes_the_snapshot_and_serving_adopts_it(  # type: ignore[no-untyped-def]
        app, client, runtime: Runtime, world: World, cli_env: dict[str, str],
        tmp_path: Path) -> None:
    rng = random.Random(193)
    pdqs = [random_pdq(rng) for _ in range(40)]
    regions = [random_pdq(rng) for _ in range(30)]
    with runtime.context(cli_actor("test")) as ctx:
        matching.create_bank(ctx, "regions-bank", national=True)
        matching.add_entries(ctx, "regions-bank", [NewEntry("pdq", h, 90) for h in pdqs]
                             + [NewEntry("pdq_region", h, 90, f"corner-{n}")
                                for n, h in enumerate(regions)])
    index_dir = runtime.settings.resolved_data_dir / "index"
    serving = app.state.matcher
    assert serving.snapshot_seq == -1  # started before any snapshot: built from the database
    out = jikimi(cli_env, "worker", "--once")
    written = int(out.stdout.split("index snapshot written at change ")[1].split()[0])
    state = json.loads((index_dir / "state.json").read_text())
    assert state["last_seq"] == written and set(state["indexes"]) == {"pdq", "pdq_region"}
    assert not (index_dir / "pdq.index").exists()
    # the serving process adopts it from its follower, off the requests
    deadline = time.monotonic() + 10
    while serving.snapshot_seq != written:
        assert time.monotonic() < deadline, "the serving process never mapped the snapshot"
        client.get("/api/v1/health")
        time.sleep(0.1)
    assert _mapped(serving.indexes["pdq"]) and _mapped(serving.indexes["pdq_region"])
    near = serving.candidates([matching.Query("pdq", flip_bits(pdqs[3], 3))])
    assert [c.distance for c in near] == [3]
    # a restart maps both indexes (region hashes too) instead of rebuilding them
    with runtime.sessions() as session:
        restarted = matching.Matcher.load(index_dir, session, mmap=True)
    assert restarted.snapshot_seq == written
    assert _mapped(restarted.indexes["pdq_region"]) and len(restarted.indexes["pdq_region"]) == 30
    found = restarted.candidates([matching.Query("pdq_region", flip_bits(regions[7], 2))])
    assert [c.distance for c in found] == [2]
    # changes after the snapshot: the next one follows them; nothing written when idle
    with runtime.context(cli_actor("test")) as ctx:
        matching.add_entries(ctx, "regions-bank", [NewEntry("pdq", random_pdq(rng), 90)])
        matching.remove_entry(ctx, matching.list_entries(ctx, "regions-bank", limit=1)[0].id)
    out = jikimi(cli_env, "worker", "--once")
    second = int(out.stdout.split("index snapshot written at change ")[1].split()[0])
    assert second == written + 2
    assert "snapshot written" not in jikimi(cli_env, "worker", "--once").stdout
    deadline = time.monotonic() + 10
    while serving.snapshot_seq != second:
        assert time.monotonic() < deadline, "the serving process never mapped the new snapshot"
        time.sleep(0.1)
    assert serving.candidates([matching.Query("pdq", pdqs[0])]) == []  # the removed one
    assert len(serving.indexes["pdq"]) == 40
