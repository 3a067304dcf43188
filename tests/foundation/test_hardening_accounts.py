"""Issue 13: who may change whose account, what a password change or reset ends, and that a
lockout answers the same for an address with and without an account."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from tests.conftest import StaffMember, World, auth
from tests.totp_codes import unused_totp_code
from typer.testing import CliRunner

from jikimi import accounts
from jikimi.core.actors import Role, cli_actor


def _login(client: TestClient, email: str, password: str, totp: str | None = None):  # type: ignore[no-untyped-def]
    body = {"email": email, "password": password}
    if totp:
        body["totp"] = totp
    return client.post("/api/v1/auth/login", json=body)


def _central_centre_admin(runtime, world: World) -> StaffMember:  # type: ignore[no-untyped-def]
    """An ordinary (centre) admin who works at the central centre."""
    with runtime.context(cli_actor("test")) as ctx:
        central = accounts.resolve_centre(ctx.session, world.central_id)
        created = accounts.add_user(ctx, "admin_central@test.invalid", Role.ADMIN, central)
        user = accounts.get_user(ctx, created.user.id)
        _row, token = accounts.create_api_token(ctx, user, "tests")
    return StaffMember(created.user.id, created.user.email, "admin", world.central_id,
                       created.password, created.totp_secret, token)


def test_centre_admin_cannot_change_the_central_admin(client, world: World, runtime) -> None:  # type: ignore[no-untyped-def]
    """The finding: a centre admin (here of the central centre itself) deactivated and demoted
    the central admin. Only a central admin changes a central admin."""
    admin = _central_centre_admin(runtime, world)
    central = world.staff["central_admin"]
    for patch in ({"active": False}, {"role": "admin"}, {"display_name": "x"}):
        refused = client.patch(f"/api/v1/users/{central.id}", json=patch, headers=auth(admin))
        assert refused.status_code == 403, (patch, refused.text)
        assert refused.json()["error"]["code"] == "central_admin_only"
    assert client.post(f"/api/v1/users/{central.id}/unlock",
                       headers=auth(admin)).status_code == 403
    assert client.post(f"/api/v1/users/{central.id}/password-reset",
                       headers=auth(admin)).status_code == 403
    # another centre's admin may not either
    assert client.patch(f"/api/v1/users/{central.id}", json={"active": False},
                        headers=auth(world.staff["admin_a"])).status_code == 403
    me = client.get("/api/v1/auth/me", headers=auth(central))
    assert me.status_code == 200 and me.json()["role"] == "central_admin"
    # nor make anyone a central admin
    assert client.patch(f"/api/v1/users/{world.staff['analyst_a'].id}",
                        json={"role": "central_admin"},
                        headers=auth(world.staff["admin_a"])).status_code in (403, 422)
    # the centre admin still manages her own centre's other accounts
    created = client.post("/api/v1/users", json={"email": "new@test.invalid",
                                                 "role": "counsellor"}, headers=auth(admin))
    assert created.status_code == 201
    assert client.patch(f"/api/v1/users/{created.json()['user']['id']}",
                        json={"active": False}, headers=auth(admin)).status_code == 200
    # and a central admin changes what she must
    assert client.patch(f"/api/v1/users/{admin.id}", json={"display_name": "관리자"},
                        headers=auth(central)).status_code == 200


def test_rule_holds_in_the_service_for_every_door(runtime, world: World) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from jikimi.errors import Forbidden

    admin = _central_centre_admin(runtime, world)
    with runtime.context(cli_actor("test")) as ctx:
        ctx.actor = accounts.actor_for(accounts.get_user(ctx, admin.id))
        with pytest.raises(Forbidden):
            accounts.update_user(ctx, world.staff["central_admin"].id, active=False)
        with pytest.raises(Forbidden):
            accounts.reset_password(ctx, world.staff["central_admin"].id)


def test_password_change_ends_other_sessions_and_tokens(app, world: World) -> None:  # type: ignore[no-untyped-def]
    member = world.staff["counsellor_a"]
    with TestClient(app) as here, TestClient(app) as elsewhere:
        csrf = _login(here, member.email, member.password).json()["csrf_token"]
        assert _login(elsewhere, member.email, member.password).status_code == 200
        assert elsewhere.get("/api/v1/auth/me").status_code == 200
        assert here.get("/api/v1/auth/me", headers=auth(member)).status_code == 200
        changed = here.post("/api/v1/me/password", headers={"X-CSRF-Token": csrf},
                            json={"current_password": member.password,
                                  "new_password": "a-brand-new-password"})
        assert changed.status_code == 204, changed.text
        assert here.get("/api/v1/auth/me").status_code == 200  # the session it came from
        assert elsewhere.get("/api/v1/auth/me").status_code == 401
        # personal API tokens are revoked too (docs/access.md)
        assert here.get("/api/v1/cases", headers=auth(member)).status_code == 401
        assert _login(elsewhere, member.email, "a-brand-new-password").status_code == 200


def test_password_reset_ends_every_session(app, world: World) -> None:  # type: ignore[no-untyped-def]
    member = world.staff["analyst_a"]
    with TestClient(app) as browser, TestClient(app) as admin_client:
        assert _login(browser, member.email, member.password).status_code == 200
        reset = admin_client.post(f"/api/v1/users/{member.id}/password-reset",
                                  headers=auth(world.staff["admin_a"]))
        assert reset.status_code == 200, reset.text
        new_password = reset.json()["password"]
        assert browser.get("/api/v1/auth/me").status_code == 401
        assert browser.get("/api/v1/cases", headers=auth(member)).status_code == 401
        assert _login(browser, member.email, member.password).status_code == 401
        assert _login(browser, member.email, new_password).status_code == 200


def test_cli_password_reset(cli_env: dict[str, str], world: World, runtime) -> None:  # type: ignore[no-untyped-def]
    from jikimi.cli.app import app as cli

    member = world.staff["investigator_b"]
    result = CliRunner().invoke(cli, ["users", "reset-password", str(member.id),
                                      "--format", "json"], env=cli_env)
    assert result.exit_code == 0, result.output
    password = json.loads(result.output)["password"]
    with runtime.context(cli_actor("test")) as ctx:
        result_login = accounts.login(ctx, member.email, password, None)
    assert isinstance(result_login, accounts.LoginResult)


def test_lockout_answer_is_the_same_for_unknown_addresses(client, world: World, runtime) -> None:  # type: ignore[no-untyped-def]
    """The finding: after five failures a real account answered ``account_locked`` while an
    unknown address kept answering ``login_failed``: which e-mails exist was visible."""
    failures = runtime.settings.login_max_failures
    known = world.staff["analyst_b"]
    answers = {}
    for email in (known.email, "nobody@test.invalid"):
        for _ in range(failures):
            wrong = _login(client, email, "wrong-password-1")
            assert wrong.status_code == 401
            assert wrong.json()["error"]["code"] == "login_failed"
        after = _login(client, email, "wrong-password-1")
        answers[email] = (after.status_code, after.json()["error"])
    assert answers[known.email] == answers["nobody@test.invalid"]
    assert answers[known.email][1]["code"] == "account_locked"


def test_inactive_account_locks_like_the_others(client, world: World, runtime) -> None:  # type: ignore[no-untyped-def]
    member = world.staff["counsellor_b"]
    assert client.patch(f"/api/v1/users/{member.id}", json={"active": False},
                        headers=auth(world.staff["admin_b"])).status_code == 200
    for _ in range(runtime.settings.login_max_failures):
        assert _login(client, member.email, member.password).json()["error"]["code"] \
            == "login_failed"
    assert _login(client, member.email, member.password).json()["error"]["code"] \
        == "account_locked"


def test_admin_with_totp_changes_password(client, world: World) -> None:  # type: ignore[no-untyped-def]
    admin = world.staff["admin_b"]
    assert admin.totp_secret
    response = _login(client, admin.email, admin.password, unused_totp_code(admin.totp_secret))
    csrf = response.json()["csrf_token"]
    changed = client.post("/api/v1/me/password", headers={"X-CSRF-Token": csrf},
                          json={"current_password": admin.password,
                                "new_password": "another-long-password"})
    assert changed.status_code == 204
    assert client.get("/api/v1/auth/me").status_code == 200
