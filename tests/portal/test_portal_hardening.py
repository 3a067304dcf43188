"""Issue 13: the portal's forms post (no secret in a URL, a log or a Referer), status and
erasure work without JavaScript, and a stranger's wrong guesses never lock a victim out."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from tests.conftest import World
from tests.portal.test_portal_api import open_case

from jikimi.cases.victim_guard import VictimAttemptGuard
from jikimi.errors import RateLimited

PAGES = ["/portal", "/portal/register", "/portal/new", "/portal/faces", "/portal/status"]


def test_every_portal_form_posts(portal_client) -> None:  # type: ignore[no-untyped-def]
    """The finding: the forms had no ``method``, so without JavaScript the browser sent the
    case code and secret as a GET query string (URL, history, access log, Referer)."""
    seen = 0
    for path in PAGES:
        page = portal_client.get(path)
        assert page.status_code == 200
        assert page.headers["referrer-policy"] == "no-referrer"
        for form in re.findall(r"<form\b[^>]*>", page.text):
            seen += 1
            assert re.search(r'method="post"', form, re.I), (path, form)
            action = re.search(r'action="([^"]*)"', form)
            assert action and action.group(1).startswith("/portal/") and "?" not in action.group(1)
    assert seen >= 3


def test_status_and_erasure_without_javascript(portal_client, world: World) -> None:  # type: ignore[no-untyped-def]
    code, secret = open_case(portal_client, world)
    wrong = portal_client.post("/portal/status", data={"code": code, "secret": "AAAA-BBBB-CCCC"},
                               headers={"Accept-Language": "en"})
    assert wrong.status_code == 401
    assert "The case code or secret is not right" in wrong.text or "not right" in wrong.text
    shown = portal_client.post("/portal/status", data={"code": code, "secret": secret},
                               headers={"Accept-Language": "en"})
    assert shown.status_code == 200, shown.text[:500]
    assert code in shown.text and 'id="case-result"' in shown.text
    assert secret not in shown.text  # the secret is never echoed into the page
    assert shown.headers["referrer-policy"] == "no-referrer"
    unconfirmed = portal_client.post("/portal/erase", data={"code": code, "secret": secret},
                                     headers={"Accept-Language": "en"})
    assert "Tick the box to confirm." in unconfirmed.text
    assert 'id="case-result"' not in unconfirmed.text
    erased = portal_client.post("/portal/erase",
                                data={"code": code, "secret": secret, "confirm": "yes"},
                                headers={"Accept-Language": "en"})
    assert erased.status_code == 200 and "Your data has been erased." in erased.text
    after = portal_client.post("/api/v1/victim/case", json={"code": code, "secret": secret})
    assert after.status_code in (200, 401)
    if after.status_code == 200:
        assert after.json()["erased"] is True


def test_picture_forms_without_javascript_send_nothing(portal_client, world: World) -> None:  # type: ignore[no-untyped-def]
    code, secret = open_case(portal_client, world)
    for path in ("/portal/register", "/portal/faces"):
        page = portal_client.post(path, data={"code": code, "secret": secret, "files": "a.jpg"},
                                  headers={"Accept-Language": "en"})
        assert page.status_code == 200
        assert "This page needs JavaScript" in page.text
    status = portal_client.post("/api/v1/victim/fingerprints/status",
                                json={"code": code, "secret": secret})
    assert status.json()["fingerprints"] == 0


def test_strangers_guesses_do_not_lock_her_out(app, world: World) -> None:  # type: ignore[no-untyped-def]
    """The finding: wrong guesses on a case from anywhere locked the case itself (10 per five
    minutes, renewable by the stranger for ever). Now strangers slow down, she does not."""
    with TestClient(app) as victim:
        code, secret = open_case(victim, world)
        refused = 0
        for n in range(3):
            with TestClient(app, client=(f"203.0.113.{n + 1}", 40000)) as stranger:
                for i in range(12):
                    guess = stranger.post("/api/v1/victim/case",
                                          json={"code": code, "secret": f"AAAA-BBBB-{i:04d}"})
                    assert guess.status_code in (401, 429)
                    if guess.status_code == 429:
                        refused += 1
                        assert int(guess.headers["retry-after"]) >= 1
        assert refused > 0  # the strangers were slowed down
        mine = victim.post("/api/v1/victim/case", json={"code": code, "secret": secret})
        assert mine.status_code == 200, mine.text
        page = victim.post("/portal/status", data={"code": code, "secret": secret})
        assert page.status_code == 200


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_guard_delays_grow_are_capped_and_lift() -> None:
    clock = Clock()
    guard = VictimAttemptGuard(address_free=3, address_cap=30, case_free=4, case_cap=8,
                               clock=clock)
    for _ in range(3):
        guard.check("stranger", "DSC-2026-000001")
        guard.failed("stranger", "DSC-2026-000001")
    waits = []
    for _ in range(8):
        wait = guard.wait_seconds("stranger", "DSC-2026-000001")
        waits.append(wait)
        with pytest.raises(RateLimited) as refused:
            guard.check("stranger", "DSC-2026-000001")
        assert refused.value.details["retry_after"] >= 1
        clock.now += wait
        guard.check("stranger", "DSC-2026-000001")
        guard.failed("stranger", "DSC-2026-000001")
    assert waits == sorted(waits) and waits[0] < waits[-1] == 30  # growing, capped
    # the case has many failures, but her address never failed on it: no wait at all
    assert guard.wait_seconds("her", "dsc-2026-000001") == 0
    # she mistypes once: she waits at most the case's cap, then gets in
    guard.failed("her", "DSC-2026-000001")
    assert 0 < guard.wait_seconds("her", "DSC-2026-000001") <= 8
    clock.now += 8
    guard.check("her", "DSC-2026-000001")
    guard.succeeded("her", "DSC-2026-000001")
    assert guard.wait_seconds("her", "DSC-2026-000001") == 0
    # an hour without failures forgets the stranger too
    clock.now += 3601
    assert guard.wait_seconds("stranger", "DSC-2026-000001") == 0
