"""Whether a database's schema is what this version of jikimi needs.

The CLI creates the schema of an empty database on first use; a database with tables at
another revision is never changed behind the operator's back: she is told the command to run.
"""

from __future__ import annotations

from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from jikimi.core.database import _alembic_config, current_revision, make_engine, upgrade_database
from jikimi.errors import ConfigurationError


def head_revision(url: str) -> str:
    """The newest migration of this version of jikimi."""
    head = ScriptDirectory.from_config(_alembic_config(url)).get_current_head()
    assert head is not None
    return head


def ensure_schema(url: str) -> bool:
    """Migrate an empty database (returns True); pass a current one (False); refuse one at
    another revision with the command that fixes it (``ConfigurationError``)."""
    engine = make_engine(url)
    try:
        tables = set(inspect(engine).get_table_names())
        current = current_revision(engine)
    finally:
        engine.dispose()
    head = head_revision(url)
    if current == head:
        return False
    if not (tables - {"alembic_version"}) and current is None:
        upgrade_database(url)
        return True
    raise ConfigurationError(
        f"the database is at revision {current or 'none (tables without a revision)'} but this "
        f"version of jikimi needs {head}: back it up, then run `jikimi db upgrade`",
        code="database_out_of_date")
