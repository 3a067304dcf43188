"""Group commit of audit entries for hot paths (a platform's lookup on every upload).

The audit chain (``core.audit``) has one head row: every append locks it until its transaction
commits, so audited requests pass that point one at a time, each paying a whole commit. A hot
path that changes nothing but the audit log hands its entry to this process's
:class:`AuditWriter` instead. One thread takes every entry waiting (up to ``max_batch``),
appends them to the chain in one transaction — the head locked once, each entry still chained
to the one before it with its own keyed hash — commits, and only then releases the requests,
which answer afterwards. So:

- an answered request's entry is committed (a SIGKILL of the server at any moment loses no
  entry of a request that was answered; an entry of a request not yet answered may be lost
  with it, and that request got no answer);
- ``verify_chain`` is unchanged: an entry edited, deleted, moved or inserted inside a group is
  named exactly as anywhere else, because a group is just consecutive entries;
- N requests in flight cost one commit instead of N, and the head row is held once per group.

Writes of case data do not use it: their services still audit inside their own transaction,
so a change and its audit entry commit together or not at all.
"""

from __future__ import annotations

import logging
import queue
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from jikimi.core.actors import Actor
from jikimi.core.audit import append_entries
from jikimi.errors import JikimiError

log = logging.getLogger("jikimi.audit")

DEFAULT_MAX_BATCH = 512
DURABLE_TIMEOUT_SECONDS = 30.0


class AuditUnavailable(JikimiError):
    """The audit entry could not be made durable: the request is not answered."""

    code = "audit_unavailable"
    http_status = 503


@dataclass
class _Pending:
    fields: dict[str, Any]
    done: Future[int] = field(default_factory=Future)


class AuditWriter:
    """One per process and database: appends entries of many requests in one transaction."""

    def __init__(self, sessions: sessionmaker[Session], key: bytes, *,
                 max_batch: int = DEFAULT_MAX_BATCH) -> None:
        self._sessions = sessions
        self._key = key
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._closed = False
        self.groups = 0
        """Transactions committed so far (each holding one or more entries)."""

    def write(self, actor: Actor, action: str, record_type: str, record_id: str | int, *,
              centre_id: int | None = None, details: dict[str, Any] | None = None) -> int:
        """Append an entry and return its sequence number once it is committed; raises
        :class:`AuditUnavailable` if it could not be."""
        if self._closed:
            raise AuditUnavailable("the audit writer is stopped")
        self._ensure_started()
        pending = _Pending({"actor": actor, "action": action, "record_type": record_type,
                            "record_id": record_id, "centre_id": centre_id,
                            "details": details})
        self._queue.put(pending)
        try:
            return pending.done.result(timeout=DURABLE_TIMEOUT_SECONDS)
        except TimeoutError as exc:
            raise AuditUnavailable("the audit log did not accept the entry in time; retry"
                                   ) from exc
        except AuditUnavailable:
            raise
        except Exception as exc:  # the group's transaction failed: nothing was answered
            raise AuditUnavailable("the audit entry could not be written; retry") from exc

    def _ensure_started(self) -> None:
        if self._thread is not None:
            return
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="jikimi-audit-writer",
                                                daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            group = [first]
            while len(group) < self._max_batch:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._queue.put(None)  # stop after this group
                    break
                group.append(more)
            self._commit(group)

    def _commit(self, group: list[_Pending]) -> None:
        try:
            with self._sessions() as session, session.begin():
                seqs = append_entries(session, self._key, [p.fields for p in group])
        except Exception as exc:  # every waiting request must hear of it
            log.exception("audit group of %d entries failed", len(group))
            for pending in group:
                pending.done.set_exception(exc)
            return
        self.groups += 1
        for pending, seq in zip(group, seqs, strict=True):
            pending.done.set_result(seq)

    def close(self) -> None:
        """Write what is queued, then stop."""
        self._closed = True
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(DURABLE_TIMEOUT_SECONDS)
