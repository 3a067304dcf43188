"""Fixtures of the browser tests that need the whole demo: the installation that
``jikimi demo seed`` makes (as scripts/serve does), served by ``jikimi serve``, one per test
session (the tests that change it — a confirmed match, an approved notice — leave a demo the
others still read)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.browser_fixtures import free_port, start_server


@dataclass
class DemoServer:
    url: str
    accounts: dict[str, tuple[str, str, str]]  # role -> (email, password, totp secret)


DEMO_ACCOUNT = re.compile(r"\[(?P<centre>[^\]]+)\]\s+(?P<role>[a-z_]+)\s+(?P<email>\S+@\S+)\s+"
                          r"password: (?P<password>\S+)(?:\s+TOTP secret: (?P<totp>\S+))?")


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory: pytest.TempPathFactory,
                sqlite_template: Path) -> Iterator[DemoServer]:
    """The demo installation, made by ``jikimi demo seed`` as scripts/serve does, served by
    ``jikimi serve``."""
    base = tmp_path_factory.mktemp("all-pages")
    database = base / "demo.sqlite3"
    shutil.copy(sqlite_template, database)
    env = {**os.environ, "JIKIMI_DATA_DIR": str(base / "var"),
           "JIKIMI_DATABASE_URL": f"sqlite:///{database}", "JIKIMI_WORKER": "0",
           "JIKIMI_FETCH_ALLOW_LOOPBACK": "true",
           "JIKIMI_SMTP_FROM": "deletion-support@demo.jikimi.kr",
           "JIKIMI_SMTP_URL": f"smtp://127.0.0.1:{free_port()}",
           # each test process seeds its own demo: its gallery on a port of its own
           "JIKIMI_DEMO_SITE_PORT": str(free_port())}
    seeded = subprocess.run([sys.executable, "-m", "jikimi.cli.app", "demo", "seed"], env=env,
                            capture_output=True, text=True, timeout=300)
    assert seeded.returncode == 0, seeded.stdout + seeded.stderr
    accounts: dict[str, tuple[str, str, str]] = {}
    for found in DEMO_ACCOUNT.finditer(seeded.stdout):
        accounts.setdefault(found["role"], (found["email"], found["password"],
                                            found["totp"] or ""))
    assert {"counsellor", "analyst", "investigator", "admin", "central_admin"} <= set(accounts), \
        seeded.stdout
    proc, url = start_server(env, base / "server.log", wait_seconds=60)
    yield DemoServer(url, accounts)
    proc.terminate()
    proc.wait(10)
