"""The administrator's status page and the operations behind it.

- :func:`beat` — a long-running process (the worker) records that it is alive, each round.
- :func:`backup_keys` — copy the key file somewhere else (mode 0600), check that the copy
  loads, and record when, by whom and its SHA-256 (``jikimi keys backup``).
- :func:`system_status` — mail (sender address, mail server set and answering), worker
  heartbeat, key file, last key backup, free disk, e-mail waiting in the outbox: each a
  :class:`Check` whose ``state`` is ok, warn or fail with the facts the page words.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import smtplib
import socket
import ssl
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jikimi.core.actors import ActorKind, Role
from jikimi.core.config import Settings
from jikimi.core.context import ServiceContext
from jikimi.core.database import utcnow
from jikimi.core.runtime import Runtime
from jikimi.core.security import load_keyring
from jikimi.errors import Conflict, Forbidden, InvalidInput
from jikimi.ops.models import KeyBackup, ServiceHeartbeat

WORKER_SILENCE = dt.timedelta(minutes=5)
"""A worker silent for longer is reported as not running (it beats every round: 30–60 s)."""
LOW_DISK_FRACTION = 0.10
LOW_DISK_BYTES = 1_000_000_000
BACKUP_AGE_WARNING = dt.timedelta(days=90)


@dataclass(frozen=True)
class Check:
    """One line of the status page: ``key`` names the check, ``state`` is ok, warn or fail,
    ``reason`` says which case applies, and ``facts`` the values the sentence shows."""

    key: str
    state: str
    reason: str
    facts: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SystemStatus:
    checked_at: dt.datetime
    checks: list[Check]

    @property
    def ok(self) -> bool:
        return all(c.state == "ok" for c in self.checks)


def beat(runtime: Runtime, name: str = "worker", *, now: dt.datetime | None = None) -> None:
    """Record that the process ``name`` is alive (one row per name; its own transaction)."""
    now = now or utcnow()
    host, pid = socket.gethostname()[:200], os.getpid()
    with runtime.sessions() as session, session.begin():
        row = session.get(ServiceHeartbeat, name[:40], with_for_update=True)
        if row is None:
            session.add(ServiceHeartbeat(name=name[:40], host=host, pid=pid, beat_at=now,
                                         started_at=now))
            return
        if row.pid != pid or row.host != host:
            row.started_at = now
        row.host, row.pid, row.beat_at = host, pid, now


def _may_see(ctx: ServiceContext) -> None:
    if ctx.actor.kind is ActorKind.SYSTEM or ctx.actor.has_role(Role.ADMIN, Role.CENTRAL_ADMIN):
        return
    raise Forbidden("the installation's status is for administrators")


def backup_keys(ctx: ServiceContext, destination: Path) -> KeyBackup:
    """Copy the key file to ``destination`` (a file outside the data directory; mode 0600,
    written atomically), check that the copy loads as a key file, and record the backup.
    Whoever holds the copy can read every case's contact data: keep it offline."""
    if ctx.actor.kind is not ActorKind.SYSTEM:
        raise Forbidden("key backups are made at the server's command line")
    source = ctx.settings.key_file
    if not source.is_file():
        raise Conflict(f"there is no key file at {source} to back up", code="key_file_missing")
    target = destination.expanduser().resolve()
    data_dir = ctx.settings.resolved_data_dir
    if target == source.resolve() or target.is_relative_to(data_dir):
        raise InvalidInput(f"{target} is inside the data directory {data_dir}: a backup there "
                           "is lost with it. Choose another disk or an offline medium",
                           code="backup_inside_data_dir")
    if target.is_dir():
        target = target / f"jikimi-keys-{utcnow():%Y%m%d-%H%M%S}.json"
    if target.exists():
        raise Conflict(f"{target} exists; choose a new file name", code="backup_exists")
    content = source.read_bytes()
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, target)
    load_keyring(target)  # the copy is a whole key file
    digest = hashlib.sha256(content).hexdigest()
    if hashlib.sha256(target.read_bytes()).hexdigest() != digest:
        raise Conflict(f"the copy at {target} differs from the key file", code="backup_differs")
    row = KeyBackup(made_at=utcnow(), made_by=ctx.actor.ref, path=str(target)[:4000],
                    sha256=digest)
    ctx.session.add(row)
    ctx.session.flush()
    ctx.audit("keys.backup", "key_backup", row.id, details={"sha256": digest})
    return row


def _smtp_answers(settings: Settings, timeout: float) -> str | None:
    """None when the mail server answers EHLO; otherwise why not, in a few words."""
    smtp = settings.smtp
    assert smtp is not None
    client: smtplib.SMTP
    try:
        if smtp.ssl:
            client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=timeout,
                                      context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(smtp.host, smtp.port, timeout=timeout)
        try:
            code, _ = client.ehlo()
            if smtp.starttls:
                client.starttls(context=ssl.create_default_context())
            if code >= 400:
                return f"EHLO answered {code}"
        finally:
            try:
                client.quit()
            except smtplib.SMTPException:
                pass
    except (OSError, smtplib.SMTPException) as exc:
        return f"{type(exc).__name__}: {str(exc)[:120]}"
    return None


def _mail_checks(settings: Settings, probe: Callable[[Settings, float], str | None]
                 ) -> list[Check]:
    sender = settings.smtp_from
    domain = sender.rpartition("@")[2]
    sender_ok = "@" in sender and "." in domain and domain != "localhost"
    checks = [Check("sender_address", "ok" if sender_ok else "fail",
                    "set" if sender_ok else "missing", {"address": sender})]
    smtp = settings.smtp if settings.smtp_url else None
    if smtp is None:
        checks.append(Check("mail_server", "fail", "missing", {}))
        return checks
    problem = probe(settings, 3.0)
    where = f"{smtp.host}:{smtp.port}"
    checks.append(Check("mail_server", "ok" if problem is None else "fail",
                        "answers" if problem is None else "unreachable",
                        {"where": where, "problem": problem or ""}))
    return checks


def _worker_check(session: Session, now: dt.datetime) -> Check:
    row = session.get(ServiceHeartbeat, "worker")
    if row is None:
        return Check("worker", "fail", "never", {})
    silent = now - row.beat_at
    facts = {"at": row.beat_at, "host": row.host, "pid": row.pid,
             "minutes": int(silent.total_seconds() // 60)}
    if silent > WORKER_SILENCE:
        return Check("worker", "fail", "silent", facts)
    return Check("worker", "ok", "alive", facts)


def _key_checks(session: Session, settings: Settings, now: dt.datetime) -> list[Check]:
    path = settings.key_file
    if not path.is_file():
        key = Check("key_file", "fail", "missing", {"path": str(path)})
    else:
        mode = stat.S_IMODE(path.stat().st_mode)
        key = Check("key_file", "ok" if mode & 0o077 == 0 else "warn",
                    "present" if mode & 0o077 == 0 else "readable_by_others",
                    {"path": str(path), "mode": f"{mode:04o}"})
    last = session.scalar(select(KeyBackup).order_by(KeyBackup.made_at.desc()).limit(1))
    count = session.scalar(select(func.count()).select_from(KeyBackup)) or 0
    if last is None:
        backup = Check("key_backup", "warn", "never", {})
    else:
        facts = {"at": last.made_at, "by": last.made_by, "count": count,
                 "days": (now - last.made_at).days}
        backup = Check("key_backup", "warn" if now - last.made_at > BACKUP_AGE_WARNING
                       else "ok", "old" if now - last.made_at > BACKUP_AGE_WARNING
                       else "recent", facts)
    return [key, backup]


def _disk_check(settings: Settings) -> Check:
    usage = shutil.disk_usage(settings.resolved_data_dir if settings.resolved_data_dir.exists()
                              else Path.cwd())
    fraction = usage.free / usage.total if usage.total else 0.0
    facts = {"free_gb": round(usage.free / 1e9, 1), "total_gb": round(usage.total / 1e9, 1),
             "percent": round(fraction * 100)}
    low = fraction < LOW_DISK_FRACTION or usage.free < LOW_DISK_BYTES
    return Check("disk", "warn" if low else "ok", "low" if low else "enough", facts)


def _outbox_check(session: Session) -> Check:
    from jikimi.takedown.models import OutboxMessage

    rows = {str(status): int(count) for status, count in session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))}
    waiting = int(rows.get("queued", 0)) + int(rows.get("failed", 0))
    dead = int(rows.get("dead", 0))
    state = "fail" if dead else "warn" if waiting else "ok"
    reason = "dead" if dead else "waiting" if waiting else "empty"
    return Check("outbox", state, reason, {"waiting": waiting, "dead": dead})


def system_status(ctx: ServiceContext, *, now: dt.datetime | None = None,
                  probe: Callable[[Settings, float], str | None] | None = None
                  ) -> SystemStatus:
    """Every check of the status page (administrators; the mail server is asked for EHLO with
    a 3-second timeout)."""
    _may_see(ctx)
    now = now or utcnow()
    checks = _mail_checks(ctx.settings, probe or _smtp_answers)
    checks.append(_outbox_check(ctx.session))
    checks.append(_worker_check(ctx.session, now))
    checks.extend(_key_checks(ctx.session, ctx.settings, now))
    checks.append(_disk_check(ctx.settings))
    ctx.audit("system.status", "system", "status",
              details={"failing": [c.key for c in checks if c.state == "fail"]})
    return SystemStatus(checked_at=now, checks=checks)
