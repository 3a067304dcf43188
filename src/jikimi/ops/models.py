"""Tables of the installation's own health: processes' heartbeats and key-file backups."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from jikimi.core.database import Base, UtcDateTime, utcnow


class ServiceHeartbeat(Base):
    """The last sign of life of a long-running process (``worker``), one row per name."""

    __tablename__ = "service_heartbeats"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    host: Mapped[str] = mapped_column(String(200))
    pid: Mapped[int] = mapped_column(Integer)
    beat_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    started_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)


class KeyBackup(Base):
    """A copy of the key file an operator made (``jikimi keys backup``): when, by whom,
    where to, and the SHA-256 of what was copied (never the keys)."""

    __tablename__ = "key_backups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    made_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    made_by: Mapped[str] = mapped_column(String(120))
    path: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
