"""Fixtures of the portal tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def portal_client(app):  # type: ignore[no-untyped-def]
    """A test client of the whole app (the portal router is mounted by create_app)."""
    from fastapi.testclient import TestClient

    with TestClient(app, base_url="http://testserver") as c:
        yield c
