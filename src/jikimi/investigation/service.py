"""Linkage of the scans' data for one case or one centre: loading, access rules, audit.

Who may do what (also in docs/investigation.md):

| who | centre linkage | a case's linkage (page, JSON) | exports and documents |
|---|---|---|---|
| investigator | her centre | cases she may see (assigned, or police-referral consent) | yes |
| admin | her centre | her centre's cases | yes |
| counsellor | no | the cases assigned to her (read only) | no |
| analyst, central admin | no | no | no |

No staff member sees another centre's sources or cases. A case's linkage takes every content
group that holds a match for the case (rejected matches left out) and shows all its sightings
in the case centre's sources (and in any source where the case's content matched, since banks
are national). Every read, export and document is audited.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import func, or_, select

from jikimi import cases, evidence
from jikimi.accounts import Centre
from jikimi.accounts.names import actor_labeller
from jikimi.cases import Case
from jikimi.core.actors import ActorKind, Role
from jikimi.core.context import ServiceContext
from jikimi.core.database import utcnow
from jikimi.errors import Conflict, Forbidden, InvalidInput
from jikimi.investigation.documents import (
    BUILDERS,
    DocumentFormat,
    DocumentKind,
    LitigationData,
    cite,
    default_basis,
    render,
)
from jikimi.investigation.exports import CsvTable, ExportFormat, to_csv, to_graphml, to_out
from jikimi.investigation.linkage import DEFAULT_PDQ_THRESHOLD, Linkage, Sighting, link, restrict
from jikimi.investigation.schemas import LinkageOut
from jikimi.investigation.sightings import sighting_from
from jikimi.matching import BankEntry
from jikimi.review import QUARANTINE_ITEMS, ReviewDecision, ReviewStatus
from jikimi.scans import Item, ItemMatch, ItemVersion, SourceRecord
from jikimi.takedown import load_legal

CONTENT_SIGNALS = frozenset({"sha256", "md5", "pdq", "vpdq"})
"""Matches that say "the same content" (a face match says "the same person", so it ties an
item to the case but never to another item)."""


# --- who may ------------------------------------------------------------------------------
def may_investigate(ctx: ServiceContext) -> None:
    """Investigators and administrators (and the operator at the console)."""
    if ctx.actor.kind is ActorKind.SYSTEM or ctx.actor.has_role(Role.INVESTIGATOR, Role.ADMIN):
        return
    raise Forbidden("linkage, exports and litigation documents are for investigators and "
                    "administrators")


def _may_view_case(ctx: ServiceContext) -> None:
    if ctx.actor.kind is ActorKind.SYSTEM or ctx.actor.has_role(
            Role.INVESTIGATOR, Role.ADMIN, Role.COUNSELLOR):
        return
    raise Forbidden("a case's linkage is for investigators, administrators and the case's "
                    "counsellors")


@dataclass(frozen=True)
class CaseRef:
    id: int
    code: str
    centre_id: int


def case_for_investigation(ctx: ServiceContext, code: str, *, write: bool = False) -> CaseRef:
    """The case, if the actor may see its investigation (``write``: export, documents)."""
    (may_investigate if write else _may_view_case)(ctx)
    case_id, case_code = cases.case_ref(ctx, code)
    case = ctx.session.get(Case, case_id)
    assert case is not None
    if case.erased_at is not None:
        raise Conflict(f"case {case_code} was erased at the victim's request; its linkage and "
                       "documents are no longer made", code="case_erased")
    return CaseRef(case_id, case_code, case.centre_id)


def _centre_scope(ctx: ServiceContext, centre_id: int | None) -> int | None:
    may_investigate(ctx)
    if ctx.actor.is_staff:
        if centre_id not in (None, ctx.actor.centre_id):
            raise Forbidden("you may analyse only your own centre's sources")
        return ctx.actor.centre_id
    return centre_id


# --- loading ------------------------------------------------------------------------------
def _check_params(min_shared: int, pdq_threshold: int) -> None:
    if not 1 <= min_shared <= 1000:
        raise InvalidInput("min_shared is 1 to 1000", code="bad_min_shared")
    if not 0 <= pdq_threshold <= 31:
        raise InvalidInput("the PDQ threshold is 0 to 31 bits", code="bad_threshold")


def _load_sightings(ctx: ServiceContext, *, centre_id: int | None,
                    extra_sources: Iterable[int] = ()) -> list[Sighting]:
    """Every item version of the centre's sources (and of ``extra_sources``), as sightings."""
    query = (select(ItemVersion.id, ItemVersion.sha256, ItemVersion.fingerprints,
                    ItemVersion.first_seen, Item.id, Item.locator, Item.context,
                    SourceRecord.id, SourceRecord.type, SourceRecord.name)
             .join(Item, Item.id == ItemVersion.item_id)
             .join(SourceRecord, SourceRecord.id == Item.source_id)
             .order_by(ItemVersion.id))
    extra = sorted(set(extra_sources))
    if centre_id is not None:
        allowed = or_(SourceRecord.centre_id == centre_id, SourceRecord.centre_id.is_(None),
                      SourceRecord.id.in_(extra)) if extra else or_(
            SourceRecord.centre_id == centre_id, SourceRecord.centre_id.is_(None))
        query = query.where(allowed)
    rows = ctx.session.execute(query).all()
    version_ids = [r[0] for r in rows]
    case_codes: dict[int, set[str]] = defaultdict(set)
    content_ids: dict[int, set[str]] = defaultdict(set)
    matches: list[Any] = []
    for start in range(0, len(version_ids), 5000):
        chunk = version_ids[start:start + 5000]
        matches += ctx.session.execute(
            select(ItemMatch.id, ItemMatch.item_version_id, ItemMatch.case_code,
                   ItemMatch.signal_type, ItemMatch.reliable, ItemMatch.entry_id,
                   BankEntry.content_id, ReviewDecision.status)
            .join(BankEntry, BankEntry.id == ItemMatch.entry_id)
            .outerjoin(ReviewDecision, ReviewDecision.match_id == ItemMatch.id)
            .where(ItemMatch.item_version_id.in_(chunk))).all()
    spread: dict[int, set[int]] = defaultdict(set)
    for m in matches:
        spread[m.entry_id].add(m.item_version_id)
    for m in matches:
        if m.status == ReviewStatus.REJECTED.value:
            continue
        if m.case_code:
            case_codes[m.item_version_id].add(m.case_code)
        # An entry that floods (the review queue quarantines it) links nothing by itself.
        flooding = len(spread[m.entry_id]) > QUARANTINE_ITEMS and (
            m.status != ReviewStatus.CONFIRMED.value)
        if m.signal_type in CONTENT_SIGNALS and m.reliable and not flooding:
            content_ids[m.item_version_id].add(m.content_id)
    out: dict[tuple[str, Any, str], Sighting] = {}
    for (vid, sha256, fingerprints, first_seen, item_id, locator, context, source_id,
         source_type, source_name) in rows:
        try:
            ctx_data = json.loads(context or "{}")
            fp = json.loads(fingerprints or "{}")
        except ValueError:
            ctx_data, fp = {}, {}
        sighting = sighting_from(
            version_id=vid, item_id=item_id, sha256=sha256,
            fingerprints=fp if isinstance(fp, dict) else {}, found_at=first_seen,
            locator=locator, context=ctx_data if isinstance(ctx_data, dict) else {},
            source_id=source_id, source_type=source_type, source_name=source_name,
            case_codes=case_codes.get(vid, ()), content_ids=content_ids.get(vid, ()))
        # The same message in two exports of one chat is one sighting.
        where = sighting.message_id if sighting.message_id is not None else locator
        key = (sighting.place.key, where, sha256)
        if key in out:
            kept = out[key]
            out[key] = Sighting(**{**_fields(kept), "case_codes": kept.case_codes
                                   | sighting.case_codes, "content_ids": kept.content_ids
                                   | sighting.content_ids})
        else:
            out[key] = sighting
    return list(out.values())


def _fields(s: Sighting) -> dict[str, Any]:
    return {name: getattr(s, name) for name in Sighting.__dataclass_fields__}


# --- linkage ------------------------------------------------------------------------------
_CACHE_SIZE = 8
_cache: OrderedDict[tuple[Any, ...], Linkage] = OrderedDict()
_cache_lock = threading.Lock()


def _data_stamp(ctx: ServiceContext) -> tuple[Any, ...]:
    """Changes whenever anything a linkage is computed from changes (new items, versions,
    re-scans, matches, review decisions), so a cached linkage is never stale."""
    row = ctx.session.execute(select(
        select(func.max(ItemVersion.id)).scalar_subquery(),
        select(func.max(Item.last_seen)).scalar_subquery(),
        select(func.max(ItemMatch.id)).scalar_subquery(),
        select(func.count()).select_from(ReviewDecision).scalar_subquery(),
        select(func.max(ReviewDecision.updated_at)).scalar_subquery())).one()
    return (str(ctx.session.get_bind().engine.url), *row)


def _pool_linkage(ctx: ServiceContext, centre_id: int | None, extra: frozenset[int],
                  pdq_threshold: int, min_shared: int) -> Linkage:
    """The linkage of a centre's sources (plus ``extra`` sources), computed once per state of
    the data: grouping tens of thousands of PDQ hashes takes seconds."""
    key = (centre_id, extra, pdq_threshold, min_shared, *_data_stamp(ctx))
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    sightings = _load_sightings(ctx, centre_id=centre_id, extra_sources=extra)
    result = link(sightings, pdq_threshold=pdq_threshold, min_shared=min_shared)
    with _cache_lock:
        _cache[key] = result
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return result


def centre_linkage_raw(ctx: ServiceContext, *, centre_id: int | None = None,
                       min_shared: int = 1,
                       pdq_threshold: int = DEFAULT_PDQ_THRESHOLD) -> tuple[Linkage, int | None]:
    scope = _centre_scope(ctx, centre_id)
    _check_params(min_shared, pdq_threshold)
    return _pool_linkage(ctx, scope, frozenset(), pdq_threshold, min_shared), scope


def centre_linkage(ctx: ServiceContext, *, centre_id: int | None = None, min_shared: int = 1,
                   pdq_threshold: int = DEFAULT_PDQ_THRESHOLD) -> LinkageOut:
    """Linkage across every source of the centre (all centres for the console operator)."""
    linkage, scope = centre_linkage_raw(ctx, centre_id=centre_id, min_shared=min_shared,
                                        pdq_threshold=pdq_threshold)
    ctx.audit("investigation.linkage_read", "centre", scope if scope is not None else "*",
              centre_id=scope, details={"scope": "centre", "places": len(linkage.places),
                                        "contents": len(linkage.contents)})
    return to_out(linkage, scope="centre", case_code=None, centre_id=scope,
                  generated_at=utcnow())


def case_linkage_raw(ctx: ServiceContext, case: CaseRef, *, min_shared: int = 1,
                     pdq_threshold: int = DEFAULT_PDQ_THRESHOLD) -> Linkage:
    _check_params(min_shared, pdq_threshold)
    matched_sources = set(ctx.session.scalars(
        select(Item.source_id).join(ItemVersion, ItemVersion.item_id == Item.id)
        .join(ItemMatch, ItemMatch.item_version_id == ItemVersion.id)
        .where(ItemMatch.case_code == case.code)))
    if not matched_sources:
        return link([], pdq_threshold=pdq_threshold, min_shared=min_shared)
    everything = _pool_linkage(ctx, case.centre_id, frozenset(matched_sources), pdq_threshold,
                               min_shared)
    mine = [c.id for c in everything.contents if case.code in c.case_codes]
    return restrict(everything, mine)


def case_linkage(ctx: ServiceContext, code: str, *, min_shared: int = 1,
                 pdq_threshold: int = DEFAULT_PDQ_THRESHOLD) -> LinkageOut:
    """Linkage of the content matched to one case: where it spread, who posted it."""
    case = case_for_investigation(ctx, code)
    linkage = case_linkage_raw(ctx, case, min_shared=min_shared, pdq_threshold=pdq_threshold)
    ctx.audit("investigation.linkage_read", "case", case.code, centre_id=case.centre_id,
              details={"scope": "case", "places": len(linkage.places),
                       "contents": len(linkage.contents)})
    return to_out(linkage, scope="case", case_code=case.code, centre_id=case.centre_id,
                  generated_at=utcnow())


@dataclass(frozen=True)
class ExportFile:
    content: bytes
    media_type: str
    filename: str


def export_linkage(ctx: ServiceContext, code: str | None, fmt: ExportFormat | str, *,
                   table: CsvTable | str = CsvTable.sightings, min_shared: int = 1,
                   pdq_threshold: int = DEFAULT_PDQ_THRESHOLD,
                   centre_id: int | None = None) -> ExportFile:
    """A linkage as a file: JSON, one CSV table, or GraphML (audited as an export)."""
    try:
        kind = ExportFormat(fmt)
    except ValueError:
        raise InvalidInput(f"unknown export format {fmt!r}; use json, csv or graphml",
                           code="bad_format") from None
    scope: Literal["case", "centre"]
    centre: int | None
    if code is not None:
        case = case_for_investigation(ctx, code, write=True)
        linkage = case_linkage_raw(ctx, case, min_shared=min_shared,
                                   pdq_threshold=pdq_threshold)
        scope, name, record, centre = "case", case.code, case.code, case.centre_id
    else:
        linkage, centre = centre_linkage_raw(ctx, centre_id=centre_id, min_shared=min_shared,
                                             pdq_threshold=pdq_threshold)
        scope, name = "centre", f"centre-{centre if centre is not None else 'all'}"
        record = str(centre) if centre is not None else "*"
    out = to_out(linkage, scope=scope, case_code=name if scope == "case" else None,
                 centre_id=centre,
                 generated_at=utcnow())
    stamp = out.generated_at.strftime("%Y%m%d")
    if kind is ExportFormat.csv:
        which = CsvTable(table) if table in CsvTable._value2member_map_ else None
        if which is None:
            raise InvalidInput(f"unknown table {table!r}; use one of "
                               f"{', '.join(t.value for t in CsvTable)}", code="bad_table")
        result = ExportFile(to_csv(out, which).encode("utf-8-sig"), "text/csv; charset=utf-8",
                            f"linkage-{name}-{which.value}-{stamp}.csv")
    elif kind is ExportFormat.graphml:
        result = ExportFile(to_graphml(out), "application/graphml+xml",
                            f"linkage-{name}-{stamp}.graphml")
    else:
        result = ExportFile(out.model_dump_json(indent=2).encode(), "application/json",
                            f"linkage-{name}-{stamp}.json")
    ctx.audit("investigation.export", scope, record, centre_id=centre,
              details={"format": kind.value, "table": str(table) if kind is ExportFormat.csv
                       else None, "bytes": len(result.content)})
    return result


# --- litigation documents -----------------------------------------------------------------
_DOCUMENT_TYPES = {
    DocumentFormat.pdf: "application/pdf",
    DocumentFormat.docx: "application/vnd.openxmlformats-officedocument.wordprocessingml."
                         "document",
}


def litigation_document(ctx: ServiceContext, code: str, kind: DocumentKind | str,
                        fmt: DocumentFormat | str, *,
                        basis: Sequence[str] | None = None) -> ExportFile:
    """A Korean litigation document for a case, as PDF or DOCX: the evidence list for a
    criminal complaint, or the damages-claim summary. ``basis``: article ids of
    ``legal.json`` to name (default: by the kind of document and whether the victim is a
    minor). Investigators and administrators; audited with the file's SHA-256."""
    try:
        which = DocumentKind(kind)
    except ValueError:
        raise InvalidInput(f"unknown document {kind!r}; use "
                           f"{' or '.join(k.value for k in DocumentKind)}",
                           code="bad_document_kind") from None
    try:
        form = DocumentFormat(fmt)
    except ValueError:
        raise InvalidInput(f"unknown document format {fmt!r}; use pdf or docx",
                           code="bad_format") from None
    if basis is not None and len(basis) > 30:
        raise InvalidInput("name at most 30 articles", code="bad_basis")
    case = case_for_investigation(ctx, code, write=True)
    row = ctx.session.get(Case, case.id)
    assert row is not None
    centre = ctx.session.get(Centre, case.centre_id)
    citations = cite(load_legal(), basis or default_basis(which, row.minor))
    events = cases.timeline(ctx, case.code)
    items = evidence.list_evidence(ctx, case.code, via="investigation",
                                   reason=f"litigation document: {which.value}")
    linkage = case_linkage_raw(ctx, case)
    now = utcnow()
    # names, never ids: "김상담 (서울센터)", "시스템(명령줄)" (jikimi.core.names)
    who = actor_labeller(ctx.session, [ctx.actor.ref, *(e.actor for e in events),
                                       *(i.captured_by for i in items)], "ko", case.centre_id)
    events = [e.model_copy(update={"actor": who(e.actor)}) for e in events]
    items = [i.model_copy(update={"captured_by_name": who(i.captured_by)}) for i in items]
    data = LitigationData(
        case_code=case.code, centre_name=centre.name if centre else "", case_status=row.status,
        opened_at=row.intake_at, minor=row.minor, generated_at=now,
        generated_by=who(ctx.actor.ref), timeline=events, evidence=items,
        linkage=to_out(linkage, scope="case", case_code=case.code, centre_id=case.centre_id,
                       generated_at=now),
        citations=citations)
    content = render(BUILDERS[which](data), form)
    ctx.audit("investigation.document", "case", case.code, centre_id=case.centre_id,
              details={"kind": which.value, "format": form.value,
                       "basis": [c.ref for c in citations],
                       "sha256": hashlib.sha256(content).hexdigest()})
    return ExportFile(content, _DOCUMENT_TYPES[form],
                      f"{case.code}-{which.value}-{now.strftime('%Y%m%d')}.{form.value}")
