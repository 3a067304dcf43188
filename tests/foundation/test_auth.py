"""Login with password and TOTP, lockout, rate limits, cookies, CSRF, sessions and tokens."""

from __future__ import annotations

import pytest
from tests.conftest import World, auth
from tests.totp_codes import unused_totp_code

from jikimi import accounts
from jikimi.core.actors import cli_actor


def login(client, member, totp: str | None = None, password: str | None = None):  # type: ignore[no-untyped-def]
    body = {"email": member.email, "password": password or member.password}
    if totp is not None:
        body["totp"] = totp
    return client.post("/api/v1/auth/login", json=body)


def test_counsellor_logs_in_with_secure_cookie(client, world: World) -> None:  # type: ignore[no-untyped-def]
    response = login(client, world.staff["counsellor_a"])
    assert response.status_code == 200, response.text
    cookie = response.headers["set-cookie"]
    assert "jikimi_session=" in cookie and "HttpOnly" in cookie
    assert "samesite=strict" in cookie.lower()
    assert "secure" not in cookie.lower().replace("samesite", "")  # plain http here
    me = client.get("/api/v1/auth/me")
    assert me.json()["email"] == world.staff["counsellor_a"].email


def test_cookie_is_secure_over_tls(app, world: World) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    with TestClient(app, base_url="https://testserver") as tls:
        response = login(tls, world.staff["counsellor_a"])
    assert "; secure" in response.headers["set-cookie"].lower()


def test_admin_needs_totp(client, world: World) -> None:  # type: ignore[no-untyped-def]
    admin = world.staff["admin_a"]
    first = login(client, admin)
    assert first.status_code == 401 and first.json()["error"]["code"] == "totp_required"
    wrong = login(client, admin, totp="000000")
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "login_failed"
    assert admin.totp_secret
    ok = login(client, admin, totp=unused_totp_code(admin.totp_secret))
    assert ok.status_code == 200, ok.text


def test_optional_totp_for_counsellor(client, world: World) -> None:  # type: ignore[no-untyped-def]
    member = world.staff["counsellor_a"]
    headers = auth(member)
    setup = client.post("/api/v1/me/totp/setup", headers=headers).json()
    bad = client.post("/api/v1/me/totp/enable", json={"code": "123456"}, headers=headers)
    assert bad.status_code == 422
    good = client.post("/api/v1/me/totp/enable",
                       json={"code": unused_totp_code(setup["secret"])}, headers=headers)
    assert good.status_code == 204
    assert login(client, member).json()["error"]["code"] == "totp_required"
    assert login(client, member, totp=unused_totp_code(setup["secret"])).status_code == 200


def test_lockout_after_repeated_failures(client, world: World, runtime) -> None:  # type: ignore[no-untyped-def]
    member = world.staff["analyst_a"]
    for _ in range(runtime.settings.login_max_failures):
        assert login(client, member, password="wrong-password").status_code == 401
    locked = login(client, member)  # right password, but locked now
    assert locked.status_code == 401 and locked.json()["error"]["code"] == "account_locked"
    # failures were committed (not rolled back with the refusal) and audited
    with runtime.context(cli_actor("test")) as ctx:
        user = accounts.get_user(ctx, member.id)
        assert user.locked_until is not None
    unlock = client.post(f"/api/v1/users/{member.id}/unlock", headers=auth(world.staff["admin_a"]))
    assert unlock.status_code == 200
    assert login(client, member).status_code == 200


def test_login_rate_limit(client, world: World, runtime) -> None:  # type: ignore[no-untyped-def]
    limit = runtime.settings.login_rate_per_minute
    codes = [client.post("/api/v1/auth/login",
                         json={"email": f"nobody{i}@test.invalid", "password": "x"}).status_code
             for i in range(limit + 2)]
    assert codes[:limit] == [401] * limit
    assert codes[-1] == 429


def test_unknown_account_same_error(client, world: World) -> None:  # type: ignore[no-untyped-def]
    unknown = client.post("/api/v1/auth/login",
                          json={"email": "ghost@test.invalid", "password": "whatever-123"})
    known = login(client, world.staff["analyst_b"], password="whatever-123")
    assert unknown.status_code == known.status_code == 401
    assert unknown.json()["error"] == known.json()["error"]


def test_csrf_required_for_cookie_sessions(client, world: World) -> None:  # type: ignore[no-untyped-def]
    csrf = login(client, world.staff["counsellor_a"]).json()["csrf_token"]
    refused = client.post("/api/v1/cases", json={"channel": "web"})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "csrf_failed"
    forged = client.post("/api/v1/cases", json={"channel": "web"},
                         headers={"X-CSRF-Token": "0" * 64})
    assert forged.status_code == 403
    ok = client.post("/api/v1/cases", json={"channel": "web"}, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 201
    # reads need no token
    assert client.get("/api/v1/cases").status_code == 200


def test_logout_revokes_session(client, world: World) -> None:  # type: ignore[no-untyped-def]
    response = login(client, world.staff["counsellor_a"])
    csrf = response.json()["csrf_token"]
    token = response.cookies.get("jikimi_session") or client.cookies.get("jikimi_session")
    assert client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    client.cookies.set("jikimi_session", token)
    assert client.get("/api/v1/auth/me").status_code == 401


@pytest.mark.parametrize("cookie", ["", "jks_forged", "x" * 5000, "jks_\x00"])
def test_forged_session_cookie(client, world: World, cookie: str) -> None:  # type: ignore[no-untyped-def]
    client.cookies.set("jikimi_session", cookie.replace("\x00", ""))
    response = client.get("/api/v1/cases")
    assert response.status_code == 401


def test_expired_session(client, world: World, runtime) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    from sqlalchemy import update

    login(client, world.staff["counsellor_a"])
    with runtime.sessions() as session, session.begin():
        session.execute(update(accounts.StaffSession).values(
            expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))
    assert client.get("/api/v1/cases").status_code == 401


@pytest.mark.parametrize("header", ["Bearer", "Bearer jkt_nope", "Basic abc", "Token x",
                                    "Bearer " + "a" * 3000])
def test_bad_tokens(client, world: World, header: str) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/cases", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json()["error"]["code"] in ("bad_token", "not_authenticated")


def test_token_lifecycle(client, world: World) -> None:  # type: ignore[no-untyped-def]
    member = world.staff["investigator_a"]
    created = client.post("/api/v1/me/tokens", json={"name": "script"}, headers=auth(member))
    secret = created.json()["secret"]
    token_id = created.json()["token"]["id"]
    bearer = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/auth/me", headers=bearer).status_code == 200
    listed = client.get("/api/v1/me/tokens", headers=bearer).json()
    assert secret not in str(listed)
    assert client.delete(f"/api/v1/me/tokens/{token_id}", headers=bearer).status_code == 204
    assert client.get("/api/v1/auth/me", headers=bearer).status_code == 401
    # another user's token id is not yours
    other = client.delete(f"/api/v1/me/tokens/{token_id}", headers=auth(world.staff["admin_a"]))
    assert other.status_code == 404


def test_deactivated_user_loses_access(client, world: World) -> None:  # type: ignore[no-untyped-def]
    member = world.staff["analyst_a"]
    r = client.patch(f"/api/v1/users/{member.id}", json={"active": False},
                     headers=auth(world.staff["admin_a"]))
    assert r.status_code == 200
    assert client.get("/api/v1/cases", headers=auth(member)).status_code == 401
    assert login(client, member).status_code == 401


def test_passwords_stored_as_argon2(runtime, world: World) -> None:  # type: ignore[no-untyped-def]
    with runtime.context(cli_actor("test")) as ctx:
        user = accounts.get_user(ctx, world.staff["analyst_a"].id)
        assert user.password_hash.startswith("$argon2id$")
        assert world.staff["analyst_a"].password not in user.password_hash


def test_token_last_used_is_written_at_most_once_a_minute(client, runtime, world: World) -> None:  # type: ignore[no-untyped-def]
    """A token's last use shows in its list, written on the first call and again only once
    it is a minute old (not a write per request: the audit log has every call)."""
    import datetime as dt

    from sqlalchemy import update

    from jikimi.accounts.models import ApiToken
    from jikimi.accounts.service import TOKEN_LAST_USED_RESOLUTION

    member = world.staff["analyst_a"]

    def last_used() -> str | None:
        response = client.get("/api/v1/me/tokens", headers=auth(member))
        assert response.status_code == 200, response.text
        tokens = response.json()
        return tokens[0]["last_used_at"]

    first = last_used()
    assert first is not None
    assert last_used() == first  # a second later call writes nothing
    earlier = dt.datetime.now(dt.UTC) - TOKEN_LAST_USED_RESOLUTION - dt.timedelta(seconds=5)
    with runtime.sessions() as session, session.begin():
        session.execute(update(ApiToken).values(last_used_at=earlier))
    moved = last_used()
    assert moved is not None and moved != first
    assert dt.datetime.fromisoformat(moved) > earlier + dt.timedelta(seconds=4)
