"""Browser fixtures for every test package: a live server (`jikimi serve` in its own process)
and Debian's Chromium via Playwright. Loaded once, as a plugin, from tests/conftest.py."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-dev-shm-usage"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results" / "screenshots"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    env: dict[str, str]


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    path = tmp_path / "live.sqlite3"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def live_world(tmp_path: Path, sqlite_url: str):  # type: ignore[no-untyped-def]
    from tests.conftest import build_world

    from jikimi.core.config import Settings
    from jikimi.core.runtime import Runtime

    settings = Settings(data_dir=tmp_path / "var", database_url=sqlite_url)
    runtime = Runtime.open(settings)
    world = build_world(runtime)
    yield runtime, world
    runtime.close()


@pytest.fixture
def live_server(tmp_path: Path, sqlite_url: str, live_world) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    env = {**os.environ, "JIKIMI_DATA_DIR": str(tmp_path / "var"),
           "JIKIMI_DATABASE_URL": sqlite_url}
    proc, url = start_server(env, tmp_path / "server.log", wait_seconds=30)
    yield LiveServer(url, env)
    proc.terminate()
    proc.wait(10)


def start_server(env: dict[str, str], log_path: Path,
                 wait_seconds: float) -> tuple[subprocess.Popen[bytes], str]:
    """Start `jikimi serve` on a free port and wait until it answers its health check."""
    port = free_port()
    log = log_path.open("w")
    proc = subprocess.Popen([sys.executable, "-m", "jikimi.cli.app", "serve", "--port",
                             str(port)], env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/api/v1/health", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(log_path.read_text())


@pytest.fixture(scope="session")
def browser():  # type: ignore[no-untyped-def]
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            raise RuntimeError("Debian's chromium is required for the browser tests")
        pytest.skip("chromium not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(locale="ko-KR", viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    yield pg
    context.close()


def screenshot(page, name: str) -> Path:  # type: ignore[no-untyped-def]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
