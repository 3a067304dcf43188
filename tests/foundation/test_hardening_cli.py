"""Issue 13: the CLI on a fresh or out-of-date data directory, unexpected errors as one line
plus a log file, and a private data directory."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jikimi.core.database import upgrade_database


def jikimi(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items()
             if k not in ("JIKIMI_DATABASE_URL", "JIKIMI_CONFIG_FILE", "JIKIMI_SECRET_KEY_FILE")}
    return subprocess.run([sys.executable, "-m", "jikimi.cli.app", *args], capture_output=True,
                          text=True, env={**clean, **env}, timeout=120)


def test_fresh_data_dir_works_without_db_upgrade(tmp_path: Path) -> None:
    """The finding: the first command on a fresh JIKIMI_DATA_DIR printed SQLAlchemy's
    'no such table' traceback."""
    env = {"JIKIMI_DATA_DIR": str(tmp_path / "fresh")}
    first = jikimi(env, "centres", "add", "중앙센터", "--central")
    assert first.returncode == 0, first.stderr
    assert "Traceback" not in first.stderr + first.stdout
    listed = jikimi(env, "centres", "list", "--format", "json")
    assert [c["name"] for c in json.loads(listed.stdout)] == ["중앙센터"]
    # private: the directory 0700, the database and key file 0600
    data_dir = tmp_path / "fresh"
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    for name in ("jikimi.sqlite3", "secrets.json"):
        assert stat.S_IMODE((data_dir / name).stat().st_mode) & 0o077 == 0, name
    for extra in data_dir.glob("jikimi.sqlite3-*"):
        assert stat.S_IMODE(extra.stat().st_mode) & 0o077 == 0, extra


def test_existing_data_dir_is_made_private(tmp_path: Path) -> None:
    data_dir = tmp_path / "old"
    data_dir.mkdir(mode=0o755)
    data_dir.chmod(0o755)
    upgrade_database(f"sqlite:///{data_dir / 'jikimi.sqlite3'}")
    (data_dir / "jikimi.sqlite3").chmod(0o644)
    assert jikimi({"JIKIMI_DATA_DIR": str(data_dir)}, "centres", "list").returncode == 0
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE((data_dir / "jikimi.sqlite3").stat().st_mode) == 0o600


def test_out_of_date_database_names_the_command(tmp_path: Path) -> None:
    data_dir = tmp_path / "behind"
    data_dir.mkdir()
    upgrade_database(f"sqlite:///{data_dir / 'jikimi.sqlite3'}", "0008")
    result = jikimi({"JIKIMI_DATA_DIR": str(data_dir)}, "centres", "list")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "jikimi db upgrade" in result.stderr and "database_out_of_date" in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 2  # one message (maybe wrapped once)
    assert jikimi({"JIKIMI_DATA_DIR": str(data_dir)}, "db", "upgrade").returncode == 0
    assert jikimi({"JIKIMI_DATA_DIR": str(data_dir)}, "centres", "list").returncode == 0


def test_unexpected_error_is_one_line_and_a_log_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from jikimi import accounts
    from jikimi.cli.app import app as cli

    data_dir = tmp_path / "crash"
    monkeypatch.setenv("JIKIMI_DATA_DIR", str(data_dir))
    monkeypatch.delenv("JIKIMI_DATABASE_URL", raising=False)

    def broken(*_args: object, **_kwargs: object) -> list[object]:
        raise RuntimeError("disk on fire\nsecond line")

    monkeypatch.setattr(accounts, "list_centres", broken)
    result = CliRunner().invoke(cli, ["centres", "list"])
    assert result.exit_code == 1
    output = result.output
    assert "Traceback" not in output
    assert "unexpected RuntimeError: disk on fire" in output and "second line" not in output
    logs = list((data_dir / "logs").glob("cli-*.log"))
    assert len(logs) == 1 and str(logs[0]) in output.replace("\n", "")
    assert "Traceback" in logs[0].read_text() and "disk on fire" in logs[0].read_text()
    assert stat.S_IMODE(logs[0].stat().st_mode) == 0o600
