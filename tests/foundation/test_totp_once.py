"""A TOTP code is accepted once: a login (API or web form) or an enrolment records the code's
time step, and a code of that step or an earlier one is refused afterwards exactly like a
wrong code (the audit says which). The pure step matching is tested on its own."""

from __future__ import annotations

import base64
import datetime as dt
import json
import threading
from pathlib import Path

import pyotp
import sqlalchemy as sa
from alembic import command
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from tests.conftest import World, auth
from tests.foundation.test_auth import login

from jikimi import accounts
from jikimi.accounts.administration import reset_totp
from jikimi.accounts.http import ANONYMOUS
from jikimi.accounts.models import StaffUser
from jikimi.core.actors import cli_actor
from jikimi.core.audit import AuditEntry
from jikimi.core.database import _alembic_config, upgrade_database
from jikimi.core.runtime import Runtime
from jikimi.core.security import TOTP_STEP_SECONDS, totp_step, totp_step_at

# RFC 6238, appendix B (SHA-1): the secret "12345678901234567890"; at T=59 s (step 1) the
# 8-digit code is 94287082, at T=1111111109 s (step 37037036) 07081804; six digits are the
# last six.
RFC_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"


def at(seconds: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.UTC)


def code_for(secret: str, step: int) -> str:
    return str(pyotp.TOTP(secret).generate_otp(step))


# --- the pure step matching ------------------------------------------------------------------
def test_rfc_6238_vectors() -> None:
    assert totp_step(RFC_SECRET, "287082", at(59)) == 1
    assert totp_step(RFC_SECRET, "081804", at(1111111109)) == 37037036
    assert totp_step(RFC_SECRET, " 081 804 ", at(1111111109)) == 37037036
    # one step of drift either side, not two
    assert totp_step(RFC_SECRET, "287082", at(35)) == 1
    assert totp_step(RFC_SECRET, "287082", at(89)) == 1
    assert totp_step(RFC_SECRET, "287082", at(90)) is None
    # once step 1 is used, its code is not accepted again, nor any older one
    assert totp_step(RFC_SECRET, "287082", at(59), after_step=1) is None
    assert totp_step(RFC_SECRET, "287082", at(59), after_step=2) is None
    assert totp_step(RFC_SECRET, "287082", at(59), after_step=0) == 1


@given(secret=st.binary(min_size=20, max_size=20).map(
           lambda b: base64.b32encode(b).decode().rstrip("=")),
       seconds=st.integers(min_value=TOTP_STEP_SECONDS * 2, max_value=2**33),
       offset=st.sampled_from([-1, 0, 1]),
       last=st.one_of(st.none(), st.integers(min_value=-3, max_value=3)))
def test_a_code_matches_its_step_once(secret: str, seconds: int, offset: int,
                                      last: int | None) -> None:
    now = at(seconds)
    step = totp_step_at(now) + offset
    last_step = None if last is None else step + last
    code = code_for(secret, step)
    found = totp_step(secret, code, now, after_step=last_step)
    if last_step is None or step > last_step:
        # its own step (or, should the code also be a later step's, that later one)
        assert found is not None and step <= found <= totp_step_at(now) + 1
    else:
        # refused, unless the same six digits happen to be a later step's code too
        assert found is None or (found > last_step and code_for(secret, found) == code)
    if found is not None:
        assert code_for(secret, found) == code and abs(found - totp_step_at(now)) <= 1


@given(code=st.text(max_size=12))
def test_what_is_not_six_digits_never_matches(code: str) -> None:
    if len(code.strip().replace(" ", "")) == 6 and code.strip().replace(" ", "").isdigit():
        return
    assert totp_step(RFC_SECRET, code, at(59)) is None


# --- through the doors -----------------------------------------------------------------------
def _last_step(runtime: Runtime, user_id: int) -> int | None:
    with runtime.sessions() as session:
        user = session.get(StaffUser, user_id)
        assert user is not None
        return user.totp_last_step


def _failure_reasons(runtime: Runtime, user_id: int) -> list[str]:
    with runtime.sessions() as session:
        return [json.loads(e.details)["reason"] for e in session.scalars(
            select(AuditEntry).where(AuditEntry.action == "auth.login_failed",
                                     AuditEntry.record_id == str(user_id))
            .order_by(AuditEntry.seq))]


def test_a_code_logs_in_once_through_the_api(client: TestClient, runtime: Runtime,
                                             world: World) -> None:
    admin = world.staff["admin_a"]
    assert admin.totp_secret
    step = totp_step_at(dt.datetime.now(dt.UTC))
    code, later = code_for(admin.totp_secret, step), code_for(admin.totp_secret, step + 1)
    assert login(client, admin, totp=code).status_code == 200
    assert _last_step(runtime, admin.id) == step
    replayed = login(client, admin, totp=code)
    wrong = login(client, admin, totp=str((int(code) + 1) % 1_000_000).zfill(6))
    assert replayed.status_code == wrong.status_code == 401
    assert replayed.json() == wrong.json()  # the caller cannot tell a replay from a typo
    assert replayed.json()["error"]["code"] == "login_failed"
    # a later step's code still logs in; after it, the earlier step's code no longer does
    assert login(client, admin, totp=later).status_code == 200
    assert _last_step(runtime, admin.id) == step + 1
    assert login(client, admin, totp=code).status_code == 401
    assert _failure_reasons(runtime, admin.id) == [
        "bad_totp_replayed", "bad_totp", "bad_totp_replayed"]


def test_replays_count_towards_the_lockout(client: TestClient, runtime: Runtime,
                                           world: World) -> None:
    admin = world.staff["admin_b"]
    assert admin.totp_secret
    code = code_for(admin.totp_secret, totp_step_at(dt.datetime.now(dt.UTC)))
    assert login(client, admin, totp=code).status_code == 200
    answers = [login(client, admin, totp=code) for _ in range(runtime.settings.login_max_failures)]
    assert [a.json()["error"]["code"] for a in answers][-1] == "login_failed"
    locked = login(client, admin, totp=code_for(
        admin.totp_secret, totp_step_at(dt.datetime.now(dt.UTC)) + 1))
    assert locked.status_code == 401 and locked.json()["error"]["code"] == "account_locked"
    assert _failure_reasons(runtime, admin.id)[-1] == "bad_totp_replayed+locked"


def test_a_code_logs_in_once_through_the_web_form(app, world: World) -> None:  # type: ignore[no-untyped-def]
    admin = world.staff["central_admin"]
    assert admin.totp_secret
    code = code_for(admin.totp_secret, totp_step_at(dt.datetime.now(dt.UTC)))
    form = {"email": admin.email, "password": admin.password, "totp": code}
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as browser:
        assert browser.post("/login", data=form).status_code == 303
        browser.cookies.clear()
        again = browser.post("/login", data=form)
    assert again.status_code == 401 and "jikimi_session" not in again.headers.get(
        "set-cookie", "")
    assert "이메일, 비밀번호 또는 인증 코드가 맞지 않습니다." in again.text


def test_the_code_that_enables_totp_cannot_log_in(client: TestClient, runtime: Runtime,
                                                  world: World) -> None:
    member = world.staff["counsellor_a"]
    setup = client.post("/api/v1/me/totp/setup", headers=auth(member)).json()
    step = totp_step_at(dt.datetime.now(dt.UTC))
    code = code_for(setup["secret"], step)
    assert client.post("/api/v1/me/totp/enable", json={"code": code},
                       headers=auth(member)).status_code == 204
    assert _last_step(runtime, member.id) == step
    assert login(client, member, totp=code).status_code == 401
    assert login(client, member, totp=code_for(setup["secret"], step + 1)).status_code == 200


def test_a_totp_reset_clears_the_step(runtime: Runtime, world: World) -> None:
    admin = world.staff["admin_a"]
    assert admin.totp_secret
    now = dt.datetime.now(dt.UTC)
    with runtime.context(ANONYMOUS) as ctx:
        result = accounts.login(ctx, admin.email, admin.password,
                                code_for(admin.totp_secret, totp_step_at(now)))
        assert isinstance(result, accounts.LoginResult)
    assert _last_step(runtime, admin.id) == totp_step_at(now)
    with runtime.context(cli_actor("test")) as ctx:
        reset = reset_totp(ctx, admin.id)
    assert reset.secret and _last_step(runtime, admin.id) is None


def test_two_logins_with_one_code_at_once_one_wins(client: TestClient, runtime: Runtime,
                                                   world: World) -> None:
    """The second waits for the first's lock on the account, then finds the step used."""
    admin = world.staff["admin_a"]
    assert admin.totp_secret
    code = code_for(admin.totp_secret, totp_step_at(dt.datetime.now(dt.UTC)))
    answers = []
    started = threading.Event()

    def second() -> None:
        started.wait(10)
        answers.append(login(client, admin, totp=code))

    thread = threading.Thread(target=second)
    thread.start()
    with runtime.context(ANONYMOUS) as ctx:
        first = accounts.login(ctx, admin.email, admin.password, code)
        started.set()
        thread.join(0.7)
        assert thread.is_alive()  # waits for the account's row (or the writer's turn)
    thread.join(30)
    assert isinstance(first, accounts.LoginResult)
    [answer] = answers
    assert answer.status_code == 401 and answer.json()["error"]["code"] == "login_failed"


# --- the migration ---------------------------------------------------------------------------
def test_migration_0017_adds_an_empty_last_step(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    upgrade_database(url, "0016")
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO centres (id, name, is_central, created_at) VALUES "
                             "(1, 'A', 1, '2026-01-01 00:00:00')"))
        conn.execute(sa.text(
            "INSERT INTO staff_users (id, centre_id, email, display_name, role, password_hash, "
            "totp_enabled, active, failed_logins, created_at) VALUES (1, 1, 'a@b.invalid', "
            "'', 'admin', 'x', 1, 1, 0, '2026-01-01 00:00:00')"))
    upgrade_database(url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT totp_last_step FROM staff_users")).all() == [(None,)]
    command.downgrade(_alembic_config(url), "0016")
    assert "totp_last_step" not in {c["name"] for c in sa.inspect(engine).get_columns(
        "staff_users")}
    engine.dispose()


def test_the_column_is_there_on_every_backend(runtime: Runtime) -> None:
    """Every database test starts from a database migrated to the head, on each backend."""
    columns = {c["name"]: c for c in sa.inspect(runtime.engine).get_columns("staff_users")}
    assert columns["totp_last_step"]["nullable"]
