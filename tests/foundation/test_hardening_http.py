"""Issue 13: the web service's own protections: the decode budget answers 503 with
Retry-After (never an out-of-memory kill), body limits per route answer 413, HSTS over
HTTPS (directly or from a trusted proxy), no Referer anywhere."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from tests.conftest import World, auth

from jikimi.core.runtime import Runtime
from jikimi.hashing import decode as decode_module
from jikimi.hashing.decode import MB


def png_bytes() -> bytes:
    img = Image.linear_gradient("L").resize((640, 480)).convert("RGB")
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def small_budget(runtime: Runtime) -> Iterator[None]:
    """The app will configure a 32 MB budget; the default comes back afterwards."""
    runtime.settings.decode_memory_mb = 32
    runtime.settings.decode_wait_seconds = 0.2
    yield
    decode_module.configure_decode_budget(decode_module.DEFAULT_DECODE_MEMORY_MB)


def test_over_budget_upload_gets_503_with_retry_after(runtime: Runtime, world: World,
                                                      small_budget: None) -> None:
    from jikimi.api.app import create_app

    app = create_app(runtime=runtime)
    budget = decode_module.decode_budget()
    assert budget.limit == 32 * MB
    member = world.staff["analyst_a"]
    holding, release = threading.Event(), threading.Event()

    def busy_elsewhere() -> None:
        with budget.reserve(30 * MB):
            holding.set()
            release.wait(20)

    thread = threading.Thread(target=busy_elsewhere)
    thread.start()
    try:
        assert holding.wait(10)
        with TestClient(app) as client:
            refused = client.post("/api/v1/hash", headers=auth(member),
                                  files={"file": ("p.png", png_bytes(), "image/png")})
            assert refused.status_code == 503, refused.text
            assert refused.json()["error"]["code"] == "decode_busy"
            assert int(refused.headers["retry-after"]) >= 1
            release.set()
            thread.join(10)
            ok = client.post("/api/v1/hash", headers=auth(member),
                             files={"file": ("p.png", png_bytes(), "image/png")})
            assert ok.status_code == 200, ok.text
    finally:
        release.set()
        thread.join(10)
    assert budget.used == 0


def test_body_limits_per_route(client, world: World) -> None:  # type: ignore[no-untyped-def]
    member = world.staff["counsellor_a"]
    # a face photo route takes about 25 MB, not the 200 MB media uploads take
    declared = client.post("/api/v1/victim/faces", content=b"x" * 10,
                           headers={"Content-Length": str(26 * 1024 * 1024),
                                    "Content-Type": "image/jpeg", "X-Case-Code": "DSC-2026-000001",
                                    "X-Case-Secret": "AAAA-BBBB-CCCC-DDDD"})
    assert declared.status_code == 413
    assert declared.json()["error"]["code"] == "body_too_large"

    def chunks() -> Iterator[bytes]:
        for _ in range(27):
            yield b"\0" * (1024 * 1024)

    streamed = client.post("/api/v1/victim/faces", content=chunks(),
                           headers={"Content-Type": "image/jpeg",
                                    "X-Case-Code": "DSC-2026-000001",
                                    "X-Case-Secret": "AAAA-BBBB-CCCC-DDDD"})
    assert streamed.status_code == 413
    staff_declared = client.post("/api/v1/faces/search", headers={
        **auth(member), "Content-Length": str(26 * 1024 * 1024),
        "Content-Type": "multipart/form-data; boundary=x"}, content=b"--x--")
    assert staff_declared.status_code == 413
    # JSON endpoints take 1 MB (the victims' fingerprints included)
    big_json = client.post("/api/v1/victim/fingerprints", content=b"{" + b" " * 1_100_000,
                           headers={"Content-Type": "application/json"})
    assert big_json.status_code == 413


def test_hsts_only_over_https(app, world: World, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    with TestClient(app, base_url="http://testserver") as plain:
        response = plain.get("/api/v1/health")
        assert "strict-transport-security" not in response.headers
        assert response.headers["referrer-policy"] == "no-referrer"
        spoofed = plain.get("/api/v1/health", headers={"X-Forwarded-Proto": "https"})
        assert "strict-transport-security" not in spoofed.headers  # not from a trusted proxy
    with TestClient(app, base_url="https://testserver") as tls:
        assert "max-age=" in tls.get("/portal").headers["strict-transport-security"]


def test_hsts_from_a_trusted_proxy(runtime: Runtime, world: World) -> None:
    from jikimi.api.app import create_app

    runtime.settings.trusted_proxies = "10.0.0.5"
    app = create_app(runtime=runtime)
    with TestClient(app, client=("10.0.0.5", 5000)) as proxied:
        forwarded = proxied.get("/api/v1/health", headers={"X-Forwarded-Proto": "https"})
        assert "strict-transport-security" in forwarded.headers
        assert "strict-transport-security" not in proxied.get("/api/v1/health").headers
