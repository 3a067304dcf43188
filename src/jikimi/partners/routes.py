"""JSON API of jikimi.partners.

Partner platforms (an API key, never a staff login):

- ``GET /api/v1/partner/hashes?cursor=&nonce=`` — jikimi's own feed: signed pages of deltas;
- ``POST /api/v1/partner/lookup`` — fingerprints in, matching shared entries out;
- ``POST /api/v1/partner/feedback`` — matches and actions taken;
- ``GET /api/v1/partner/public-key`` — the key that signs the feed (no key needed);
- ``/api/v1/stopncii/FetchHashes|SubmitFeedback`` — the same feed in the StopNCII partner
  API's shape, for python-threatexchange's ``StopNCIIAPI(base_url_override=...)``.

Staff (administrators): partners and keys, statistics, feedback on a case, subscriptions.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from jikimi.accounts import StaffContext
from jikimi.accounts.http import get_runtime, staff_context
from jikimi.core.actors import Actor, ActorKind
from jikimi.core.context import ServiceContext
from jikimi.core.ratelimit import SlidingWindowLimiter
from jikimi.errors import Forbidden, JikimiError, NotAuthenticated, RateLimited
from jikimi.matching import Matcher
from jikimi.partners import accounts, exchange, feed, feedback
from jikimi.partners.accounts import KeyOut, NewKey, PartnerOut, PartnerPrincipal
from jikimi.partners.exchange import SubscriptionOut
from jikimi.partners.feedback import CaseFeedback, FeedbackIn, FeedbackResult, PartnerStatistics
from jikimi.partners.hotpath import HotPath
from jikimi.partners.lookup import MAX_FINGERPRINTS, LookupResult, answer_lookup, lookup

router = APIRouter(prefix="/api/v1")
UNKNOWN_PARTNER = Actor(kind=ActorKind.PARTNER, label="unknown")
REFUSALS_AUDITED_PER_MINUTE = 60


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- partner authentication ------------------------------------------------------------------
def presented_key(request: Request) -> str:
    """The partner key: ``Authorization: Bearer``, or the headers python-threatexchange's
    StopNCII client sends (``Ocp-Apim-Subscription-Key``, ``x-functions-key``)."""
    auth = request.headers.get("authorization", "")
    if auth:
        scheme, _, token = auth.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return token.strip()[:200]
        raise NotAuthenticated("use 'Authorization: Bearer <partner key>'",
                               code="partner_key_invalid")
    subscription = request.headers.get("ocp-apim-subscription-key", "").strip()
    function = request.headers.get("x-functions-key", "").strip()
    if subscription and function and function != subscription:
        raise NotAuthenticated("x-functions-key and Ocp-Apim-Subscription-Key must both be "
                               "the partner key", code="partner_key_invalid")
    key = subscription or function
    if not key:
        raise NotAuthenticated("send the partner key as 'Authorization: Bearer <key>'",
                               code="partner_key_missing")
    return key[:200]


def _limiter(request: Request, rate: int) -> SlidingWindowLimiter:
    limiters: dict[int, SlidingWindowLimiter] | None = getattr(
        request.app.state, "partner_limiters", None)
    if limiters is None:
        limiters = request.app.state.partner_limiters = {}
    if rate not in limiters:
        limiters[rate] = SlidingWindowLimiter(rate, 60)
    return limiters[rate]


@dataclass
class PartnerCall:
    ctx: ServiceContext
    principal: PartnerPrincipal


def _audit_refusal(request: Request, exc: JikimiError, presented: str) -> None:
    partner_id = exc.details.get("partner_id")
    if partner_id is None:
        client = request.client.host if request.client else "-"
        if not _limiter(request, REFUSALS_AUDITED_PER_MINUTE).hit(f"refused:{client}"):
            return  # a flood of unknown keys is refused without filling the audit log
    actor = UNKNOWN_PARTNER if partner_id is None else Actor(
        kind=ActorKind.PARTNER, id=int(partner_id))
    with get_runtime(request).context(actor) as ctx:
        ctx.audit("partner.refused", "partner", partner_id or "-",
                  details={"code": exc.code, "path": request.url.path[:100],
                           "key_id": exc.details.get("key_id")
                           or accounts.partner_key_id(presented)})


def _serialised(request: Request) -> threading.Lock | None:
    """On SQLite (one writer at a time) partner calls queue on a lock in this process instead
    of polling the database file's lock, whose back-off makes the slowest calls take seconds."""
    if not get_runtime(request).settings.sqlalchemy_url.startswith("sqlite"):
        return None
    lock: threading.Lock | None = getattr(request.app.state, "partner_sqlite_lock", None)
    if lock is None:
        lock = request.app.state.partner_sqlite_lock = threading.Lock()
    return lock


def partner_call(request: Request) -> Iterator[PartnerCall]:
    """A unit of work for a partner's call: the key checked (401), its rate limit (429), and
    a refusal audited in its own transaction; a successful call is audited by its service."""
    runtime = get_runtime(request)
    presented = ""
    failure: JikimiError | None = None
    lock = _serialised(request)
    if lock is not None:
        lock.acquire()
    try:
        with runtime.context(UNKNOWN_PARTNER) as ctx:
            try:
                presented = presented_key(request)
                principal = accounts.authenticate(ctx, presented)
                if not _limiter(request, principal.rate_per_minute).hit(principal.key_id):
                    raise RateLimited(
                        f"this key is limited to {principal.rate_per_minute} calls a minute; "
                        "slow down and retry", code="partner_rate_limited",
                        key_id=principal.key_id, partner_id=principal.partner_id)
            except (NotAuthenticated, RateLimited) as exc:
                failure = exc
            else:
                ctx.actor = principal.actor
                yield PartnerCall(ctx, principal)
                return
        assert failure is not None
        _audit_refusal(request, failure, presented)
    finally:
        if lock is not None:
            lock.release()
    raise failure


Partner = Annotated[PartnerCall, Depends(partner_call, scope="function")]


def _matcher(request: Request) -> Matcher:
    matcher: Matcher = request.app.state.matcher
    return matcher


# --- jikimi's partner API --------------------------------------------------------------------
class PublicKey(BaseModel):
    public_key: str
    key_id: str
    format: str


@router.get("/partner/public-key", response_model=PublicKey, tags=["partners"])
def public_key(request: Request) -> PublicKey:
    """The Ed25519 key that signs the feed. Pin it from the centre out of band; this copy is
    a convenience."""
    keys = get_runtime(request).keys
    return PublicKey(public_key=feed.public_key_text(keys),
                     key_id=feed.key_fingerprint(feed.public_key_bytes(keys)),
                     format=feed.FEED_FORMAT)


@router.get("/partner/hashes", tags=["partners"])
def hashes(call: Partner,
           cursor: Annotated[str | None, Query(max_length=12)] = None,
           limit: Annotated[int, Query(ge=1, le=feed.MAX_PAGE)] = 1000,
           nonce: Annotated[str | None, Query(max_length=64)] = None) -> dict[str, Any]:
    """A signed page of feed changes after ``cursor`` (``next_cursor`` of the last page)."""
    return feed.feed_page(call.ctx, call.principal, cursor=cursor, limit=limit, nonce=nonce)


class FingerprintIn(Strict):
    signal_type: str = Field(max_length=20, description="pdq, vpdq, sha256 or md5")
    value: str = Field(max_length=400_000)


class LookupIn(Strict):
    fingerprints: list[FingerprintIn] = Field(min_length=1, max_length=MAX_FINGERPRINTS)
    threshold: int | None = Field(None, ge=0, le=31)


def _hot_path(request: Request) -> HotPath | None:
    hot: HotPath | None = getattr(request.app.state, "hot_path", None)
    return hot


def hot_principal(request: Request, hot: HotPath) -> PartnerPrincipal:
    """The caller of a hot-path call: its key checked from the key cache (401), its rate
    limit (429); a refusal audited as on every partner call."""
    try:
        return hot_caller(request, hot)
    except (NotAuthenticated, RateLimited) as exc:
        audit_hot_refusal(request, exc)
        raise


def hot_caller(request: Request, hot: HotPath, *, followed: bool = False) -> PartnerPrincipal:
    """The key checked from the key cache (401) and its rate limit (429); the caller must
    audit a refusal with :func:`audit_hot_refusal` (a fast door does it off the loop).
    ``followed``: the caller awaited ``hot.follower.current_async()`` (an event loop)."""
    presented = presented_key(request)
    principal = hot.authenticate(presented, followed=followed)
    if not _limiter(request, principal.rate_per_minute).hit(principal.key_id):
        raise RateLimited(
            f"this key is limited to {principal.rate_per_minute} calls a minute; "
            "slow down and retry", code="partner_rate_limited",
            key_id=principal.key_id, partner_id=principal.partner_id)
    return principal


def audit_hot_refusal(request: Request, exc: JikimiError) -> None:
    """Audit a refused partner call (a unit of work of its own)."""
    try:
        presented = presented_key(request)
    except NotAuthenticated:
        presented = ""
    _audit_refusal(request, exc, presented)


@router.post("/partner/lookup", response_model=LookupResult, tags=["partners"])
def partner_lookup(request: Request, body: LookupIn) -> LookupResult:
    """Match fingerprints (never media) against the shared entries: answered from memory
    outside any database transaction; the answer leaves once its audit entry is committed."""
    fingerprints = [(f.signal_type, f.value) for f in body.fingerprints]
    hot = _hot_path(request)
    if hot is None:  # an app without its serving lifespan: one unit of work
        with contextmanager(partner_call)(request) as call:
            return lookup(call.ctx, call.principal, _matcher(request), fingerprints,
                          body.threshold)
    return hot_lookup(request, hot, body)


def hot_lookup(request: Request, hot: HotPath, body: LookupIn) -> LookupResult:
    """A lookup on the serving path (the route's; ``fastpath`` answers the same on the
    event loop): the key checked and rate-limited (a refusal audited), answered from memory,
    its entry group-committed."""
    principal = hot_principal(request, hot)
    with hot.read() as session:
        return answer_lookup(session, hot.audit, principal, hot.matcher,
                             [(f.signal_type, f.value) for f in body.fingerprints],
                             body.threshold)


class ReportIn(Strict):
    entry_id: str = Field(min_length=1, max_length=40)
    action: str = Field(max_length=20, description=", ".join(feedback.ACTIONS))
    content_id: str = Field("", max_length=200)
    seen_at: dt.datetime | None = None


class FeedbackBody(Strict):
    reports: list[ReportIn] = Field(min_length=1, max_length=feedback.MAX_FEEDBACK)


@router.post("/partner/feedback", response_model=FeedbackResult, tags=["partners"])
def partner_feedback(body: FeedbackBody, call: Partner) -> FeedbackResult:
    """Report matches on feed entries and the action taken."""
    return feedback.record_feedback(call.ctx, call.principal, [
        FeedbackIn(r.entry_id, r.action, r.content_id, r.seen_at) for r in body.reports])


# --- the StopNCII shape ----------------------------------------------------------------------
@router.get("/stopncii/FetchHashes", tags=["partners"])
def stopncii_fetch(call: Partner,
                   start_timestamp: Annotated[int, Query(alias="startTimestamp", ge=0,
                                                         le=feed.MAX_TIMESTAMP)] = 10,
                   page_size: Annotated[int, Query(alias="pageSize", ge=1, le=10_000)] = 800,
                   next_page_token: Annotated[str | None, Query(alias="nextPageToken",
                                                                max_length=100)] = None,
                   ) -> dict[str, Any]:
    """FetchHashes in the StopNCII partner API's shape."""
    return feed.stopncii_fetch(call.ctx, call.principal, start_timestamp=start_timestamp,
                               page_size=page_size, next_page_token=next_page_token)


class StopNCIIFeedback(BaseModel):
    hashValue: str = Field(max_length=64)
    feedbackValue: str = Field(max_length=30)
    tags: list[Annotated[str, Field(max_length=50)]] = Field(default_factory=list,
                                                             max_length=20)


class StopNCIIFeedbackBody(BaseModel):
    count: int | None = None
    hashFeedbacks: list[StopNCIIFeedback] = Field(
        min_length=1, max_length=feedback.MAX_FEEDBACK)


@router.post("/stopncii/SubmitFeedback", tags=["partners"])
def stopncii_feedback(body: StopNCIIFeedbackBody, call: Partner) -> dict[str, Any]:
    """SubmitFeedback in the StopNCII partner API's shape."""
    result = feedback.record_stopncii_feedback(call.ctx, call.principal, [
        (f.hashValue, f.feedbackValue, f.tags) for f in body.hashFeedbacks])
    return {"count": result.accepted, "unknownHashes": result.unknown}


@router.post("/stopncii/SubmitHashes", tags=["partners"])
def stopncii_submit_hashes(call: Partner) -> dict[str, Any]:
    """Not offered: the centre's hashes come from victims and their counsellors only."""
    call.ctx.audit_refusal("partner.stopncii_submit_refused", "partner",
                           call.principal.partner_id,
                           details={"key_id": call.principal.key_id})
    raise Forbidden("jikimi does not take hashes from platforms; report content to the "
                    "centre instead", code="submit_hashes_not_offered")


# --- staff: partners and keys ----------------------------------------------------------------
class PartnerIn(Strict):
    name: str = Field(min_length=1, max_length=120)
    contact: str = Field("", max_length=254)
    scopes: list[str] | None = Field(None, max_length=3)
    rate_per_minute: int = Field(accounts.DEFAULT_RATE_PER_MINUTE, ge=1, le=100_000)


class RotateIn(Strict):
    grace_minutes: int = Field(0, ge=0, le=7 * 24 * 60)


PartnerName = Annotated[str, Path(min_length=1, max_length=120)]


@router.get("/partners", response_model=list[PartnerOut], tags=["partners"])
def list_partners(ctx: StaffContext) -> list[PartnerOut]:
    return accounts.list_partners(ctx)


@router.post("/partners", response_model=NewKey, status_code=201, tags=["partners"])
def add_partner(body: PartnerIn, ctx: StaffContext) -> NewKey:
    """Register a partner; the response holds its key, shown this once."""
    return accounts.add_partner(ctx, body.name, contact=body.contact, scopes=body.scopes,
                                rate_per_minute=body.rate_per_minute)


@router.post("/partners/{name}/rotate", response_model=NewKey, tags=["partners"])
def rotate(name: PartnerName, body: RotateIn, ctx: StaffContext) -> NewKey:
    return accounts.rotate_key(ctx, name, grace_minutes=body.grace_minutes)


@router.post("/partners/{name}/disable", response_model=PartnerOut, tags=["partners"])
def disable(name: PartnerName, ctx: StaffContext) -> PartnerOut:
    return accounts.revoke_partner(ctx, name)


@router.post("/partner-keys/{key_id}/revoke", response_model=KeyOut, tags=["partners"])
def revoke(key_id: Annotated[str, Path(min_length=1, max_length=16)],
           ctx: StaffContext) -> KeyOut:
    return accounts.revoke_key(ctx, key_id)


@router.get("/partners/statistics", response_model=PartnerStatistics, tags=["partners"])
def statistics(ctx: StaffContext) -> PartnerStatistics:
    return feedback.statistics(ctx)


@router.get("/cases/{code}/partner-feedback", response_model=list[CaseFeedback],
            tags=["partners"])
def case_feedback(code: Annotated[str, Path(max_length=40)],
                  ctx: StaffContext) -> list[CaseFeedback]:
    """Partners' reports on the case's shared fingerprints (takedown progress)."""
    return feedback.feedback_for_case(ctx, code)


# --- staff: inbound subscriptions ------------------------------------------------------------
class SubscriptionIn(Strict):
    name: str = Field(min_length=1, max_length=120)
    bank: str = Field(min_length=1, max_length=120)
    exchange: str = Field(max_length=40, description=", ".join(exchange.EXCHANGES))
    config: dict[str, Any] = Field(default_factory=dict)
    credentials: dict[str, Any] | None = None


@router.get("/partners/subscriptions", response_model=list[SubscriptionOut],
            tags=["partners"])
def list_subscriptions(ctx: StaffContext) -> list[SubscriptionOut]:
    return exchange.list_subscriptions(ctx)


@router.post("/partners/subscriptions", response_model=SubscriptionOut, status_code=201,
             tags=["partners"])
def add_subscription(body: SubscriptionIn, ctx: StaffContext) -> SubscriptionOut:
    """Subscribe a bank to an external exchange (python-threatexchange)."""
    return exchange.subscribe(ctx, body.name, body.bank, body.exchange, body.config,
                              body.credentials)


def _staff_actor(request: Request) -> Actor:
    """The authenticated staff member, with the authentication's transaction already ended
    (for work that opens its own transactions)."""
    with contextmanager(staff_context)(request) as ctx:
        return ctx.actor


@router.post("/partners/subscriptions/{name}/fetch", response_model=SubscriptionOut,
             tags=["partners"])
def fetch_subscription(name: PartnerName, request: Request) -> SubscriptionOut:
    """Fetch what changed since the stored checkpoint (the exchange is read outside any
    database transaction)."""
    return exchange.fetch(get_runtime(request), _staff_actor(request), name)
