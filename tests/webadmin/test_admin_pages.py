"""Administration in the browser's HTTP: staff accounts (create with a QR code for admins,
role, password and two-factor resets, unlock, deactivate), centres (central admin), one's own
account (password, two-factor enrolment). Every change goes through jikimi.accounts, so the
centre rule holds here as in the API."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.conftest import StaffMember, World
from tests.totp_codes import unused_totp_code
from tests.webadmin.web_helpers import web_login

from jikimi import accounts
from jikimi.accounts import StaffUser
from jikimi.core.actors import cli_actor
from jikimi.core.audit import AuditEntry
from jikimi.core.database import utcnow
from jikimi.core.runtime import Runtime


def test_admin_creates_counsellor_and_admin_with_qr(client: TestClient, world: World,
                                                   runtime: Runtime) -> None:
    admin = world.staff["admin_a"]
    csrf = web_login(client, admin)
    page = client.get("/admin/users?lang=ko")
    assert page.status_code == 200
    assert "counsellor_b@test.invalid" not in page.text  # another centre's staff
    assert "counsellor_a@test.invalid" in page.text

    created = client.post("/admin/users", data={
        "csrf_token": csrf, "email": "new.admin@test.invalid", "display_name": "김관리",
        "role": "admin"})
    assert created.status_code == 200
    assert "<svg" in created.text and 'role="img"' in created.text  # the QR code, inline
    password = re.search(r'class="code secret">([^<]+)<', created.text)
    secret = re.search(r'class="code totp-secret">([^<]+)<', created.text)
    assert password and secret
    newcomer = StaffMember(0, "new.admin@test.invalid", "admin", world.centre_a,
                           password.group(1), secret.group(1), "")
    web_login(client, newcomer)  # logs in with the TOTP code from the QR's secret
    assert "김관리" in client.get("/cases").text


def test_form_keeps_values_and_shows_error(client: TestClient, world: World) -> None:
    csrf = web_login(client, world.staff["admin_a"])
    refused = client.post("/admin/users?lang=ko", data={
        "csrf_token": csrf, "email": "not-an-address", "display_name": "박상담",
        "role": "counsellor"})
    assert refused.status_code == 422
    assert 'value="박상담"' in refused.text and 'value="not-an-address"' in refused.text
    assert 'aria-invalid="true"' in refused.text and 'role="alert"' in refused.text
    # a centre admin cannot create a central admin (the service's rule)
    refused = client.post("/admin/users", data={
        "csrf_token": csrf, "email": "boss@test.invalid", "role": "central_admin"})
    assert refused.status_code == 422
    assert 'id="role-error"' in refused.text


def test_role_password_totp_unlock_deactivate(client: TestClient, world: World,
                                             runtime: Runtime) -> None:
    admin = world.staff["admin_a"]
    counsellor = world.staff["counsellor_a"]
    csrf = web_login(client, admin)
    base = f"/admin/users/{counsellor.id}"

    # analyst instead of counsellor
    assert client.post(base + "/role", data={"csrf_token": csrf, "role": "analyst"},
                       follow_redirects=False).status_code == 303
    # admin needs TOTP first: refused, page says why
    refused = client.post(base + "/role?lang=en", data={"csrf_token": csrf, "role": "admin"})
    assert refused.status_code == 409 and "two-factor" in refused.text

    reset = client.post(base + "/password", data={"csrf_token": csrf})
    new_password = re.search(r'class="code secret">([^<]+)<', reset.text)
    assert new_password
    with runtime.sessions() as session, session.begin():
        user = session.get(StaffUser, counsellor.id)
        assert user is not None and user.role == "analyst"
        user.locked_until = utcnow() + dt.timedelta(minutes=15)  # as after 5 failed logins
    assert "Unlock" in client.get(base + "?lang=en").text
    assert client.post(base + "/unlock", data={"csrf_token": csrf},
                       follow_redirects=False).status_code == 303
    with runtime.sessions() as session:
        user = session.get(StaffUser, counsellor.id)
        assert user is not None and user.locked_until is None
    assert client.post(base + "/deactivate", data={"csrf_token": csrf},
                       follow_redirects=False).status_code == 303
    page = client.get(base + "?lang=en")
    assert "Deactivated" in page.text and "Reactivate" in page.text

    # the old password no longer works, the new one does once reactivated
    assert client.post(base + "/reactivate", data={"csrf_token": csrf},
                       follow_redirects=False).status_code == 303
    web_login(client, counsellor, password=new_password.group(1))

    with runtime.sessions() as session:
        actions = set(session.scalars(select(AuditEntry.action).where(
            AuditEntry.record_type == "user", AuditEntry.record_id == str(counsellor.id))))
    assert {"user.update", "user.password_reset", "user.unlock"} <= actions


def test_totp_reset_of_admin_shows_new_secret(client: TestClient, world: World) -> None:
    central = world.staff["central_admin"]
    admin_b = world.staff["admin_b"]
    csrf = web_login(client, central)
    reset = client.post(f"/admin/users/{admin_b.id}/totp", data={"csrf_token": csrf})
    secret = re.search(r'class="code totp-secret">([^<]+)<', reset.text)
    assert reset.status_code == 200 and secret and secret.group(1) != admin_b.totp_secret
    web_login(client, admin_b, totp_secret=secret.group(1))


def test_other_centre_and_non_admins_are_refused(client: TestClient, world: World) -> None:
    csrf = web_login(client, world.staff["admin_a"])
    other = world.staff["counsellor_b"]
    assert client.get(f"/admin/users/{other.id}").status_code == 403
    assert client.post(f"/admin/users/{other.id}/password",
                       data={"csrf_token": csrf}).status_code == 403
    central = world.staff["central_admin"]
    assert client.post(f"/admin/users/{central.id}/password",
                       data={"csrf_token": csrf}).status_code == 403
    assert client.get("/admin/centres").status_code == 403
    web_login(client, world.staff["counsellor_a"])
    assert client.get("/admin/users").status_code == 403


def test_centres_create_rename_make_central(client: TestClient, world: World,
                                           runtime: Runtime) -> None:
    central = world.staff["central_admin"]
    csrf = web_login(client, central)
    assert client.post("/admin/centres", data={"csrf_token": csrf, "name": "광주센터"},
                       follow_redirects=False).status_code == 303
    duplicate = client.post("/admin/centres?lang=ko", data={"csrf_token": csrf,
                                                            "name": "광주센터"})
    assert duplicate.status_code == 422 and 'value="광주센터"' in duplicate.text
    assert client.post(f"/admin/centres/{world.centre_b}/rename",
                       data={"csrf_token": csrf, "name": "부산해운대센터"},
                       follow_redirects=False).status_code == 303
    unconfirmed = client.post(f"/admin/centres/{world.centre_b}/central",
                              data={"csrf_token": csrf})
    assert unconfirmed.status_code == 422
    assert client.post(f"/admin/centres/{world.centre_b}/central",
                       data={"csrf_token": csrf, "confirm": "1"},
                       follow_redirects=False).status_code == 303
    page = client.get("/admin/centres?lang=ko")
    assert "부산해운대센터" in page.text
    with runtime.sessions() as session:
        moved = session.get(StaffUser, central.id)
        assert moved is not None and moved.centre_id == world.centre_b


def test_own_account_password_and_totp_enrolment(client: TestClient, world: World) -> None:
    analyst = world.staff["analyst_a"]
    csrf = web_login(client, analyst)
    wrong = client.post("/account/password", data={"csrf_token": csrf, "current": "nope",
                                                   "new": "x" * 12, "repeat": "x" * 12})
    assert wrong.status_code == 422 and 'id="current-error"' in wrong.text
    assert client.post("/account/password", data={
        "csrf_token": csrf, "current": analyst.password, "new": "long enough pw",
        "repeat": "long enough pw"}, follow_redirects=False).status_code == 303

    setup = client.post("/account/totp/setup?lang=en", data={"csrf_token": csrf})
    secret = re.search(r'class="code totp-secret">([^<]+)<', setup.text)
    assert secret and "<svg" in setup.text, (setup.status_code, setup.text[-1500:])
    typo = client.post("/account/totp/enable", data={"csrf_token": csrf, "code": "000000"})
    assert typo.status_code == 422 and secret.group(1) in typo.text  # the same QR again
    assert client.post("/account/totp/enable", data={
        "csrf_token": csrf, "code": unused_totp_code(secret.group(1))},
        follow_redirects=False).status_code == 303
    web_login(client, analyst, password="long enough pw", totp_secret=secret.group(1))


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_navigation_offers_administration_to_admins_only(client: TestClient, world: World,
                                                         lang: str) -> None:
    for key, staff_link, centres_link in [("admin_a", True, False),
                                          ("central_admin", True, True),
                                          ("counsellor_a", False, False),
                                          ("analyst_a", False, False)]:
        web_login(client, world.staff[key])
        text = client.get(f"/account?lang={lang}").text
        assert ('href="/admin/users"' in text) is staff_link, key
        assert ('href="/admin/centres"' in text) is centres_link, key


def test_bad_input_gets_a_page_not_a_500(client: TestClient, world: World) -> None:
    csrf = web_login(client, world.staff["central_admin"])
    for url in ("/admin/users/99999999999999", "/admin/users/0", "/admin/users/abc"):
        assert client.get(url).status_code == 422, url
    assert client.get("/admin/users/999999").status_code == 404
    assert client.get("/admin/users?centre=9999999999").status_code == 200
    refused = client.post("/admin/users", data={
        "csrf_token": csrf, "email": "x@test.invalid", "role": "counsellor",
        "centre": "9999999999"})
    assert refused.status_code in (404, 422)
    assert client.post("/admin/centres/99999999999999/rename",
                       data={"csrf_token": csrf, "name": "x"}).status_code == 422
    assert client.post("/admin/users", data={"csrf_token": "forged", "email": "y@test.invalid",
                                             "role": "counsellor"}).status_code == 403


def test_totp_reset_of_a_counsellor_turns_it_off(client: TestClient, world: World,
                                                 runtime: Runtime) -> None:
    counsellor = world.staff["counsellor_a"]
    with runtime.context(cli_actor("test")) as ctx:
        user = accounts.get_user(ctx, counsellor.id)
        secret, _uri = accounts.begin_totp(ctx, user)
        accounts.enable_totp(ctx, user, unused_totp_code(secret))
    csrf = web_login(client, world.staff["admin_a"])
    reset = client.post(f"/admin/users/{counsellor.id}/totp?lang=en",
                        data={"csrf_token": csrf})
    assert reset.status_code == 200 and "totp-secret" not in reset.text
    assert "turn it on again" in reset.text
    web_login(client, counsellor)  # password alone, as before she enrolled
    with runtime.sessions() as session:
        user = session.get(StaffUser, counsellor.id)
        assert user is not None and not user.totp_enabled and user.totp_secret_enc is None
