"""Takedown statistics: requests and removals by month and platform, median time to removal,
re-upload rate, and the same as CSV.

Definitions (also in the CSV header's column names): a request counts in the month it was
*sent* (KST month), a removal in the month it was *verified removed*; time to removal runs
from sending to the verified removal; the re-upload rate is the share of requests opened for
a re-upload of content the centre had already asked to remove (of all non-draft requests).
Admins and analysts see their centre; central admins every centre or one (never case data:
no case codes appear here).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import statistics as pystats
from collections import Counter, defaultdict

from sqlalchemy import select

from jikimi.core.actors import ActorKind, Role
from jikimi.core.context import ServiceContext
from jikimi.core.database import utcnow
from jikimi.errors import Forbidden
from jikimi.takedown.lifecycle import DEADLINE_STATUSES, TakedownStatus
from jikimi.takedown.models import TakedownRequest
from jikimi.takedown.notices import KST
from jikimi.takedown.schemas import MonthPlatformRow, PlatformRemoval, TakedownStatistics

CSV_COLUMNS = ("month", "platform", "requests_sent", "removed", "median_hours_to_removal")


def _scope(ctx: ServiceContext, centre_id: int | None) -> int | None:
    actor = ctx.actor
    if actor.kind is ActorKind.SYSTEM or actor.has_role(Role.CENTRAL_ADMIN):
        return centre_id
    if actor.has_role(Role.ADMIN, Role.ANALYST):
        return actor.centre_id
    raise Forbidden("takedown statistics are for analysts and administrators")


def _month(moment: dt.datetime) -> str:
    return moment.astimezone(KST).strftime("%Y-%m")


def _hours(request: TakedownRequest) -> float | None:
    if request.sent_at is None or request.removed_at is None:
        return None
    return max((request.removed_at - request.sent_at).total_seconds() / 3600.0, 0.0)


def _median(values: list[float]) -> float | None:
    return round(pystats.median(values), 2) if values else None


def _rows(ctx: ServiceContext, centre_id: int | None, since: dt.datetime | None,
          until: dt.datetime | None) -> list[TakedownRequest]:
    query = select(TakedownRequest)
    if centre_id is not None:
        query = query.where(TakedownRequest.centre_id == centre_id)
    if since is not None:
        query = query.where(TakedownRequest.created_at >= since)
    if until is not None:
        query = query.where(TakedownRequest.created_at < until)
    return list(ctx.session.scalars(query))


def statistics(ctx: ServiceContext, *, centre_id: int | None = None,
               since: dt.datetime | None = None, until: dt.datetime | None = None
               ) -> TakedownStatistics:
    """Requests and removals by month and platform, median hours to removal (overall and per
    platform), the re-upload rate and the number of requests overdue now."""
    scope = _scope(ctx, centre_id)
    rows = _rows(ctx, scope, since, until)
    now = utcnow()
    sent = [r for r in rows if r.sent_at is not None]
    removed = [r for r in rows if r.status == TakedownStatus.REMOVED.value]
    months: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for r in sent:
        assert r.sent_at is not None
        months[(_month(r.sent_at), r.platform_id)][0] += 1
    for r in removed:
        if r.removed_at is not None:
            months[(_month(r.removed_at), r.platform_id)][1] += 1
    hours_by_platform: dict[str, list[float]] = defaultdict(list)
    for r in removed:
        hours = _hours(r)
        if hours is not None:
            hours_by_platform[r.platform_id].append(hours)
    all_hours = [h for hs in hours_by_platform.values() for h in hs]
    counted = [r for r in rows if r.status != TakedownStatus.DRAFT.value]
    reuploads = sum(1 for r in counted if r.reupload)
    overdue = sum(1 for r in rows if r.status == TakedownStatus.OVERDUE.value or (
        r.status in {s.value for s in DEADLINE_STATUSES} and r.deadline is not None
        and r.deadline <= now))
    ctx.audit("takedown.statistics", "statistics", scope or "*", centre_id=ctx.actor.centre_id)
    return TakedownStatistics(
        centre_id=scope, requests_total=len(rows), sent_total=len(sent),
        removed_total=len(removed), reuploads=reuploads,
        reupload_rate=round(reuploads / len(counted), 4) if counted else None,
        median_hours_to_removal=_median(all_hours), overdue_now=overdue,
        by_status=dict(sorted(Counter(r.status for r in rows).items())),
        by_month=[MonthPlatformRow(month=m, platform_id=p, requests=v[0], removed=v[1])
                  for (m, p), v in sorted(months.items())],
        by_platform=[PlatformRemoval(platform_id=p, removed=len(hs),
                                     median_hours_to_removal=_median(hs))
                     for p, hs in sorted(hours_by_platform.items())])


def statistics_csv(ctx: ServiceContext, *, centre_id: int | None = None,
                   since: dt.datetime | None = None, until: dt.datetime | None = None) -> str:
    """The month × platform table as CSV (UTF-8, header row, one row per month and platform;
    the median is that platform's over requests removed in that month)."""
    scope = _scope(ctx, centre_id)
    rows = _rows(ctx, scope, since, until)
    table: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    hours: dict[tuple[str, str], list[float]] = defaultdict(list)
    for r in rows:
        if r.sent_at is not None:
            table[(_month(r.sent_at), r.platform_id)][0] += 1
        if r.status == TakedownStatus.REMOVED.value and r.removed_at is not None:
            key = (_month(r.removed_at), r.platform_id)
            table[key][1] += 1
            h = _hours(r)
            if h is not None:
                hours[key].append(h)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for (month, platform), (count, gone) in sorted(table.items()):
        median = _median(hours.get((month, platform), []))
        writer.writerow([month, _safe_cell(platform), count, gone,
                         "" if median is None else f"{median:.2f}"])
    ctx.audit("takedown.statistics_csv", "statistics", scope or "*",
              centre_id=ctx.actor.centre_id)
    return out.getvalue()


def _safe_cell(value: str) -> str:
    """Keep spreadsheet programs from reading a cell as a formula (CSV injection)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
