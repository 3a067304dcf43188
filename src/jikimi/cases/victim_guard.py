"""How fast a victim's case code and secret may be tried: the one rule for every victim door
(the status and erasure API, the portal's API and its pages without JavaScript).

A stranger's wrong guesses must never lock a victim out of her own case. So nothing locks:
failures slow down the next attempt, with delays that grow and are capped.

- **Per address**: after ``address_free`` failures from one address (on any case), each next
  attempt from it waits ``2**k`` seconds after its last failure, at most ``address_cap``.
- **Per case**: once a case has had ``case_free`` failures (from anywhere), an address that has
  itself failed on that case waits ``2**k`` seconds after *its own* last failure on it, at most
  ``case_cap`` (a minute). An address that never failed on the case is not slowed by other
  addresses' failures, so the victim, at her own address, gets in at once; if she mistyped
  too, she waits at most a minute. One address's turn never depends on another's.
- A success forgets that address's failures; failures older than ``forget_after`` are
  forgotten too.

The secret has 80 random bits, so these limits are defence in depth, not the protection
itself. State is kept in the serving process (like the login rate limits).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from jikimi.errors import NotAuthenticated, RateLimited

VICTIM_LOGIN_FAILED = "victim_login_failed"


@dataclass
class _Failures:
    count: int = 0
    last: float = 0.0


def _delay(count: int, free: int, cap: float) -> float:
    """Seconds to wait after the last failure when ``count`` failures were seen."""
    if count < free:
        return 0.0
    return min(cap, float(2 ** min(count - free, 30)))


class VictimAttemptGuard:
    """Growing, capped delays after failed victim logins, per address and per case."""

    def __init__(self, *, address_free: int = 10, address_cap: float = 900.0,
                 case_free: int = 10, case_cap: float = 60.0, forget_after: float = 3600.0,
                 max_keys: int = 100_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.address_free = address_free
        self.address_cap = address_cap
        self.case_free = case_free
        self.case_cap = case_cap
        self.forget_after = forget_after
        self.max_keys = max_keys
        self.clock = clock
        self._addresses: dict[Any, _Failures] = {}
        self._cases: dict[Any, _Failures] = {}
        self._pairs: dict[Any, _Failures] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _case_key(code: str) -> str:
        return code.strip().upper()[:40]

    def _fresh(self, table: dict[Any, _Failures], key: Any, now: float) -> _Failures:
        entry: _Failures | None = table.get(key)
        if entry is not None and now - entry.last > self.forget_after:
            del table[key]
            entry = None
        return entry or _Failures()

    def wait_seconds(self, address: str, code: str) -> float:
        """How long this address must still wait before trying this case (0: go ahead)."""
        now = self.clock()
        case = self._case_key(code)
        with self._lock:
            by_address = self._fresh(self._addresses, address, now)
            waits = [by_address.last + _delay(by_address.count, self.address_free,
                                              self.address_cap) - now]
            pair = self._fresh(self._pairs, (address, case), now)
            if pair.count:
                by_case = self._fresh(self._cases, case, now)
                waits.append(pair.last + _delay(by_case.count, self.case_free,
                                                self.case_cap) - now)
        return max(0.0, *waits)

    def check(self, address: str, code: str) -> None:
        """Raise ``RateLimited`` (with ``retry_after`` seconds) if the address must wait."""
        wait = self.wait_seconds(address, code)
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            raise RateLimited(f"too many wrong attempts; wait {seconds} seconds and try again",
                              code="victim_slow_down", retry_after=seconds)

    def failed(self, address: str, code: str) -> None:
        """Count a wrong code or secret from this address."""
        now = self.clock()
        case = self._case_key(code)
        with self._lock:
            if len(self._pairs) > self.max_keys or len(self._addresses) > self.max_keys:
                self._forget_old(now)
            for table, key in ((self._addresses, address), (self._cases, case),
                               (self._pairs, (address, case))):
                entry = self._fresh(table, key, now)
                entry.count += 1
                entry.last = now
                table[key] = entry

    def succeeded(self, address: str, code: str) -> None:
        """The right code and secret: this address's failures are forgotten (the case's
        count from other addresses stays)."""
        case = self._case_key(code)
        with self._lock:
            self._addresses.pop(address, None)
            self._pairs.pop((address, case), None)

    def _forget_old(self, now: float) -> None:
        for table in (self._addresses, self._cases, self._pairs):
            for key in [k for k, v in table.items() if now - v.last > self.forget_after]:
                del table[key]
            if len(table) > self.max_keys:
                table.clear()

    @contextmanager
    def attempt(self, address: str, code: str) -> Iterator[None]:
        """Check before, and count after: a wrong code or secret (``victim_login_failed``)
        is a failure; only a request that completes is a success."""
        self.check(address, code)
        try:
            yield
        except NotAuthenticated as exc:
            if exc.code == VICTIM_LOGIN_FAILED:
                self.failed(address, code)
            raise
        self.succeeded(address, code)


# --- binding a request to the service that checks the secret ---------------------------------
_bound: ContextVar[tuple[VictimAttemptGuard, str] | None] = ContextVar("victim_attempt",
                                                                        default=None)


def guard_of(app_state: Any) -> VictimAttemptGuard:
    """The serving process's guard (kept on the app's state, made on first use)."""
    guard = getattr(app_state, "victim_guard", None)
    if not isinstance(guard, VictimAttemptGuard):
        guard = VictimAttemptGuard()
        app_state.victim_guard = guard
    return guard


def check_victim_request(app_state: Any, address: str, code: str, *, flood: bool = True
                         ) -> None:
    """Every victim door calls this before the service: the per-address flood limit
    (``app_state.victim_limiter``; doors with a limit of their own pass ``flood=False``), then
    the growing delays; then it binds the address so that the service, which checks the
    secret, counts the outcome (:func:`record_outcome`)."""
    limiter = getattr(app_state, "victim_limiter", None)
    if flood and limiter is not None and not limiter.hit(f"ip:{address}"):
        raise RateLimited("too many attempts; wait a few minutes and try again",
                          retry_after=60)
    guard = guard_of(app_state)
    guard.check(address, code)
    _bound.set((guard, address))


def record_outcome(code: str, *, ok: bool) -> None:
    """Count a checked code and secret for the bound request (nothing outside a request)."""
    bound = _bound.get()
    if bound is None:
        return
    guard, address = bound
    if ok:
        guard.succeeded(address, code)
    else:
        guard.failed(address, code)
