"""Lookup for platforms that ask per upload: fingerprints in (never media), the matching shared
entries out, answered from the in-memory index that the centre's own matching uses."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import BaseModel
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from jikimi.core.actors import Actor
from jikimi.core.context import ServiceContext
from jikimi.errors import InvalidInput
from jikimi.matching import Matcher, Query, signal_type
from jikimi.partners.accounts import PartnerPrincipal
from jikimi.partners.feed import SHARED_SIGNALS
from jikimi.partners.models import FeedItem

MAX_FINGERPRINTS = 100


_ACTIVE_ITEMS = select(FeedItem.bank_entry_id, FeedItem.token, FeedItem.category).where(
    FeedItem.bank_entry_id.in_(bindparam("ids", expanding=True)), FeedItem.active.is_(True))
"""The active feed items of entries (built once: withdrawal and erasure count at once)."""


class LookupMatch(BaseModel):
    """A shared entry that matches: its opaque id and category, never a case."""

    id: str
    category: str
    signal_type: str
    distance: int
    query: int
    """The index of the fingerprint in the request that matched."""


class LookupResult(BaseModel):
    matched: bool
    matches: list[LookupMatch]


class AuditSink(Protocol):
    """Where a lookup's audit entry goes: the audit writer's group commit on the serving
    path (returns once the entry is committed), or a unit of work's own transaction."""

    def write(self, actor: Actor, action: str, record_type: str, record_id: str | int, *,
              centre_id: int | None = None, details: dict[str, Any] | None = None) -> int: ...


@dataclass(frozen=True)
class _InTransaction:
    ctx: ServiceContext

    def write(self, actor: Actor, action: str, record_type: str, record_id: str | int, *,
              centre_id: int | None = None, details: dict[str, Any] | None = None) -> int:
        return self.ctx.audit(action, record_type, record_id, centre_id=centre_id,
                              details=details).seq


def lookup(ctx: ServiceContext, principal: PartnerPrincipal, matcher: Matcher,
           fingerprints: Sequence[tuple[str, str]], threshold: int | None = None
           ) -> LookupResult:
    """A lookup inside a unit of work (audited in its transaction)."""
    matcher.sync(ctx.session)
    return answer_lookup(ctx.session, _InTransaction(ctx), principal, matcher, fingerprints,
                         threshold)


def answer_lookup(session: Session, audit: AuditSink, principal: PartnerPrincipal,
                  matcher: Matcher, fingerprints: Sequence[tuple[str, str]],
                  threshold: int | None = None) -> LookupResult:
    """Match (signal type, value) pairs against the shared entries. A hit on a negative
    (known benign) bank suppresses the answer, as in the centre's own matching.

    Does no bookkeeping: the matcher is kept current by its follower, the feed by the writers
    of the banks. ``session`` is only read, and only for hits (their entries, banks and feed
    items) and for exact digests; the entry is written through ``audit``."""
    principal.require("lookup")
    if not 1 <= len(fingerprints) <= MAX_FINGERPRINTS:
        raise InvalidInput(f"send 1 to {MAX_FINGERPRINTS} fingerprints")
    if threshold is not None and not 0 <= threshold <= 31:
        raise InvalidInput("the PDQ threshold is 0 to 31 bits")
    queries = []
    for number, (kind_name, value) in enumerate(fingerprints):
        if kind_name not in SHARED_SIGNALS:
            raise InvalidInput(f"fingerprint {number}: the signal type is one of "
                               f"{', '.join(SHARED_SIGNALS)}", code="bad_signal_type")
        try:
            normalised = signal_type(kind_name).normalise(value)
        except InvalidInput as exc:
            raise InvalidInput(f"fingerprint {number}: {exc.message}", code=exc.code) from exc
        queries.append(Query(kind_name, normalised, variant=str(number)))
    candidates = matcher.candidates(queries, threshold)
    hits = matcher.resolve(session, candidates, threshold) if candidates else []
    suppressed = any(h.bank.negative for h in hits)
    best: dict[int, tuple[int, int, str]] = {}
    for hit in hits:
        if hit.bank.negative:
            continue
        query = int(hit.query_variant)
        if hit.entry_id not in best or best[hit.entry_id][0] > hit.distance:
            best[hit.entry_id] = (hit.distance, query, hit.signal_type)
    matches: dict[str, LookupMatch] = {}
    if best and not suppressed:
        for item in session.connection().execute(_ACTIVE_ITEMS, {"ids": sorted(best)}):
            distance, query, kind = best[item.bank_entry_id]
            current = matches.get(item.token)
            if current is None or current.distance > distance:
                matches[item.token] = LookupMatch(id=item.token, category=item.category,
                                                  signal_type=kind, distance=distance,
                                                  query=query)
    result = sorted(matches.values(), key=lambda m: (m.distance, m.id))
    # the answer leaves only after its audit entry is committed
    audit.write(principal.actor, "partner.lookup", "partner", principal.partner_id,
                details={"key_id": principal.key_id, "fingerprints": len(queries),
                         "matches": len(result), "suppressed": suppressed})
    return LookupResult(matched=bool(result), matches=result)
