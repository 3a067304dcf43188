"""The start pages and the status page in Chromium, on the demo's data: each role's work for
today, the month-by-month charts (server-drawn SVG, no script), the central admin's national
view with no 403 in her navigation, names instead of ids; screenshots at 1280 and 390 px."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from tests.browser_fixtures import click_and_wait, screenshot
from tests.takedown.conftest import free_port
from tests.totp_codes import unused_totp_code

pytestmark = pytest.mark.browser


@pytest.fixture
def demo_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JIKIMI_DEMO_SITE_PORT", str(free_port()))
    monkeypatch.setenv("JIKIMI_SMTP_FROM", "deletion-support@demo.jikimi.kr")
    monkeypatch.setenv("JIKIMI_FETCH_ALLOW_LOOPBACK", "true")


@pytest.fixture
def live_world(demo_env, tmp_path: Path, sqlite_url: str):  # type: ignore[no-untyped-def]
    from jikimi.cli.demo import seed_demo
    from jikimi.core.config import Settings
    from jikimi.core.runtime import Runtime

    settings = Settings(data_dir=tmp_path / "var", database_url=sqlite_url)
    runtime = Runtime.open(settings)
    printed = seed_demo(runtime)
    assert printed is not None
    yield runtime, {email: (password, totp) for _c, _r, email, password, totp in printed}
    runtime.close()


def _log_in(browser, server, accounts, email: str, width: int = 1280):  # type: ignore[no-untyped-def]
    page = browser.new_context(locale="ko-KR", viewport={"width": width, "height": 900}
                               ).new_page()
    password, totp = accounts[email]
    page.goto(server.url + "/login")
    page.fill("#email", email)
    page.fill("#password", password)
    if totp:
        page.fill("#totp", unused_totp_code(totp))
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/$"))
    return page


def test_start_pages_on_the_demo(browser, live_server, live_world) -> None:  # type: ignore[no-untyped-def]
    _runtime, accounts = live_world
    analyst = _log_in(browser, live_server, accounts, "analyst@demo.jikimi.kr")
    todos = analyst.locator("#todos")
    assert "승인을 기다리는 삭제 요청 초안" in todos.inner_text()
    assert analyst.locator("svg#chart-work rect[data-series='matches'][data-value]").count() == 12
    assert analyst.locator("#median").inner_text().endswith("시간")
    screenshot(analyst, "start-analyst-ko")
    click_and_wait(analyst, "li[data-todo='drafts'] a")
    assert "status=draft" in analyst.url
    click_and_wait(analyst, analyst.locator("table.takedowns tbody tr a").first)
    assert "staff:" not in analyst.locator("main").inner_text()
    analyst.context.close()

    admin = _log_in(browser, live_server, accounts, "admin@demo.jikimi.kr")
    assert admin.locator("li[data-todo='unassigned_cases']").count() == 1
    screenshot(admin, "start-admin-ko")
    admin.goto(live_server.url + "/status")
    assert admin.locator("li[data-check='mail_server'][data-state='fail']").count() == 1
    assert admin.locator("li[data-check='key_backup']").inner_text().count("jikimi keys backup")
    screenshot(admin, "status-admin-ko")
    admin.goto(live_server.url + "/status?lang=en")
    assert "Installation status" in admin.locator("h1").inner_text()
    screenshot(admin, "status-admin-en")
    admin.context.close()

    central = _log_in(browser, live_server, accounts, "central.admin@demo.jikimi.kr")
    assert "전국, 월별" in central.locator("main").inner_text()
    assert central.locator("#centres tbody tr").count() == 2
    nav = central.locator("header nav a").evaluate_all(
        "els => els.map(e => e.getAttribute('href'))")
    assert "/sources" not in nav and "/takedowns" not in nav
    for href in nav:
        if href.startswith("/") and "?" not in href:
            assert central.request.get(live_server.url + href).status == 200, href
    screenshot(central, "start-central-ko")
    central.goto(live_server.url + "/?lang=en")
    screenshot(central, "start-central-en")
    central.context.close()

    # /docs: Swagger UI from the package, under the app's own CSP
    docs = browser.new_context().new_page()
    refused: list[str] = []
    docs.on("console", lambda m: refused.append(m.text) if "Content Security" in m.text
            else None)
    outside: list[str] = []
    docs.on("request", lambda r: outside.append(r.url)
            if not r.url.startswith(live_server.url) else None)
    docs.goto(live_server.url + "/docs")
    docs.locator(".swagger-ui .info .title").wait_for()
    assert "jikimi API" in docs.locator(".swagger-ui .info .title").inner_text()
    assert refused == [] and outside == []
    screenshot(docs, "docs")
    docs.context.close()

    phone = _log_in(browser, live_server, accounts, "analyst@demo.jikimi.kr", width=390)
    screenshot(phone, "start-analyst-390")
    phone.context.close()
