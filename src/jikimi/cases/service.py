"""Intake, contact data (encrypted), assignment, notes, consent, status, erasure, statistics.

Every function checks the acting subject against :mod:`jikimi.cases.access` and writes an
audit entry, for reads as well as writes.
"""

from __future__ import annotations

import hmac
import json
import re
from collections import Counter
from collections.abc import Callable, Sequence

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from jikimi.accounts import Centre, StaffUser
from jikimi.cases.access import CaseAccess, case_access, may_list_cases, may_open_cases
from jikimi.cases.lifecycle import CASE_TRANSITIONS, CaseStatus, ConsentPurpose, IntakeChannel
from jikimi.cases.models import (
    Case,
    CaseAssignment,
    CaseCodeCounter,
    CaseEvent,
    ConsentRecord,
    CounsellingNote,
)
from jikimi.cases.schemas import (
    CaseDetail,
    CaseSummary,
    CentreStatistics,
    ConsentState,
    Contact,
    Note,
    OpenedCase,
    TimelineEvent,
    VictimCaseView,
)
from jikimi.cases.victim_guard import record_outcome
from jikimi.core.actors import Actor, ActorKind, Role
from jikimi.core.context import ServiceContext
from jikimi.core.database import utcnow
from jikimi.core.security import generate_readable_secret, normalise_readable_secret
from jikimi.core.text import clean_text, is_email
from jikimi.errors import Conflict, Forbidden, InvalidInput, NotAuthenticated, NotFound

CASE_CODE_RE = re.compile(r"^DSC-\d{4}-\d{6}$")
PHONE_RE = re.compile(r"^\+?[0-9 ()\-.]{4,40}$")
MAX_NOTE_CHARS = 20_000
MAX_NAME_CHARS = 200


# --- hooks: higher capabilities react to withdrawal and erasure ------------------------------
ConsentWithdrawnHook = Callable[[ServiceContext, int, ConsentPurpose], None]
CaseErasedHook = Callable[[ServiceContext, int], None]
_consent_withdrawn_hooks: list[ConsentWithdrawnHook] = []
_case_erased_hooks: list[CaseErasedHook] = []


def on_consent_withdrawn(hook: ConsentWithdrawnHook) -> None:
    """Call ``hook(ctx, case_id, purpose)`` in the same transaction as every withdrawal (face
    search withdrawn → embeddings removed; sharing withdrawn → feed removals)."""
    if hook not in _consent_withdrawn_hooks:
        _consent_withdrawn_hooks.append(hook)


def on_case_erased(hook: CaseErasedHook) -> None:
    """Call ``hook(ctx, case_id)`` in the same transaction as every erasure."""
    if hook not in _case_erased_hooks:
        _case_erased_hooks.append(hook)


# --- helpers ---------------------------------------------------------------------------------
def _contact_context(code: str) -> str:
    return f"case-contact:{code}"


def _note_context(code: str, note_id: int) -> str:
    return f"case-note:{code}:{note_id}"


def _event(ctx: ServiceContext, case: Case, kind: str, **data: object) -> None:
    ctx.session.add(CaseEvent(case_id=case.id, at=utcnow(), actor=ctx.actor.ref, kind=kind,
                              data=json.dumps(data, ensure_ascii=False, default=str)))


def _next_code(session: Session, year: int) -> str:
    counter = session.execute(
        select(CaseCodeCounter).where(CaseCodeCounter.year == year).with_for_update()
    ).scalar_one_or_none()
    if counter is None:
        counter = CaseCodeCounter(year=year, last_number=0)
        session.add(counter)
    counter.last_number += 1
    if counter.last_number > 999_999:
        raise Conflict(f"case numbers for {year} are exhausted")
    session.flush()
    return f"DSC-{year}-{counter.last_number:06d}"


def _assignee_ids(session: Session, case_id: int) -> list[int]:
    return list(session.scalars(
        select(CaseAssignment.user_id).where(CaseAssignment.case_id == case_id)
        .order_by(CaseAssignment.user_id)))


def _consent_records(session: Session, case_id: int) -> list[ConsentRecord]:
    """The case's consent records as committed now (records read earlier in the unit are
    read again: after :func:`lock_case` waited, another unit may have withdrawn one)."""
    return list(session.scalars(
        select(ConsentRecord).where(ConsentRecord.case_id == case_id).order_by(ConsentRecord.id)
        .execution_options(populate_existing=True)))


def _active_consents(records: Sequence[ConsentRecord]) -> list[ConsentPurpose]:
    latest: dict[str, ConsentRecord] = {}
    for record in records:
        latest[record.purpose] = record
    return [ConsentPurpose(p) for p, r in sorted(latest.items()) if r.withdrawn_at is None]


def _load(ctx: ServiceContext, code: str) -> tuple[Case, CaseAccess, list[int],
                                                   list[ConsentRecord]]:
    code = code.strip().upper()
    if not CASE_CODE_RE.match(code):
        raise InvalidInput(f"{code!r} is not a case code (like DSC-2026-000123)",
                           code="bad_case_code")
    case = ctx.session.scalar(select(Case).where(Case.code == code))
    if case is None:
        raise NotFound(f"no case {code}")
    assignees = _assignee_ids(ctx.session, case.id)
    records = _consent_records(ctx.session, case.id)
    access = case_access(ctx.actor, case_centre_id=case.centre_id, assignee_ids=assignees,
                         active_consents=_active_consents(records))
    if access.none:
        ctx.audit_refusal("case.access_denied", "case", case.code, centre_id=case.centre_id)
        raise Forbidden(f"you may not see case {case.code}")
    return case, access, assignees, records


def _centre_name(session: Session, centre_id: int) -> str:
    centre = session.get(Centre, centre_id)
    return centre.name if centre else ""


def _summary(session: Session, case: Case, assignees: list[int],
             records: list[ConsentRecord]) -> CaseSummary:
    return CaseSummary(
        code=case.code, centre_id=case.centre_id,
        centre_name=_centre_name(session, case.centre_id),
        status=CaseStatus(case.status), intake_channel=IntakeChannel(case.intake_channel),
        intake_at=case.intake_at, minor=case.minor, assignee_ids=assignees,
        consents=_active_consents(records), erased=case.erased_at is not None,
        updated_at=case.updated_at,
    )


def _detail(ctx: ServiceContext, case: Case, access: CaseAccess, assignees: list[int],
            records: list[ConsentRecord]) -> CaseDetail:
    contact = None
    if access.contact and case.contact_enc is not None:
        raw = ctx.keys.decrypt(case.contact_enc, context=_contact_context(case.code))
        contact = Contact.model_validate_json(raw)
    summary = _summary(ctx.session, case, assignees, records)
    return CaseDetail(
        **summary.model_dump(),
        intake_by=case.intake_by,
        contact=contact,
        consent_records=[
            ConsentState(purpose=ConsentPurpose(r.purpose), granted=r.withdrawn_at is None,
                         granted_at=r.granted_at, granted_by=r.granted_by,
                         withdrawn_at=r.withdrawn_at, withdrawn_by=r.withdrawn_by)
            for r in records
        ],
        closed_at=case.closed_at, erased_at=case.erased_at,
        permissions={
            "contact": access.contact, "notes": access.notes,
            "change_status": access.change_status, "record_consent": access.record_consent,
            "assign": access.assign, "erase": access.erase, "pick_up": access.pick_up,
            "hand_over": access.hand_over,
        },
    )


def _require_not_erased(case: Case) -> None:
    if case.erased_at is not None:
        raise Conflict(f"case {case.code} was erased at the victim's request; it cannot change",
                       code="case_erased")


def lock_case(ctx: ServiceContext, case: Case | str, *,
              consent: ConsentPurpose | None = None) -> Case:
    """The case (an object or its code) locked until the unit of work ends and read again:
    changes of one case go in turn (two consents, an erasure and a registration, a note),
    each from what the one before committed. Raises Conflict when the case is erased, and
    Forbidden when ``consent`` is not (or no longer) in force. Call it before the first
    write; every unit that changes a case or stores the victim's data takes it first."""
    if isinstance(case, Case):
        ctx.session.refresh(case, with_for_update=True)
        locked = case
    else:
        found = ctx.session.scalar(
            select(Case).where(Case.code == case.strip().upper()).with_for_update()
            .execution_options(populate_existing=True))
        if found is None:
            raise NotFound(f"no case {case}")
        locked = found
    _require_not_erased(locked)
    if consent is not None and consent not in _active_consents(
            _consent_records(ctx.session, locked.id)):
        raise Forbidden(f"case {locked.code} has no {consent.value} consent in force: the "
                        "counsellor records it first", code="consent_required")
    return locked


def _clean_contact(name: str | None, phone: str | None, email: str | None) -> Contact:
    name = clean_text(name or "", "the name", max_chars=MAX_NAME_CHARS) or None
    phone = clean_text(phone or "", "the phone number", max_chars=40) or None
    email = clean_text(email or "", "the e-mail address", max_chars=254) or None
    if phone and not PHONE_RE.match(phone):
        raise InvalidInput("the phone number may hold only digits, spaces, +, -, ( and )",
                           code="bad_phone")
    if email and not is_email(email):
        raise InvalidInput(f"{email!r} is not an e-mail address", code="bad_email")
    return Contact(name=name, phone=phone, email=email)


# --- intake ----------------------------------------------------------------------------------
def open_case(
    ctx: ServiceContext,
    centre: Centre,
    channel: IntakeChannel,
    *,
    name: str | None = None,
    phone: str | None = None,
    email: str | None = None,
    minor: bool = False,
    assign_to: Sequence[int] = (),
) -> OpenedCase:
    """Open a case at ``centre``; returns the code and the victim's secret (shown once)."""
    actor = ctx.actor
    if not may_open_cases(actor):
        raise Forbidden("only counsellors and administrators take intake")
    if actor.is_staff and actor.centre_id != centre.id:
        raise Forbidden("you may open cases only at your own centre")
    contact = _clean_contact(name, phone, email)
    now = utcnow()
    code = _next_code(ctx.session, now.year)
    secret = generate_readable_secret()
    case = Case(
        code=code, centre_id=centre.id, status=CaseStatus.OPEN.value,
        intake_channel=channel.value, intake_at=now, intake_by=actor.ref, minor=minor,
        contact_enc=(ctx.keys.encrypt(contact.model_dump_json().encode(),
                                      context=_contact_context(code))
                     if any((contact.name, contact.phone, contact.email)) else None),
        victim_secret_hash=ctx.keys.secret_digest(normalise_readable_secret(secret),
                                                  context=f"victim:{code}"),
        created_at=now, updated_at=now,
    )
    ctx.session.add(case)
    ctx.session.flush()
    assignees = set(assign_to)
    if actor.has_role(Role.COUNSELLOR) and actor.id is not None:
        assignees.add(actor.id)
    for user_id in sorted(assignees):
        _add_assignment(ctx, case, user_id)
    _event(ctx, case, "intake", channel=channel.value, minor=minor)
    ctx.audit("case.open", "case", code, centre_id=centre.id,
              details={"channel": channel.value, "minor": minor,
                       "has_contact": case.contact_enc is not None})
    access = case_access(actor, case_centre_id=case.centre_id, assignee_ids=sorted(assignees),
                         active_consents=[])
    if actor.kind is ActorKind.SYSTEM:
        access = case_access(actor, case_centre_id=case.centre_id, assignee_ids=[],
                             active_consents=[])
    detail = _detail(ctx, case, access, sorted(assignees), [])
    return OpenedCase(case=detail, victim_secret=secret)


def _add_assignment(ctx: ServiceContext, case: Case, user_id: int) -> None:
    user = ctx.session.get(StaffUser, user_id)
    if user is None or not user.active:
        raise NotFound(f"no active staff account {user_id}")
    if user.centre_id != case.centre_id:
        raise InvalidInput("cases can be assigned only to staff of the case's centre")
    if user.role not in (Role.COUNSELLOR, Role.ANALYST, Role.INVESTIGATOR):
        raise InvalidInput("cases are assigned to counsellors, analysts or investigators")
    exists = ctx.session.scalar(select(CaseAssignment).where(
        CaseAssignment.case_id == case.id, CaseAssignment.user_id == user_id))
    if exists:
        raise Conflict(f"staff {user_id} is already assigned to {case.code}")
    ctx.session.add(CaseAssignment(case_id=case.id, user_id=user_id, assigned_at=utcnow(),
                                   assigned_by=ctx.actor.ref))
    ctx.session.flush()


# --- reads -----------------------------------------------------------------------------------
def list_cases(
    ctx: ServiceContext,
    *,
    status: CaseStatus | None = None,
    channel: IntakeChannel | None = None,
    minor: bool | None = None,
    assigned_to_me: bool = False,
    code_prefix: str | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[CaseSummary]:
    """The cases this actor may see, newest first, with optional filters."""
    actor = ctx.actor
    if not may_list_cases(actor):
        raise Forbidden("your role does not read cases")
    query = select(Case).order_by(Case.id.desc())
    if actor.is_staff:
        query = query.where(Case.centre_id == actor.centre_id)
    if status is not None:
        query = query.where(Case.status == status.value)
    if channel is not None:
        query = query.where(Case.intake_channel == channel.value)
    if minor is not None:
        query = query.where(Case.minor.is_(minor))
    if code_prefix:
        prefix = re.sub(r"[^A-Z0-9-]", "", code_prefix.upper())[:20]
        query = query.where(Case.code.startswith(prefix, autoescape=True))
    if assigned_to_me or actor.has_role(Role.COUNSELLOR):
        query = query.join(CaseAssignment, CaseAssignment.case_id == Case.id).where(
            CaseAssignment.user_id == actor.id)
    results: list[CaseSummary] = []
    skipped = 0
    for case in ctx.session.scalars(query):
        assignees = _assignee_ids(ctx.session, case.id)
        records = _consent_records(ctx.session, case.id)
        access = case_access(actor, case_centre_id=case.centre_id, assignee_ids=assignees,
                             active_consents=_active_consents(records))
        if access.none:
            continue
        if skipped < offset:
            skipped += 1
            continue
        results.append(_summary(ctx.session, case, assignees, records))
        if len(results) >= limit:
            break
    ctx.audit("case.list", "case", "*", centre_id=actor.centre_id,
              details={"count": len(results), "codes": [r.code for r in results[:50]]})
    return results


def get_case(ctx: ServiceContext, code: str) -> CaseDetail:
    case, access, assignees, records = _load(ctx, code)
    ctx.audit("case.read", "case", case.code, centre_id=case.centre_id,
              details={"contact": access.contact})
    return _detail(ctx, case, access, assignees, records)


def case_ref(ctx: ServiceContext, code: str, *, records: bool = True) -> tuple[int, str]:
    """The (id, code) of a case the actor may see, for linking other records to it.

    With ``records`` (the default) the actor must also be allowed the records linked to the
    case (``CaseAccess.records``): an intake-queue summary is not enough (Forbidden)."""
    case, access, _a, _r = _load(ctx, code)
    if records and not access.records:
        ctx.audit_refusal("case.access_denied", "case", case.code, centre_id=case.centre_id)
        raise Forbidden(f"pick up {case.code} before opening its records")
    return case.id, case.code


def timeline(ctx: ServiceContext, code: str) -> list[TimelineEvent]:
    case, _access, _a, _r = _load(ctx, code)
    ctx.audit("case.timeline_read", "case", case.code, centre_id=case.centre_id)
    return [
        TimelineEvent(at=e.at, actor=e.actor, kind=e.kind, data=json.loads(e.data))
        for e in ctx.session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id))
    ]


# --- writes ----------------------------------------------------------------------------------
def change_status(ctx: ServiceContext, code: str, target: CaseStatus,
                  reason: str = "") -> CaseDetail:
    """Move the case along the transition table (``CASE_TRANSITIONS``)."""
    case, access, assignees, records = _load(ctx, code)
    if not access.change_status:
        raise Forbidden(f"you may not change the status of {case.code}")
    lock_case(ctx, case)  # two changes at once go in turn, the second from the first's
    current = CaseStatus(case.status)
    CASE_TRANSITIONS.check(current, target)
    reason = clean_text(reason, "the reason", max_chars=1000)
    if target is CaseStatus.CLOSED and not reason:
        raise InvalidInput("say why the case is closed (it is kept in the audit log)",
                           code="close_reason_required", field="reason")
    now = utcnow()
    case.status = target.value
    case.updated_at = now
    case.closed_at = now if target is CaseStatus.CLOSED else None
    _event(ctx, case, "status", old=current.value, new=target.value)
    ctx.audit("case.status", "case", case.code, centre_id=case.centre_id,
              details={"from": current.value, "to": target.value, "reason": reason[:1000]})
    return _detail(ctx, case, access, assignees, records)


def assign(ctx: ServiceContext, code: str, user_id: int) -> CaseDetail:
    case, access, _assignees, records = _load(ctx, code)
    if not access.assign:
        raise Forbidden("only an administrator of the centre assigns cases")
    lock_case(ctx, case)
    _add_assignment(ctx, case, user_id)
    case.updated_at = utcnow()
    _event(ctx, case, "assigned", user_id=user_id)
    ctx.audit("case.assign", "case", case.code, centre_id=case.centre_id,
              details={"user_id": user_id})
    return _detail(ctx, case, access, _assignee_ids(ctx.session, case.id), records)


def unassign(ctx: ServiceContext, code: str, user_id: int) -> CaseDetail:
    case, access, _assignees, records = _load(ctx, code)
    if not access.assign:
        raise Forbidden("only an administrator of the centre assigns cases")
    row = ctx.session.scalar(select(CaseAssignment).where(
        CaseAssignment.case_id == case.id, CaseAssignment.user_id == user_id))
    if row is None:
        raise NotFound(f"staff {user_id} is not assigned to {case.code}")
    ctx.session.delete(row)
    ctx.session.flush()
    case.updated_at = utcnow()
    _event(ctx, case, "unassigned", user_id=user_id)
    ctx.audit("case.unassign", "case", case.code, centre_id=case.centre_id,
              details={"user_id": user_id})
    return _detail(ctx, case, access, _assignee_ids(ctx.session, case.id), records)


def add_note(ctx: ServiceContext, code: str, text: str) -> Note:
    case, access, _a, _r = _load(ctx, code)
    if not access.notes:
        raise Forbidden("only the assigned counsellor writes counselling notes")
    lock_case(ctx, case)
    text = clean_text(text, "the note", max_chars=MAX_NOTE_CHARS, multiline=True,
                      allow_empty=False)
    note = CounsellingNote(case_id=case.id, author_id=ctx.actor.id, created_at=utcnow(),
                           body_enc=b"")
    ctx.session.add(note)
    ctx.session.flush()
    note.body_enc = ctx.keys.encrypt(text.encode(), context=_note_context(case.code, note.id))
    case.updated_at = utcnow()
    _event(ctx, case, "note", note_id=note.id)
    ctx.audit("case.note_add", "case", case.code, centre_id=case.centre_id,
              details={"note_id": note.id})
    return Note(id=note.id, author_id=note.author_id, created_at=note.created_at, text=text)


def list_notes(ctx: ServiceContext, code: str) -> list[Note]:
    case, access, _a, _r = _load(ctx, code)
    if not access.notes:
        raise Forbidden("counselling notes are for the assigned counsellor only")
    notes = [
        Note(id=n.id, author_id=n.author_id, created_at=n.created_at,
             text=ctx.keys.decrypt(n.body_enc, context=_note_context(case.code, n.id)).decode())
        for n in ctx.session.scalars(
            select(CounsellingNote).where(CounsellingNote.case_id == case.id)
            .order_by(CounsellingNote.id))
    ]
    ctx.audit("case.notes_read", "case", case.code, centre_id=case.centre_id,
              details={"count": len(notes)})
    return notes


def list_consents(ctx: ServiceContext, code: str) -> list[ConsentState]:
    detail = get_case(ctx, code)
    return detail.consent_records


def record_consent(ctx: ServiceContext, code: str, purpose: ConsentPurpose, *,
                   withdraw: bool = False) -> CaseDetail:
    """Record consent for one purpose, or its withdrawal, with who and when."""
    case, access, assignees, _records = _load(ctx, code)
    if not access.record_consent:
        raise Forbidden("only the assigned counsellor records consent")
    return _apply_consent(ctx, case, access, assignees, purpose, withdraw)


def _apply_consent(ctx: ServiceContext, case: Case, access: CaseAccess, assignees: list[int],
                   purpose: ConsentPurpose, withdraw: bool) -> CaseDetail:
    lock_case(ctx, case)  # two grants at once must not both find none in force
    records = _consent_records(ctx.session, case.id)
    active = purpose in _active_consents(records)
    now = utcnow()
    if withdraw:
        if not active:
            raise Conflict(f"there is no consent for {purpose.value} to withdraw")
        for record in records:  # every grant still open (an old race may have left two)
            if record.purpose == purpose.value and record.withdrawn_at is None:
                record.withdrawn_at = now
                record.withdrawn_by = ctx.actor.ref
        kind = "consent_withdrawn"
        for hook in _consent_withdrawn_hooks:
            hook(ctx, case.id, purpose)
    else:
        if active:
            raise Conflict(f"consent for {purpose.value} is already recorded")
        ctx.session.add(ConsentRecord(case_id=case.id, purpose=purpose.value, granted_at=now,
                                      granted_by=ctx.actor.ref))
        kind = "consent_granted"
    ctx.session.flush()
    case.updated_at = now
    _event(ctx, case, kind, purpose=purpose.value)
    ctx.audit(f"case.{kind}", "case", case.code, centre_id=case.centre_id,
              details={"purpose": purpose.value})
    return _detail(ctx, case, access, assignees, _consent_records(ctx.session, case.id))


def _erase(ctx: ServiceContext, case: Case, reason: str) -> None:
    reason = clean_text(reason, "the reason", max_chars=200)
    lock_case(ctx, case)  # before the hooks read what to remove: a registration, a note or a
    # capture of this case committing meanwhile is either seen and removed, or refused
    for hook in _case_erased_hooks:
        hook(ctx, case.id)
    now = utcnow()
    ctx.session.execute(delete(CounsellingNote).where(CounsellingNote.case_id == case.id))
    for record in _consent_records(ctx.session, case.id):
        if record.withdrawn_at is None:
            record.withdrawn_at = now
            record.withdrawn_by = ctx.actor.ref
    case.contact_enc = None
    case.victim_secret_hash = None
    case.erased_at = now
    case.updated_at = now
    if case.status != CaseStatus.CLOSED.value:
        case.status = CaseStatus.CLOSED.value
        case.closed_at = now
    # The timeline keeps only that the case existed and was erased.
    ctx.session.execute(delete(CaseEvent).where(CaseEvent.case_id == case.id))
    _event(ctx, case, "erased", reason=reason[:200])
    ctx.audit("case.erase", "case", case.code, centre_id=case.centre_id,
              details={"reason": reason[:200]})


def erase_case(ctx: ServiceContext, code: str, reason: str = "victim request") -> CaseDetail:
    """Erase contact data, notes and consents; keep a tombstone (code, dates, erased)."""
    case, access, assignees, _records = _load(ctx, code)
    if not access.erase:
        raise Forbidden("only the assigned counsellor or an administrator erases a case")
    _require_not_erased(case)
    _erase(ctx, case, reason)
    return _detail(ctx, case, access, assignees, _consent_records(ctx.session, case.id))


# --- the victim's own access -----------------------------------------------------------------
def _victim_case(ctx: ServiceContext, code: str, secret: str) -> Case:
    failure = NotAuthenticated("the case code or secret is not right", code="victim_login_failed")
    code = code.strip().upper()
    case = (ctx.session.scalar(select(Case).where(Case.code == code))
            if CASE_CODE_RE.match(code) else None)
    if case is None or case.victim_secret_hash is None:
        record_outcome(code, ok=False)
        raise failure
    presented = ctx.keys.secret_digest(normalise_readable_secret(secret),
                                       context=f"victim:{case.code}")
    if not hmac.compare_digest(presented, case.victim_secret_hash):
        record_outcome(code, ok=False)
        raise failure
    record_outcome(code, ok=True)
    return case


def victim_view(ctx: ServiceContext, code: str, secret: str) -> VictimCaseView:
    """The victim's view of her case, by code and secret."""
    case = _victim_case(ctx, code, secret)
    victim = Actor(kind=ActorKind.VICTIM, label=case.code)
    ctx.actor = victim
    ctx.audit("case.victim_read", "case", case.code, centre_id=case.centre_id)
    return VictimCaseView(code=case.code, status=CaseStatus(case.status),
                          opened_at=case.intake_at, updated_at=case.updated_at,
                          consents=_active_consents(_consent_records(ctx.session, case.id)),
                          erased=case.erased_at is not None)


def victim_withdraw_consent(ctx: ServiceContext, code: str, secret: str,
                            purpose: ConsentPurpose) -> VictimCaseView:
    """The victim withdraws one consent herself, at once (the withdrawal hooks run)."""
    case = _victim_case(ctx, code, secret)
    ctx.actor = Actor(kind=ActorKind.VICTIM, centre_id=case.centre_id, label=case.code)
    _apply_consent(ctx, case, case_access(ctx.actor, case_centre_id=case.centre_id,
                                          assignee_ids=[], active_consents=[]),
                   [], purpose, True)
    return VictimCaseView(code=case.code, status=CaseStatus(case.status),
                          opened_at=case.intake_at, updated_at=case.updated_at,
                          consents=_active_consents(_consent_records(ctx.session, case.id)),
                          erased=False)


def victim_erase(ctx: ServiceContext, code: str, secret: str) -> VictimCaseView:
    """Erasure at the victim's own request: contact data, notes and consents go at once."""
    case = _victim_case(ctx, code, secret)
    ctx.actor = Actor(kind=ActorKind.VICTIM, label=case.code)
    _erase(ctx, case, "victim request (self-service)")
    return VictimCaseView(code=case.code, status=CaseStatus(case.status),
                          opened_at=case.intake_at, updated_at=case.updated_at, consents=[],
                          erased=True)


# --- statistics ------------------------------------------------------------------------------
def statistics(ctx: ServiceContext, centre_id: int | None = None) -> list[CentreStatistics]:
    """Counts per centre. Admins see their centre; central admins every centre. No notes."""
    actor = ctx.actor
    centres_query = select(Centre).order_by(Centre.id)
    if actor.has_role(Role.ADMIN):
        centres_query = centres_query.where(Centre.id == actor.centre_id)
    elif actor.has_role(Role.CENTRAL_ADMIN) or actor.kind is ActorKind.SYSTEM:
        if centre_id is not None:
            centres_query = centres_query.where(Centre.id == centre_id)
    else:
        raise Forbidden("statistics are for administrators")
    results = []
    for centre in ctx.session.scalars(centres_query):
        rows = ctx.session.execute(
            select(Case.status, Case.intake_channel, Case.intake_at, Case.minor, Case.erased_at)
            .where(Case.centre_id == centre.id)).all()
        months: Counter[str] = Counter(r.intake_at.strftime("%Y-%m") for r in rows)
        results.append(CentreStatistics(
            centre_id=centre.id, centre_name=centre.name, cases_total=len(rows),
            minors=sum(1 for r in rows if r.minor),
            by_status=dict(Counter(r.status for r in rows)),
            by_channel=dict(Counter(r.intake_channel for r in rows)),
            opened_by_month=dict(sorted(months.items())),
            erased=sum(1 for r in rows if r.erased_at is not None),
        ))
    ctx.audit("stats.read", "statistics", centre_id or "*", centre_id=actor.centre_id)
    return results
