"""The review queue: matches ordered by harm and confidence, confirmed or rejected by a person.

Order: cases of minors first, then exact matches (SHA-256/MD5), then PDQ/vPDQ by distance,
then face matches ("possible deepfake or new material"). A registered entry that suddenly
matches many different items (a flat image, a meme, a bad registration) is quarantined: its
matches are held out of the queue until an analyst looks at them (confirm, reject, or release
back to the queue).

Previews are made on the fly (:mod:`jikimi.review.preview`): blurred by default; the clear view
is a deliberate, audited act (``review.unblur``).
"""

from __future__ import annotations

import enum
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, not_, or_, select
from sqlalchemy.orm import aliased

from jikimi.accounts import StaffUser
from jikimi.cases import Case
from jikimi.core.actors import Role
from jikimi.core.authorization import Action, ResourceType, load_for, may_any, visible_filter
from jikimi.core.context import ServiceContext
from jikimi.core.database import utcnow
from jikimi.core.perimeter import NetworkGuard
from jikimi.core.state_machine import TransitionTable
from jikimi.core.text import clean_text
from jikimi.errors import Forbidden, InvalidInput, JikimiError, NotFound
from jikimi.hashing import DIHEDRAL_NAMES
from jikimi.matching import Bank, entry_label
from jikimi.matching.models import BankEntry
from jikimi.review.models import ReviewDecision
from jikimi.review.preview import PreviewTarget
from jikimi.review.schemas import (
    BulkOutcome,
    CaseSummary,
    MatchDetail,
    MatchedItem,
    QueueEntry,
    RegisteredEntry,
)
from jikimi.scans import Item, ItemMatch, ItemVersion, SourceRecord, check_source

QUARANTINE_ITEMS = 25
"""An entry matching more distinct items than this is quarantined."""
MAX_BULK = 500
"""Most matches one bulk action may touch."""
QUEUE_PAGE = 10
"""The fewest rows the queue reads from the database at a time (twice the limit asked, up to
2,000): a page's quarantine and platforms are settled in Python, then the next page is read
until the limit is filled. (A page of 50 for the staff's usual five made every request build
ten times the rows it shows.)"""
FACE_LABEL = "possible deepfake or new material"
PLAIN_SIGNALS = frozenset({"pdq", "sha256", "md5"})
"""Signals whose registered value may be shown (faces are encrypted embeddings, vPDQ long)."""


class ReviewStatus(enum.StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    QUARANTINED = "quarantined"


_R = ReviewStatus
REVIEW_TRANSITIONS: TransitionTable[ReviewStatus] = TransitionTable(
    name="match review",
    allowed={
        _R.PENDING: frozenset({_R.CONFIRMED, _R.REJECTED, _R.QUARANTINED}),
        _R.QUARANTINED: frozenset({_R.CONFIRMED, _R.REJECTED, _R.PENDING}),
        _R.CONFIRMED: frozenset({_R.REJECTED}),
        _R.REJECTED: frozenset({_R.CONFIRMED}),
    },
)

MatchConfirmedHook = Callable[[ServiceContext, ItemMatch], None]
_match_confirmed_hooks: list[MatchConfirmedHook] = []


def on_match_confirmed(hook: MatchConfirmedHook) -> None:
    """Call ``hook(ctx, match)`` in the confirming transaction whenever a match is confirmed
    (the takedown capability uses it to propose a takedown request)."""
    if hook not in _match_confirmed_hooks:
        _match_confirmed_hooks.append(hook)


QueueSelect = Select[ItemMatch, Item, str, SourceRecord, ReviewDecision, str]
_SIGNAL_RANK = {"sha256": 0, "md5": 0, "pdq": 1, "vpdq": 1, "face": 2}
_ASSIGNED_RE = re.compile(r"^(me|none|[1-9][0-9]{0,9})$")


@dataclass(frozen=True)
class QueueFilter:
    """What the queue is narrowed to; every field optional."""

    status: ReviewStatus | None = ReviewStatus.PENDING
    case_code: str | None = None
    signal_type: str | None = None
    source_id: int | None = None
    platform: str | None = None
    """A platform id of the directory, or ``"unknown"`` for items of no known platform."""
    assigned: str | None = None
    """``"me"``, ``"none"`` or a staff id."""


def _may_review(ctx: ServiceContext) -> None:
    if not may_any(ctx.actor, ResourceType.MATCH, Action.READ):
        raise Forbidden("the review queue is for analysts and administrators")


# --- platforms -------------------------------------------------------------------------------
PlatformOf = Callable[[str], tuple[str, str] | None]


def _platforms(ctx: ServiceContext) -> PlatformOf:
    """URL → (platform id, name) by the directory in use (the seeded file with the admins'
    edits). The directory is takedown's data; review only reads its domain rules."""
    from jikimi.takedown.platforms import platform_directory

    directory = platform_directory(ctx.session)

    def platform_of(url: str) -> tuple[str, str] | None:
        platform = directory.platform_for_url(url)
        return (platform.id, platform.name) if platform else None

    return platform_of


def _item_platform(platform_of: PlatformOf, source_type: str, locator: str,
                   context: dict[str, Any]) -> tuple[str, str] | None:
    """The platform of an item: its URL, else the page or link it was seen on, else (for a
    Telegram export) Telegram itself."""
    keys = ("requested_url", "page_url", "entry_link", "referrer", "feed_url")
    candidates = [locator] + [str(context[k]) for k in keys if isinstance(context.get(k), str)]
    if source_type == "telegram":
        candidates.append("https://t.me/")
    for candidate in candidates:
        if candidate.startswith(("http://", "https://")):
            found = platform_of(candidate)
            if found:
                return found
    return None


# --- the queue -------------------------------------------------------------------------------
def _base_query() -> QueueSelect:
    assignee = aliased(StaffUser)
    return (select(ItemMatch, Item, Bank.name, SourceRecord, ReviewDecision, assignee.email)
            .join(ItemVersion, ItemVersion.id == ItemMatch.item_version_id)
            .join(Item, Item.id == ItemVersion.item_id)
            .join(SourceRecord, SourceRecord.id == Item.source_id)
            .join(Bank, Bank.id == ItemMatch.bank_id)
            .outerjoin(ReviewDecision, ReviewDecision.match_id == ItemMatch.id)
            .outerjoin(assignee, assignee.id == ReviewDecision.assigned_to))


def _spread(ctx: ServiceContext, entry_ids: Iterable[int]) -> dict[int, int]:
    """How many distinct items each entry matches (across all sources and centres)."""
    ids = sorted(set(entry_ids))
    out: dict[int, int] = {}
    for start in range(0, len(ids), 900):
        chunk = ids[start:start + 900]
        for entry_id, items in ctx.session.execute(
                select(ItemMatch.entry_id, func.count(func.distinct(ItemVersion.item_id)))
                .join(ItemVersion, ItemVersion.id == ItemMatch.item_version_id)
                .where(ItemMatch.entry_id.in_(chunk)).group_by(ItemMatch.entry_id)):
            out[int(entry_id)] = int(items)
    return out


def _minors(ctx: ServiceContext, codes: set[str]) -> set[str]:
    found: set[str] = set()
    ordered = sorted(codes)
    for start in range(0, len(ordered), 900):
        found.update(ctx.session.scalars(select(Case.code).where(
            Case.code.in_(ordered[start:start + 900]), Case.minor.is_(True))))
    return found


def _current(decision: ReviewDecision | None, spread: int) -> ReviewStatus:
    """The stored decision, or quarantine for an undecided match of a flooding entry."""
    if decision is not None and (decision.decided_by or decision.status != _R.PENDING):
        return ReviewStatus(decision.status)
    return _R.QUARANTINED if spread > QUARANTINE_ITEMS else _R.PENDING


def _entries(ctx: ServiceContext, query: QueueSelect) -> list[QueueEntry]:
    rows = ctx.session.execute(query).all()
    if not rows:
        return []
    spread = _spread(ctx, (r[0].entry_id for r in rows))
    minors = _minors(ctx, {r[0].case_code for r in rows if r[0].case_code})
    platform_of = _platforms(ctx)
    entries = []
    for match, item, bank_name, source, decision, assignee in rows:
        context = json.loads(item.context)
        platform = _item_platform(platform_of, source.type, item.locator, context)
        entries.append(QueueEntry(
            match_id=match.id, status=_current(decision, spread.get(match.entry_id, 0)),
            case_code=match.case_code, minor=match.case_code in minors, bank=bank_name,
            entry_id=match.entry_id, signal_type=match.signal_type, distance=match.distance,
            variant=match.variant, entry_variant=match.entry_variant, reliable=match.reliable,
            label=FACE_LABEL if match.signal_type == "face" else "registered content",
            locator=item.locator, source_id=source.id, source_name=source.name,
            context=context, first_seen=item.first_seen, last_seen=item.last_seen,
            reason=decision.reason if decision else "",
            platform=platform[0] if platform else None,
            platform_name=platform[1] if platform else None,
            assigned_to=decision.assigned_to if decision else None, assignee=assignee,
            decided_by=decision.decided_by if decision else None,
            decided_at=decision.decided_at if decision else None,
            quarantine_items=spread.get(match.entry_id, 0)))
    entries.sort(key=_harm_order)
    return entries


def _harm_order(entry: QueueEntry) -> tuple[bool, int, bool, int, int]:
    """Most harmful and most certain first: minors, exact signals, reliable, closest."""
    return (not entry.minor, _SIGNAL_RANK.get(entry.signal_type, 3), not entry.reliable,
            entry.distance, entry.match_id)


def _harm_order_sql() -> list[ColumnElement[Any]]:
    """:func:`_harm_order` as SQL, so the database sorts and pages the queue."""
    minor = select(Case.id).where(Case.code == ItemMatch.case_code,
                                  Case.minor.is_(True)).exists()
    return [case((minor, 0), else_=1),
            case(_SIGNAL_RANK, value=ItemMatch.signal_type, else_=3),
            case((ItemMatch.reliable.is_(True), 0), else_=1),
            ItemMatch.distance.asc(), ItemMatch.id.asc()]


def _undecided() -> ColumnElement[bool]:
    """No stored decision: the match's status follows its entry's spread (pending or
    quarantined); see :func:`_current`."""
    return or_(ReviewDecision.match_id.is_(None),
               and_(ReviewDecision.decided_by.is_(None),
                    ReviewDecision.status == _R.PENDING.value))


def _may_have_status(status: ReviewStatus) -> ColumnElement[bool]:
    """Every match whose :func:`_current` status can be ``status`` (exact for confirmed and
    rejected; for pending and quarantined also the undecided, whose spread decides)."""
    if status in (_R.CONFIRMED, _R.REJECTED):
        return and_(ReviewDecision.status == status.value, not_(_undecided()))
    return or_(ReviewDecision.match_id.is_(None),
               ReviewDecision.status.in_([status.value, _R.PENDING.value]))


def _visible_query(ctx: ServiceContext) -> QueueSelect:
    """The matches the actor's centre owns: every match of its cases, whatever source found
    it, and the matches its own sources found on banks that are not a case's."""
    return _base_query().where(visible_filter(ctx.actor, ResourceType.MATCH,
                                              ItemMatch.centre_id))


def _check_filter(ctx: ServiceContext, f: QueueFilter) -> QueueFilter:
    if f.assigned is not None and not _ASSIGNED_RE.match(f.assigned):
        raise InvalidInput("assigned is 'me', 'none' or a staff id", code="bad_filter")
    if f.assigned == "me" and ctx.actor.id is None:
        raise InvalidInput("only a staff member has matches assigned to her", code="bad_filter")
    if f.platform is not None and not re.fullmatch(r"[a-z0-9_]{1,40}", f.platform):
        raise InvalidInput("platform is a platform id such as 'x' or 'telegram', or 'unknown'",
                           code="bad_filter")
    return f


def queue(ctx: ServiceContext, *, status: ReviewStatus | None = ReviewStatus.PENDING,
          case_code: str | None = None, signal_type: str | None = None,
          source_id: int | None = None, platform: str | None = None,
          assigned: str | None = None, limit: int = 500) -> list[QueueEntry]:
    """The matches this centre owns (see :func:`_visible_query`), most harmful and most
    certain first."""
    _may_review(ctx)
    f = _check_filter(ctx, QueueFilter(status, case_code, signal_type, source_id, platform,
                                       assigned))
    query = _visible_query(ctx)
    if f.case_code:
        query = query.where(ItemMatch.case_code == f.case_code.strip().upper()[:20])
    if f.signal_type:
        query = query.where(ItemMatch.signal_type == f.signal_type[:20])
    if f.source_id is not None:
        query = query.where(SourceRecord.id == f.source_id)
    if f.assigned == "none":
        query = query.where(ReviewDecision.assigned_to.is_(None))
    elif f.assigned == "me":
        query = query.where(ReviewDecision.assigned_to == ctx.actor.id)
    elif f.assigned is not None:
        query = query.where(ReviewDecision.assigned_to == int(f.assigned))
    if f.status is not None:
        query = query.where(_may_have_status(f.status))
    query = query.order_by(*_harm_order_sql())
    # The database filters, sorts and pages; a page's statuses (quarantine follows an entry's
    # spread) and platforms (the directory's rules) are settled here, page after page.
    page = max(QUEUE_PAGE, min(limit, 1000) * 2)
    entries: list[QueueEntry] = []
    offset = 0
    while len(entries) < limit:
        rows = _entries(ctx, query.offset(offset).limit(page))
        entries += [e for e in rows
                    if (f.status is None or e.status == f.status)
                    and (f.platform is None or (e.platform or "unknown") == f.platform)]
        if len(rows) < page:
            break
        offset += page
    entries = entries[:limit]
    ctx.audit("review.list", "review", "*", centre_id=ctx.actor.centre_id,
              details={"count": len(entries)})
    return entries


def _entries_by_id(ctx: ServiceContext, match_ids: Sequence[int]) -> dict[int, QueueEntry]:
    return {e.match_id: e for e in _entries(
        ctx, _base_query().where(ItemMatch.id.in_(list(match_ids))))}


# --- one match -------------------------------------------------------------------------------
@dataclass
class _Loaded:
    match: ItemMatch
    version: ItemVersion
    item: Item
    source: SourceRecord


def _load(ctx: ServiceContext, match_id: int, action: Action = Action.READ) -> _Loaded:
    """The match, if the actor may ``action`` on it: another centre's is 404 (the authorisation
    module's rule, which also audits the refusal)."""
    _may_review(ctx)
    load_for(ctx, ResourceType.MATCH, match_id, action)
    row = ctx.session.execute(
        select(ItemMatch, ItemVersion, Item, SourceRecord)
        .join(ItemVersion, ItemVersion.id == ItemMatch.item_version_id)
        .join(Item, Item.id == ItemVersion.item_id)
        .join(SourceRecord, SourceRecord.id == Item.source_id)
        .where(ItemMatch.id == match_id)).first()
    if row is None:
        raise NotFound(f"no match {match_id}")
    return _Loaded(*row)


def _item_value(fingerprints: dict[str, Any], signal: str, variant: str) -> str | None:
    if signal in ("sha256", "md5"):
        value = fingerprints.get(signal)
        return value if isinstance(value, str) else None
    if signal != "pdq":
        return None
    if variant == "original":
        value = fingerprints.get("pdq")
        return value if isinstance(value, str) else None
    dihedral = fingerprints.get("dihedral") or []
    if variant in DIHEDRAL_NAMES and len(dihedral) > DIHEDRAL_NAMES.index(variant):
        return str(dihedral[DIHEDRAL_NAMES.index(variant)])
    for v in fingerprints.get("variants") or []:
        if isinstance(v, dict) and v.get("name") == variant:
            return str(v.get("pdq") or v.get("hex") or "") or None
    return None


def detail(ctx: ServiceContext, match_id: int) -> MatchDetail:
    """Everything a reviewer needs about one match (no media: the preview is separate)."""
    loaded = _load(ctx, match_id)
    entry = _entries_by_id(ctx, [match_id])[match_id]
    bank_entry = ctx.session.get(BankEntry, loaded.match.entry_id)
    bank = ctx.session.get(Bank, loaded.match.bank_id)
    assert bank_entry is not None and bank is not None
    fingerprints = json.loads(loaded.version.fingerprints or "{}")
    case = ctx.session.scalar(select(Case).where(Case.code == loaded.match.case_code)) \
        if loaded.match.case_code else None
    ctx.audit("review.read", "match", match_id, centre_id=loaded.match.centre_id,
              details={"case": loaded.match.case_code})
    return MatchDetail(
        entry=entry,
        registered=RegisteredEntry(
            entry_id=bank_entry.id, bank=bank.name, bank_case_code=bank.case_code,
            signal_type=bank_entry.signal_type,
            value=bank_entry.value if bank_entry.signal_type in PLAIN_SIGNALS else None,
            quality=bank_entry.quality, variant=bank_entry.variant,
            label=entry_label(ctx.keys, bank_entry),
            content_id=bank_entry.content_id, created_at=bank_entry.created_at,
            removed=bank_entry.removed_at is not None),
        item=MatchedItem(
            item_id=loaded.item.id, locator=loaded.item.locator, kind=loaded.version.kind,
            sha256=loaded.version.sha256,
            fingerprint=_item_value(fingerprints, loaded.match.signal_type,
                                    loaded.match.variant),
            source_id=loaded.source.id, source_name=loaded.source.name,
            source_type=loaded.source.type, context=entry.context,
            first_seen=loaded.item.first_seen, last_seen=loaded.item.last_seen),
        case=CaseSummary(code=case.code, minor=case.minor, status=case.status,
                         same_centre=not ctx.actor.is_staff
                         or case.centre_id == ctx.actor.centre_id) if case else None,
        threshold=bank.pdq_threshold if loaded.match.signal_type == "pdq" else None,
        next_statuses=sorted(s.value for s in REVIEW_TRANSITIONS.allowed[ReviewStatus(
            entry.status)]),
    )


def preview_target(ctx: ServiceContext, match_id: int, *, unblur: bool = False,
                   reason: str = "") -> PreviewTarget:
    """Where to read the item for a preview. Asking for the clear view is audited here, in the
    caller's transaction, before any byte is fetched (``review.unblur``)."""
    loaded = _load(ctx, match_id)
    reason = clean_text(reason, "the reason", max_chars=500)
    config = json.loads(loaded.source.config)
    # The perimeter holds for previews too: local files only under the import roots.
    check_source(ctx.settings, loaded.source.type, config, loaded.source.centre_id)
    if unblur:
        ctx.audit("review.unblur", "match", match_id, centre_id=loaded.match.centre_id,
                  details={"case": loaded.match.case_code, "reason": reason,
                           "item": loaded.item.id})
    else:
        ctx.audit("review.preview", "match", match_id, centre_id=loaded.match.centre_id,
                  details={"case": loaded.match.case_code})
    return PreviewTarget(match_id=match_id, source_type=loaded.source.type,
                         source_config=config,
                         item_key=loaded.item.item_key, locator=loaded.item.locator,
                         sha256=loaded.version.sha256, kind=loaded.version.kind,
                         guard=NetworkGuard.from_settings(ctx.settings))


# --- decisions -------------------------------------------------------------------------------
def _decide(ctx: ServiceContext, match_id: int, target: ReviewStatus, reason: str,
            *, hooks: bool = True) -> ItemMatch:
    loaded = _load(ctx, match_id, Action.WRITE)
    match = loaded.match
    reason = clean_text(reason, "the reason", max_chars=1000)
    if target is ReviewStatus.REJECTED and not reason:
        raise InvalidInput("say why the match is rejected (--reason)",
                           code="reject_reason_required", field="reason")
    decision = ctx.session.get(ReviewDecision, match_id)
    current = _current(decision, _spread(ctx, [match.entry_id]).get(match.entry_id, 0))
    REVIEW_TRANSITIONS.check(current, target)
    now = utcnow()
    if decision is None:
        decision = ReviewDecision(match_id=match_id, status=target.value)
        ctx.session.add(decision)
    decision.status = target.value
    decision.decided_by = ctx.actor.ref
    decision.decided_at = now
    decision.reason = reason
    decision.updated_at = now
    ctx.session.flush()
    ctx.audit(f"review.{target.value}", "match", match_id, centre_id=loaded.match.centre_id,
              details={"from": current.value, "case": match.case_code, "reason": reason})
    if target is ReviewStatus.CONFIRMED and hooks:
        for hook in _match_confirmed_hooks:
            hook(ctx, match)
    return match


def _one(ctx: ServiceContext, match_id: int) -> QueueEntry:
    return _entries_by_id(ctx, [match_id])[match_id]


def confirm(ctx: ServiceContext, match_id: int, reason: str = "") -> QueueEntry:
    """Confirm a match: the item is the registered content (links it to the case)."""
    _decide(ctx, match_id, ReviewStatus.CONFIRMED, reason)
    return _one(ctx, match_id)


def reject(ctx: ServiceContext, match_id: int, reason: str) -> QueueEntry:
    """Reject a match with a reason (a false match, or benign)."""
    _decide(ctx, match_id, ReviewStatus.REJECTED, reason)
    return _one(ctx, match_id)


def release(ctx: ServiceContext, match_id: int, reason: str = "") -> QueueEntry:
    """Put a quarantined match back in the queue (the entry was looked at and is sound)."""
    _decide(ctx, match_id, ReviewStatus.PENDING, reason)
    return _one(ctx, match_id)


def _check_ids(match_ids: Sequence[int]) -> list[int]:
    ids = list(dict.fromkeys(match_ids))
    if not ids:
        raise InvalidInput("choose at least one match", code="nothing_selected")
    if len(ids) > MAX_BULK:
        raise InvalidInput(f"at most {MAX_BULK} matches at once", code="too_many")
    return ids


def decide_many(ctx: ServiceContext, match_ids: Sequence[int], target: ReviewStatus,
                reason: str = "") -> list[BulkOutcome]:
    """Confirm, reject or release several matches; each is checked on its own and a match
    that cannot move (unknown, another centre's, already decided) is reported, not fatal."""
    _may_review(ctx)
    ids = _check_ids(match_ids)
    reason = clean_text(reason, "the reason", max_chars=1000)
    if target is ReviewStatus.REJECTED and not reason:
        raise InvalidInput("say why the matches are rejected (--reason)")
    outcomes = []
    for match_id in ids:
        try:
            _decide(ctx, match_id, target, reason)
        except JikimiError as exc:
            outcomes.append(BulkOutcome(match_id=match_id, ok=False, error=exc.message,
                                        code=exc.code))
            continue
        outcomes.append(BulkOutcome(match_id=match_id, ok=True, status=target.value))
    return outcomes


def assign(ctx: ServiceContext, match_ids: Sequence[int], user_id: int | None
           ) -> list[BulkOutcome]:
    """Assign matches to an analyst (or administrator) of the centre, or unassign them."""
    _may_review(ctx)
    ids = _check_ids(match_ids)
    assignee: StaffUser | None = None
    if user_id is not None:
        assignee = ctx.session.get(StaffUser, user_id)
        if assignee is None or not assignee.active or (
                ctx.actor.is_staff and assignee.centre_id != ctx.actor.centre_id):
            raise NotFound(f"no active staff member {user_id} in this centre")
        if assignee.role not in (Role.ANALYST, Role.ADMIN):
            raise InvalidInput("matches are assigned to analysts or administrators",
                               code="bad_assignee")
    outcomes = []
    for match_id in ids:
        try:
            loaded = _load(ctx, match_id, Action.WRITE)
        except JikimiError as exc:
            outcomes.append(BulkOutcome(match_id=match_id, ok=False, error=exc.message,
                                        code=exc.code))
            continue
        if assignee is not None and loaded.match.centre_id != assignee.centre_id:
            outcomes.append(BulkOutcome(match_id=match_id, ok=False, code="forbidden",
                                        error="the analyst works for another centre"))
            continue
        decision = ctx.session.get(ReviewDecision, match_id)
        if decision is None:
            decision = ReviewDecision(match_id=match_id, status=_R.PENDING.value, reason="")
            ctx.session.add(decision)
        decision.assigned_to = user_id
        decision.updated_at = utcnow()
        ctx.session.flush()
        ctx.audit("review.assign", "match", match_id, centre_id=loaded.match.centre_id,
                  details={"to": user_id})
        outcomes.append(BulkOutcome(match_id=match_id, ok=True, status=decision.status))
    return outcomes


def reviewers(ctx: ServiceContext) -> list[tuple[int, str]]:
    """The active analysts and administrators of the actor's centre (id, e-mail)."""
    _may_review(ctx)
    query = select(StaffUser.id, StaffUser.email).where(
        StaffUser.active.is_(True), StaffUser.role.in_([Role.ANALYST.value, Role.ADMIN.value]))
    if ctx.actor.is_staff:
        query = query.where(StaffUser.centre_id == ctx.actor.centre_id)
    return [(int(i), str(e)) for i, e in ctx.session.execute(query.order_by(StaffUser.email))]


def counts(ctx: ServiceContext) -> dict[str, int]:
    """How many matches the actor's centre owns in each status (the queue's rule, counted by
    the database: decided ones by their decision, undecided ones by their entry's spread)."""
    _may_review(ctx)
    visible = visible_filter(ctx.actor, ResourceType.MATCH, ItemMatch.centre_id)
    found: Counter[str] = Counter()
    decided = (select(ReviewDecision.status, func.count())
               .join(ItemMatch, ItemMatch.id == ReviewDecision.match_id)
               .where(visible, not_(_undecided())).group_by(ReviewDecision.status))
    for status, count in ctx.session.execute(decided):
        found[str(status)] += int(count)
    undecided = dict(ctx.session.execute(
        select(ItemMatch.entry_id, func.count())
        .outerjoin(ReviewDecision, ReviewDecision.match_id == ItemMatch.id)
        .where(visible, _undecided()).group_by(ItemMatch.entry_id)).all())
    spread = _spread(ctx, undecided)
    for entry_id, count in undecided.items():
        found[_current(None, spread.get(entry_id, 0)).value] += int(count)
    return dict(found)
