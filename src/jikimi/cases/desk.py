"""The centre's desk: finding cases (search, sort, pages), the intake queue, picking a case up,
and handing a case over to another centre.

Visibility is the rule of :mod:`jikimi.cases.access`, written once more as a SQL condition
(:func:`visible_cases`) so that a list can be counted and paged in the database; every row of a
page is still checked against ``case_access`` before it is returned, and a test compares the
two for every role.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, and_, exists, false, func, select, true
from sqlalchemy.orm import Session

from jikimi.accounts import Centre, StaffUser
from jikimi.cases.access import case_access, may_list_cases
from jikimi.cases.lifecycle import CaseStatus, ConsentPurpose, IntakeChannel
from jikimi.cases.models import Case, CaseAssignment, ConsentRecord
from jikimi.cases.schemas import CaseDetail, CaseSummary
from jikimi.cases.service import (
    _active_consents,
    _add_assignment,
    _detail,
    _event,
    _load,
    _summary,
    lock_case,
)
from jikimi.core.actors import Actor, ActorKind, Role
from jikimi.core.context import ServiceContext
from jikimi.core.database import utcnow
from jikimi.core.paging import Page, PageRequest
from jikimi.core.text import clean_text
from jikimi.errors import Conflict, Forbidden, InvalidInput

CASE_SORTS: dict[str, ColumnElement[object]] = {
    "code": Case.code,  # type: ignore[dict-item]
    "status": Case.status,  # type: ignore[dict-item]
    "opened": Case.intake_at,  # type: ignore[dict-item]
    "updated": Case.updated_at,  # type: ignore[dict-item]
    "minor": Case.minor,  # type: ignore[dict-item]
}
DEFAULT_CASE_SORT = "-opened"
MAX_REASON_CHARS = 1000


@dataclass(frozen=True)
class CaseQuery:
    """What to look for among the cases the actor may see."""

    status: CaseStatus | None = None
    channel: IntakeChannel | None = None
    minor: bool | None = None
    assignee: str = ""
    """"" anyone, "me", "none" (the intake queue: nobody has it yet) or a staff id."""
    code: str = ""
    """Part of the case code, e.g. ``000123`` or ``2026-0001``."""
    opened_from: dt.date | None = None
    opened_to: dt.date | None = None
    include_erased: bool = True
    include_closed: bool = True


@dataclass(frozen=True)
class StaffName:
    id: int
    name: str
    role: str


# --- who may see which case, as SQL ----------------------------------------------------------
def _assigned_to(user_id: int | None) -> ColumnElement[bool]:
    return exists().where(CaseAssignment.case_id == Case.id,
                          CaseAssignment.user_id == user_id)


_UNASSIGNED = ~exists().where(CaseAssignment.case_id == Case.id)
_POLICE_CONSENT = exists().where(ConsentRecord.case_id == Case.id,
                                 ConsentRecord.purpose == ConsentPurpose.POLICE_REFERRAL.value,
                                 ConsentRecord.withdrawn_at.is_(None))


def visible_cases(actor: Actor) -> ColumnElement[bool]:
    """The cases ``actor`` may see (``jikimi.cases.access.case_access``, as a WHERE clause)."""
    if actor.kind is ActorKind.SYSTEM:
        return true()
    if actor.kind is not ActorKind.STAFF or actor.centre_id is None:
        return false()
    same_centre = Case.centre_id == actor.centre_id
    if actor.role in (Role.ANALYST, Role.ADMIN):
        return same_centre
    if actor.role is Role.COUNSELLOR:
        return and_(same_centre, _assigned_to(actor.id) | _UNASSIGNED)
    if actor.role is Role.INVESTIGATOR:
        return and_(same_centre, _assigned_to(actor.id) | _POLICE_CONSENT)
    return false()


def _code_fragment(text: str) -> str:
    return re.sub(r"[^A-Z0-9-]", "", text.strip().upper())[:20]


def _filtered(actor: Actor, query: CaseQuery) -> Select[Case]:
    stmt = select(Case).where(visible_cases(actor))
    if query.status is not None:
        stmt = stmt.where(Case.status == query.status.value)
    if query.channel is not None:
        stmt = stmt.where(Case.intake_channel == query.channel.value)
    if query.minor is not None:
        stmt = stmt.where(Case.minor.is_(query.minor))
    if not query.include_erased:
        stmt = stmt.where(Case.erased_at.is_(None))
    if not query.include_closed:
        stmt = stmt.where(Case.status != CaseStatus.CLOSED.value)
    fragment = _code_fragment(query.code)
    if fragment:
        stmt = stmt.where(Case.code.contains(fragment, autoescape=True))
    if query.assignee == "me":
        stmt = stmt.where(_assigned_to(actor.id))
    elif query.assignee == "none":
        stmt = stmt.where(_UNASSIGNED)
    elif query.assignee.isdigit() and len(query.assignee) < 10:
        stmt = stmt.where(_assigned_to(int(query.assignee)))
    elif query.assignee:
        raise InvalidInput("choose an assignee from the list", code="bad_case_assignee",
                           field="assignee")
    if query.opened_from is not None:
        stmt = stmt.where(Case.intake_at >= dt.datetime.combine(
            query.opened_from, dt.time(), dt.UTC))
    if query.opened_to is not None:
        stmt = stmt.where(Case.intake_at < dt.datetime.combine(
            query.opened_to + dt.timedelta(days=1), dt.time(), dt.UTC))
    return stmt


def _assignees_of(session: Session, case_ids: list[int]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {i: [] for i in case_ids}
    if case_ids:
        for case_id, user_id in session.execute(
                select(CaseAssignment.case_id, CaseAssignment.user_id)
                .where(CaseAssignment.case_id.in_(case_ids))
                .order_by(CaseAssignment.user_id)):
            found[case_id].append(user_id)
    return found


def _consents_of(session: Session, case_ids: list[int]) -> dict[int, list[ConsentRecord]]:
    found: dict[int, list[ConsentRecord]] = {i: [] for i in case_ids}
    if case_ids:
        for record in session.scalars(select(ConsentRecord)
                                      .where(ConsentRecord.case_id.in_(case_ids))
                                      .order_by(ConsentRecord.id)):
            found[record.case_id].append(record)
    return found


def search_cases(ctx: ServiceContext, query: CaseQuery, page: PageRequest
                 ) -> Page[CaseSummary]:
    """One page of the cases the actor may see that match ``query``, sorted as asked
    (``page.sort`` is a key of ``CASE_SORTS``), with the total for the pager."""
    actor = ctx.actor
    if not may_list_cases(actor):
        raise Forbidden("your role does not read cases")
    stmt = _filtered(actor, query)
    total = ctx.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    column = CASE_SORTS.get(page.sort, Case.intake_at)
    ordered = stmt.order_by(column.desc() if page.descending else column.asc(),
                            Case.id.desc() if page.descending else Case.id.asc())
    rows = list(ctx.session.scalars(ordered.limit(page.per_page).offset(page.offset)))
    ids = [c.id for c in rows]
    assignees, consents = _assignees_of(ctx.session, ids), _consents_of(ctx.session, ids)
    items: list[CaseSummary] = []
    for case in rows:
        access = case_access(actor, case_centre_id=case.centre_id,
                             assignee_ids=assignees[case.id],
                             active_consents=_active_consents(consents[case.id]))
        if access.none:  # the SQL condition and the rule disagree: never show the row
            continue
        items.append(_summary(ctx.session, case, assignees[case.id], consents[case.id]))
    ctx.audit("case.list", "case", "*", centre_id=actor.centre_id,
              details={"count": len(items), "total": total, "page": page.page,
                       "codes": [r.code for r in items[:50]]})
    return Page(items=items, total=total, request=page)


def count_cases(ctx: ServiceContext, query: CaseQuery, *,
                opened_since: dt.datetime | None = None) -> int:
    """How many cases the actor may see match ``query`` (opened at or after ``opened_since``):
    one SQL count under the same visibility rule as :func:`search_cases`; no code leaves."""
    actor = ctx.actor
    if not may_list_cases(actor):
        raise Forbidden("your role does not read cases")
    stmt = _filtered(actor, query).with_only_columns(Case.id)
    if opened_since is not None:
        stmt = stmt.where(Case.intake_at >= opened_since)
    return ctx.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0


def intake_times(ctx: ServiceContext, since: dt.datetime) -> list[dt.datetime]:
    """When the cases the actor may see were opened, from ``since`` on (for charts)."""
    actor = ctx.actor
    if not may_list_cases(actor):
        raise Forbidden("your role does not read cases")
    stmt = _filtered(actor, CaseQuery()).with_only_columns(Case.intake_at)
    return [_aware(t) for t in ctx.session.scalars(stmt.where(Case.intake_at >= since))]


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def intake_queue(ctx: ServiceContext, limit: int = 20) -> Page[CaseSummary]:
    """Cases of the actor's centre that nobody has yet and that are not closed, oldest first
    (the intake queue)."""
    return search_cases(ctx, CaseQuery(assignee="none", include_erased=False,
                                       include_closed=False),
                        PageRequest(per_page=limit, sort="opened", descending=False))


# --- names of staff --------------------------------------------------------------------------
def staff_names(ctx: ServiceContext, user_ids: list[int]) -> dict[int, StaffName]:
    """Display names of colleagues (of the actor's centre) for lists and the case page."""
    if not user_ids:
        return {}
    query = select(StaffUser).where(StaffUser.id.in_(sorted(set(user_ids))[:500]))
    if ctx.actor.is_staff:
        query = query.where(StaffUser.centre_id == ctx.actor.centre_id)
    return {u.id: StaffName(u.id, u.display_name or u.email.split("@")[0], u.role)
            for u in ctx.session.scalars(query)}


def assignable_staff(ctx: ServiceContext, code: str) -> list[StaffName]:
    """Who an administrator may assign to the case: active counsellors, analysts and
    investigators of the case's centre, not yet assigned."""
    case, access, assignees, _records = _load(ctx, code)
    if not access.assign:
        return []
    rows = ctx.session.scalars(
        select(StaffUser).where(StaffUser.centre_id == case.centre_id,
                                StaffUser.active.is_(True),
                                StaffUser.role.in_([Role.COUNSELLOR.value, Role.ANALYST.value,
                                                    Role.INVESTIGATOR.value]))
        .order_by(StaffUser.role, StaffUser.display_name, StaffUser.id))
    return [StaffName(u.id, u.display_name or u.email.split("@")[0], u.role)
            for u in rows if u.id not in assignees]


def centres_to_hand_over_to(ctx: ServiceContext, code: str) -> list[tuple[int, str]]:
    """The centres a case may be handed over to (every centre but its own)."""
    case, access, _a, _r = _load(ctx, code)
    if not access.hand_over:
        return []
    return [(c.id, c.name) for c in ctx.session.scalars(
        select(Centre).where(Centre.id != case.centre_id).order_by(Centre.name))]


# --- picking up and handing over -------------------------------------------------------------
def pick_up(ctx: ServiceContext, code: str) -> CaseDetail:
    """A counsellor takes a case from her centre's intake queue: she is assigned to it."""
    case, access, _assignees, _records = _load(ctx, code)
    if not access.pick_up:
        raise Forbidden(f"{case.code} is not in your intake queue", code="not_in_queue")
    # Two counsellors (or one double click) picking up at once: the second waits for the
    # first's commit on the case row and then sees her assignment (SQLite serialises writers);
    # a case handed over meanwhile is no longer in her centre's queue.
    lock_case(ctx, case)
    if case.centre_id != ctx.actor.centre_id:
        raise Forbidden(f"{case.code} is not in your intake queue", code="not_in_queue")
    if ctx.session.scalar(select(CaseAssignment.id).where(CaseAssignment.case_id == case.id)):
        raise Conflict(f"{case.code} was already picked up", code="already_picked_up")
    assert ctx.actor.id is not None
    _add_assignment(ctx, case, ctx.actor.id)
    case.updated_at = utcnow()
    _event(ctx, case, "picked_up", user_id=ctx.actor.id)
    ctx.audit("case.pick_up", "case", case.code, centre_id=case.centre_id,
              details={"user_id": ctx.actor.id})
    return _reload(ctx, case.code)


def _reload(ctx: ServiceContext, code: str) -> CaseDetail:
    case, access, assignees, records = _load(ctx, code)
    return _detail(ctx, case, access, assignees, records)


HandedOverHook = Callable[[ServiceContext, int, str, int, int], None]
_handed_over_hooks: list[HandedOverHook] = []


def on_case_handed_over(hook: HandedOverHook) -> None:
    """Call ``hook(ctx, case_id, code, old_centre_id, new_centre_id)`` in the same transaction
    as every hand-over: the records a case owns (its bank, matches, takedowns, evidence)
    move to the new centre with it."""
    if hook not in _handed_over_hooks:
        _handed_over_hooks.append(hook)


def hand_over(ctx: ServiceContext, code: str, centre_id: int, reason: str) -> str:
    """Move a case to another centre, with a reason. Its assignments end (the new centre
    finds it in its intake queue); its records follow it; both centres' audit logs say so.
    Returns the new centre's name (the actor usually no longer sees the case)."""
    case, access, _assignees, _records = _load(ctx, code)
    if not access.hand_over:
        raise Forbidden(f"you may not hand {case.code} over to another centre")
    lock_case(ctx, case)  # a pick-up, an assignment or another hand-over goes before or after
    case, access, assignees, _records = _load(ctx, code)  # as it stands now
    if not access.hand_over:
        raise Forbidden(f"you may not hand {case.code} over to another centre")
    reason = clean_text(reason, "the reason", max_chars=MAX_REASON_CHARS)
    if not reason:
        raise InvalidInput("say why the case goes to another centre",
                           code="hand_over_reason_required", field="reason")
    target = ctx.session.get(Centre, centre_id) if 0 < centre_id < 2**31 else None
    if target is None:
        raise InvalidInput("choose the centre that takes the case", code="bad_centre",
                           field="centre")
    if target.id == case.centre_id:
        raise InvalidInput(f"{case.code} is already at {target.name}", code="same_centre",
                           field="centre")
    old = case.centre_id
    old_name = ctx.session.get(Centre, old)
    for row in ctx.session.scalars(select(CaseAssignment)
                                   .where(CaseAssignment.case_id == case.id)):
        ctx.session.delete(row)
    case.centre_id = target.id
    case.updated_at = utcnow()
    ctx.session.flush()
    for hook in _handed_over_hooks:
        hook(ctx, case.id, case.code, old, target.id)
    _event(ctx, case, "handed_over", from_centre=old_name.name if old_name else str(old),
           to_centre=target.name, unassigned=assignees)
    details = {"from": old, "to": target.id, "reason": reason, "unassigned": assignees}
    ctx.audit("case.hand_over", "case", case.code, centre_id=old, details=details)
    ctx.audit("case.received", "case", case.code, centre_id=target.id, details=details)
    return target.name

