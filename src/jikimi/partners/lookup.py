"""Lookup for platforms that ask per upload: fingerprints in (never media), the matching shared
entries out, answered from the in-memory index that the centre's own matching uses."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import BaseModel
from sqlalchemy import Connection, and_
from sqlalchemy.orm import Session

from jikimi.core.actors import Actor
from jikimi.core.context import ServiceContext
from jikimi.core.prepared import PreparedRead
from jikimi.errors import InvalidInput
from jikimi.matching import BankEntry, Matcher, Query, signal_type
from jikimi.matching.matcher import Candidate, EntryRead, present_entries
from jikimi.partners.accounts import PartnerPrincipal
from jikimi.partners.feed import SHARED_SIGNALS
from jikimi.partners.models import FeedItem

MAX_FINGERPRINTS = 100


HITS_WITH_ITEMS = PreparedRead(present_entries().add_columns(
    FeedItem.token.label("feed_token"), FeedItem.category.label("feed_category")).outerjoin(
    FeedItem, and_(FeedItem.bank_entry_id == BankEntry.id, FeedItem.active.is_(True))))
"""The matcher's read of hit entries (still present, with their banks) and, in the same
statement, each one's active feed item; compiled once, read on every hit (removal,
withdrawal and erasure count at once)."""


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
    path (returns once the entry is committed), or a unit of work's own transaction (appended
    by its commit)."""

    def write(self, actor: Actor, action: str, record_type: str, record_id: str | int, *,
              centre_id: int | None = None, details: dict[str, Any] | None = None
              ) -> object: ...


@dataclass(frozen=True)
class _InTransaction:
    ctx: ServiceContext

    def write(self, actor: Actor, action: str, record_type: str, record_id: str | int, *,
              centre_id: int | None = None, details: dict[str, Any] | None = None) -> None:
        self.ctx.audit(action, record_type, record_id, centre_id=centre_id, details=details)


def lookup(ctx: ServiceContext, principal: PartnerPrincipal, matcher: Matcher,
           fingerprints: Sequence[tuple[str, str]], threshold: int | None = None
           ) -> LookupResult:
    """A lookup inside a unit of work (audited in its transaction)."""
    matcher.sync(ctx.session)
    return answer_lookup(ctx.session, _InTransaction(ctx), principal, matcher, fingerprints,
                         threshold)


def answer_lookup(session: Session | Connection, audit: AuditSink, principal: PartnerPrincipal,
                  matcher: Matcher, fingerprints: Sequence[tuple[str, str]],
                  threshold: int | None = None) -> LookupResult:
    """Match (signal type, value) pairs against the shared entries. A hit on a negative
    (known benign) bank suppresses the answer, as in the centre's own matching.

    Does no bookkeeping: the matcher is kept current by its follower, the feed by the writers
    of the banks. ``session`` is only read, and only for hits (their entries, banks and feed
    items, in one statement) and for exact digests; the entry is written through ``audit``."""
    search = search_lookup(principal, matcher, fingerprints, threshold)
    answer = resolve_lookup(session if search.candidates else None, matcher, search)
    # the answer leaves only after its audit entry is committed
    audit.write(principal.actor, "partner.lookup", "partner", principal.partner_id,
                details=answer.audit_details)
    return answer.result


@dataclass(frozen=True)
class LookupSearch:
    """A lookup's request checked and its in-memory index hits (no database read yet)."""

    principal: PartnerPrincipal
    queries: list[Query]
    candidates: list[Candidate]
    threshold: int | None

    def entry_ids(self) -> list[int] | None:
        """The entries to read for the answer, or None when some are found in the
        database itself (exact digests)."""
        if any(c.entry_id is None for c in self.candidates):
            return None
        return sorted({c.entry_id for c in self.candidates if c.entry_id is not None})


@dataclass(frozen=True)
class LookupAnswer:
    result: LookupResult
    audit_details: dict[str, Any]
    """What the lookup's audit entry records: the key that asked, how many fingerprints,
    which feed entries matched (their opaque ids) and whether a negative bank suppressed
    the answer."""


def search_lookup(principal: PartnerPrincipal, matcher: Matcher,
                  fingerprints: Sequence[tuple[str, str]], threshold: int | None = None
                  ) -> LookupSearch:
    """The checks of a lookup (scope, sizes, signal types, values) and its index hits."""
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
    return LookupSearch(principal, queries, matcher.candidates(queries, threshold), threshold)


def resolve_lookup(session: Session | Connection | None, matcher: Matcher,
                   search: LookupSearch, *, prefetched: dict[int, Any] | None = None
                   ) -> LookupAnswer:
    """The answer to a searched lookup: its hits read from the database, with the entries
    still present, their banks and their active feed items in one statement
    (:data:`HITS_WITH_ITEMS`), so a removal, withdrawal or erasure counts the moment it
    commits. ``prefetched``: that statement's rows, already read by the caller for every
    candidate (then ``session`` may be None, as when there are no candidates)."""
    read: EntryRead = HITS_WITH_ITEMS
    if prefetched is not None:
        def read(_session: object, ids: list[int]) -> list[Any]:
            return [prefetched[i] for i in ids if i in prefetched]
    rows: dict[int, Any] = {}
    hits = matcher.resolve(session, search.candidates, search.threshold, read=read,
                           rows=rows) if search.candidates else []
    suppressed = any(h.bank.negative for h in hits)
    matches: dict[str, LookupMatch] = {}
    if not suppressed:
        for hit in hits:
            row = rows[hit.entry_id]
            if row.feed_token is None:  # not shared (or no longer)
                continue
            current = matches.get(row.feed_token)
            if current is None or current.distance > hit.distance:
                matches[row.feed_token] = LookupMatch(
                    id=row.feed_token, category=row.feed_category,
                    signal_type=hit.signal_type, distance=hit.distance,
                    query=int(hit.query_variant))
    result = sorted(matches.values(), key=lambda m: (m.distance, m.id))
    principal = search.principal
    return LookupAnswer(
        LookupResult(matched=bool(result), matches=result),
        {"key_id": principal.key_id, "fingerprints": len(search.queries),
         "matches": len(result), "matched": [m.id for m in result],
         "suppressed": suppressed})
