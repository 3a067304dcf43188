"""Shared fixtures: a migrated database on SQLite and on PostgreSQL, the app, staff of every
role. Database tests run once per backend (the ``backend`` parameter)."""

from __future__ import annotations

import os

os.environ.setdefault("JIKIMI_INSECURE_FAST_PASSWORD_HASHING_FOR_TESTS", "1")
import shutil
import uuid
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from jikimi.core.config import Settings
from jikimi.core.database import upgrade_database
from jikimi.core.runtime import Runtime

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
PG_URL = os.environ.get("JIKIMI_TEST_POSTGRES_URL")  # e.g. postgresql+psycopg://u@host:port/db

BACKENDS = ["sqlite", "postgresql"]


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("CI") and not PG_URL:
        raise pytest.UsageError(
            "CI runs the database tests on PostgreSQL too: set JIKIMI_TEST_POSTGRES_URL "
            "(scripts/test does)")


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    upgrade_database(f"sqlite:///{path}")
    return path


def _pg_admin_url() -> str:
    assert PG_URL
    return PG_URL.rsplit("/", 1)[0] + "/postgres"


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    if not PG_URL:
        pytest.skip("PostgreSQL not configured (JIKIMI_TEST_POSTGRES_URL)")
    import psycopg

    name = f"jikimi_tpl_{_worker()}_{uuid.uuid4().hex[:6]}"
    admin = _pg_admin_url().replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    upgrade_database(PG_URL.rsplit("/", 1)[0] + f"/{name}")
    yield name
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database for one test, on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "jikimi.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    template = request.getfixturevalue("pg_template")
    import psycopg

    name = f"jikimi_t_{uuid.uuid4().hex[:12]}"
    admin = _pg_admin_url().replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    assert PG_URL
    yield PG_URL.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(autouse=True)
def perimeter_for_tests(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Tests serve content from loopback servers and keep files under their tmp_path or
    ../shared/data: the perimeter lets both through, for settings built from the environment
    and for CLI and server subprocesses alike. Tests of the perimeter set their own values."""
    roots = f"{tmp_path}{os.pathsep}{SHARED_DATA}"
    monkeypatch.setenv("JIKIMI_FETCH_ALLOW_LOOPBACK", "true")
    monkeypatch.setenv("JIKIMI_IMPORT_ROOTS", roots)
    return roots


@pytest.fixture
def settings(tmp_path: Path, database_url: str, perimeter_for_tests: str) -> Settings:
    data_dir = tmp_path / "var"
    return Settings(data_dir=data_dir, database_url=database_url, fetch_allow_loopback=True,
                    import_roots=perimeter_for_tests)


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    rt = Runtime.open(settings)
    yield rt
    rt.close()


@pytest.fixture
def cli_env(settings: Settings, runtime: Runtime) -> dict[str, str]:
    """Environment for running the ``jikimi`` command against this test's installation."""
    return {"JIKIMI_DATA_DIR": str(settings.data_dir),
            "JIKIMI_DATABASE_URL": settings.database_url or ""}


@dataclass
class StaffMember:
    id: int
    email: str
    role: str
    centre_id: int
    password: str
    totp_secret: str | None
    token: str


@dataclass
class World:
    """Two centres with staff of every role, built through the services."""

    central_id: int
    centre_a: int
    centre_b: int
    staff: dict[str, StaffMember]


@pytest.fixture
def world(runtime: Runtime) -> World:
    return build_world(runtime)


def build_world(runtime: Runtime) -> World:
    """Centres A and B plus the central centre, with staff of every role and API tokens."""
    from jikimi import accounts
    from jikimi.core.actors import Role, cli_actor

    staff: dict[str, StaffMember] = {}
    with runtime.context(cli_actor("test")) as ctx:
        central = accounts.add_centre(ctx, "중앙센터", is_central=True)
        a = accounts.add_centre(ctx, "서울센터")
        b = accounts.add_centre(ctx, "부산센터")
        plan = [
            ("central_admin", Role.CENTRAL_ADMIN, central),
            ("admin_a", Role.ADMIN, a), ("counsellor_a", Role.COUNSELLOR, a),
            ("counsellor_a2", Role.COUNSELLOR, a), ("analyst_a", Role.ANALYST, a),
            ("investigator_a", Role.INVESTIGATOR, a),
            ("admin_b", Role.ADMIN, b), ("counsellor_b", Role.COUNSELLOR, b),
            ("analyst_b", Role.ANALYST, b), ("investigator_b", Role.INVESTIGATOR, b),
        ]
        for key, role, centre in plan:
            created = accounts.add_user(ctx, f"{key}@test.invalid", role, centre)
            staff[key] = StaffMember(created.user.id, created.user.email, role.value, centre.id,
                                     created.password, created.totp_secret, "")
        for member in staff.values():
            user = accounts.get_user(ctx, member.id)
            _row, member.token = accounts.create_api_token(ctx, user, "tests")
    return World(central.id, a.id, b.id, staff)


@pytest.fixture
def app(runtime: Runtime):  # type: ignore[no-untyped-def]
    from jikimi.api.app import create_app

    return create_app(runtime=runtime)


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    with TestClient(app, base_url="http://testserver") as c:
        yield c


def auth(member: StaffMember, lang: str = "en") -> dict[str, str]:
    return {"Authorization": f"Bearer {member.token}", "Accept-Language": lang}


pytest_plugins = ["tests.browser_fixtures"]


T = TypeVar("T")


def run_async(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(main)`` in a thread of its own: a test process may already have an event
    loop running in its main thread (Playwright's sync API keeps one for the browser tests
    that ran before in the same worker), where ``asyncio.run`` refuses to start."""
    import asyncio
    import threading

    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = asyncio.run(main)
        except BaseException as exc:  # re-raised in the test's thread
            outcome["error"] = exc

    thread = threading.Thread(target=target, name="test-event-loop")
    thread.start()
    thread.join(300)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]  # type: ignore[no-any-return]
