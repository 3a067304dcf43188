"""The audit log is hash-chained: `jikimi audit verify` catches edits, deletions, reordering."""

from __future__ import annotations

import subprocess
import sys

import pytest
from sqlalchemy import text

from jikimi import cases
from jikimi.core.actors import cli_actor
from jikimi.core.runtime import Runtime


def run_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run([sys.executable, "-m", "jikimi.cli.app", *args], capture_output=True,
                          text=True, env={**os.environ, **env}, timeout=120)


@pytest.fixture
def busy_log(runtime: Runtime, world) -> int:  # type: ignore[no-untyped-def]
    from jikimi import accounts

    with runtime.context(cli_actor("test")) as ctx:
        centre = accounts.resolve_centre(ctx.session, world.centre_a)
        for _ in range(3):
            opened = cases.open_case(ctx, centre, cases.IntakeChannel.HOTLINE, phone="010-1")
            cases.get_case(ctx, opened.case.code)
    with runtime.engine.connect() as conn:
        return int(conn.execute(text("SELECT max(seq) FROM audit_entries")).scalar_one())


def test_intact_chain_verifies(cli_env: dict[str, str], busy_log: int) -> None:
    result = run_cli(cli_env, "audit", "verify")
    assert result.returncode == 0, result.stderr
    assert f"{busy_log} entries" in result.stdout


def _exec(runtime: Runtime, sql: str, **params: object) -> None:
    with runtime.engine.begin() as conn:
        conn.execute(text(sql), params)


def test_edited_entry_is_named(runtime: Runtime, cli_env: dict[str, str], busy_log: int) -> None:
    _exec(runtime, "UPDATE audit_entries SET actor = 'staff:999' WHERE seq = 7")
    result = run_cli(cli_env, "audit", "verify", "--format", "json")
    assert result.returncode == 1
    assert '"first_bad_entry": 7' in result.stdout
    assert "altered" in result.stdout


def test_deleted_entry_is_named(runtime: Runtime, cli_env: dict[str, str], busy_log: int) -> None:
    _exec(runtime, "DELETE FROM audit_entries WHERE seq = 5")
    result = run_cli(cli_env, "audit", "verify")
    assert result.returncode == 1
    assert "entry 5" in result.stderr


def test_deleted_last_entries_are_caught(runtime: Runtime, cli_env: dict[str, str],
                                         busy_log: int) -> None:
    _exec(runtime, "DELETE FROM audit_entries WHERE seq >= :s", s=busy_log - 1)
    result = run_cli(cli_env, "audit", "verify")
    assert result.returncode == 1
    assert f"entries after {busy_log - 2} are missing" in result.stderr


def test_swapped_entries_are_caught(runtime: Runtime, cli_env: dict[str, str],
                                    busy_log: int) -> None:
    # Swap the positions of entries 3 and 4 (their content moves, their sequence numbers stay).
    _exec(runtime, "UPDATE audit_entries SET seq = -1 WHERE seq = 3")
    _exec(runtime, "UPDATE audit_entries SET seq = 3 WHERE seq = 4")
    _exec(runtime, "UPDATE audit_entries SET seq = 4 WHERE seq = -1")
    result = run_cli(cli_env, "audit", "verify", "--format", "json")
    assert result.returncode == 1
    assert '"first_bad_entry": 3' in result.stdout


def test_forged_rehash_without_key_is_caught(runtime: Runtime, cli_env: dict[str, str],
                                             busy_log: int) -> None:
    """Recomputing a plain SHA-256 over an edited entry does not help: the chain is keyed."""
    import hashlib

    fake = hashlib.sha256(b"forged").hexdigest()
    _exec(runtime, "UPDATE audit_entries SET action = 'case.noop', entry_hash = :h WHERE seq = 2",
          h=fake)
    _exec(runtime, "UPDATE audit_entries SET prev_hash = :h WHERE seq = 3", h=fake)
    result = run_cli(cli_env, "audit", "verify", "--format", "json")
    assert result.returncode == 1
    assert '"first_bad_entry": 2' in result.stdout


def test_every_case_read_is_audited(client, world) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import auth

    counsellor = world.staff["counsellor_a"]
    created = client.post("/api/v1/cases", json={"channel": "web"}, headers=auth(counsellor))
    code = created.json()["case"]["code"]
    admin = world.staff["admin_a"]
    before = client.get("/api/v1/audit/verify", headers=auth(admin)).json()["entries"]
    client.get(f"/api/v1/cases/{code}", headers=auth(counsellor))
    client.get(f"/api/v1/cases/{code}/timeline", headers=auth(counsellor))
    client.get("/api/v1/cases", headers=auth(counsellor))
    after = client.get("/api/v1/audit/verify", headers=auth(admin)).json()
    assert after["ok"] is True
    # three reads plus the first verify call itself
    assert after["entries"] == before + 4
