"""`jikimi banks ...`, `jikimi match` and `jikimi hash` as an operator runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.conftest import SHARED_DATA
from tests.foundation.test_cli import jikimi

DIH = SHARED_DATA / "pdq-reference" / "images" / "reg-test-input" / "dih"


@pytest.fixture
def install(tmp_path: Path, database_url: str) -> dict[str, str]:
    env = {"JIKIMI_DATA_DIR": str(tmp_path / "inst"), "JIKIMI_DATABASE_URL": database_url}
    jikimi(env, "db", "upgrade")
    jikimi(env, "centres", "add", "센터")
    return env


def test_register_import_and_match(install: dict[str, str], tmp_path: Path) -> None:
    jikimi(install, "banks", "create", "victims")
    added = jikimi(install, "banks", "add", "victims", str(DIH / "bridge-1-original.jpg"))
    assert "of 1 files added" in added.stdout
    out = jikimi(install, "match", "--format", "json", str(DIH))
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(lines) == 8
    assert all(line["matched"] for line in lines), lines
    for line in lines:
        for m in line["matches"]:
            assert set(m) >= {"bank", "entry_id", "signal_type", "distance", "variant"}
    # a hash list from `jikimi hash`, imported into another bank
    hashes = jikimi(install, "hash", str(SHARED_DATA / "pdq-reference" / "images" /
                                         "misc-images" / "c.png"))
    hashfile = tmp_path / "list.jsonl"
    hashfile.write_text(hashes.stdout)
    jikimi(install, "banks", "create", "imported")
    imported = jikimi(install, "banks", "import", "imported", str(hashfile))
    assert "3 fingerprints imported" in imported.stdout
    listed = json.loads(jikimi(install, "banks", "list", "--format", "json").stdout)
    assert {b["name"]: b["entries"] for b in listed}["imported"] == 3
    bad = tmp_path / "bad.txt"
    bad.write_text("0" * 64 + "\nnot-a-hash\n")
    refused = jikimi(install, "banks", "import", "imported", str(bad), check=False)
    assert refused.returncode == 1 and "line 2 of" in refused.stdout


def test_match_reports_broken_files(install: dict[str, str], tmp_path: Path) -> None:
    jikimi(install, "banks", "create", "b")
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"<html>nope</html>")
    out = jikimi(install, "match", "--format", "json", str(broken), check=False)
    assert out.returncode == 1
    assert json.loads(out.stdout)["error"]["code"] == "unsupported_media"


def test_case_bank_links_matches_to_case(install: dict[str, str]) -> None:
    opened = json.loads(jikimi(install, "cases", "open", "--channel", "web", "--format",
                               "json").stdout)
    jikimi(install, "banks", "create", "case-bank", "--case", opened["code"])
    jikimi(install, "banks", "add", "case-bank", str(DIH / "bridge-1-original.jpg"))
    out = jikimi(install, "match", "--format", "json", str(DIH / "bridge-1-original.jpg"))
    assert json.loads(out.stdout)["matches"][0]["case_code"] == opened["code"]
    missing = jikimi(install, "banks", "create", "x", "--case", "DSC-2026-999999", check=False)
    assert missing.returncode == 1
