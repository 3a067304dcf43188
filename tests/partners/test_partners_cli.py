"""`jikimi partners` and `jikimi partner-client` as an operator and a platform use them, in
separate processes, against a running jikimi."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.conftest import World
from tests.foundation.test_cli import jikimi
from tests.partners.conftest import flip_bits, sharing_case

from jikimi import matching, partners
from jikimi.core.actors import cli_actor


def test_partner_commands(cli_env: dict[str, str], live_url: str, runtime, world: World,  # type: ignore[no-untyped-def]
                          tmp_path: Path) -> None:
    shared = sharing_case(runtime, world, images=2, seed=31)
    added = jikimi(cli_env, "partners", "add", "Platform C", "--rate", "100",
                   "--contact", "abuse@c.test")
    key = re.search(r"(jkp_[0-9a-f]{12}_[A-Za-z0-9_\-]+)", added.stdout)
    assert key and "shown once" in added.stdout
    key_id = key.group(1).split("_")[1]
    public = jikimi(cli_env, "partners", "public-key").stdout.strip()
    assert public.startswith("ed25519:")

    state = tmp_path / "feed.json"
    client_env = {**cli_env, "JIKIMI_PARTNER_URL": live_url,
                  "JIKIMI_PARTNER_KEY": key.group(1), "JIKIMI_PARTNER_PUBLIC_KEY": public,
                  "JIKIMI_PARTNER_STATE": str(state)}
    synced = jikimi(client_env, "partner-client", "sync")
    assert "6 fingerprints" in synced.stdout
    found = jikimi(client_env, "partner-client", "lookup", "--pdq",
                   flip_bits(shared.pdqs[1], 5))
    match = json.loads(found.stdout)
    assert match["matched"] and match["matches"][0]["distance"] == 5

    exported = tmp_path / "bank.csv"
    jikimi(cli_env, "partners", "export", shared.bank, "--format", "csv", "-o", str(exported))
    assert exported.read_text().startswith("signal_type,signal_str,collab,category,tags")
    with runtime.context(cli_actor("test")) as ctx:
        matching.create_bank(ctx, "copy")
    imported = jikimi(cli_env, "partners", "import", "copy", str(exported))
    assert "added 6" in imported.stdout

    jikimi(cli_env, "partners", "revoke", key_id)
    refused = jikimi(client_env, "partner-client", "sync", check=False)
    assert refused.returncode == 1 and "partner_key" in refused.stderr
    with runtime.context(cli_actor("test")) as ctx:
        assert not partners.list_partners(ctx)[0].keys[0].active
