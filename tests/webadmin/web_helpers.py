"""Logging in through the staff login form, as a browser does, for page tests."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from tests.conftest import StaffMember
from tests.totp_codes import unused_totp_code

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def web_login(client: TestClient, member: StaffMember, password: str | None = None,
              totp_secret: str | None = None) -> str:
    """Log in through the login form; returns the page's CSRF token."""
    client.cookies.clear()
    secret = totp_secret or member.totp_secret
    form = {"email": member.email, "password": password or member.password,
            "totp": unused_totp_code(secret) if secret else ""}
    response = client.post("/login", data=form, follow_redirects=False)
    assert response.status_code == 303, response.text
    page = client.get("/cases")
    assert page.status_code == 200
    match = CSRF.search(page.text)
    assert match
    return match.group(1)
