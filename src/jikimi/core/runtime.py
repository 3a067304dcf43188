"""The running installation: settings, database engine, sessions and keys, opened once."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from jikimi.core.actors import Actor
from jikimi.core.config import Settings
from jikimi.core.context import ServiceContext
from jikimi.core.database import (
    concurrent_change,
    make_engine,
    make_session_factory,
    upgrade_database,
)
from jikimi.core.permissions import secure_data_dir, sqlite_file
from jikimi.core.security import Keyring, load_or_create_keyring

log = logging.getLogger("jikimi.runtime")


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    keys: Keyring

    @classmethod
    def open(cls, settings: Settings, *, migrate: bool = False) -> Runtime:
        """Open the database and key file (creating the key file on first start)."""
        import jikimi.wiring  # noqa: F401  (connects every capability's hooks)

        secure_data_dir(settings.resolved_data_dir, sqlite_file(settings.sqlalchemy_url))
        keys = load_or_create_keyring(settings.key_file)
        if migrate:
            upgrade_database(settings.sqlalchemy_url)
        engine = make_engine(settings.sqlalchemy_url, settings.commit_durability)
        return cls(settings, engine, make_session_factory(engine), keys)

    @contextmanager
    def context(self, actor: Actor) -> Iterator[ServiceContext]:
        """A unit of work that commits on success and rolls back on any error; refused
        accesses it audited are written again, in their own transaction, after a rollback.
        A unit the database refused because another changed the same records at the same
        moment fails with :class:`~jikimi.errors.ConcurrentChange` (409 at every door)."""
        ctx: ServiceContext | None = None
        try:
            with self.sessions() as session, session.begin():
                ctx = ServiceContext(session=session, keys=self.keys, actor=actor,
                                     settings=self.settings)
                yield ctx
        except BaseException as exc:
            if ctx is not None and ctx.refusals:
                with self.sessions() as session, session.begin():
                    ctx.record_refusals_after_rollback(session)
            concurrent = concurrent_change(exc)
            if concurrent is not None:
                log.warning("a unit of work of %s lost a race: %s", actor.ref,
                            str(exc).splitlines()[0][:300])
                raise concurrent from exc
            raise

    def close(self) -> None:
        self.engine.dispose()
