"""Issue 13, in Chromium with JavaScript off: the status form posts, so the case code and
secret never reach the address bar, the history or the server's access log; the case shows,
and erasure works as a plain form."""

from __future__ import annotations

import re

import pytest
from tests.portal.test_portal_browser import open_case, portal_server  # noqa: F401

pytestmark = pytest.mark.browser


def test_status_and_erasure_without_javascript(browser, portal_server, live_world) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    _runtime, world = live_world
    code, secret = open_case(portal_server.runtime, world.centre_a)
    context = browser.new_context(locale="en-GB", java_script_enabled=False)
    page = context.new_page()
    requests: list[tuple[str, str, str]] = []
    page.on("request", lambda r: requests.append((r.method, r.url, r.headers.get("referer", ""))))
    try:
        page.goto(portal_server.url + "/portal/status?lang=en")
        page.fill("#code", code)
        page.fill("#secret", secret)
        page.click("#status-form button[type=submit]")
        page.wait_for_selector("#case-result")
        assert secret not in page.url and code not in page.url
        assert page.url.endswith("/portal/status")
        assert code in page.locator("#case-result h2").inner_text()
        # erasure: the secret typed again and the confirmation ticked
        page.fill("#erase-secret", secret)
        page.check("#erase-form input[name=confirm]")
        page.click("#erase-form button[type=submit]")
        page.wait_for_url(re.compile(r".*/portal/erase$"))
        assert "Your data has been erased." in page.content()
    finally:
        context.close()
    posted = [(m, u) for m, u, _r in requests if m == "POST"]
    assert [u.rsplit("/", 2)[-2:] for _m, u in posted] == [["portal", "status"],
                                                           ["portal", "erase"]]
    for _method, url, referer in requests:
        assert secret not in url and secret not in referer
        assert code not in url
