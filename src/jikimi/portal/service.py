"""The victim portal's server side: fingerprints in, never images.

The victim proves she holds the case with its code and secret (``cases.victim_view``); from
then on she acts as ``victim:<code>`` and may add fingerprints to her case's own bank
(``case <CODE>``), see what is registered and what was found, withdraw sharing and erase. The
bank is created on first use through :mod:`jikimi.matching` with ``case_access_checked=True``:
holding the secret is the check.

She may also open a case herself (:func:`open_self_service_case`), and, with a face-search
consent she gives on the portal, enrol reference photos of her face (:func:`enroll_faces`).
Those two act through :func:`_on_her_behalf`: a system actor labelled with her case, because
``cases.open_case``, ``cases.record_consent`` and ``faces.enroll`` are written for staff and
the system; the code and secret were checked first, and the audit log names her case.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace

from sqlalchemy import case as sql_case
from sqlalchemy import delete, distinct, func, select

from jikimi.accounts import Centre
from jikimi.cases import (
    Case,
    ConsentPurpose,
    IntakeChannel,
    VictimCaseView,
    get_case,
    lock_case,
    on_case_erased,
    open_case,
    record_consent,
    victim_view,
    victim_withdraw_consent,
)
from jikimi.core.actors import Actor, ActorKind
from jikimi.core.context import ServiceContext
from jikimi.core.database import utcnow
from jikimi.errors import Conflict, Forbidden, InvalidInput, NotAuthenticated
from jikimi.faces import enroll
from jikimi.matching import Bank, BankEntry, NewEntry, add_entries, create_bank, entry_label
from jikimi.portal.models import VictimNote
from jikimi.scans import ItemMatch, ItemVersion
from jikimi.takedown import TakedownStatus
from jikimi.takedown import service as takedown_service

# Signal types a victim registers from the portal (face embeddings are separate, consented).
PORTAL_SIGNALS = ("pdq", "pdq_region", "vpdq", "sha256", "md5")
BANK_PURPOSE = "registered by the victim (portal)"
PORTAL_ACTOR_LABEL = "portal"


@dataclass(frozen=True)
class SubmittedVariant:
    name: str
    pdq: str
    quality: int


@dataclass(frozen=True)
class SubmittedFrame:
    """One sampled video frame as the browser hashed it."""

    frame: int
    timestamp: float
    quality: int
    pdq: str


@dataclass(frozen=True)
class SubmittedItem:
    """One image or video as the browser fingerprinted it (already validated by the API
    schema): an image has ``pdq``, ``quality`` and ``variants``; a video has ``frames``."""

    label: str
    sha256: str
    md5: str
    pdq: str | None = None
    quality: int | None = None
    variants: Sequence[SubmittedVariant] = ()
    regions: Sequence[SubmittedVariant] = ()
    """Region hashes (signal type ``pdq_region``), computed in her browser."""
    frames: Sequence[SubmittedFrame] = ()
    kind: str = "image"
    note: str = ""
    """Her optional note on the item (stored encrypted; an empty note keeps an earlier one)."""


@dataclass(frozen=True)
class Registered:
    code: str
    items: int
    added: int
    fingerprints: int


@dataclass(frozen=True)
class RegisteredItem:
    label: str
    content_id: str
    kind: str
    fingerprints: int
    registered_at: dt.datetime
    found: int
    """Distinct places (scanned items) where a copy of it was found."""
    note: str = ""


@dataclass(frozen=True)
class TakedownProgress:
    """One deletion request of her case, as she sees it: the site, a plain stage, and how many
    of its addresses are gone."""

    site: str
    stage: str
    """preparing | requested | partly_removed | removed | refused"""
    addresses: int
    removed: int
    since: dt.datetime


_STAGES = {
    TakedownStatus.DRAFT: "preparing",
    TakedownStatus.SENT: "requested",
    TakedownStatus.ACKNOWLEDGED: "requested",
    TakedownStatus.OVERDUE: "requested",
    TakedownStatus.ESCALATED: "requested",
    TakedownStatus.PARTIALLY_REMOVED: "partly_removed",
    TakedownStatus.REMOVED: "removed",
    TakedownStatus.REFUSED: "refused",
}


@dataclass(frozen=True)
class PortalStatus:
    case: VictimCaseView
    fingerprints: int
    items: list[RegisteredItem]
    found: int
    """Distinct places where a copy of any of her registered items was found."""
    faces: int
    """Face templates enrolled (face search, with her consent)."""
    takedowns: list[TakedownProgress]


@dataclass(frozen=True)
class NewCase:
    code: str
    secret: str


@dataclass(frozen=True)
class FacesEnrolled:
    code: str
    photos: int
    faces: int
    skipped: int


def case_bank_name(code: str) -> str:
    """The bank that holds a case's own fingerprints."""
    return f"case {code}"


def _victim(ctx: ServiceContext, code: str, secret: str) -> tuple[Case, VictimCaseView]:
    """Check code and secret (raises ``victim_login_failed``); act as the victim."""
    view = victim_view(ctx, code, secret)
    case = ctx.session.scalar(select(Case).where(Case.code == view.code))
    if case is None or view.erased:  # erased cases have no secret: victim_view refuses them
        raise NotAuthenticated("the case code or secret is not right",
                               code="victim_login_failed")
    ctx.actor = Actor(kind=ActorKind.VICTIM, centre_id=case.centre_id, label=case.code)
    return case, view


@contextmanager
def _on_her_behalf(ctx: ServiceContext, case: Case | None = None) -> Iterator[None]:
    """Act as the portal (a system actor) for a step the victim asked for herself."""
    saved = ctx.actor
    label = PORTAL_ACTOR_LABEL if case is None else f"{PORTAL_ACTOR_LABEL} victim:{case.code}"
    ctx.actor = Actor(kind=ActorKind.SYSTEM, centre_id=None if case is None else case.centre_id,
                      label=label)
    try:
        yield
    finally:
        ctx.actor = saved


def _vpdq_value(frames: Sequence[SubmittedFrame]) -> str:
    """The vPDQ bank value (a JSON list of [frame, timestamp, quality, pdq]); the vpdq signal
    type checks and normalises it."""
    return json.dumps([[f.frame, round(f.timestamp, 3), f.quality, f.pdq] for f in frames],
                      separators=(",", ":"))


def _entries(items: Sequence[SubmittedItem]) -> list[NewEntry]:
    """As ``matching.entries_for_fingerprints``: PDQ and its variants or vPDQ, SHA-256, MD5;
    the content id of every fingerprint of one file is its SHA-256."""
    out: list[NewEntry] = []
    for item in items:
        content = item.sha256.lower()
        if item.kind == "video":
            out.append(NewEntry("vpdq", _vpdq_value(item.frames), None, "original", content,
                                item.label))
        else:
            if item.pdq is None or item.quality is None:
                raise InvalidInput("an image needs its PDQ hash and quality")
            out.append(NewEntry("pdq", item.pdq, item.quality, "original", content,
                                item.label))
            for variant in item.variants:
                out.append(NewEntry("pdq", variant.pdq, variant.quality, variant.name, content,
                                    item.label))
            for region in item.regions:
                out.append(NewEntry("pdq_region", region.pdq, region.quality, region.name,
                                    content, item.label))
        out.append(NewEntry("sha256", item.sha256, None, "original", content, item.label))
        out.append(NewEntry("md5", item.md5, None, "original", content, item.label))
    return out


def _count(ctx: ServiceContext, case_id: int) -> int:
    return ctx.session.scalar(
        select(func.count()).select_from(BankEntry).join(Bank, Bank.id == BankEntry.bank_id)
        .where(Bank.case_id == case_id, BankEntry.removed_at.is_(None),
               BankEntry.signal_type.in_(PORTAL_SIGNALS))) or 0


# --- a new case ------------------------------------------------------------------------------
def portal_centre(ctx: ServiceContext) -> Centre:
    """The centre that takes cases opened on the portal: the central centre (the national
    line), or the first centre when no centre is marked central."""
    centre = ctx.session.scalar(select(Centre).where(Centre.is_central.is_(True))
                                .order_by(Centre.id).limit(1))
    if centre is None:
        centre = ctx.session.scalar(select(Centre).order_by(Centre.id).limit(1))
    if centre is None:
        raise Conflict("no centre is set up to take cases yet; call 1366",
                       code="no_portal_centre")
    return centre


def open_self_service_case(ctx: ServiceContext) -> NewCase:
    """Open a case for a victim on the portal (web intake, no contact data); the code and
    secret are returned once and never again."""
    with _on_her_behalf(ctx):
        opened = open_case(ctx, portal_centre(ctx), IntakeChannel.WEB)
    return NewCase(code=opened.case.code, secret=opened.victim_secret)


# --- fingerprints ----------------------------------------------------------------------------
def register(ctx: ServiceContext, code: str, secret: str,
             items: Sequence[SubmittedItem]) -> Registered:
    """Store the fingerprints of ``items`` in the case's bank (created on first use).

    Everything or nothing: a bad value refuses the whole submission."""
    case, _view = _victim(ctx, code, secret)
    return _store(ctx, case, items, "portal.register")


def register_for_case(ctx: ServiceContext, code: str,
                      items: Sequence[SubmittedItem]) -> Registered:
    """The same, by the counsellor assigned to the case, from the case page: the pictures were
    fingerprinted in her browser (the portal's modules), so the server never receives them.
    Only who may record the victim's consents on the case (``cases`` access rule) may do it;
    notes are the victim's own and are not taken from staff."""
    detail = get_case(ctx, code)
    if not detail.permissions.get("record_consent") or detail.erased:
        raise Forbidden(f"only the counsellor assigned to {detail.code} registers her "
                        "pictures", code="may_not_register")
    case = ctx.session.scalar(select(Case).where(Case.code == detail.code))
    assert case is not None
    plain = [replace(item, note="") for item in items]
    return _store(ctx, case, plain, "case.pictures_register")


def _store(ctx: ServiceContext, case: Case, items: Sequence[SubmittedItem],
           action: str) -> Registered:
    lock_case(ctx, case)  # an erasure at the same moment goes before (refused) or after
    name = case_bank_name(case.code)
    bank = ctx.session.scalar(select(Bank).where(Bank.name == name))
    if bank is None:
        create_bank(ctx, name, purpose=BANK_PURPOSE, case=(case.id, case.code),
                    owner_kind="case", case_access_checked=True)
    elif bank.case_id != case.id or bank.negative:
        raise Conflict(f"the bank {name!r} is not this case's bank; ask the centre")
    added = add_entries(ctx, name, _entries(items), case_access_checked=True)
    _save_notes(ctx, case, items)
    total = _count(ctx, case.id)
    ctx.audit(action, "case", case.code, centre_id=case.centre_id,
              details={"items": len(items), "added": added.added,
                       "videos": sum(1 for i in items if i.kind == "video")})
    return Registered(code=case.code, items=len(items), added=added.added, fingerprints=total)


def _note_context(case: Case, content_id: str) -> str:
    return f"portal-note:{case.code}:{content_id}"


def _save_notes(ctx: ServiceContext, case: Case, items: Sequence[SubmittedItem]) -> None:
    """Store (or replace) her notes, encrypted and bound to the case and the item."""
    now = utcnow()
    for item in items:
        if not item.note:
            continue
        content = item.sha256.lower()
        sealed = ctx.keys.encrypt(item.note.encode("utf-8"),
                                  context=_note_context(case, content))
        row = ctx.session.scalar(select(VictimNote).where(VictimNote.case_id == case.id,
                                                          VictimNote.content_id == content))
        if row is None:
            ctx.session.add(VictimNote(case_id=case.id, content_id=content, note_enc=sealed,
                                       created_at=now, updated_at=now))
        else:
            row.note_enc = sealed
            row.updated_at = now
    ctx.session.flush()


def _notes(ctx: ServiceContext, case: Case) -> dict[str, str]:
    rows = ctx.session.scalars(select(VictimNote).where(VictimNote.case_id == case.id))
    return {r.content_id: ctx.keys.decrypt(r.note_enc, context=_note_context(case, r.content_id))
            .decode("utf-8") for r in rows}


def _erase_notes(ctx: ServiceContext, case_id: int) -> None:
    ctx.session.execute(delete(VictimNote).where(VictimNote.case_id == case_id))


on_case_erased(_erase_notes)


def _found_per_item(ctx: ServiceContext, case: Case) -> dict[str, int]:
    """content id -> distinct scanned items where one of its fingerprints matched."""
    rows = ctx.session.execute(
        select(BankEntry.content_id, func.count(distinct(ItemVersion.item_id)))
        .select_from(ItemMatch)
        .join(BankEntry, BankEntry.id == ItemMatch.entry_id)
        .join(Bank, Bank.id == BankEntry.bank_id)
        .join(ItemVersion, ItemVersion.id == ItemMatch.item_version_id)
        .where(Bank.case_id == case.id, BankEntry.signal_type.in_(PORTAL_SIGNALS))
        .group_by(BankEntry.content_id)).all()
    return {content: count for content, count in rows}


def _found_in_all(ctx: ServiceContext, case: Case) -> int:
    return ctx.session.scalar(
        select(func.count(distinct(ItemVersion.item_id))).select_from(ItemMatch)
        .join(ItemVersion, ItemVersion.id == ItemMatch.item_version_id)
        .where(ItemMatch.case_code == case.code)) or 0


def status(ctx: ServiceContext, code: str, secret: str) -> PortalStatus:
    """Her case's status, what is registered for it (by her own labels) and how many copies
    the centre's scans found."""
    case, view = _victim(ctx, code, secret)
    rows = ctx.session.execute(
        select(BankEntry.content_id, func.max(BankEntry.id), func.count(),
               func.min(BankEntry.created_at),
               func.max(sql_case((BankEntry.signal_type == "vpdq", 1), else_=0)))
        .join(Bank, Bank.id == BankEntry.bank_id)
        .where(Bank.case_id == case.id, BankEntry.removed_at.is_(None),
               BankEntry.signal_type.in_(PORTAL_SIGNALS))
        .group_by(BankEntry.content_id)
        .order_by(func.min(BankEntry.created_at), BankEntry.content_id)).all()
    found = _found_per_item(ctx, case)
    notes = _notes(ctx, case)
    labelled: dict[str, str] = {}  # her label of each picture (labels are encrypted)
    for entry in ctx.session.scalars(
            select(BankEntry).join(Bank, Bank.id == BankEntry.bank_id)
            .where(Bank.case_id == case.id, BankEntry.removed_at.is_(None),
                   (BankEntry.label_enc.is_not(None)) | (BankEntry.label != ""))
            .order_by(BankEntry.id)):
        if entry.content_id not in labelled:
            labelled[entry.content_id] = entry_label(ctx.keys, entry)
    items = [RegisteredItem(label=labelled.get(content_id, ""), content_id=content_id,
                            kind="video" if is_video else "image", fingerprints=count,
                            registered_at=created, found=found.get(content_id, 0),
                            note=notes.get(content_id, ""))
             for content_id, entry_id, count, created, is_video in rows]
    faces = ctx.session.scalar(
        select(func.count()).select_from(BankEntry).join(Bank, Bank.id == BankEntry.bank_id)
        .where(Bank.case_id == case.id, BankEntry.removed_at.is_(None),
               BankEntry.signal_type == "face")) or 0
    ctx.audit("portal.status_read", "case", case.code, centre_id=case.centre_id,
              details={"items": len(items)})
    return PortalStatus(case=view, fingerprints=sum(i.fingerprints for i in items),
                        items=items, found=_found_in_all(ctx, case), faces=faces,
                        takedowns=_takedowns(ctx, case))


def _takedowns(ctx: ServiceContext, case: Case) -> list[TakedownProgress]:
    """Her case's deletion requests (through ``takedown.service.list_requests``)."""
    with _on_her_behalf(ctx, case):
        requests = takedown_service.list_requests(ctx, case_code=case.code)
    return [TakedownProgress(site=r.platform_name,
                             stage=_STAGES.get(TakedownStatus(r.status), "requested"),
                             addresses=r.urls, removed=r.removed_urls,
                             since=r.sent_at or r.created_at)
            for r in requests if r.case_code == case.code]


def give_consent(ctx: ServiceContext, code: str, secret: str,
                 purpose: ConsentPurpose) -> VictimCaseView:
    """She gives one consent herself (recorded on her case with the time, as the portal);
    giving one already in force changes nothing."""
    case, view = _victim(ctx, code, secret)
    if purpose in view.consents:
        return view
    with _on_her_behalf(ctx, case):
        record_consent(ctx, case.code, purpose)
    ctx.audit("portal.consent_given", "case", case.code, centre_id=case.centre_id,
              details={"purpose": purpose.value})
    return victim_view(ctx, code, secret)


def withdraw_consent(ctx: ServiceContext, code: str, secret: str,
                     purpose: ConsentPurpose) -> VictimCaseView:
    """She withdraws one consent herself, at once (sharing stops, face templates go ...);
    withdrawing one not in force changes nothing."""
    _case, view = _victim(ctx, code, secret)
    if purpose not in view.consents:
        return view
    return victim_withdraw_consent(ctx, code, secret, purpose)


def withdraw_sharing(ctx: ServiceContext, code: str, secret: str) -> VictimCaseView:
    """Withdraw consent to share her fingerprints with partner platforms, at once.

    Her fingerprints stay registered with the centre (matching on the centre's own scans goes
    on); only sharing stops. Erasure removes them."""
    _case, view = _victim(ctx, code, secret)
    if ConsentPurpose.PARTNER_SHARING not in view.consents:
        raise Conflict("sharing with partner platforms is not switched on for this case")
    return victim_withdraw_consent(ctx, code, secret, ConsentPurpose.PARTNER_SHARING)


# --- face search -----------------------------------------------------------------------------
def consent_face_search(ctx: ServiceContext, code: str, secret: str) -> VictimCaseView:
    """Record her consent to face search, given by her on the portal."""
    case, view = _victim(ctx, code, secret)
    if ConsentPurpose.FACE_SEARCH in view.consents:
        return view
    with _on_her_behalf(ctx, case):
        record_consent(ctx, case.code, ConsentPurpose.FACE_SEARCH)
    ctx.audit("portal.face_consent", "case", case.code, centre_id=case.centre_id)
    return victim_view(ctx, code, secret)


def withdraw_face_search(ctx: ServiceContext, code: str, secret: str) -> VictimCaseView:
    """Withdraw face search: her face templates leave the database and the index at once."""
    _case, view = _victim(ctx, code, secret)
    if ConsentPurpose.FACE_SEARCH not in view.consents:
        raise Conflict("face search is not switched on for this case", code="face_search_off")
    return victim_withdraw_consent(ctx, code, secret, ConsentPurpose.FACE_SEARCH)


def enroll_faces(ctx: ServiceContext, code: str, secret: str,
                 photos: Sequence[tuple[str, bytes]]) -> FacesEnrolled:
    """Embed her face in the uploaded photos (kept in memory only) and keep the templates.

    Refused (``consent_required``) unless her face-search consent is in force."""
    case, _view = _victim(ctx, code, secret)
    with _on_her_behalf(ctx, case):
        result = enroll(ctx, case.code, photos)
    return FacesEnrolled(code=case.code, photos=result.photos, faces=result.faces,
                         skipped=len(result.skipped))
