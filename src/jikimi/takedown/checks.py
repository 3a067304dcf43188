"""Verification: re-fetch every open URL of sent requests, re-hash it, record each check.

Three steps, so that no database transaction stays open while a slow site answers (SQLite
takes its write lock at BEGIN): read what to check; fetch and hash outside any transaction;
write the checks and status changes, one short transaction per request.

A URL counts as removed on 404/410, a platform's known deleted-content page, or content that
no longer matches the fingerprint registered for it (a different image, or no media at all
where an image was); see :func:`jikimi.takedown.verification.classify_recheck`. Timeouts,
5xx, 429 and login walls never count as removal. Verification fetches only URLs the centre
has formally asked to remove, one request each, so it does not consult robots.txt (it is not
crawling); it keeps jikimi's user agent, limits and refusal of private addresses.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from jikimi.core.actors import Actor, ActorKind, Role
from jikimi.core.context import ServiceContext
from jikimi.core.database import utcnow
from jikimi.core.perimeter import NetworkGuard
from jikimi.core.runtime import Runtime
from jikimi.errors import Conflict, Forbidden, JikimiError, NotFound
from jikimi.hashing import (
    MATCH_THRESHOLD,
    DecodeLimits,
    ImageFingerprints,
    VideoFrameHash,
    compare_vpdq,
    hamming_distance,
)
from jikimi.matching import media_lookups
from jikimi.scans import Item, ItemVersion
from jikimi.sources.errors import FetchError
from jikimi.sources.http import FetchPolicy, HttpClient
from jikimi.takedown.history import set_status
from jikimi.takedown.lifecycle import (
    OPEN_TAKEDOWN_STATUSES,
    TAKEDOWN_TRANSITIONS,
    TakedownStatus,
    removal_status,
)
from jikimi.takedown.models import TakedownItem, TakedownRequest, VerificationCheck
from jikimi.takedown.platforms import UNLISTED_PREFIX
from jikimi.takedown.schemas import RequestStatusChange, VerificationReport
from jikimi.takedown.verification import BODY_HEAD_BYTES, RemovalOutcome, classify_recheck

VERIFY_POLICY = FetchPolicy(connect_timeout=10.0, read_timeout=20.0, total_timeout=60.0,
                            max_bytes=200_000_000, min_host_interval=0.5,
                            respect_robots=False)
VERIFY_LIMITS = DecodeLimits(max_bytes=200_000_000, decode_timeout_seconds=60)
VERIFY_INTERVAL = dt.timedelta(hours=6)
"""How often the worker re-checks the URLs of each open request."""
FIRST_CHECK_AFTER = dt.timedelta(hours=1)
"""The worker's first re-check of a request, after sending (the platform needs some time)."""


@dataclass(frozen=True)
class _Target:
    request_id: int
    item_id: int
    url: str
    platform_id: str | None
    reference: dict[str, Any]
    media_url: bool
    """True when the URL is the image or video itself (not a page or message showing it)."""


@dataclass(frozen=True)
class _Result:
    target: _Target
    checked_at: dt.datetime
    http_status: int | None
    final_url: str | None
    outcome: RemovalOutcome
    reason: str
    detail: str


def _may_verify(actor: Actor) -> None:
    if actor.kind is ActorKind.SYSTEM or actor.has_role(Role.ANALYST, Role.ADMIN):
        return
    raise Forbidden("verification is run by analysts, administrators or the worker")


def _targets(runtime: Runtime, actor: Actor, request_id: int | None,
             due_before: dt.datetime | None) -> list[_Target]:
    with runtime.sessions() as session:
        query = select(TakedownRequest).where(
            TakedownRequest.status.in_([s.value for s in OPEN_TAKEDOWN_STATUSES]))
        if request_id is not None:
            request = session.get(TakedownRequest, request_id)
            if request is None or (actor.is_staff and request.centre_id != actor.centre_id):
                raise NotFound(f"no takedown request {request_id}")
            if TakedownStatus(request.status) not in OPEN_TAKEDOWN_STATUSES:
                raise Conflict(f"request {request_id} is {request.status}: only sent and open "
                               "requests are verified", code="not_open")
            query = query.where(TakedownRequest.id == request_id)
        elif actor.is_staff:
            query = query.where(TakedownRequest.centre_id == actor.centre_id)
        if due_before is not None:
            first_before = due_before + VERIFY_INTERVAL - FIRST_CHECK_AFTER
            query = query.where(
                (TakedownRequest.last_verified_at.is_(None)
                 & (TakedownRequest.sent_at <= first_before))
                | (TakedownRequest.last_verified_at <= due_before))
        targets = []
        for request in session.scalars(query.order_by(TakedownRequest.id)):
            platform = None if request.platform_id.startswith(UNLISTED_PREFIX) \
                else request.platform_id
            items = session.scalars(select(TakedownItem).where(
                TakedownItem.request_id == request.id, TakedownItem.state == "open")
                .order_by(TakedownItem.id))
            for item in items:
                version = session.get(ItemVersion, item.item_version_id) \
                    if item.item_version_id else None
                ref = json.loads(version.fingerprints) if version else {}
                if version is not None:
                    ref["sha256"] = version.sha256
                for fp in json.loads(item.fingerprints):
                    ref.setdefault(fp["signal_type"], fp["value"])
                found = session.get(Item, item.item_id) if item.item_id else None
                media_url = found is not None and found.locator == item.url
                targets.append(_Target(request.id, item.id, item.url, platform, ref, media_url))
        return targets


def still_matches(data: bytes, reference: dict[str, Any]) -> bool | None:
    """Whether fetched bytes are still the registered content (None if they cannot be read
    as media: the caller decides what an unreadable file means)."""
    try:
        fp, lookups = media_lookups(data, limits=VERIFY_LIMITS)
    except JikimiError:
        return None
    if reference.get("sha256") and fp.sha256 == reference["sha256"]:
        return True
    if isinstance(fp, ImageFingerprints):
        pdq = reference.get("pdq")
        if isinstance(pdq, str) and len(pdq) == 64:
            # the same lookups as a scan: the picture, its mirrors and rotations, unframed
            return any(hamming_distance(q.value, pdq) <= MATCH_THRESHOLD
                       for q in lookups if q.signal_type == "pdq")
        return False
    frames = reference.get("vpdq")
    if isinstance(frames, list) and frames:
        registered = [VideoFrameHash(int(f.get("frame", 0)), float(f.get("timestamp", 0)),
                                     int(f.get("quality", 0)), str(f["pdq"])) for f in frames
                      if isinstance(f, dict) and "pdq" in f]
        return compare_vpdq(registered, fp.frames).is_match()
    return False


def check_url(client: HttpClient, target: _Target) -> _Result:
    """Fetch one URL and classify it (never raises for what the site does)."""
    status: int | None = None
    final_url: str | None = target.url
    body: bytes | None = None
    matches: bool | None = None
    error: str | None = None
    try:
        response = client.get(target.url)
        status, final_url, body = response.status, response.url, response.content
        matches = still_matches(body, target.reference)
        if matches is None and response.media_kind is None and target.media_url:
            matches = False  # an image or video URL that now serves no media
    except FetchError as exc:
        if exc.code == "http_status":
            status = int(exc.details.get("status", 0)) or None
            final_url = exc.url
        else:
            error = exc.message
    verdict = classify_recheck(status, final_url, body[:BODY_HEAD_BYTES] if body else None,
                               matches, platform_id=target.platform_id, error=error)
    return _Result(target, utcnow(), status, final_url, verdict.outcome, verdict.reason,
                   verdict.detail or (error or ""))


def verify(runtime: Runtime, actor: Actor, request_id: int | None = None, *,
           client: HttpClient | None = None, due_only: bool = False,
           on_check: Callable[[str, str], None] | None = None) -> VerificationReport:
    """Re-check the open URLs of one request, or of every open request of the actor's centre
    (``due_only``: those not checked for :data:`VERIFY_INTERVAL`; the first check comes
    :data:`FIRST_CHECK_AFTER` sending). Each check is recorded with its time and HTTP status;
    a request whose URLs are all gone becomes removed, one with some gone partially removed.
    """
    _may_verify(actor)
    due_before = utcnow() - VERIFY_INTERVAL if due_only else None
    targets = _targets(runtime, actor, request_id, due_before)
    own = client is None
    http = client or HttpClient(VERIFY_POLICY,
                                guard=NetworkGuard.from_settings(runtime.settings))
    results: dict[int, list[_Result]] = {}
    try:
        for target in targets:
            result = check_url(http, target)
            results.setdefault(target.request_id, []).append(result)
            if on_check is not None:
                on_check(target.url, result.outcome.value)
    finally:
        if own:
            http.close()
    report = VerificationReport(requests=len(results))
    for rid, checks in results.items():
        change = _record(runtime, actor, rid, checks)
        if change is not None:
            report.changes.append(change)
        for r in checks:
            report.checked += 1
            if r.outcome is RemovalOutcome.REMOVED:
                report.removed += 1
            elif r.outcome is RemovalOutcome.STILL_PRESENT:
                report.still_present += 1
            elif r.outcome is RemovalOutcome.UNREACHABLE:
                report.unreachable += 1
            else:
                report.errors += 1
    return report


def _record(runtime: Runtime, actor: Actor, request_id: int, checks: list[_Result]
            ) -> RequestStatusChange | None:
    with runtime.context(actor) as ctx:
        # locked: a manual decision or another check at the same moment goes in turn
        request = ctx.session.get(TakedownRequest, request_id, with_for_update=True)
        if request is None:
            return None
        now = utcnow()
        for r in checks:
            item = ctx.session.get(TakedownItem, r.target.item_id)
            ctx.session.add(VerificationCheck(
                request_id=request_id, item_id=r.target.item_id, checked_at=r.checked_at,
                url=r.target.url[:2000], final_url=(r.final_url or "")[:2000] or None,
                http_status=r.http_status, outcome=r.outcome.value, reason=r.reason[:60],
                detail=r.detail[:2000], checked_by=actor.ref))
            if item is None:
                continue
            item.last_outcome, item.last_checked_at = r.outcome.value, r.checked_at
            if r.outcome is RemovalOutcome.REMOVED and item.state == "open":
                item.state, item.removed_at = "removed", r.checked_at
        ctx.session.flush()
        request.last_verified_at = now
        states = list(ctx.session.scalars(select(TakedownItem.state).where(
            TakedownItem.request_id == request_id)))
        removed = sum(1 for s in states if s == "removed")
        target = removal_status(removed, len(states)) if states else None
        current = TakedownStatus(request.status)
        ctx.audit("takedown.verify", "takedown", request_id, centre_id=request.centre_id,
                  details={"checked": len(checks), "removed_urls": removed,
                           "urls": len(states)})
        if target is None or target is current or not TAKEDOWN_TRANSITIONS.can(current, target):
            return None
        set_status(ctx.session, request, target, actor.ref, now=now, how="verification",
                   removed_urls=removed, urls=len(states))
        return RequestStatusChange(id=request_id, from_status=current.value,
                                   to_status=target.value)


def verify_allowed(ctx: ServiceContext, request_id: int) -> None:
    """Raise unless the actor may verify this request now (it exists, is theirs, is open)."""
    _may_verify(ctx.actor)
    request = ctx.session.get(TakedownRequest, request_id)
    if request is None or (ctx.actor.is_staff and request.centre_id != ctx.actor.centre_id):
        raise NotFound(f"no takedown request {request_id}")
    if TakedownStatus(request.status) not in OPEN_TAKEDOWN_STATUSES:
        raise Conflict(f"request {request_id} is {request.status}: only sent and open "
                       "requests are verified", code="not_open")
    ctx.audit("takedown.verify_start", "takedown", request_id, centre_id=request.centre_id)
