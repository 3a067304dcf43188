"""Staff credentials in memory, for the fast doors (e.g. ``POST /api/v1/match`` with
fingerprints as JSON, called by staff tools many times a second).

A credential (a personal API token, or a session cookie) is resolved the first time by the
same dependency every staff route uses (``http._resolve`` in a unit of work: the rules of
``user_for_api_token`` and ``user_for_session``, its last use recorded), then kept by its
digest with the account's actor. Every fraction of a second the follower re-checks all
cached credentials in one read (:func:`jikimi.accounts.service.credentials_still_valid`:
revoked, expired, logged out, the account deactivated, its role or centre changed) and drops
the ones that no longer hold, so a revocation anywhere reaches every serving process within
a second; a commit in this process that touched accounts, sessions or tokens makes the next
request re-check at once. An entry is also resolved again through the service at least once
a minute. A credential that is not cached, or not valid, is never decided here: the request
goes through the app's stack (``staff_context``) as any other.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from sqlalchemy.orm import Session
from starlette.requests import Request

from jikimi.accounts.http import ANONYMOUS, SESSION_COOKIE, _resolve
from jikimi.accounts.service import actor_for, credentials_still_valid
from jikimi.core.actors import Actor, Role
from jikimi.core.runtime import Runtime
from jikimi.core.security import token_digest
from jikimi.errors import JikimiError
from jikimi.matching.follower import follow_table

follow_table("staff_users")
follow_table("staff_sessions")
follow_table("api_tokens")

RESOLVE_AGAIN_SECONDS = 60.0
"""A cached credential is resolved through the service again at least this often."""
MAX_CACHED = 10_000


@dataclass(frozen=True)
class CachedStaff:
    """Who a cached credential is, and how it was presented."""

    actor: Actor
    via: str
    """``token`` (Authorization: Bearer) or ``session`` (the session cookie)."""
    session_token: str | None
    resolved_at: float


def _presented(request: Request) -> tuple[str, str] | None:
    """(via, credential) of a request, or None if it carries none this cache can use."""
    auth = request.headers.get("authorization", "")
    if auth:
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        return "token", token.strip()
    cookie = request.cookies.get(SESSION_COOKIE)
    return ("session", cookie) if cookie else None


class StaffCredentialCache:
    """Staff credentials by digest; see the module docstring for what keeps them true."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._cached: dict[str, CachedStaff] = {}
        self._lock = threading.Lock()

    def lookup(self, request: Request) -> CachedStaff | None:
        """The staff member behind the request's credential, if cached and fresh."""
        presented = _presented(request)
        if presented is None:
            return None
        cached = self._cached.get(token_digest(presented[1]))
        if cached is None or cached.via != presented[0] \
                or time.monotonic() - cached.resolved_at > RESOLVE_AGAIN_SECONDS:
            return None
        return cached

    def resolve(self, request: Request) -> CachedStaff | None:
        """Resolve the request's credential through the service (a unit of work) and cache
        it; None if there is none or it is refused (the app's stack then answers)."""
        presented = _presented(request)
        if presented is None:
            return None
        try:
            with self._runtime.context(ANONYMOUS) as ctx:
                principal = _resolve(request, ctx)
                if principal is None:
                    return None
                actor = actor_for(principal.user)
        except JikimiError:
            return None
        cached = CachedStaff(actor, principal.via, principal.session_token, time.monotonic())
        with self._lock:
            if len(self._cached) >= MAX_CACHED:
                self._cached.clear()
            self._cached[token_digest(presented[1])] = cached
        return cached

    def revalidate(self, session: Session) -> int:
        """Drop every cached credential that no longer holds (one read); returns how many."""
        with self._lock:
            held = dict(self._cached)
        if not held:
            return 0
        valid = credentials_still_valid(
            session, [d for d, c in held.items() if c.via == "token"],
            [d for d, c in held.items() if c.via == "session"])
        gone = [digest for digest, cached in held.items()
                if valid.get(digest) != (cached.actor.id, _role(cached.actor),
                                         cached.actor.centre_id)]
        if gone:
            with self._lock:
                for digest in gone:
                    if self._cached.get(digest) is held[digest]:
                        del self._cached[digest]
        return len(gone)

    def __len__(self) -> int:
        return len(self._cached)


def _role(actor: Actor) -> str | None:
    return actor.role.value if isinstance(actor.role, Role) else actor.role
