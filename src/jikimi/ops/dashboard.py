"""The start page of each role: what needs doing today, and the centre's month by month.

What each role finds (counts reach records only through each capability's service, so the
access rules are the ones the lists apply):

- counsellor: her open cases, her cases opened in the last 7 days;
- analyst: matches waiting for review, notice drafts to approve, requests past deadline;
- investigator: the cases she may see (assigned or with police-referral consent);
- admin: new cases from the portal and the web, cases assigned to nobody, review, drafts,
  requests past deadline;
- central admin: the national picture — every centre's cases, matches, requests, removals.

Charts (analysts and administrators of a centre; central admins nationally and per centre):
cases opened, matches found, requests sent and URLs removed by month (last 12 months, KST),
and the median time from sending to removal.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import select

from jikimi import cases, review
from jikimi.cases import Case, CaseStatus, IntakeChannel
from jikimi.core.actors import Role
from jikimi.core.context import ServiceContext
from jikimi.core.database import utcnow
from jikimi.errors import Forbidden
from jikimi.scans import ItemMatch
from jikimi.takedown import service as takedowns
from jikimi.takedown.lifecycle import TakedownStatus

KST = ZoneInfo("Asia/Seoul")
MONTHS = 12
SERIES = ("cases", "matches", "requests", "removed")


@dataclass(frozen=True)
class Todo:
    """One thing to do: ``key`` names it (translated as ``todo.<key>``), ``href`` lists it."""

    key: str
    count: int
    href: str


@dataclass
class Monthly:
    """Counts per month (``YYYY-MM``, oldest first) for each series in :data:`SERIES`."""

    months: list[str]
    values: dict[str, list[int]] = field(default_factory=dict)
    median_hours_to_removal: float | None = None

    def has_data(self) -> bool:
        return any(any(v) for v in self.values.values())


@dataclass
class CentreLine:
    centre_id: int
    centre_name: str
    cases_total: int
    minors: int
    monthly: Monthly


@dataclass
class StartPage:
    role: str
    todos: list[Todo]
    monthly: Monthly | None
    centres: list[CentreLine] = field(default_factory=list)


def month_axis(now: dt.datetime, months: int = MONTHS) -> list[str]:
    """The last ``months`` months up to ``now`` (KST), oldest first: ``["2026-01", ...]``."""
    local = now.astimezone(KST)
    year, month = local.year, local.month
    out = []
    for _ in range(months):
        out.append(f"{year:04d}-{month:02d}")
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return out[::-1]


def _count_by_month(moments: list[dt.datetime], axis: list[str]) -> list[int]:
    index = {m: i for i, m in enumerate(axis)}
    counts = [0] * len(axis)
    for moment in moments:
        slot = index.get(moment.astimezone(KST).strftime("%Y-%m"))
        if slot is not None:
            counts[slot] += 1
    return counts


def _matches(ctx: ServiceContext, centre_id: int | None) -> list[dt.datetime]:
    """When matches of the centre's cases (or every centre's) were found: counts only."""
    query = select(ItemMatch.created_at).join(Case, Case.code == ItemMatch.case_code)
    if centre_id is not None:
        query = query.where(Case.centre_id == centre_id)
    return list(ctx.session.scalars(query))


def _takedown_monthly(ctx: ServiceContext, centre_id: int | None, axis: list[str],
                      monthly: Monthly) -> None:
    stats = takedowns.statistics(ctx, centre_id=centre_id)
    requests = dict.fromkeys(axis, 0)
    removed = dict.fromkeys(axis, 0)
    for row in stats.by_month:
        if row.month in requests:
            requests[row.month] += row.requests
            removed[row.month] += row.removed
    monthly.values["requests"] = [requests[m] for m in axis]
    monthly.values["removed"] = [removed[m] for m in axis]
    monthly.median_hours_to_removal = stats.median_hours_to_removal


def _centre_monthly(ctx: ServiceContext, centre_id: int | None, case_times: list[dt.datetime],
                    axis: list[str]) -> Monthly:
    monthly = Monthly(months=axis)
    monthly.values["cases"] = _count_by_month(case_times, axis)
    monthly.values["matches"] = _count_by_month(_matches(ctx, centre_id), axis)
    _takedown_monthly(ctx, centre_id, axis, monthly)
    return monthly


def _takedown_todos(ctx: ServiceContext) -> list[Todo]:
    drafts = takedowns.list_requests(ctx, status=TakedownStatus.DRAFT, limit=10_000)
    overdue = takedowns.list_requests(ctx, overdue=True, limit=10_000)
    return [Todo("drafts", len(drafts), "/takedowns?status=draft"),
            Todo("overdue", len(overdue), "/takedowns?overdue=1")]


def start_page(ctx: ServiceContext, *, now: dt.datetime | None = None) -> StartPage:
    """What the acting staff member's start page shows."""
    actor = ctx.actor
    if not actor.is_staff or actor.role is None:
        raise Forbidden("the start page is for staff")
    now = now or utcnow()
    axis = month_axis(now)
    role = actor.role
    if role is Role.CENTRAL_ADMIN:
        return _national(ctx, axis)
    todos: list[Todo] = []
    monthly: Monthly | None = None
    open_cases = cases.CaseQuery(include_closed=False, include_erased=False)
    if role is Role.COUNSELLOR:
        recent = now - dt.timedelta(days=7)
        todos = [Todo("my_open_cases", cases.count_cases(ctx, open_cases), "/cases"),
                 Todo("my_new_cases", cases.count_cases(ctx, open_cases, opened_since=recent),
                      "/cases?status=open")]
    elif role is Role.INVESTIGATOR:
        todos = [Todo("investigator_cases", cases.count_cases(ctx, open_cases), "/cases")]
    else:
        pending = review.counts(ctx).get("pending", 0)
        if role is Role.ADMIN:
            new_web = cases.CaseQuery(status=CaseStatus.OPEN, channel=IntakeChannel.WEB,
                                      assignee="none", include_erased=False)
            unassigned = cases.CaseQuery(assignee="none", include_closed=False,
                                         include_erased=False)
            todos.append(Todo("new_portal_cases", cases.count_cases(ctx, new_web),
                              "/cases?channel=web"))
            todos.append(Todo("unassigned_cases", cases.count_cases(ctx, unassigned),
                              "/cases"))
        todos.append(Todo("pending_review", pending, "/review"))
        todos.extend(_takedown_todos(ctx))
        first_month = dt.datetime.strptime(axis[0] + "-01", "%Y-%m-%d").replace(tzinfo=KST)
        monthly = _centre_monthly(ctx, actor.centre_id, cases.intake_times(ctx, first_month),
                                  axis)
    return StartPage(role=role.value, todos=todos, monthly=monthly)


def _national(ctx: ServiceContext, axis: list[str]) -> StartPage:
    """The central admin's view: counts per centre and for the whole country (no case)."""
    per_centre = cases.statistics(ctx)
    lines = []
    national = Monthly(months=axis, values={s: [0] * len(axis) for s in SERIES})
    for stat in per_centre:
        monthly = Monthly(months=axis)
        monthly.values["cases"] = [stat.opened_by_month.get(m, 0) for m in axis]
        monthly.values["matches"] = _count_by_month(_matches(ctx, stat.centre_id), axis)
        _takedown_monthly(ctx, stat.centre_id, axis, monthly)
        lines.append(CentreLine(stat.centre_id, stat.centre_name, stat.cases_total,
                                stat.minors, monthly))
        for series in SERIES:
            national.values[series] = [a + b for a, b in zip(national.values[series],
                                                             monthly.values[series],
                                                             strict=True)]
    national.median_hours_to_removal = takedowns.statistics(ctx).median_hours_to_removal
    return StartPage(role=Role.CENTRAL_ADMIN.value, todos=[], monthly=national, centres=lines)

