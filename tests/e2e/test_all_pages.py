"""Every page, every role, both languages, in Chromium: logs in as each demo role, follows
every link the role's pages offer (one page of each kind), and fails on a dead end (an error
status), a raw actor reference (``staff:4``, ``system:cli``), an untranslated message key
(``review.pending``), a CSP violation, or an axe-core violation of serious or critical impact.
The victim portal's pages too. English runs on Korean pages are listed in
test-results/all-pages-ROLE.txt for a person to read (many are data: directory notes, a
notice in the platform's language).

One browser, one page per role reused for every visit; axe-core comes from the project's
node_modules (scripts/_setup.sh installs it) and is evaluated through the DevTools protocol,
so the page's own CSP still applies to everything else."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest
from playwright.sync_api import expect
from tests.browser_fixtures import SCREENSHOTS, click_and_wait, htmx_idle, screenshot
from tests.totp_codes import unused_totp_code

from jikimi.core.locale.build import merged_messages

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
MAX_PAGES_PER_ROLE = 45
ROLES = ["counsellor", "analyst", "investigator", "admin", "central_admin"]
SKIP_PREFIXES = ("/static/", "/api/", "/logout", "/docs", "/redoc", "/openapi")
SKIP_SUFFIXES = (".csv", ".pdf", ".docx", ".zip", ".warc", ".json", ".png", ".jpg", ".svg",
                 ".graphml", ".txt", ".pem")
KEEP_QUERY_VALUES = {"type", "exchange", "kind", "tab"}
ACTOR_REF = re.compile(r"\b(?:staff:\d+|system:[a-z_]+)\b")
ENGLISH_RUN = re.compile(r"[A-Za-z][a-z]+(?:[ ,;:'’-]+[A-Za-z][a-z]*){4,}")
CSP_LISTENER = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => {
  window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' line '
                    + e.lineNumber);
});
"""
VISIBLE_TEXT = """() => {
  const skip = 'script,style,pre,code,textarea,kbd,samp,.mono,.wrap,[lang]:not(html),'
    + '[translate=no]';
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const parent = node.parentElement;
    if (!parent || parent.closest(skip)) continue;
    const text = node.textContent.trim();
    if (text) out.push(text);
  }
  return out;
}"""
AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => v.id + ' (' + v.impact + '): ' + v.help + ' — ' +
         v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '));
}"""


def axe_script() -> str:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run scripts/test (it installs axe-core with npm)")
    return AXE.read_text()


def _message_key_pattern() -> re.Pattern[str]:
    """Message keys look like ``review.pending``: their prefixes come from the catalogue."""
    korean, _english = merged_messages()
    prefixes = sorted({k.split(".")[0] for k in korean
                       if re.fullmatch(r"[a-z_]+\.[a-z0-9_.]+", k)})
    return re.compile(r"\b(?:" + "|".join(map(re.escape, prefixes)) + r")\.[a-z0-9_]+\b")


MESSAGE_KEY = _message_key_pattern()


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    visited: list[str] = field(default_factory=list)
    english: list[str] = field(default_factory=list)
    """English runs on Korean pages: often data (the platform directory's notes, JSON field
    names, a notice in the platform's language), so listed for a person to read, not failed."""

    def add(self, where: str, what: str) -> None:
        self.problems.append(f"{where}: {what}")

    def write(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        (SCREENSHOTS.parent / f"{name}.txt").write_text(
            "visited:\n" + "\n".join(self.visited) + "\n\nproblems:\n"
            + "\n".join(self.problems) + "\n\nEnglish on Korean pages (read them):\n"
            + "\n".join(sorted(set(self.english))) + "\n")


def page_kind(url: str) -> str:
    """One visit per kind of page: ids and case codes are placeholders, query parameters are
    (filters, sorting, paging show the same page) except those that choose a different form
    (``type``, ``exchange``)."""
    parts = urlsplit(url)
    path = re.sub(r"DSC-\d{4}-\d{6}", "{code}", parts.path)
    path = re.sub(r"/\d+(?=/|$)", "/{n}", path)
    path = re.sub(r"^/(takedowns/platforms|banks|partners|subscriptions)/[^/]+", r"/\1/{name}",
                  path)
    query = sorted((k, v) for k, v in parse_qsl(parts.query) if k in KEEP_QUERY_VALUES)
    return path + ("?" + urlencode(query) if query else "")


def followable(base: str, href: str | None) -> str | None:
    if not href or href.startswith(("#", "mailto:", "tel:", "javascript:")):
        return None
    absolute = httpx.URL(base).join(href)
    if f"{absolute.scheme}://{absolute.host}:{absolute.port}" != base:
        return None
    path = absolute.path
    if path.startswith(SKIP_PREFIXES) or path.endswith(SKIP_SUFFIXES):
        return None
    query = [(k, v) for k, v in parse_qsl(absolute.query.decode()) if k != "lang"]
    if any(k in ("format", "download") and v not in ("html", "") for k, v in query):
        return None  # a file, not a page
    return path + ("?" + urlencode(query) if query else "")


def check_page(page, server: str, target: str, lang: str, axe_source: str,  # type: ignore[no-untyped-def]
               report: Report, role: str) -> list[str]:
    """Visit one page in ``lang``, record what is wrong with it, return the links it offers."""
    separator = "&" if "?" in target else "?"
    where = f"{role} {lang} {target}"
    response = page.goto(f"{server}{target}{separator}lang={lang}")
    report.visited.append(where)
    if response is None:
        report.add(where, "no response")
        return []
    if response.status >= 400:
        report.add(where, f"HTTP {response.status}")
    if "text/html" not in (response.headers.get("content-type") or ""):
        return []
    if page.url.rstrip("/").endswith("/login") or "/login?" in page.url:
        report.add(where, "sent to the login page")
        return []
    inspect(page, where, target, lang, axe_source, report)
    hrefs: list[str] = page.eval_on_selector_all(
        "a[href]", "els => els.map(e => e.getAttribute('href'))")
    return [link for link in (followable(server, h) for h in hrefs) if link]


def inspect(page, where: str, target: str, lang: str, axe_source: str,  # type: ignore[no-untyped-def]
            report: Report) -> None:
    """The checks of the page as it is now (after a visit, or after a form was sent), once
    the fragments htmx loads after the page (``hx-trigger="load"``) are in."""
    htmx_idle(page)
    texts: list[str] = page.evaluate(VISIBLE_TEXT)
    visible = "\n".join(texts)
    for found in sorted(set(ACTOR_REF.findall(visible))):
        report.add(where, f"raw actor reference {found!r}")
    for found in sorted(set(MESSAGE_KEY.findall(visible))):
        report.add(where, f"untranslated message key {found!r}")
    if lang == "ko":
        for text in texts:
            for run in ENGLISH_RUN.findall(text):
                report.english.append(f"{target}: {run}")
    if lang == "ko" or target.startswith("/portal/status"):
        # axe once per page: the markup is the same in both languages (the text is checked
        # in both above)
        page.evaluate(axe_source + "\n;0")
        assert page.evaluate("typeof axe.run") == "function"
        for violation in page.evaluate(AXE_RUN):
            report.add(where, f"axe {violation}")
    for violation in page.evaluate("window.__csp || []"):
        report.add(where, f"CSP violation {violation}")


def crawl(page, server: str, start: list[str], axe_source: str, report: Report,  # type: ignore[no-untyped-def]
          role: str, scope: str = "/") -> None:
    """Breadth-first over the links the role's pages offer, one page of each kind, in
    Korean then English."""
    queue = list(start)
    kinds: set[str] = set()
    while queue and len(kinds) < MAX_PAGES_PER_ROLE:
        target = queue.pop(0)
        kind = page_kind(target)
        if kind in kinds:
            continue
        kinds.add(kind)
        links = check_page(page, server, target, "ko", axe_source, report, role)
        check_page(page, server, target, "en", axe_source, report, role)
        queue.extend(link for link in links
                     if link.startswith(scope) and page_kind(link) not in kinds)


def new_page(browser, report: Report, label: str):  # type: ignore[no-untyped-def]
    context = browser.new_context(locale="ko-KR", viewport={"width": 1280, "height": 900})
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    page.on("console", lambda msg: report.add(label, f"console: {msg.text}")
            if "Refused to" in msg.text else None)
    return context, page


@pytest.mark.parametrize("role", ROLES)
def test_every_staff_page(browser, demo_server, role: str) -> None:  # type: ignore[no-untyped-def]
    axe_source = axe_script()
    report = Report()
    email, password, totp = demo_server.accounts[role]
    context, page = new_page(browser, report, role)
    try:
        page.goto(demo_server.url + "/login")
        page.fill("#email", email)
        page.fill("#password", password)
        if totp:
            page.fill("#totp", unused_totp_code(totp))
        click_and_wait(page, "main button[type=submit]")
        assert "/login" not in page.url, page.content()[:2000]
        nav: list[str] = page.eval_on_selector_all(
            "header nav a[href]", "els => els.map(e => e.getAttribute('href'))")
        start = ["/"] + [link for link in (followable(demo_server.url, h) for h in nav)
                         if link]
        crawl(page, demo_server.url, start, axe_source, report, role)
        screenshot(page, f"all-pages-last-{role}")
    finally:
        context.close()
    report.write(f"all-pages-{role}")
    assert len(report.visited) >= 8, report.visited
    assert not report.problems, "\n".join(report.problems)


def test_every_portal_page(browser, demo_server) -> None:  # type: ignore[no-untyped-def]
    axe_source = axe_script()
    report = Report()
    context, page = new_page(browser, report, "portal")
    try:
        crawl(page, demo_server.url, ["/portal"], axe_source, report, "victim",
              scope="/portal")
        # a case of her own, then its status page (shown after the code and secret are sent)
        page.goto(demo_server.url + "/portal/new?lang=ko")
        page.click("#new-case")
        page.wait_for_selector("#new-secret:not(:empty)")
        code = page.locator("#new-code").inner_text().strip()
        secret = page.locator("#new-secret").inner_text().strip()
        for lang in ("ko", "en"):
            page.goto(f"{demo_server.url}/portal/status?lang={lang}")
            page.fill("#code", code)
            page.fill("#secret", secret)
            page.click("#status-form button[type=submit]")
            # the script shows her case in place once the centre has answered
            expect(page.locator("#case-view")).to_be_visible()
            where = f"victim {lang} /portal/status (her case)"
            report.visited.append(where)
            assert page.locator("#erase-form, #erase").count() >= 1, page.content()[:3000]
            inspect(page, where, "/portal/status", lang, axe_source, report)
    finally:
        context.close()
    report.write("all-pages-portal")
    assert len(report.visited) >= 4, report.visited
    assert not report.problems, "\n".join(report.problems)
