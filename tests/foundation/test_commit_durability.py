"""``JIKIMI_COMMIT_DURABILITY``: one setting, the same promise on SQLite and PostgreSQL, for
every connection that commits (the runtime's sessions, the audit writer's thread and its
event-loop groups), read back from the database itself."""

from __future__ import annotations

from typing import Any

import pytest
from tests.conftest import run_async

from jikimi.core.actors import Actor, ActorKind
from jikimi.core.audit import audit_key, verify_chain
from jikimi.core.audit_writer import AuditWriter
from jikimi.core.config import Settings
from jikimi.core.runtime import Runtime

PARTNER = Actor(kind=ActorKind.PARTNER, id=3, label="Platform D")
SQLITE_LEVEL = {"disk": 2, "process": 1}  # PRAGMA synchronous: FULL, NORMAL
POSTGRES_SETTING = {"disk": "on", "process": "off"}


def _session_setting(runtime: Runtime) -> Any:
    with runtime.sessions() as session:
        if runtime.engine.dialect.name == "sqlite":
            return session.connection().exec_driver_sql("PRAGMA synchronous").scalar()
        return session.connection().exec_driver_sql("SHOW synchronous_commit").scalar()


@pytest.mark.parametrize("durability", ["disk", "process"])
def test_every_committing_connection_has_the_setting(settings: Settings, durability: str
                                                     ) -> None:
    runtime = Runtime.open(settings.model_copy(update={"commit_durability": durability}))
    try:
        sqlite = runtime.engine.dialect.name == "sqlite"
        expected = SQLITE_LEVEL[durability] if sqlite else POSTGRES_SETTING[durability]
        assert _session_setting(runtime) == expected
        writer = AuditWriter(runtime.sessions, audit_key(runtime.keys.signing_secret),
                             durability=durability)  # type: ignore[arg-type]
        try:
            writer.write(PARTNER, "partner.lookup", "partner", 3)  # the writer thread
            conn = writer._conn
            assert conn is not None
            query = "PRAGMA synchronous" if sqlite else "SHOW synchronous_commit"
            assert conn.exec_driver_sql(query).scalar() == expected
            conn.rollback()
            if not sqlite:  # the event loop's own connection
                seen: list[str] = []

                async def scenario() -> None:
                    await writer.write_async(PARTNER, "partner.lookup", "partner", 3)
                    appender = next(iter(writer._appenders.values()))
                    assert appender._conn is not None
                    cursor = await appender._conn.execute("SHOW synchronous_commit")
                    row = await cursor.fetchone()
                    assert row is not None
                    seen.append(row[0])

                run_async(scenario())
                assert seen == [expected]
        finally:
            writer.close()
        with runtime.sessions() as session:
            assert verify_chain(session, audit_key(runtime.keys.signing_secret)).ok
    finally:
        runtime.close()


def test_the_default_is_disk_and_serving_follows_the_settings(settings: Settings) -> None:
    """A serving process's hot path (its audit groups) commits as the installation says."""
    from fastapi import FastAPI

    from jikimi.api.serving import start_serving

    assert Settings().commit_durability == "disk"
    runtime = Runtime.open(settings.model_copy(update={"commit_durability": "process"}))
    serving = start_serving(FastAPI(), runtime, settings.resolved_data_dir / "index")
    try:
        assert serving.hot_path.audit._durability == "process"
    finally:
        serving.stop()
        runtime.close()


def test_a_wrong_value_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JIKIMI_COMMIT_DURABILITY", "sometimes")
    with pytest.raises(ValueError, match="commit_durability"):
        Settings()
