"""The generated authorisation matrix (issue 13).

Every route of the application (every operation of the OpenAPI schema and every staff page)
has a row in ``ROUTES``: which resource its record id names, or why it names none. A route
added without a row fails ``test_every_route_has_a_row``.

Then records are made in one centre through each door (the CLI acting for the centre, the
JSON API, the staff web pages and the victim portal) and every operation that names a record
is tried, with a valid body, by every role of every *other* centre: each must answer 403 or
404 (what the table in docs/access.md says for another centre), except where the table
grants the other centre something (central admins count banks). The owning centre's roles
get what the table says on the reads.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from tests.conftest import World, auth
from tests.review.test_pages import session_for
from tests.scans.conftest import Media, Site, encode, scene
from typer.testing import CliRunner

from jikimi.core.actors import Role
from jikimi.core.authorization import RULES, Action, Relation, ResourceType

R = ResourceType


@dataclass(frozen=True)
class Row:
    """What a route's record id names: a resource type, or ``kind`` for routes that name no
    centre-owned record (``list``: filtered by the module; ``create``; ``self``: the caller's
    own; ``national``; ``public``/``victim``/``partner``: other doors; ``account``: staff
    accounts and centres, whose rules are the accounts capability's)."""

    resource: ResourceType | None = None
    kind: str = "record"
    action: Action | None = None
    """The action the table must allow (default: READ for GET, WRITE otherwise)."""


def rec(resource: ResourceType, action: Action | None = None) -> Row:
    return Row(resource, "record", action)


LIST, CREATE, SELF, NATIONAL = Row(kind="list"), Row(kind="create"), Row(kind="self"), \
    Row(kind="national")
PUBLIC, VICTIM, PARTNER, ACCOUNT = Row(kind="public"), Row(kind="victim"), \
    Row(kind="partner"), Row(kind="account")
SUBSCRIPTION = Row(R.BANK, "subscription")  # a bank's exchange subscription (bank's centre)

ROUTES: dict[str, Row] = {
    # system, accounts, me
    "GET /api/v1/health": PUBLIC, "GET /api/v1/audit/verify": ACCOUNT,
    "POST /api/v1/auth/login": PUBLIC, "POST /api/v1/auth/logout": SELF,
    "GET /api/v1/auth/me": SELF, "POST /api/v1/me/password": SELF,
    "POST /api/v1/me/totp/setup": SELF, "POST /api/v1/me/totp/enable": SELF,
    "GET /api/v1/me/tokens": SELF, "POST /api/v1/me/tokens": SELF,
    "DELETE /api/v1/me/tokens/{token_id}": Row(kind="token"),
    "GET /api/v1/centres": ACCOUNT, "POST /api/v1/centres": ACCOUNT,
    "GET /api/v1/users": ACCOUNT, "POST /api/v1/users": ACCOUNT,
    "GET /api/v1/users/{user_id}": ACCOUNT, "PATCH /api/v1/users/{user_id}": ACCOUNT,
    "POST /api/v1/users/{user_id}/unlock": ACCOUNT,
    "POST /api/v1/users/{user_id}/password-reset": ACCOUNT,
    # cases
    "GET /api/v1/cases": LIST, "POST /api/v1/cases": CREATE, "GET /api/v1/cases/search": LIST,
    "GET /api/v1/cases/{code}": rec(R.CASE), "GET /api/v1/cases/{code}/timeline": rec(R.CASE),
    "POST /api/v1/cases/{code}/status": rec(R.CASE),
    "POST /api/v1/cases/{code}/assignments": rec(R.CASE),
    "DELETE /api/v1/cases/{code}/assignments/{user_id}": rec(R.CASE),
    "POST /api/v1/cases/{code}/pick-up": rec(R.CASE),
    "POST /api/v1/cases/{code}/hand-over": rec(R.CASE),
    "GET /api/v1/cases/{code}/notes": rec(R.CASE), "POST /api/v1/cases/{code}/notes": rec(R.CASE),
    "GET /api/v1/cases/{code}/consents": rec(R.CASE),
    "POST /api/v1/cases/{code}/consents": rec(R.CASE),
    "POST /api/v1/cases/{code}/erase": rec(R.CASE), "GET /api/v1/stats": LIST,
    "POST /api/v1/victim/case": VICTIM, "POST /api/v1/victim/erase": VICTIM,
    "POST /api/v1/victim/consents": VICTIM,
    # banks and matching
    "POST /api/v1/hash": PUBLIC, "POST /api/v1/match": LIST, "GET /api/v1/banks": LIST,
    "POST /api/v1/banks": CREATE, "GET /api/v1/banks/{name}": rec(R.BANK, Action.COUNT),
    "GET /api/v1/banks/{name}/entries": rec(R.BANK_ENTRY),
    "GET /api/v1/banks/{name}/pictures": rec(R.BANK_ENTRY),
    "POST /api/v1/banks/{name}/entries": rec(R.BANK_ENTRY),
    "POST /api/v1/banks/{name}/files": rec(R.BANK_ENTRY),
    "DELETE /api/v1/bank-entries/{entry_id}": rec(R.BANK_ENTRY),
    # sources and scans
    "GET /api/v1/sources": LIST, "POST /api/v1/sources": CREATE,
    "POST /api/v1/sources/{source_id}/scans": rec(R.SOURCE), "POST /api/v1/reports": CREATE,
    "GET /api/v1/scans": LIST, "GET /api/v1/scans/{scan_id}": rec(R.SCAN),
    "POST /api/v1/sources/uploads": CREATE,
    # faces
    "POST /api/v1/cases/{code}/faces": rec(R.CASE),
    "DELETE /api/v1/cases/{code}/faces": rec(R.CASE),
    "POST /api/v1/faces/search": LIST,
    # review
    "GET /api/v1/review": LIST, "POST /api/v1/review/bulk": LIST,
    "POST /api/v1/review/assign": LIST, "GET /api/v1/review/{match_id}": rec(R.MATCH),
    "GET /api/v1/review/{match_id}/preview": rec(R.MATCH),
    "POST /api/v1/review/{match_id}/preview/unblurred": rec(R.MATCH, Action.READ),
    "POST /api/v1/review/{match_id}/confirm": rec(R.MATCH),
    "POST /api/v1/review/{match_id}/reject": rec(R.MATCH),
    "POST /api/v1/review/{match_id}/release": rec(R.MATCH),
    # portal
    "POST /api/v1/victim/cases": VICTIM, "POST /api/v1/victim/fingerprints": VICTIM,
    "POST /api/v1/victim/fingerprints/status": VICTIM,
    "POST /api/v1/victim/sharing/withdraw": VICTIM,
    "POST /api/v1/victim/faces/consent": VICTIM, "POST /api/v1/victim/faces/withdraw": VICTIM,
    "POST /api/v1/victim/faces": VICTIM, "POST /api/v1/cases/{code}/fingerprints": rec(R.CASE),
    "GET /portal": PUBLIC, "GET /portal/register": PUBLIC, "GET /portal/new": PUBLIC,
    "GET /portal/faces": PUBLIC, "GET /portal/status": PUBLIC, "POST /portal/status": PUBLIC,
    "GET /portal/static/{name}": PUBLIC, "POST /portal/erase": PUBLIC,
    "POST /portal/faces": PUBLIC, "POST /portal/register": PUBLIC, "POST /portal/consent": VICTIM,
    # takedowns
    "GET /api/v1/takedowns": LIST, "GET /api/v1/takedowns/statistics": LIST,
    "GET /api/v1/takedowns/statistics.csv": LIST,
    "GET /api/v1/takedowns/{request_id}": rec(R.TAKEDOWN),
    "POST /api/v1/takedowns/{request_id}/send": rec(R.TAKEDOWN),
    "POST /api/v1/takedowns/{request_id}/preview": rec(R.TAKEDOWN, Action.READ),
    "PUT /api/v1/takedowns/{request_id}/notice": rec(R.TAKEDOWN),
    "POST /api/v1/takedowns/{request_id}/approve": rec(R.TAKEDOWN),
    "POST /api/v1/takedowns/{request_id}/mark-sent": rec(R.TAKEDOWN),
    "POST /api/v1/takedowns/{request_id}/transition": rec(R.TAKEDOWN),
    "POST /api/v1/takedowns/{request_id}/verify": rec(R.TAKEDOWN),
    "GET /api/v1/platforms": NATIONAL, "GET /api/v1/platforms/{platform_id}": NATIONAL,
    "PATCH /api/v1/platforms/{platform_id}": NATIONAL,
    "DELETE /api/v1/platforms/{platform_id}/edit": NATIONAL,
    # partners
    "GET /api/v1/partner/public-key": PARTNER, "GET /api/v1/partner/hashes": PARTNER,
    "POST /api/v1/partner/lookup": PARTNER, "POST /api/v1/partner/feedback": PARTNER,
    "GET /api/v1/stopncii/FetchHashes": PARTNER, "POST /api/v1/stopncii/SubmitFeedback": PARTNER,
    "POST /api/v1/stopncii/SubmitHashes": PARTNER, "GET /api/v1/partners": NATIONAL,
    "POST /api/v1/partners": NATIONAL, "POST /api/v1/partners/{name}/rotate": NATIONAL,
    "POST /api/v1/partners/{name}/disable": NATIONAL,
    "POST /api/v1/partner-keys/{key_id}/revoke": NATIONAL,
    "GET /api/v1/partners/statistics": LIST,
    "GET /api/v1/cases/{code}/partner-feedback": rec(R.PARTNER_REPORT),
    "GET /api/v1/partners/subscriptions": LIST, "POST /api/v1/partners/subscriptions": CREATE,
    "POST /api/v1/partners/subscriptions/{name}/fetch": SUBSCRIPTION,
    # evidence
    "GET /api/v1/cases/{code}/evidence": rec(R.EVIDENCE),
    "POST /api/v1/cases/{code}/evidence": rec(R.EVIDENCE),
    "POST /api/v1/matches/{match_id}/evidence": rec(R.MATCH, Action.READ),
    "POST /api/v1/cases/{code}/evidence/package": rec(R.EVIDENCE),
    "GET /api/v1/evidence/{item_id}": rec(R.EVIDENCE),
    "GET /api/v1/evidence/{item_id}/custody": rec(R.EVIDENCE),
    "GET /api/v1/evidence/{item_id}/preview": rec(R.EVIDENCE),
    "POST /api/v1/evidence/{item_id}/unblur": rec(R.EVIDENCE),
    "POST /api/v1/evidence/{item_id}/content": rec(R.EVIDENCE),
    "POST /api/v1/evidence/{item_id}/destroy": rec(R.EVIDENCE),
    # investigation
    "GET /api/v1/investigation/linkage": LIST, "GET /api/v1/investigation/linkage/export": LIST,
    "GET /api/v1/investigation/cases/{code}/linkage": rec(R.CASE),
    "GET /api/v1/investigation/cases/{code}/linkage/export": rec(R.CASE),
    "GET /api/v1/investigation/cases/{code}/documents/{kind}": rec(R.CASE),
    # staff pages
    "GET /": SELF, "GET /login": PUBLIC, "POST /login": PUBLIC, "POST /logout": SELF,
    "GET /cases": LIST, "GET /cases/new": CREATE, "POST /cases/new": CREATE,
    "GET /cases/{code}": rec(R.CASE), "POST /cases/{code}/status": rec(R.CASE),
    "POST /cases/{code}/notes": rec(R.CASE), "GET /cases/{code}/consents": rec(R.CASE),
    "POST /cases/{code}/consents": rec(R.CASE), "POST /cases/{code}/close": rec(R.CASE),
    "POST /cases/{code}/pick-up": rec(R.CASE), "POST /cases/{code}/assign": rec(R.CASE),
    "POST /cases/{code}/unassign/{user_id}": rec(R.CASE),
    "POST /cases/{code}/hand-over": rec(R.CASE), "POST /cases/{code}/erase": rec(R.CASE),
    "GET /account": SELF, "POST /account/password": SELF, "POST /account/totp/enable": SELF,
    "POST /account/totp/setup": SELF, "GET /status": SELF, "GET /docs": PUBLIC,
    "GET /docs/init.js": PUBLIC, "GET /sources/new": CREATE, "POST /sources/new": CREATE,
    "GET /banks": LIST, "POST /banks": CREATE,
    "GET /banks/{name}": rec(R.BANK, Action.COUNT),  # entries only to readers
    "POST /banks/{name}/files": rec(R.BANK_ENTRY), "GET /match": LIST, "POST /match": LIST,
    "GET /sources": LIST, "POST /sources/{source_id}/scan": rec(R.SOURCE),
    "GET /scans/{scan_id}": rec(R.SCAN), "GET /scans/{scan_id}/status": rec(R.SCAN),
    "GET /faces": LIST, "POST /faces": LIST, "POST /cases/{code}/faces": rec(R.CASE),
    "GET /review": LIST, "POST /review/bulk": LIST, "GET /review/{match_id}": rec(R.MATCH),
    "GET /review/{match_id}/preview": rec(R.MATCH),
    "POST /review/{match_id}/unblur": rec(R.MATCH, Action.READ),
    "POST /review/{match_id}/decide": rec(R.MATCH),
    "POST /review/{match_id}/assign": rec(R.MATCH),
    "GET /takedowns": LIST, "GET /takedowns/overdue-banner": LIST,
    "GET /takedowns/statistics": LIST, "GET /takedowns/statistics.csv": LIST,
    "GET /takedowns/platforms": NATIONAL, "GET /takedowns/platforms/{platform_id}": NATIONAL,
    "POST /takedowns/platforms/{platform_id}": NATIONAL,
    "GET /takedowns/{request_id}": rec(R.TAKEDOWN),
    "POST /takedowns/{request_id}/preview": rec(R.TAKEDOWN, Action.READ),
    "POST /takedowns/{request_id}/notice": rec(R.TAKEDOWN),
    "POST /takedowns/{request_id}/approve": rec(R.TAKEDOWN),
    "POST /takedowns/{request_id}/mark-sent": rec(R.TAKEDOWN),
    "POST /takedowns/{request_id}/transition": rec(R.TAKEDOWN),
    "POST /takedowns/{request_id}/verify": rec(R.TAKEDOWN),
    "GET /partners": NATIONAL, "POST /partners": NATIONAL,
    "POST /partners/{name}/rotate": NATIONAL, "POST /partners/{name}/disable": NATIONAL,
    "POST /partners/keys/{key_id}/revoke": NATIONAL,
    "POST /partners/subscriptions/{name}/fetch": SUBSCRIPTION,
    "GET /partners/cases/{code}/feedback": rec(R.PARTNER_REPORT),
    "GET /cases/{code}/evidence": rec(R.EVIDENCE), "POST /cases/{code}/evidence": rec(R.EVIDENCE),
    "POST /matches/{match_id}/evidence": rec(R.MATCH, Action.READ),
    "POST /cases/{code}/evidence/package": rec(R.EVIDENCE),
    "GET /evidence/{item_id}": rec(R.EVIDENCE), "GET /evidence/{item_id}/preview.png":
        rec(R.EVIDENCE), "POST /evidence/{item_id}/unblur": rec(R.EVIDENCE),
    "POST /evidence/{item_id}/content": rec(R.EVIDENCE),
    "POST /evidence/{item_id}/destroy": rec(R.EVIDENCE),
    "GET /investigation": LIST, "GET /investigation/cases/{code}": rec(R.CASE),
    "GET /investigation/export": LIST, "GET /investigation/cases/{code}/export": rec(R.CASE),
    "GET /investigation/cases/{code}/documents/{kind}": rec(R.CASE),
    "GET /admin/users": ACCOUNT, "POST /admin/users": ACCOUNT,
    "GET /admin/users/{user_id}": ACCOUNT, "POST /admin/users/{user_id}/role": ACCOUNT,
    "POST /admin/users/{user_id}/name": ACCOUNT, "POST /admin/users/{user_id}/deactivate":
        ACCOUNT, "POST /admin/users/{user_id}/reactivate": ACCOUNT,
    "POST /admin/users/{user_id}/unlock": ACCOUNT, "POST /admin/users/{user_id}/password":
        ACCOUNT, "POST /admin/users/{user_id}/totp": ACCOUNT,
    "GET /admin/centres": ACCOUNT, "POST /admin/centres": ACCOUNT,
    "POST /admin/centres/{centre_id}/rename": ACCOUNT,
    "POST /admin/centres/{centre_id}/central": ACCOUNT,
    "GET /subscriptions": LIST, "POST /subscriptions": CREATE,
    "POST /subscriptions/{name}/fetch": SUBSCRIPTION,
}


def app_routes(app: Any) -> Iterator[tuple[str, APIRoute]]:
    """Every (METHOD path, route) of the application, through included routers."""
    def walk(routes: list[Any]) -> Iterator[APIRoute]:
        for route in routes:
            if hasattr(route, "original_router"):
                yield from walk(route.original_router.routes)
            elif isinstance(route, APIRoute):
                yield route

    for route in walk(app.routes):
        for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
            yield f"{method} {route.path}", route


def test_every_route_has_a_row(app: Any) -> None:
    seen = dict(app_routes(app))
    missing = sorted(set(seen) - set(ROUTES))
    assert not missing, ("routes without a row in tests/access/test_authorisation_matrix.py "
                         f"ROUTES (classify them, and load their records through "
                         f"jikimi.core.authorization): {missing}")
    for key, row in ROUTES.items():
        if key not in seen:
            continue
        has_record = "{" in key.split(" ", 1)[1] and row.kind not in (
            "public", "national", "account", "token")
        if has_record:
            assert row.resource is not None, key


# --- records made through each door ----------------------------------------------------------
@dataclass
class Door:
    name: str
    centre_id: int
    code: str
    bank: str
    entry_id: int
    source_id: int | None
    scan_id: int | None
    match_ids: list[int] = field(default_factory=list)
    request_id: int | None = None
    evidence_id: int | None = None


def _cli(env: dict[str, str], *args: str) -> str:
    from jikimi.cli.app import app as cli_app

    result = CliRunner().invoke(cli_app, list(args), env=env, catch_exceptions=False)
    assert result.exit_code == 0, (args, result.output)
    return result.output


def _wait_scan(client: TestClient, scan_id: int, headers: dict[str, str]) -> None:
    import time

    for _ in range(600):
        body = client.get(f"/api/v1/scans/{scan_id}", headers=headers).json()
        if body["summary"]["status"] != "running":
            return
        time.sleep(0.1)
    raise AssertionError("scan did not finish")


def _matches_of_bank(client: TestClient, bank: str, headers: dict[str, str]) -> list[int]:
    return [e["match_id"] for e in client.get("/api/v1/review",
                                               headers=headers).json()
            if e["bank"] == bank]


@pytest.fixture
def doors(app: Any, client: TestClient, world: World, cli_env: dict[str, str], site: Site,
          media: Media, tmp_path: Path) -> list[Door]:
    """A case, its pictures' bank, a source, a scan and matches made through each door: the
    CLI acting for centre A, the API and the web as centre A's staff, and the portal (whose
    cases belong to the central centre)."""
    a = world.centre_a
    counsellor, analyst, admin = (auth(world.staff[k]) for k in
                                  ("counsellor_a", "analyst_a", "admin_a"))
    pictures = []
    for n, data in enumerate(media.registered):
        path = tmp_path / f"registered-{n}.png"
        path.write_bytes(data)
        pictures.append(path)
    gallery = site.url + "/gallery.html"
    made: dict[str, dict[str, Any]] = {}

    # the CLI, acting for centre A
    opened = json.loads(_cli(cli_env, "cases", "open", "--channel", "hotline", "--centre",
                             str(a), "--assign", str(world.staff["counsellor_a"].id),
                             "--format", "json"))
    _cli(cli_env, "banks", "create", "cli-bank", "--case", opened["code"])
    _cli(cli_env, "banks", "add", "cli-bank", *map(str, pictures))
    source = json.loads(_cli(cli_env, "sources", "add", "urls", "--name", "cli source",
                             "--url", gallery, "--centre", "서울센터", "--format", "json"))
    made["cli"] = {"code": opened["code"], "bank": "cli-bank", "source": source["id"]}

    # the API, as centre A's staff
    code = client.post("/api/v1/cases", json={"channel": "web"},
                       headers=counsellor).json()["case"]["code"]
    assert client.post("/api/v1/banks", json={"name": "api-bank"},
                       headers=analyst).status_code == 201
    for path in pictures:
        r = client.post("/api/v1/banks/api-bank/files", headers=analyst,
                        files={"file": (path.name, path.read_bytes(), "image/png")})
        assert r.status_code == 201, r.text
    r = client.post("/api/v1/sources", headers=analyst, json={
        "type": "urls", "name": "api source", "config": {"urls": [gallery]}})
    assert r.status_code == 201, r.text
    made["api"] = {"code": code, "bank": "api-bank", "source": r.json()["id"]}

    # the staff web pages
    web, csrf = session_for(app, world.staff["counsellor_a"])
    r = web.post("/cases/new", data={"csrf_token": csrf, "channel": "walk_in"})
    assert r.status_code == 200, r.text
    web_code = re.findall(r"DSC-\d{4}-\d{6}", r.text)[0]
    web_analyst, csrf_analyst = session_for(app, world.staff["analyst_a"])
    r = web_analyst.post("/banks", data={"csrf_token": csrf_analyst, "name": "web-bank"})
    assert r.status_code == 303, r.text
    r = web_analyst.post("/banks/web-bank/files", data={"csrf_token": csrf_analyst},
                         files={"file": ("p.png", media.registered[0], "image/png")})
    assert r.status_code in (200, 303), r.text
    made["web"] = {"code": web_code, "bank": "web-bank", "source": made["api"]["source"]}

    # the portal: a victim opens her own case and registers her pictures
    victim = client.post("/api/v1/victim/cases").json()
    submission_file = tmp_path / "submission.json"
    _cli(cli_env, "hash", "--submission", str(submission_file), "--label-names",
         str(pictures[0]))
    submission = json.loads(submission_file.read_text())
    r = client.post("/api/v1/victim/fingerprints",
                    json={**submission, "code": victim["code"], "secret": victim["secret"]})
    assert r.status_code == 201, r.text
    made["portal"] = {"code": victim["code"], "bank": f"case {victim['code']}",
                      "source": made["cli"]["source"]}

    # scans: the CLI scans its source, the API its own
    _cli(cli_env, "scan", str(made["cli"]["source"]))
    started = client.post(f"/api/v1/sources/{made['api']['source']}/scans", headers=analyst)
    assert started.status_code == 202, started.text
    _wait_scan(client, started.json()["scan_id"], analyst)
    scans = {s["source_id"]: s["scan_id"] for s in
             client.get("/api/v1/scans", headers=analyst).json()}

    out = []
    central = world.central_id
    for name, m in made.items():
        owner = central if name == "portal" else a
        owner_analyst = analyst
        bank_entries = client.get(f"/api/v1/banks/{m['bank']}/entries", headers=analyst)
        if owner == central:
            with_system = json.loads(_cli(cli_env, "banks", "entries", m["bank"], "--format",
                                          "json"))
            entry_id = with_system[0]["id"]
        else:
            assert bank_entries.status_code == 200, bank_entries.text
            entry_id = bank_entries.json()[0]["id"]
        door = Door(name, owner, m["code"], m["bank"], entry_id,
                    m["source"] if owner == a else None,
                    scans[m["source"]] if owner == a else None)
        if owner == a:
            door.match_ids = _matches_of_bank(client, m["bank"], owner_analyst)
            assert door.match_ids, f"{name}: no match on {m['bank']}"
        out.append(door)
    # a takedown draft (confirming a match) and an evidence item, at centre A
    cli_door = out[0]
    r = client.post(f"/api/v1/review/{cli_door.match_ids[0]}/confirm", json={"reason": "seen"},
                    headers=analyst)
    assert r.status_code == 200, r.text
    drafts = client.get("/api/v1/takedowns", headers=analyst).json()
    requests = drafts if isinstance(drafts, list) else drafts.get("requests", [])
    r = client.post(f"/api/v1/cases/{cli_door.code}/consents", headers=counsellor,
                    json={"purpose": "evidence_capture"})
    assert r.status_code == 200, r.text
    r = client.post(f"/api/v1/cases/{cli_door.code}/evidence", headers=admin,
                    json={"url": site.url + "/media/" + next(iter(media.copies)),
                          "reason": "record", "screenshot": False})
    assert r.status_code == 201, r.text
    evidence_id = r.json()["id"]
    for door in out:
        if door.centre_id == a:
            door.request_id = requests[0]["id"] if requests else None
            door.evidence_id = evidence_id
    return out


# --- bodies ------------------------------------------------------------------------------------
PNG = encode(scene(5), "PNG")


def _example(schema: dict[str, Any], components: dict[str, Any]) -> Any:
    if "$ref" in schema:
        return _example(components[schema["$ref"].rsplit("/", 1)[-1]], components)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"]
            return _example(options[0], components)
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        return {name: _example(props[name], components)
                for name in schema.get("required", []) if name in props}
    if kind == "array":
        return [_example(schema.get("items", {}), components)
                for _ in range(schema.get("minItems", 0))]
    if kind == "integer":
        return max(1, int(schema.get("minimum", 1)))
    if kind == "number":
        return 1
    if kind == "boolean":
        return False
    if schema.get("format") == "email":
        return "someone@example.org"
    if schema.get("format") in ("uri", "url") or "url" in schema.get("title", "").lower():
        return "https://example.org/x.jpg"
    return "a reason long enough" [:max(schema.get("maxLength", 40), 1)]


def _api_request(openapi: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    if f"{method} {path}" in API_BODIES:
        return API_BODIES[f"{method} {path}"]
    operation = openapi["paths"][path][method.lower()]
    components = openapi.get("components", {}).get("schemas", {})
    body = operation.get("requestBody", {}).get("content", {})
    if "application/json" in body:
        return {"json": _example(body["application/json"]["schema"], components)}
    if "multipart/form-data" in body:
        schema = body["multipart/form-data"]["schema"]
        if "$ref" in schema:
            schema = components[schema["$ref"].rsplit("/", 1)[-1]]
        props = schema.get("properties", {})
        files: list[tuple[str, Any]] = []
        data = {}
        for name in schema.get("required", []):
            prop = props.get(name, {})
            if "binary" in json.dumps(prop) or "octet-stream" in json.dumps(prop):
                files.append((name, ("x.png", PNG, "image/png")))
            else:
                data[name] = _example(prop, components)
        return {"data": data, "files": files or [("file", ("x.png", PNG, "image/png"))]}
    return {}


def _web_request(key: str, route: APIRoute, csrf: str) -> dict[str, Any]:
    from fastapi import UploadFile

    data: dict[str, Any] = {"csrf_token": csrf}
    files = {}
    for param in route.dependant.body_params:
        annotation = param.field_info.annotation
        if annotation is UploadFile or "UploadFile" in str(annotation):
            files[param.alias] = ("x.png", PNG, "image/png")
        elif param.alias != "csrf_token" and param.field_info.is_required():
            data[param.alias] = "1" if annotation is int else "a reason"
    data.update(WEB_FIELDS.get(key, {}))
    return {"data": data, "files": files} if files else {"data": data}


# --- the matrix ----------------------------------------------------------------------------
# Values a generated body cannot guess (patterns, values checked before the record is).
FINGERPRINT_ITEM = {"sha256": "a" * 64, "md5": "b" * 32, "pdq": "c" * 64, "quality": 100}
API_BODIES: dict[str, dict[str, Any]] = {
    "POST /api/v1/cases/{code}/fingerprints": {"json": {"items": [FINGERPRINT_ITEM]}},
}
WEB_FIELDS: dict[str, dict[str, str]] = {
    "POST /takedowns/{request_id}/transition": {"status": "refused"},
}


def _fill(path: str, door: Door, world: World) -> str | None:
    values: dict[str, Any] = {
        "code": door.code, "name": door.bank, "entry_id": door.entry_id,
        "source_id": door.source_id, "scan_id": door.scan_id,
        "match_id": door.match_ids[0] if door.match_ids else None,
        "request_id": door.request_id, "item_id": door.evidence_id,
        "user_id": world.staff["counsellor_a"].id, "kind": "complaint-evidence-list",
    }
    needed = re.findall(r"{(\w+)}", path)
    if any(values.get(p) is None for p in needed):
        return None
    return path.format(**{p: values[p] for p in needed})


STAFF_ROLES = ["counsellor", "analyst", "investigator", "admin"]


def _other_centre_staff(world: World, owner: int) -> list[str]:
    return [k for k, m in world.staff.items() if m.centre_id != owner]


def _expect_other(row: Row, role: str, method: str) -> set[int]:
    """403/404, unless the table gives another centre something (central admins' counts)."""
    action = row.action or (Action.READ if method == "GET" else Action.WRITE)
    assert row.resource is not None
    cell = RULES[row.resource][Role(role)][Relation.OTHER]
    if action in cell.actions:
        return {200}
    return {403, 404}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_other_centres_get_403_or_404_on_every_record_route(
        app: Any, client: TestClient, world: World, doors: list[Door]) -> None:
    openapi = client.get("/openapi.json").json()
    sessions = {k: session_for(app, m, totp=m.totp_secret is not None and
                               m.role in ("admin", "central_admin"))
                for k, m in world.staff.items()}
    failures: list[str] = []
    tried = 0
    for key, route in sorted(app_routes(app), key=lambda kv: kv[0]):
        row = ROUTES.get(key, Row(kind="unclassified"))  # test_every_route_has_a_row fails
        if row.kind not in ("record",) or row.resource is None:
            continue
        method, path = key.split(" ", 1)
        for door in doors:
            url = _fill(path, door, world)
            if url is None:
                continue
            for staff_key in _other_centre_staff(world, door.centre_id):
                member = world.staff[staff_key]
                expected = _expect_other(row, member.role, method)
                if path.startswith("/api/"):
                    response = client.request(method, url, headers=auth(member),
                                              **_api_request(openapi, method, path))
                else:
                    web, csrf = sessions[staff_key]
                    extra = _web_request(key, route, csrf) if method != "GET" else {}
                    response = web.request(method, url, **extra)
                tried += 1
                if response.status_code not in expected:
                    failures.append(f"{door.name}: {key} as {staff_key} -> "
                                    f"{response.status_code} {response.text[:160]}")
    assert tried > 500
    print(f"authorisation matrix: {tried} requests by other centres' roles")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_owning_centre_reads_what_the_table_says(
        app: Any, client: TestClient, world: World, doors: list[Door]) -> None:
    """Centre A's roles on the reads of A's records made through each door: allowed cells
    without a per-record condition answer 200; empty cells 403 or 404."""
    failures = []
    for key, _route in app_routes(app):
        row = ROUTES.get(key, Row(kind="unclassified"))
        method, path = key.split(" ", 1)
        if method != "GET" or row.kind != "record" or row.resource is None \
                or not path.startswith("/api/") or row.resource is R.CASE:
            continue
        action = row.action or Action.READ
        for door in doors:
            if door.centre_id != world.centre_a:
                continue
            url = _fill(path, door, world)
            if url is None:
                continue
            for role in STAFF_ROLES:
                cell = RULES[row.resource][Role(role)][Relation.SAME]
                if cell.when:
                    continue
                member = world.staff[f"{role}_a"]
                status = client.get(url, headers=auth(member)).status_code
                ok = status == 200 if action in cell.actions else status in (403, 404)
                if not ok:
                    failures.append(f"{door.name}: {key} as {role}_a -> {status}")
    assert not failures, "\n".join(failures)
