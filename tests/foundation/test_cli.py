"""The `jikimi` command as an operator uses it, in a separate process."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest


def jikimi(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, "-m", "jikimi.cli.app", *args], capture_output=True,
                            text=True, env={**os.environ, **env}, timeout=120)
    if check and result.returncode != 0:
        raise AssertionError(f"jikimi {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture
def fresh_env(tmp_path: Path, database_url: str) -> dict[str, str]:
    env = {"JIKIMI_DATA_DIR": str(tmp_path / "install"), "JIKIMI_DATABASE_URL": database_url}
    return env


def test_operator_flow(fresh_env: dict[str, str]) -> None:
    jikimi(fresh_env, "db", "upgrade")
    key_file = Path(fresh_env["JIKIMI_DATA_DIR"]) / "secrets.json"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    # no centre yet: a clear error
    none = jikimi(fresh_env, "cases", "open", "--channel", "hotline", check=False)
    assert none.returncode == 1 and "jikimi centres add" in none.stderr
    jikimi(fresh_env, "centres", "add", "중앙센터", "--central")
    jikimi(fresh_env, "centres", "add", "대구센터")
    centres = json.loads(jikimi(fresh_env, "centres", "list", "--format", "json").stdout)
    assert [c["name"] for c in centres] == ["중앙센터", "대구센터"]
    user = json.loads(jikimi(fresh_env, "users", "add", "--role", "admin", "boss@test.invalid",
                             "--format", "json").stdout)
    assert user["centre"] == "대구센터" and user["totp_secret"] and len(user["password"]) >= 12
    counsellor = json.loads(jikimi(fresh_env, "users", "add", "--role", "counsellor",
                                   "c@test.invalid", "--centre", "대구센터", "--format",
                                   "json").stdout)
    assert counsellor["totp_secret"] is None
    bad_role = jikimi(fresh_env, "users", "add", "--role", "wizard", "x@test.invalid",
                      check=False)
    assert bad_role.returncode == 2
    opened = jikimi(fresh_env, "cases", "open", "--channel", "hotline", "--phone",
                    "010-9999-8888", "--minor", "--assign", str(counsellor["id"]))
    code = opened.stdout.split("case code:")[1].split()[0]
    assert "victim's secret (shown once):" in opened.stdout
    jikimi(fresh_env, "cases", "consent", code, "partner_sharing")
    jikimi(fresh_env, "cases", "consent", code, "face_search")
    jikimi(fresh_env, "cases", "consent", code, "face_search", "--withdraw")
    again = jikimi(fresh_env, "cases", "consent", code, "face_search", "--withdraw", check=False)
    assert again.returncode == 1 and "no consent" in again.stderr
    unknown = jikimi(fresh_env, "cases", "consent", code, "telepathy", check=False)
    assert unknown.returncode == 2
    shown = json.loads(jikimi(fresh_env, "cases", "show", code, "--format", "json").stdout)
    assert shown["minor"] is True and shown["consents"] == ["partner_sharing"]
    assert shown["contact"]["phone"] == "010-9999-8888"  # the console operator is root
    assert [e["kind"] for e in shown["timeline"]] == [
        "intake", "consent_granted", "consent_granted", "consent_withdrawn"]
    listed = json.loads(jikimi(fresh_env, "cases", "list", "--format", "json").stdout)
    assert [c["code"] for c in listed] == [code]
    table = jikimi(fresh_env, "cases", "list").stdout
    assert code[:8] in table
    jikimi(fresh_env, "cases", "erase", code, "--yes")
    erased = json.loads(jikimi(fresh_env, "cases", "show", code, "--format", "json").stdout)
    assert erased["erased"] is True and erased["contact"] is None
    verify = jikimi(fresh_env, "audit", "verify", "--format", "json")
    assert json.loads(verify.stdout)["ok"] is True


def test_several_centres_need_explicit_choice(fresh_env: dict[str, str]) -> None:
    jikimi(fresh_env, "db", "upgrade")
    jikimi(fresh_env, "centres", "add", "A")
    jikimi(fresh_env, "centres", "add", "B")
    result = jikimi(fresh_env, "cases", "open", "--channel", "web", check=False)
    assert result.returncode == 1 and "--centre" in result.stderr
    ok = jikimi(fresh_env, "cases", "open", "--channel", "web", "--centre", "B",
                "--format", "json")
    assert json.loads(ok.stdout)["centre"] == "B"
    missing = jikimi(fresh_env, "cases", "show", "DSC-2026-123456", check=False)
    assert missing.returncode == 1 and "no case" in missing.stderr
