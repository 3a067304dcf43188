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
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
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
