"""Alembic environment: migrations run against the URL jikimi passes in."""

from __future__ import annotations

from alembic import context
from sqlalchemy import pool

from jikimi.core.database import make_engine
from jikimi.schema import metadata

config = context.config


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url
    engine = make_engine(url)
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:  # batch mode recreates tables: no foreign-key actions while it does (set
            # outside any transaction, where SQLite honours it)
            connection.connection.driver_connection.execute(  # type: ignore[union-attr]
                "PRAGMA foreign_keys=OFF")
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        if sqlite:
            raw = connection.connection.driver_connection
            broken = raw.execute("PRAGMA foreign_key_check").fetchall()  # type: ignore[union-attr]
            raw.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]
            if broken:
                raise RuntimeError(f"migration left rows without their parents: {broken[:5]}")
    engine.dispose()


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=metadata)
    with context.begin_transaction():
        context.run_migrations()


_ = pool
if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
