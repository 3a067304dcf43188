"""Schemathesis against the OpenAPI schema (bounded), and hand-written hostile requests.

Every response must be a clear 4xx (or success), never a 500, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from tests.conftest import World, auth


def _token_for(path: str, world: World) -> str:
    if path.startswith(("/api/v1/users", "/api/v1/centres", "/api/v1/stats")):
        return world.staff["central_admin"].token
    if path.startswith("/api/v1/audit"):
        return world.staff["admin_a"].token
    return world.staff["counsellor_a"].token


ERROR_STATUSES = {"401", "403", "404", "409", "422", "429"}


def test_every_operation_documents_its_errors(app) -> None:  # type: ignore[no-untyped-def]
    """401/403/404/409/422/429 on every operation, 413 where a body is sent, 503 where media
    are decoded, each with the one error body (issue 13)."""
    schema = app.openapi()
    assert "ErrorBody" in schema["components"]["schemas"]
    operations = 0
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            operations += 1
            statuses = set(operation["responses"])
            assert ERROR_STATUSES <= statuses, (method, path, statuses)
            assert not any(s.startswith("5") and s != "503" for s in statuses), (method, path)
            if method in ("post", "put", "patch"):
                assert "413" in statuses, (method, path)
            for status in ERROR_STATUSES:
                content = operation["responses"][status]["content"]["application/json"]
                assert content["schema"] == {"$ref": "#/components/schemas/ErrorBody"}
    assert operations >= 25
    assert "503" in schema["paths"]["/api/v1/hash"]["post"]["responses"]


def test_no_server_errors(app, world: World) -> None:  # type: ignore[no-untyped-def]
    """Every operation in the OpenAPI schema, with generated (valid and invalid) input: never
    a 5xx, never a status code the schema does not document, and bodies as documented."""
    app.state.login_limiter.limit = 10**9
    app.state.victim_limiter.limit = 10**9
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 25

    failures: list[str] = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=8, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def exercise(case) -> None:  # type: ignore[no-untyped-def]
            headers = {"Authorization": f"Bearer {_token_for(case.path, world)}"}
            response = case.call(headers=headers)
            case.validate_response(response, checks=[
                not_a_server_error, status_code_conformance, response_schema_conformance,
                content_type_conformance])

        try:
            exercise()
        except Exception as exc:  # collect every operation's failure, then report them all
            failures.append(f"{operation.method.upper()} {operation.path}: "
                            f"{str(exc).strip().splitlines()[:12]}")
    assert not failures, "\n".join(failures)


HOSTILE_BODIES = [
    b"",
    b"{",
    b"null",
    b"[]",
    b'"string"',
    b'{"channel": 5}',
    b'{"channel": "carrier-pigeon"}',
    b'{"channel": "web", "unexpected": 1}',
    b'{"channel": "web", "name": "' + b"x" * 5000 + b'"}',
    b'{"channel": "web", "phone": "\\u0000\\u0000"}',
    b'{"channel": "web", "name": "\\u0000"}',
    b'{"channel": "web", "email": "not-an-email"}',
    b'{"channel": "web", "assign_to": [99999999999999999999]}',
    b'{"channel": "web", "centre_id": -1}',
    b"\xff\xfe\x00garbage",
]


@pytest.mark.parametrize("body", HOSTILE_BODIES)
def test_hostile_case_bodies(client, world: World, body: bytes) -> None:  # type: ignore[no-untyped-def]
    headers = {**auth(world.staff["counsellor_a"]), "Content-Type": "application/json"}
    before = client.get("/api/v1/cases", headers=headers).json()
    response = client.post("/api/v1/cases", content=body, headers=headers)
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["error"]["code"]
    assert client.get("/api/v1/cases", headers=headers).json() == before


def test_oversized_body_refused(client, world: World) -> None:  # type: ignore[no-untyped-def]
    headers = {**auth(world.staff["counsellor_a"]), "Content-Type": "application/json"}
    big = b'{"channel": "web", "name": "' + b"a" * 2_000_000 + b'"}'
    response = client.post("/api/v1/cases", content=big, headers=headers)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "body_too_large"


def test_wrong_content_type(client, world: World) -> None:  # type: ignore[no-untyped-def]
    headers = {**auth(world.staff["counsellor_a"]), "Content-Type": "text/plain"}
    response = client.post("/api/v1/cases", content=b"channel=web", headers=headers)
    assert response.status_code == 422


def test_errors_follow_accept_language(client, world: World) -> None:  # type: ignore[no-untyped-def]
    headers = auth(world.staff["counsellor_a"], lang="ko")
    ko = client.get("/api/v1/cases/DSC-2026-999999", headers=headers)
    assert ko.json()["error"]["message"] == "찾을 수 없습니다."
    en = client.get("/api/v1/cases/DSC-2026-999999", headers=auth(world.staff["counsellor_a"]))
    assert en.json()["error"]["message"] == "no case DSC-2026-999999"
    invalid = client.post("/api/v1/cases", json={"channel": "x"}, headers=headers)
    assert invalid.status_code == 422
    assert invalid.json()["error"]["message"].startswith("요청이 올바르지 않습니다")
    assert invalid.json()["error"]["fields"][0]["loc"] == ["body", "channel"]


@pytest.mark.parametrize("path", ["/api/v1/cases/DSC-2026-%00", "/api/v1/users/99999999999999",
                                  "/api/v1/users/-1", "/api/v1/cases/" + "A" * 500,
                                  "/api/v1/nothing-here"])
def test_odd_paths(client, world: World, path: str) -> None:  # type: ignore[no-untyped-def]
    response = client.get(path, headers=auth(world.staff["admin_a"]))
    assert 400 <= response.status_code < 500
