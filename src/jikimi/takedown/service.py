"""Takedown requests: proposed from confirmed matches, sent, tracked, escalated and verified.

Public functions (each takes a :class:`ServiceContext` unless it needs network I/O outside a
transaction, then it takes the runtime and the acting subject):

- :func:`list_requests`, :func:`get_request` — read (analysts and admins of the centre;
  counsellors and investigators who may see the request's case).
- :func:`send_request` — render the notice in the platform's language; e-mail platforms get a
  message in the durable outbox (sent by :func:`jikimi.takedown.outbox.dispatch`), web-form
  platforms a prepared notice the analyst submits and then marks with :func:`mark_sent`.
- :func:`transition` — acknowledged, refused, overdue, escalated (:func:`escalate`), and a
  manual removed / partially removed with a note.
- :func:`mark_overdue` — requests past their platform's deadline.
- :func:`verify` — re-fetch and re-hash every open URL (``jikimi.takedown.checks``).
- :func:`statistics`, :func:`statistics_csv` — ``jikimi.takedown.stats``.
- :func:`list_platforms`, :func:`get_platform`, :func:`update_platform`,
  :func:`reset_platform` — the directory in use (``jikimi.takedown.platforms``).

A confirmed match proposes a takedown through :func:`propose` (hooked to the review queue in
``jikimi.takedown.watch``); URLs of one case on one platform collect in one draft.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from jikimi import cases
from jikimi.accounts import Centre as CentreRecord
from jikimi.cases import Case
from jikimi.core.actors import ActorKind, Role, cli_actor
from jikimi.core.authorization import Action, Owned, ResourceType, load_for, register_resource
from jikimi.core.context import ServiceContext
from jikimi.core.database import utcnow
from jikimi.core.runtime import Runtime
from jikimi.core.text import clean_text, is_email
from jikimi.errors import Conflict, Forbidden, InvalidInput, NotFound
from jikimi.review import ReviewDecision, ReviewStatus
from jikimi.scans import Item, ItemMatch, ItemVersion
from jikimi.sources.http import HttpClient
from jikimi.takedown.checks import verify
from jikimi.takedown.directory import ChannelKind, Platform
from jikimi.takedown.history import record_event as _event
from jikimi.takedown.history import set_status
from jikimi.takedown.legal import LegalData
from jikimi.takedown.lifecycle import (
    DEADLINE_STATUSES,
    OUTBOX_TRANSITIONS,
    TAKEDOWN_TRANSITIONS,
    OutboxStatus,
    TakedownStatus,
)
from jikimi.takedown.mail import compose_email, make_message_id
from jikimi.takedown.models import (
    OutboxMessage,
    TakedownEvent,
    TakedownItem,
    TakedownRequest,
    VerificationCheck,
)
from jikimi.takedown.notices import (
    Centre,
    EscalationInput,
    EscalationReason,
    Fingerprint,
    Notice,
    NoticeInput,
    NoticeItem,
    NoticeWarning,
    current_legal,
    deadline_for,
    render_escalation,
    render_notice,
)
from jikimi.takedown.platforms import (
    UNLISTED_PREFIX,
    get_platform,
    list_platforms,
    platform_directory,
    platform_for_key,
    reset_platform,
    resolve_url,
    update_platform,
)
from jikimi.takedown.schemas import (
    CheckOut,
    EventOut,
    FingerprintOut,
    NoticeWarningOut,
    OutboxOut,
    RequestDetail,
    RequestItemOut,
    RequestSummary,
)
from jikimi.takedown.stats import statistics, statistics_csv

__all__ = [
    "approve_notice",
    "edit_notice",
    "escalate",
    "get_platform",
    "get_request",
    "list_platforms",
    "list_requests",
    "mail_readiness",
    "mark_overdue",
    "mark_sent",
    "prepare_notice",
    "propose",
    "queued_message_ids",
    "reference",
    "reset_platform",
    "run_due_work",
    "send_request",
    "statistics",
    "statistics_csv",
    "transition",
    "update_platform",
    "verify",
]

_T = TakedownStatus
MANUAL_TARGETS = frozenset({_T.ACKNOWLEDGED, _T.REFUSED, _T.OVERDUE, _T.ESCALATED,
                            _T.REMOVED, _T.PARTIALLY_REMOVED})
CENTRE_PHONE_HOTLINE = "centre_24h"


# --- references and permissions ----------------------------------------------------------------
def reference(request: TakedownRequest) -> str:
    """The reference quoted in notices and replies: ``TD-2026-000042``."""
    return f"TD-{request.created_at:%Y}-{request.id:06d}"


def _status(value: TakedownStatus | str) -> TakedownStatus:
    try:
        return TakedownStatus(value)
    except ValueError:
        raise InvalidInput(f"unknown status {str(value)[:40]!r} (known: "
                           f"{', '.join(s.value for s in TakedownStatus)})",
                           code="invalid_transition") from None


def _is_system(ctx: ServiceContext) -> bool:
    return ctx.actor.kind is ActorKind.SYSTEM


def _may_act(ctx: ServiceContext, request: TakedownRequest) -> None:
    """Analysts and admins of the request's centre (and the operator) act on it."""
    if _is_system(ctx):
        return
    if ctx.actor.has_role(Role.ANALYST, Role.ADMIN) and ctx.actor.centre_id == request.centre_id:
        return
    if ctx.actor.is_staff and ctx.actor.centre_id != request.centre_id:
        raise NotFound(f"no takedown request {request.id}")
    raise Forbidden("takedown requests are sent and tracked by analysts and administrators")


def _may_read(ctx: ServiceContext, request: TakedownRequest) -> None:
    """Analysts and admins of the centre; counsellors and investigators who may see the case."""
    if _is_system(ctx):
        return
    if not ctx.actor.is_staff or ctx.actor.centre_id != request.centre_id:
        raise NotFound(f"no takedown request {request.id}")
    if ctx.actor.has_role(Role.ANALYST, Role.ADMIN):
        return
    if ctx.actor.has_role(Role.COUNSELLOR, Role.INVESTIGATOR) and request.case_code:
        cases.case_ref(ctx, request.case_code)  # raises Forbidden without access to the case
        return
    raise Forbidden("you may not see this takedown request")


def _find(session: Session, key: object) -> Owned | None:
    request = session.get(TakedownRequest, int(str(key))) if str(key).isdigit() else None
    return None if request is None else Owned(request, request.centre_id,
                                              label=f"takedown request {request.id}")


register_resource(ResourceType.TAKEDOWN, _find, changed_in_turn=True)  # its status


def _load(ctx: ServiceContext, request_id: int, *, act: bool) -> TakedownRequest:
    """The request, through the authorisation table (another centre's: 404); counsellors and
    investigators read it only when they may read its case."""
    request: TakedownRequest = load_for(ctx, ResourceType.TAKEDOWN, request_id,
                                        Action.WRITE if act else Action.READ)
    (_may_act if act else _may_read)(ctx, request)
    return request


# --- proposals (from the review queue and the re-upload watch) ---------------------------------
def _item_url(item: Item) -> str | None:
    if item.locator.startswith(("http://", "https://")):
        return item.locator
    context = json.loads(item.context or "{}")
    for key in ("url", "message_url", "link"):
        value = context.get(key)
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            return value
    return None


def notice_fingerprints(version: ItemVersion) -> list[dict[str, str]]:
    """The fingerprints a notice states for an item: PDQ and SHA-256 for images, SHA-256 and
    MD5 for videos (a vPDQ list is too long for an e-mail)."""
    data = json.loads(version.fingerprints or "{}")
    out = []
    if data.get("pdq"):
        out.append({"signal_type": "pdq", "value": str(data["pdq"])})
    out.append({"signal_type": "sha256", "value": version.sha256})
    if data.get("md5") and not data.get("pdq"):
        out.append({"signal_type": "md5", "value": str(data["md5"])})
    return out


def _category(match: ItemMatch, minor: bool) -> str:
    if minor:
        return "child_exploitation"
    return "deepfake" if match.signal_type == "face" else "filmed"


def propose(session: Session, match: ItemMatch, actor: str, *, reupload: bool = False,
            reupload_of: int | None = None) -> TakedownRequest | None:
    """Add a confirmed match's URL to the draft request of its case and platform (opening the
    draft if needed). Returns the draft, or None when there is nothing to request: no web URL,
    no centre, or the URL is already in an open request of the case."""
    version = session.get(ItemVersion, match.item_version_id)
    item = session.get(Item, version.item_id) if version else None
    if version is None or item is None:
        return None
    url = _item_url(item)
    if url is None or len(url) > 2000:
        return None
    case = session.scalar(select(Case).where(Case.code == match.case_code)) \
        if match.case_code else None
    centre_id = match.centre_id  # the match's owner: its case's centre, else its source's
    resolved = resolve_url(platform_directory(session), url)
    if resolved is None:
        return None
    key, _platform = resolved
    if _already_requested(session, centre_id, match.case_code, url):
        return None
    minor = bool(case.minor) if case is not None else False
    request = _draft(session, centre_id, match.case_code, key, actor, minor)
    categories = set(json.loads(request.categories))
    categories.add(_category(match, minor))
    request.categories = json.dumps(sorted(categories))
    if reupload:
        request.reupload = True
        request.reupload_of = request.reupload_of or reupload_of
    session.add(TakedownItem(
        request_id=request.id, url=url, item_id=item.id, item_version_id=version.id,
        match_id=match.id, entry_id=match.entry_id,
        fingerprints=json.dumps(notice_fingerprints(version)), reupload=reupload,
        state="open", added_at=utcnow()))
    request.updated_at = utcnow()
    session.flush()
    _event(session, request, actor, "reupload" if reupload else "url_added", url=url,
           match_id=match.id, reupload_of=reupload_of)
    return request


def _already_requested(session: Session, centre_id: int, case_code: str | None,
                       url: str) -> bool:
    """True when the URL is in a draft or open request of the case and not yet removed."""
    open_statuses = [s.value for s in TakedownStatus if s is not _T.REMOVED]
    query = (select(TakedownItem.id).join(TakedownRequest,
                                          TakedownRequest.id == TakedownItem.request_id)
             .where(TakedownItem.url == url, TakedownItem.state == "open",
                    TakedownRequest.centre_id == centre_id,
                    TakedownRequest.status.in_(open_statuses)))
    query = query.where(TakedownRequest.case_code == case_code) if case_code else \
        query.where(TakedownRequest.case_code.is_(None))
    return session.scalar(query.limit(1)) is not None


def _draft(session: Session, centre_id: int, case_code: str | None, platform_key: str,
           actor: str, minor: bool) -> TakedownRequest:
    draft_key = f"{centre_id}|{case_code or '-'}|{platform_key}"[:400]
    # locked: a draft being approved meanwhile (its key cleared, its notice frozen) is not
    # joined after the approval; PostgreSQL reads the row again once it is free and a new
    # draft is opened instead
    existing = session.scalar(select(TakedownRequest).where(
        TakedownRequest.draft_key == draft_key).with_for_update()
        .execution_options(populate_existing=True))
    if existing is not None:
        return existing
    now = utcnow()
    request = TakedownRequest(
        centre_id=centre_id, case_code=case_code, platform_id=platform_key[:300],
        status=_T.DRAFT.value, draft_key=draft_key, minor=minor, categories="[]",
        legal_basis="[]", notice_warnings="[]", created_at=now, created_by=actor[:120],
        updated_at=now)
    try:
        with session.begin_nested():  # another transaction may open the same draft
            session.add(request)
            session.flush()
    except IntegrityError:
        existing = session.scalar(select(TakedownRequest).where(
            TakedownRequest.draft_key == draft_key).with_for_update()
            .execution_options(populate_existing=True))
        if existing is None:
            raise
        return existing
    _event(session, request, actor, "created", to_status=_T.DRAFT.value, at=now)
    return request


# --- reading ----------------------------------------------------------------------------------
def _outbox_rows(session: Session, request_ids: Sequence[int]) -> dict[int, OutboxMessage]:
    """The latest notice message of each request."""
    if not request_ids:
        return {}
    rows = session.scalars(select(OutboxMessage).where(
        OutboxMessage.request_id.in_(request_ids), OutboxMessage.purpose == "notice")
        .order_by(OutboxMessage.id))
    return {r.request_id: r for r in rows if r.request_id is not None}


def _counts(session: Session, request_ids: Sequence[int]) -> dict[int, tuple[int, int]]:
    if not request_ids:
        return {}
    rows = session.execute(
        select(TakedownItem.request_id, TakedownItem.state, func.count())
        .where(TakedownItem.request_id.in_(request_ids))
        .group_by(TakedownItem.request_id, TakedownItem.state)).all()
    out: dict[int, list[int]] = {}
    for request_id, state, count in rows:
        entry = out.setdefault(request_id, [0, 0])
        entry[0] += count
        if state == "removed":
            entry[1] += count
    return {k: (v[0], v[1]) for k, v in out.items()}


def is_past_deadline(request: TakedownRequest, now: dt.datetime | None = None) -> bool:
    """Past its deadline with URLs still up (or already marked overdue)."""
    if request.status == _T.OVERDUE.value:
        return True
    return (request.deadline is not None and request.status in {s.value for s in
                                                                 DEADLINE_STATUSES}
            and (now or utcnow()) >= request.deadline)


def _summary(session: Session, request: TakedownRequest, counts: tuple[int, int],
             outbox: OutboxMessage | None) -> RequestSummary:
    platform = platform_for_key(platform_directory(session), request.platform_id)
    listed = not request.platform_id.startswith(UNLISTED_PREFIX) and platform.id != "unlisted"
    return RequestSummary(
        id=request.id, reference=reference(request), centre_id=request.centre_id,
        case_code=request.case_code, platform_id=request.platform_id,
        platform_name=platform.name, platform_listed=listed, status=request.status,
        reupload=request.reupload, reupload_of=request.reupload_of, channel=request.channel,
        channel_address=request.channel_address, language=request.language,
        urls=counts[0], removed_urls=counts[1], created_at=request.created_at,
        prepared_at=request.prepared_at, sent_at=request.sent_at, deadline=request.deadline,
        overdue=is_past_deadline(request), removed_at=request.removed_at,
        outbox_status=outbox.status if outbox else None, updated_at=request.updated_at)


def list_requests(ctx: ServiceContext, *, status: TakedownStatus | str | None = None,
                  case_code: str | None = None, platform: str | None = None,
                  overdue: bool | None = None, limit: int = 500) -> list[RequestSummary]:
    """Requests of the actor's centre, newest first, filtered by status, case, platform and
    whether they are past their deadline. Counsellors and investigators see only requests of
    cases they may see."""
    actor = ctx.actor
    if not (_is_system(ctx) or actor.has_role(Role.ANALYST, Role.ADMIN, Role.COUNSELLOR,
                                              Role.INVESTIGATOR)):
        raise Forbidden("takedown requests are for the centre's staff")
    query = select(TakedownRequest).order_by(TakedownRequest.id.desc())
    if actor.is_staff:
        query = query.where(TakedownRequest.centre_id == actor.centre_id)
    if status:
        query = query.where(TakedownRequest.status == _status(status).value)
    if case_code:
        query = query.where(TakedownRequest.case_code == case_code.strip().upper()[:20])
    if platform:
        query = query.where(TakedownRequest.platform_id == platform.strip()[:300])
    rows = list(ctx.session.scalars(query))
    if overdue is not None:
        now = utcnow()
        rows = [r for r in rows if is_past_deadline(r, now) is overdue]
    if actor.has_role(Role.COUNSELLOR, Role.INVESTIGATOR):
        allowed: dict[str, bool] = {}
        visible = []
        for row in rows:
            if not row.case_code:
                continue
            if row.case_code not in allowed:
                try:
                    cases.case_ref(ctx, row.case_code)
                    allowed[row.case_code] = True
                except (Forbidden, NotFound):
                    allowed[row.case_code] = False
            if allowed[row.case_code]:
                visible.append(row)
        rows = visible
    rows = rows[:limit]
    ids = [r.id for r in rows]
    counts, outbox = _counts(ctx.session, ids), _outbox_rows(ctx.session, ids)
    ctx.audit("takedown.list", "takedown", "*", centre_id=actor.centre_id,
              details={"count": len(rows)})
    return [_summary(ctx.session, r, counts.get(r.id, (0, 0)), outbox.get(r.id)) for r in rows]


def _stored_warnings(stored: str) -> list[NoticeWarningOut]:
    """The warnings a prepared request stores: msgid/values/text objects, or (requests
    prepared before they were translatable) English strings, shown as they are."""
    out: list[NoticeWarningOut] = []
    for entry in json.loads(stored or "[]"):
        if isinstance(entry, dict) and isinstance(entry.get("msgid"), str):
            values = entry.get("values") or {}
            out.append(NoticeWarningOut(
                msgid=entry["msgid"], values={str(k): str(v) for k, v in values.items()},
                text=str(entry.get("text") or entry["msgid"])))
        else:
            out.append(NoticeWarningOut(msgid=None, text=str(entry)))
    return out


def _detail(session: Session, request: TakedownRequest) -> RequestDetail:
    items = list(session.scalars(select(TakedownItem).where(
        TakedownItem.request_id == request.id).order_by(TakedownItem.id)))
    checks = list(session.scalars(select(VerificationCheck).where(
        VerificationCheck.request_id == request.id).order_by(VerificationCheck.id)))
    events = list(session.scalars(select(TakedownEvent).where(
        TakedownEvent.request_id == request.id).order_by(TakedownEvent.id)))
    outbox = list(session.scalars(select(OutboxMessage).where(
        OutboxMessage.request_id == request.id).order_by(OutboxMessage.id)))
    notice_outbox = [o for o in outbox if o.purpose == "notice"]
    counts = (len(items), sum(1 for i in items if i.state == "removed"))
    summary = _summary(session, request, counts, notice_outbox[-1] if notice_outbox else None)
    warnings = _stored_warnings(request.notice_warnings)
    return RequestDetail(
        **summary.model_dump(),
        legal_basis=json.loads(request.legal_basis), categories=json.loads(request.categories),
        notice_subject=request.notice_subject, notice_body=request.notice_body,
        notice_warnings=[w.text for w in warnings],
        notice_warning_details=warnings,
        escalation_subject=request.escalation_subject,
        escalation_body=request.escalation_body, escalated_at=request.escalated_at,
        edited_at=request.edited_at, edited_by=request.edited_by,
        approved_at=request.approved_at, approved_by=request.approved_by,
        contact_verified=_contact_verified(session, request),
        items=[RequestItemOut(
            id=i.id, url=i.url, fingerprints=[FingerprintOut(**f) for f in
                                              json.loads(i.fingerprints)],
            reupload=i.reupload, state=i.state, removed_at=i.removed_at,
            last_outcome=i.last_outcome, last_checked_at=i.last_checked_at,
            match_id=i.match_id, item_id=i.item_id) for i in items],
        checks=[CheckOut(id=c.id, item_id=c.item_id, url=c.url, checked_at=c.checked_at,
                         http_status=c.http_status, outcome=c.outcome, reason=c.reason,
                         detail=c.detail, final_url=c.final_url, checked_by=c.checked_by)
                for c in checks],
        events=[EventOut(at=e.at, actor=e.actor, kind=e.kind, from_status=e.from_status,
                         to_status=e.to_status, data=json.loads(e.data)) for e in events],
        outbox=[OutboxOut(id=o.id, purpose=o.purpose, message_id=o.message_id,
                          recipients=json.loads(o.recipients), status=o.status,
                          attempts=o.attempts, next_attempt_at=o.next_attempt_at,
                          sent_at=o.sent_at, uncertain=o.uncertain, last_error=o.last_error)
                for o in outbox])


def _contact_verified(session: Session, request: TakedownRequest) -> bool | None:
    if request.channel is None or request.channel_address is None:
        return None
    platform = platform_for_key(platform_directory(session), request.platform_id)
    for channel in platform.channels:
        if channel.address == request.channel_address:
            return channel.verified
    return False  # an address the analyst typed in


def get_request(ctx: ServiceContext, request_id: int) -> RequestDetail:
    """One request with its URLs, notice, re-checks, e-mail and history (audited read)."""
    request = _load(ctx, request_id, act=False)
    ctx.audit("takedown.read", "takedown", request.id, centre_id=request.centre_id)
    return _detail(ctx.session, request)


# --- sending -----------------------------------------------------------------------------------
def _centre(session: Session, ctx: ServiceContext, request: TakedownRequest, language: str,
            legal: LegalData) -> Centre:
    record = session.get(CentreRecord, request.centre_id)
    name = record.name if record else legal.centre.name_ko
    if record is not None and record.is_central:
        name = legal.centre.name_ko if language == "ko" else legal.centre.name_en
    try:
        phone = legal.hotline(CENTRE_PHONE_HOTLINE).number
    except NotFound:
        phone = "1366"
    sender = ctx.settings.smtp_from
    if not _sender_ok(sender):
        raise SettingMissing(
            "Notices cannot be prepared yet because the centre's reply address "
            "(JIKIMI_SMTP_FROM) is not set up: ask an administrator (the status page shows "
            "what is missing).", code="sender_address_missing")
    return Centre(name=name, email=sender, phone=phone)


def _basis(legal: LegalData, categories: Sequence[str]) -> tuple[str, ...]:
    refs = list(legal.default_notice_basis)
    for category in categories:
        refs.extend(legal.category_basis.get(category, ()))
    return tuple(dict.fromkeys(refs))


def _notice_items(session: Session, request: TakedownRequest, *, open_only: bool = False
                  ) -> tuple[NoticeItem, ...]:
    rows = session.scalars(select(TakedownItem).where(
        TakedownItem.request_id == request.id).order_by(TakedownItem.id))
    return tuple(
        NoticeItem(r.url, tuple(Fingerprint(f["signal_type"], f["value"])
                                for f in json.loads(r.fingerprints)))
        for r in rows if not open_only or r.state == "open")


def _channel(platform: Platform, recipient: str | None, allow_unverified: bool
             ) -> tuple[str, str | None]:
    if recipient:
        return ChannelKind.EMAIL.value, recipient
    email = platform.email_channel(verified_only=not allow_unverified)
    if email is not None:
        return ChannelKind.EMAIL.value, email.address
    others = sorted((c for c in platform.channels if c.kind is not ChannelKind.EMAIL
                     and c.address), key=lambda c: not c.verified)
    if others:
        return others[0].kind.value, others[0].address
    return "manual", None


def _queue_email(session: Session, ctx: ServiceContext, request: TakedownRequest,
                 purpose: str, subject: str, body: str, language: str, recipient: str,
                 now: dt.datetime) -> OutboxMessage:
    sender = ctx.settings.smtp_from
    domain = sender.rpartition("@")[2] or "localhost"
    message_id = make_message_id(f"{reference(request)}:{purpose}:{uuid.uuid4().hex}", domain)
    notice = Notice(subject=subject, body=body, language=language,
                    request_id=reference(request))
    message = compose_email(notice, sender, [recipient], message_id, date=now)
    row = OutboxMessage(request_id=request.id, purpose=purpose, message_id=message_id,
                        sender=sender, recipients=json.dumps([recipient]),
                        raw=message.as_bytes(), status=OutboxStatus.QUEUED.value, attempts=0,
                        next_attempt_at=now, uncertain=False, created_at=now, updated_at=now)
    session.add(row)
    session.flush()
    _event(session, request, ctx.actor.ref, "queued", at=now, purpose=purpose,
           message_id=message_id, recipients=[recipient])
    return row


def _drop_rejected(ctx: ServiceContext, request: TakedownRequest) -> int:
    """Take out of a draft the URLs whose match an analyst has since rejected."""
    rejected = list(ctx.session.scalars(
        select(TakedownItem).join(ReviewDecision, ReviewDecision.match_id == TakedownItem.match_id)
        .where(TakedownItem.request_id == request.id,
               ReviewDecision.status == ReviewStatus.REJECTED.value)))
    for item in rejected:
        _event(ctx.session, request, ctx.actor.ref, "url_dropped", url=item.url,
               match_id=item.match_id, reason="match rejected in review")
        ctx.session.delete(item)
    if rejected:
        ctx.session.flush()
    return len(rejected)


class SettingMissing(Conflict):
    """An operator setting the action needs is missing; the message says so in one sentence
    the analyst can act on (tell an administrator, or submit by hand)."""

    code = "setting_missing"


def mail_readiness(settings: Any) -> list[str]:
    """What is missing for notices to go out by e-mail: error codes of :class:`SettingMissing`
    (``sender_address_missing``, ``mail_server_missing``); empty when everything is set."""
    missing = []
    if not _sender_ok(settings.smtp_from):
        missing.append("sender_address_missing")
    if not settings.smtp_url:
        missing.append("mail_server_missing")
    return missing


def _sender_ok(sender: str) -> bool:
    domain = sender.rpartition("@")[2]
    return is_email(sender) and "." in domain and domain != "localhost"


def _approvable(ctx: ServiceContext, request: TakedownRequest) -> OutboxMessage | None:
    """The request's notice e-mail (if any); raises unless the draft may still change."""
    current = TakedownStatus(request.status)
    if current is not _T.DRAFT:
        raise Conflict(f"request {request.id} is {current.value}; only drafts are sent",
                       code="invalid_transition")
    existing = _outbox_rows(ctx.session, [request.id]).get(request.id)
    if existing is not None and existing.status != OutboxStatus.DEAD.value:
        raise Conflict(f"the notice of request {request.id} is already {existing.status} in "
                       "the outbox", code="already_queued")
    return existing


def prepare_notice(ctx: ServiceContext, request_id: int, *, recipient: str | None = None,
                   language: str | None = None, legal_basis: Sequence[str] | None = None,
                   allow_unverified: bool = False, now: dt.datetime | None = None
                   ) -> RequestDetail:
    """Render a draft's notice for the officer to read (the preview): in ``language`` or the
    platform's language (English when no templates exist for it), with the centre, the
    statutes (``legal_basis`` or legal.json's default plus the request's categories), the URLs
    with their fingerprints, the case code and the deadline; never the victim's personal data.
    The text is stored as the draft's notice; nothing is sent until :func:`approve_notice`.
    Preparing again (another language, recipient or basis) replaces an edited text."""
    request = _load(ctx, request_id, act=True)
    if request.approved_at is not None:
        raise Conflict(f"the notice of request {request.id} is already approved",
                       code="already_approved")
    _approvable(ctx, request)
    now = now or utcnow()
    if recipient is not None:
        recipient = clean_text(recipient, "the recipient", max_chars=254)
        if not is_email(recipient) or not recipient.isascii():
            raise InvalidInput(f"{recipient!r} is not an e-mail address", code="bad_email")
    _drop_rejected(ctx, request)
    items = _notice_items(ctx.session, request)
    if not items:
        raise InvalidInput(f"request {request.id} has no URLs to send")
    legal = current_legal()
    platform = platform_for_key(platform_directory(ctx.session), request.platform_id)
    lang = language or platform.language
    refs = tuple(legal_basis) if legal_basis else _basis(
        legal, json.loads(request.categories))
    deadline = deadline_for(platform, now)
    notice = render_notice(NoticeInput(
        centre=_centre(ctx.session, ctx, request, lang.split("-")[0], legal),
        platform=platform, legal_basis=refs, items=items,
        case_code=request.case_code or reference(request), request_id=reference(request),
        deadline=deadline, issued_at=now, language=language,
        allow_unverified_legal=allow_unverified), legal=legal)
    channel, address = _channel(platform, recipient, allow_unverified)
    request.channel, request.channel_address = channel, address
    request.language = notice.language
    request.legal_basis = json.dumps(list(refs))
    request.notice_subject, request.notice_body = notice.subject, notice.body
    warnings = list(notice.notice_warnings)
    if channel == ChannelKind.EMAIL.value and address and not recipient:
        contact = platform.email_channel(verified_only=False)
        if contact is not None and not contact.verified:
            warnings.append(NoticeWarning.of("the e-mail address {address} is unverified",
                                             address=address))
    request.notice_warnings = json.dumps([w.to_json() for w in warnings],
                                         ensure_ascii=False)
    request.prepared_at, request.prepared_by = now, ctx.actor.ref
    request.edited_at = request.edited_by = None
    request.deadline = deadline
    request.updated_at = now
    _event(ctx.session, request, ctx.actor.ref, "prepared", at=now, channel=channel,
           address=address, language=notice.language, legal_basis=list(refs))
    ctx.audit("takedown.prepare", "takedown", request.id, centre_id=request.centre_id,
              details={"channel": channel, "language": notice.language,
                       "platform": request.platform_id, "urls": len(items)})
    return _detail(ctx.session, request)


MAX_SUBJECT_CHARS = 300
MAX_BODY_CHARS = 20_000


def edit_notice(ctx: ServiceContext, request_id: int, *, subject: str, body: str,
                now: dt.datetime | None = None) -> RequestDetail:
    """Replace the prepared notice's subject and body with the officer's text (audited; the
    history keeps digests of both versions). The subject stays one line; the body must still
    list every URL of the request, since a notice without them asks for nothing."""
    from hashlib import sha256

    from jikimi.takedown.notices import single_line

    request = _load(ctx, request_id, act=True)
    if request.notice_body is None:
        raise Conflict(f"request {request.id} has no prepared notice; preview it first",
                       code="not_prepared")
    if request.approved_at is not None:
        raise Conflict(f"the notice of request {request.id} is already approved",
                       code="already_approved")
    _approvable(ctx, request)
    subject = subject.strip()
    if not subject or subject != single_line(subject) or len(subject) > MAX_SUBJECT_CHARS:
        raise InvalidInput(f"the subject must be one line of 1 to {MAX_SUBJECT_CHARS} "
                           "characters", code="bad_notice_subject", field="subject")
    body = body.replace("\r\n", "\n").replace("\r", "\n")
    if not body.strip() or len(body) > MAX_BODY_CHARS or any(
            (ord(c) < 32 and c not in "\n\t") or 0x7f <= ord(c) <= 0x9f for c in body):
        raise InvalidInput(f"the text must be 1 to {MAX_BODY_CHARS} characters without control "
                           "characters", code="bad_notice_body", field="body")
    missing = [url for url in (i.url for i in _notice_items(ctx.session, request))
               if url not in body]
    if missing:
        raise InvalidInput(f"the text must still list every URL of the request (missing: "
                           f"{missing[0]})", code="notice_url_missing", field="body")
    body = "\n".join(line.rstrip() for line in body.split("\n")).strip() + "\n"
    now = now or utcnow()
    before = sha256(f"{request.notice_subject}\n{request.notice_body}".encode()).hexdigest()
    after = sha256(f"{subject}\n{body}".encode()).hexdigest()
    if before == after:
        return _detail(ctx.session, request)
    request.notice_subject, request.notice_body = subject, body
    request.edited_at, request.edited_by = now, ctx.actor.ref
    request.updated_at = now
    _event(ctx.session, request, ctx.actor.ref, "edited", at=now, before_sha256=before,
           after_sha256=after)
    ctx.audit("takedown.edit", "takedown", request.id, centre_id=request.centre_id,
              details={"before_sha256": before, "after_sha256": after,
                       "chars": len(body)})
    return _detail(ctx.session, request)


def approve_notice(ctx: ServiceContext, request_id: int, *, by_hand: bool = False,
                   queue_without_server: bool = False, now: dt.datetime | None = None
                   ) -> RequestDetail:
    """The officer approves the prepared (and perhaps edited) notice exactly as it reads:
    e-mail platforms get it in the durable outbox (sent by
    :func:`jikimi.takedown.outbox.dispatch`); web-form platforms, or ``by_hand``, release it
    for the analyst to submit, who then records it with :func:`mark_sent`. E-mail needs a
    mail server (``JIKIMI_SMTP_URL``): without one the approval is refused with a sentence
    saying so, unless ``queue_without_server`` (the message then waits for the worker).
    Approving a request whose e-mail was given up (dead) queues the same message again."""
    request = _load(ctx, request_id, act=True)
    existing = _approvable(ctx, request)
    now = now or utcnow()
    if existing is not None:  # dead: the same message again
        OUTBOX_TRANSITIONS.check(OutboxStatus.DEAD, OutboxStatus.QUEUED)
        existing.status = OutboxStatus.QUEUED.value
        existing.next_attempt_at = now
        existing.last_error = None
        existing.updated_at = now
        _event(ctx.session, request, ctx.actor.ref, "requeued", at=now,
               message_id=existing.message_id)
        ctx.audit("takedown.requeue", "takedown", request.id, centre_id=request.centre_id)
        return _detail(ctx.session, request)
    if request.notice_body is None or request.notice_subject is None:
        raise Conflict(f"request {request.id} has no prepared notice; preview it first",
                       code="not_prepared")
    if request.approved_at is not None:
        raise Conflict(f"the notice of request {request.id} is already approved",
                       code="already_approved")
    dropped = _drop_rejected(ctx, request)
    unlisted = [i.url for i in _notice_items(ctx.session, request)
                if i.url not in request.notice_body]
    if dropped or unlisted:
        raise Conflict("the request's URLs changed since the notice was prepared (a match was "
                       "confirmed or rejected); preview it again", code="notice_outdated")
    by_email = (request.channel == ChannelKind.EMAIL.value and bool(request.channel_address)
                and not by_hand)
    if by_email and not ctx.settings.smtp_url and not queue_without_server:
        raise SettingMissing(
            "This notice cannot be e-mailed yet because no mail server is set up "
            "(JIKIMI_SMTP_URL): ask an administrator, or approve it for submission by hand.",
            code="mail_server_missing")
    request.approved_at, request.approved_by = now, ctx.actor.ref
    request.draft_key = None  # later URLs open a new draft
    request.updated_at = now
    _event(ctx.session, request, ctx.actor.ref, "approved", at=now,
           channel=request.channel if not by_hand else "manual",
           edited=request.edited_at is not None)
    if by_email:
        assert request.channel_address is not None
        _queue_email(ctx.session, ctx, request, "notice", request.notice_subject,
                     request.notice_body, request.language or "en", request.channel_address,
                     now)
    ctx.audit("takedown.send", "takedown", request.id, centre_id=request.centre_id,
              details={"channel": request.channel, "language": request.language,
                       "platform": request.platform_id, "by_hand": by_hand,
                       "edited": request.edited_at is not None})
    return _detail(ctx.session, request)


def send_request(ctx: ServiceContext, request_id: int, *, recipient: str | None = None,
                 language: str | None = None, legal_basis: Sequence[str] | None = None,
                 allow_unverified: bool = False, now: dt.datetime | None = None
                 ) -> RequestDetail:
    """Prepare and approve in one step, for automation (``POST .../send``, ``jikimi
    takedowns send``): :func:`prepare_notice` (unless a prepared, unapproved notice exists
    and nothing is asked differently) then :func:`approve_notice`; without a mail server the
    e-mail waits in the outbox for the worker. Sending a request whose e-mail was given up
    (dead) queues the same message again."""
    request = _load(ctx, request_id, act=True)
    existing = _approvable(ctx, request)
    fresh = existing is None and request.approved_at is None and (
        request.edited_at is None or recipient or language or legal_basis
        or allow_unverified)
    if fresh:
        prepare_notice(ctx, request_id, recipient=recipient, language=language,
                       legal_basis=legal_basis, allow_unverified=allow_unverified, now=now)
    return approve_notice(ctx, request_id, queue_without_server=True, now=now)


def mark_sent(ctx: ServiceContext, request_id: int, *, sent_at: dt.datetime | None = None,
              note: str = "") -> RequestDetail:
    """Record that the analyst submitted the prepared notice (web form, or by hand after the
    e-mail was given up); the deadline runs from then."""
    request = _load(ctx, request_id, act=True)
    if request.status != _T.DRAFT.value or request.notice_body is None \
            or request.approved_at is None:
        raise Conflict(f"request {request.id} has no approved notice waiting to be sent; "
                       "approve it first", code="not_prepared")
    outbox = _outbox_rows(ctx.session, [request.id]).get(request.id)
    if outbox is not None and outbox.status != OutboxStatus.DEAD.value:
        raise Conflict(f"the notice of request {request.id} goes by e-mail (outbox: "
                       f"{outbox.status})", code="already_queued")
    now = utcnow()
    when = sent_at or now
    if when.tzinfo is None or when > now + dt.timedelta(minutes=5):
        raise InvalidInput("the sending time must carry a time zone and not be in the future")
    note = clean_text(note, "the note", max_chars=1000)
    platform = platform_for_key(platform_directory(ctx.session), request.platform_id)
    request.sent_by = ctx.actor.ref
    request.sent_at = when
    request.deadline = deadline_for(platform, when)
    set_status(ctx.session, request, _T.SENT, ctx.actor.ref, now=now, how="marked",
               note=note, channel=request.channel)
    ctx.audit("takedown.mark_sent", "takedown", request.id, centre_id=request.centre_id,
              details={"channel": request.channel})
    return _detail(ctx.session, request)


# --- lifecycle ---------------------------------------------------------------------------------
def transition(ctx: ServiceContext, request_id: int, target: TakedownStatus | str,
               note: str = "", *, now: dt.datetime | None = None) -> RequestDetail:
    """Record the platform's answer or the next step: acknowledged, refused, overdue,
    escalated (with a notice to the content regulator), or — with a note saying how it was
    checked — removed / partially removed for URLs an analyst verified by hand."""
    target = _status(target)
    request = _load(ctx, request_id, act=True)
    if target not in MANUAL_TARGETS:
        raise InvalidInput(f"use send / mark-sent to move a request to {target.value}",
                           code="invalid_transition")
    note = clean_text(note, "the note", max_chars=1000)
    if target is _T.ESCALATED:
        return escalate(ctx, request_id, note=note, now=now)
    now = now or utcnow()
    TAKEDOWN_TRANSITIONS.check(TakedownStatus(request.status), target)
    if target in (_T.REMOVED, _T.PARTIALLY_REMOVED):
        if not note:
            raise InvalidInput("say how the removal was checked (a note)")
        _manual_removal(ctx, request, target, note, now)
    set_status(ctx.session, request, target, ctx.actor.ref, now=now, note=note, how="manual")
    ctx.audit(f"takedown.{target.value}", "takedown", request.id, centre_id=request.centre_id,
              details={"note": note})
    return _detail(ctx.session, request)


def _manual_removal(ctx: ServiceContext, request: TakedownRequest, target: TakedownStatus,
                    note: str, now: dt.datetime) -> None:
    items = list(ctx.session.scalars(select(TakedownItem).where(
        TakedownItem.request_id == request.id, TakedownItem.state == "open")))
    if target is _T.REMOVED:
        for item in items:
            item.state, item.removed_at, item.last_outcome = "removed", now, "removed"
            item.last_checked_at = now
            ctx.session.add(VerificationCheck(
                request_id=request.id, item_id=item.id, checked_at=now, url=item.url,
                final_url=None, http_status=None, outcome="removed", reason="manual",
                detail=note, checked_by=ctx.actor.ref))


def escalate(ctx: ServiceContext, request_id: int, *, note: str = "",
             now: dt.datetime | None = None) -> RequestDetail:
    """Escalate an overdue or refused request to the content regulator named in legal.json
    (the KCSC, or its successor from 2025-10-01): render the escalation in Korean and e-mail it
    when legal.json records an address, else keep it for the analyst to submit."""
    request = _load(ctx, request_id, act=True)
    current = TakedownStatus(request.status)
    TAKEDOWN_TRANSITIONS.check(current, _T.ESCALATED)
    now = now or utcnow()
    legal = current_legal()
    items = _notice_items(ctx.session, request, open_only=True) or _notice_items(
        ctx.session, request)
    removed = (_counts(ctx.session, [request.id]).get(request.id) or (0, 0))[1]
    reason = (EscalationReason.REFUSED if current is _T.REFUSED else
              EscalationReason.PARTIALLY_REMOVED if removed else EscalationReason.OVERDUE)
    platform = platform_for_key(platform_directory(ctx.session), request.platform_id)
    refs = tuple(json.loads(request.legal_basis)) or _basis(legal,
                                                            json.loads(request.categories))
    escalation = render_escalation(EscalationInput(
        centre=_centre(ctx.session, ctx, request, "ko", legal), platform=platform,
        legal_basis=refs, items=items,
        case_code=request.case_code or reference(request), request_id=reference(request),
        original_sent_at=request.sent_at or request.created_at,
        original_deadline=request.deadline or now, reason=reason, escalated_at=now,
        language="ko", allow_unverified_legal=True), legal=legal)
    request.escalation_subject, request.escalation_body = escalation.subject, escalation.body
    regulator = legal.content_regulator()
    set_status(ctx.session, request, _T.ESCALATED, ctx.actor.ref, now=now, note=note,
               reason=reason.value, regulator=regulator.name_on(now.date()).ko,
               warnings=list(escalation.warnings))
    if regulator.escalation_email:
        _queue_email(ctx.session, ctx, request, "escalation", escalation.subject,
                     escalation.body, escalation.language, regulator.escalation_email, now)
    ctx.audit("takedown.escalate", "takedown", request.id, centre_id=request.centre_id,
              details={"reason": reason.value, "emailed": bool(regulator.escalation_email)})
    return _detail(ctx.session, request)


def mark_overdue(ctx: ServiceContext, *, now: dt.datetime | None = None) -> list[int]:
    """Move requests past their platform's deadline to overdue; returns their ids."""
    if not (_is_system(ctx) or ctx.actor.has_role(Role.ANALYST, Role.ADMIN)):
        raise Forbidden("overdue checks are run by analysts, administrators or the worker")
    now = now or utcnow()
    query = select(TakedownRequest).where(
        TakedownRequest.status.in_([s.value for s in DEADLINE_STATUSES]),
        TakedownRequest.deadline.is_not(None), TakedownRequest.deadline <= now)
    if ctx.actor.is_staff:
        query = query.where(TakedownRequest.centre_id == ctx.actor.centre_id)
    # a request an analyst is deciding right now is left for the next round; the others are
    # locked, read as committed, and still past their deadline in a status that has one
    query = query.with_for_update(skip_locked=True).execution_options(populate_existing=True)
    moved = []
    for request in ctx.session.scalars(query):
        set_status(ctx.session, request, _T.OVERDUE, ctx.actor.ref, now=now,
                   deadline=request.deadline.isoformat() if request.deadline else None)
        ctx.audit("takedown.overdue", "takedown", request.id, centre_id=request.centre_id)
        moved.append(request.id)
    return moved


# --- the worker's round ------------------------------------------------------------------------
def run_due_work(runtime: Runtime, *, verify_client: HttpClient | None = None
                 ) -> dict[str, Any]:
    """What ``jikimi worker`` does for takedowns each round: send due e-mail (when SMTP is
    configured), mark requests past their deadline overdue, and re-check open requests not
    checked for :data:`jikimi.takedown.checks.VERIFY_INTERVAL`. Each part runs on its own,
    so a failing SMTP server does not stop verification."""
    from jikimi.takedown.outbox import dispatch

    actor = cli_actor("worker")
    done: dict[str, Any] = {}
    if runtime.settings.smtp is not None:
        done["dispatch"] = dispatch(runtime).model_dump()
    with runtime.context(actor) as ctx:
        done["overdue"] = mark_overdue(ctx)
    done["verify"] = verify(runtime, actor, due_only=True, client=verify_client).model_dump()
    return done


def queued_message_ids(runtime: Runtime, request_id: int) -> list[int]:
    """Outbox messages of a request waiting to be sent (for an immediate dispatch)."""
    with runtime.sessions() as session:
        return list(session.scalars(select(OutboxMessage.id).where(
            OutboxMessage.request_id == request_id,
            OutboxMessage.status == OutboxStatus.QUEUED.value)))
