"""Small fixes of issue 15: /docs served from the package (no CDN, passes the CSP)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient


def test_docs_come_from_the_package(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(s.startswith("/") for s in sources), sources
    assert "cdn" not in page.text.lower() and "<script>" not in page.text
    for source in sources:
        asset = client.get(source)
        assert asset.status_code == 200 and len(asset.content) > 100, source
    assert "SwaggerUIBundle" in client.get("/docs/init.js").text
    csp = page.headers.get("content-security-policy", "")
    assert "script-src 'self'" in csp
