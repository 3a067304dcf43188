"""Browser fixtures for every test package: a live server (`jikimi serve` in its own process)
and Debian's Chromium via Playwright. Loaded once, as a plugin, from tests/conftest.py.

No test may read the page before the page has reacted (CI runs on a loaded 2-core machine,
where an answer, a script or htmx's settle step comes late): a read after an action is either
a web-first assertion (``expect(...)``, which retries), or follows ``click_and_wait`` (the page
a form or a link leads to has loaded) or ``htmx_idle`` (htmx has nothing in flight)."""

from __future__ import annotations

import os
import re
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
from playwright.sync_api import Locator, Page, expect

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-dev-shm-usage"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results" / "screenshots"
# expect(...) retries for 5 s by default: too short for a server answer on the loaded CI.
EXPECT_TIMEOUT_MS = 30_000
expect.set_options(timeout=EXPECT_TIMEOUT_MS)
NAVIGATION_TIMEOUT_MS = 60_000
HTMX_BUSY = ".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added"
# Race finder, off by default: every page the tests open gets this much latency on each
# request and runs its scripts this many times slower, so that a read that does not wait for
# the page's reaction fails at once instead of once in a while on the loaded CI, e.g.
#   JIKIMI_TEST_BROWSER_LATENCY_MS=400 JIKIMI_TEST_BROWSER_CPU_SLOWDOWN=3 pytest -m browser
BROWSER_LATENCY_MS = float(os.environ.get("JIKIMI_TEST_BROWSER_LATENCY_MS") or 0)
BROWSER_CPU_SLOWDOWN = float(os.environ.get("JIKIMI_TEST_BROWSER_CPU_SLOWDOWN") or 1)


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
        if BROWSER_LATENCY_MS > 0 or BROWSER_CPU_SLOWDOWN > 1:
            _slow_down(b)
        yield b
        b.close()


def _slow_down(browser):  # type: ignore[no-untyped-def]
    """Give every page of every context of ``browser`` the race finder's latency and CPU
    slowdown (through the DevTools protocol, as the page is opened)."""
    new_context = browser.new_context

    def slow_context(*args, **kwargs):  # type: ignore[no-untyped-def]
        context = new_context(*args, **kwargs)
        new_page = context.new_page

        def slow_page():  # type: ignore[no-untyped-def]
            opened = new_page()
            cdp = context.new_cdp_session(opened)
            if BROWSER_LATENCY_MS > 0:
                cdp.send("Network.emulateNetworkConditions", {
                    "offline": False, "latency": BROWSER_LATENCY_MS,
                    "downloadThroughput": -1, "uploadThroughput": -1})
            if BROWSER_CPU_SLOWDOWN > 1:
                cdp.send("Emulation.setCPUThrottlingRate", {"rate": BROWSER_CPU_SLOWDOWN})
            return opened

        context.new_page = slow_page
        return context

    browser.new_context = slow_context


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(locale="ko-KR", viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    yield pg
    context.close()


def click_and_wait(page: Page, target: str | Locator,
                   timeout: float = NAVIGATION_TIMEOUT_MS) -> None:
    """Click what sends a form or follows a link, and wait until the page it leads to has
    loaded. Playwright's click returns when the navigation has started (committed at best):
    a read right after it can see the old page, or the new one half parsed. Fails if the
    click leads nowhere."""
    with page.expect_navigation(timeout=timeout):
        if isinstance(target, str):
            page.click(target, timeout=timeout)
        else:
            target.click(timeout=timeout)


def htmx_idle(page: Page, timeout: float = EXPECT_TIMEOUT_MS) -> None:
    """Wait until htmx has no request in flight and no swap or settle pending on the page
    (a fragment loaded with ``hx-trigger="load"`` is requested before the load event, and
    arrives after it)."""
    expect(page.locator(HTMX_BUSY)).to_have_count(0, timeout=timeout)


def reload_until(page: Page, selector: str, pattern: str, timeout_s: float = 180.0) -> str:
    """Reload the page until the text of ``selector`` (whitespace collapsed) matches
    ``pattern``, for a page that shows a background job's progress as it was when loaded;
    the text that matched. Fails with the last text seen after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        text = " ".join(page.locator(selector).inner_text().split())
        if re.search(pattern, text):
            return text
        if time.monotonic() > deadline:
            raise AssertionError(f"{selector} never matched {pattern!r}: {text!r}")
        time.sleep(0.5)
        page.reload()


def screenshot(page, name: str) -> Path:  # type: ignore[no-untyped-def]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
