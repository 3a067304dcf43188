"""Evidence items and their chain of custody.

Who may do what (on the cases they may see at all, per :mod:`jikimi.cases.access`):

| action | counsellor (assigned) | analyst | investigator | admin | operator (CLI) |
|---|---|---|---|---|---|
| list, view details, custody log | yes | no | yes | yes | yes |
| capture, export, decrypt, unblur a preview | no | no | yes | yes | yes |
| destroy (a recorded retention decision) | no | no | no | yes | yes |

Every access to an item, whether it lists, views, previews, decrypts, exports or destroys it,
is a custody event on the item (who, when, how and why) and an entry in the audit log.
Capturing needs the victim's evidence-capture consent in force on the case.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import io
import json
import uuid
from typing import Any
from zoneinfo import ZoneInfo

from PIL import Image, ImageFilter
from sqlalchemy import select
from sqlalchemy.orm import Session

from jikimi import cases
from jikimi.cases import Case, ConsentPurpose, lock_case
from jikimi.cases.models import ConsentRecord  # read without get_case's audit lock (see capture)
from jikimi.core.actors import ActorKind, Role
from jikimi.core.authorization import (
    Action,
    Owned,
    Relation,
    ResourceType,
    check,
    find,
    register_resource,
    relation,
)
from jikimi.core.context import ServiceContext
from jikimi.core.database import utcnow
from jikimi.core.perimeter import NetworkGuard
from jikimi.core.text import clean_text
from jikimi.errors import Conflict, Forbidden, InvalidInput, MediaError, NotFound
from jikimi.evidence import capture as capturing
from jikimi.evidence.models import CustodyEvent, EvidenceItem
from jikimi.evidence.schemas import (
    CapturedResource,
    CustodyEntry,
    EvidenceDetail,
    EvidenceSummary,
    TlsCertificate,
)
from jikimi.evidence.storage import EvidenceStore, seal, unseal
from jikimi.evidence.warc import build_warc, read_warc
from jikimi.hashing import ImageFingerprints
from jikimi.matching import media_lookups
from jikimi.review import ReviewDecision, ReviewStatus
from jikimi.scans import Item, ItemMatch, ItemVersion
from jikimi.sources import HttpClient
from jikimi.sources.pages import normalize_url

KST = ZoneInfo("Asia/Seoul")
MAX_REASON_CHARS = 1000


class Need(enum.StrEnum):
    LIST = "list"
    CAPTURE = "capture"
    EXPORT = "export"
    DECRYPT = "decrypt"
    DESTROY = "destroy"


class Custody(enum.StrEnum):
    """Actions recorded in an item's chain of custody."""

    CAPTURED = "captured"
    LISTED = "listed"
    VIEWED = "viewed"
    PREVIEWED = "previewed"
    UNBLURRED = "unblurred"
    DECRYPTED = "decrypted"
    EXPORTED = "exported"
    HASHES_EXPORTED = "hashes_exported"
    DESTROYED = "destroyed"


_ROLES: dict[Need, frozenset[Role]] = {
    Need.LIST: frozenset({Role.COUNSELLOR, Role.INVESTIGATOR, Role.ADMIN}),
    Need.CAPTURE: frozenset({Role.INVESTIGATOR, Role.ADMIN}),
    Need.EXPORT: frozenset({Role.INVESTIGATOR, Role.ADMIN}),
    Need.DECRYPT: frozenset({Role.INVESTIGATOR, Role.ADMIN}),
    Need.DESTROY: frozenset({Role.ADMIN}),
}
_WHAT: dict[Need, str] = {
    Need.LIST: "see the evidence of",
    Need.CAPTURE: "capture evidence for",
    Need.EXPORT: "export the evidence of",
    Need.DECRYPT: "open the evidence of",
    Need.DESTROY: "destroy the evidence of",
}


def kst(value: dt.datetime) -> str:
    return value.astimezone(KST).strftime("%Y-%m-%d %H:%M:%S KST")


def evidence_store(ctx: ServiceContext) -> EvidenceStore:
    return EvidenceStore(ctx.settings.resolved_data_dir / "evidence")


# --- access ----------------------------------------------------------------------------------
def authorise_case(ctx: ServiceContext, case_code: str, need: Need) -> Case:
    """The case, when the actor may ``need`` on its evidence; Forbidden/NotFound otherwise."""
    case_id, code = cases.case_ref(ctx, case_code)  # other centres and unassigned: Forbidden
    case = ctx.session.get(Case, case_id)
    assert case is not None
    if ctx.actor.kind is ActorKind.SYSTEM:
        return case
    if ctx.actor.role not in _ROLES[need]:
        ctx.audit_refusal("evidence.access_denied", "case", code, centre_id=case.centre_id,
                          details={"need": need.value})
        raise Forbidden(f"your role may not {_WHAT[need]} case {code}")
    return case


def _find_item(session: Session, key: object) -> Owned | None:
    item = session.get(EvidenceItem, int(str(key))) if str(key).isdigit() else None
    return None if item is None else Owned(item, item.centre_id, case_id=item.case_id,
                                           label=f"evidence item {item.id}")


register_resource(ResourceType.EVIDENCE, _find_item)


def _item(ctx: ServiceContext, item_id: int, need: Need) -> EvidenceItem:
    """An evidence item: another centre's is 404 (the authorisation table); then the case
    rule and the role's need decide (403)."""
    owned = find(ctx.session, ResourceType.EVIDENCE, item_id)
    if owned is None:
        raise NotFound(f"no evidence item {item_id}")
    if relation(ctx.actor, owned) is not Relation.SAME:
        check(ctx, ResourceType.EVIDENCE, owned, Action.READ)
    item: EvidenceItem = owned.record
    authorise_case(ctx, item.case_code, need)
    return item


def clean_reason(text: str, *, required: str | None = None) -> str:
    reason = clean_text(text or "", "the reason", max_chars=MAX_REASON_CHARS)
    if required and not reason:
        raise InvalidInput(f"say why you {required} (--reason)", code="reason_required")
    return reason


def record_custody(ctx: ServiceContext, item: EvidenceItem, action: Custody, *,
                   reason: str = "", via: str = "service", **details: Any) -> None:
    """Append a custody event to ``item`` and the same entry to the audit log."""
    ctx.session.add(CustodyEvent(
        item_id=item.id, at=utcnow(), actor=ctx.actor.ref, actor_name=ctx.actor.label[:254],
        action=action.value, reason=reason, via=via[:20],
        details=json.dumps(details, ensure_ascii=False, sort_keys=True, default=str)))
    ctx.audit(f"evidence.{action.value}", "evidence", item.id, centre_id=item.centre_id,
              details={"case": item.case_code, "via": via, "reason": reason, **details})


# --- views -----------------------------------------------------------------------------------
def _summary(item: EvidenceItem) -> EvidenceSummary:
    return EvidenceSummary(
        id=item.id, case_code=item.case_code, kind=item.kind, url=item.requested_url,
        final_url=item.final_url, sha256=item.sha256, pdq=item.pdq,
        captured_at=item.captured_at, captured_by=item.captured_by,
        captured_by_name=item.captured_by_name, http_status=item.http_status,
        status=item.status, media_count=sum(
            1 for r in json.loads(item.resources) if r.get("role") == "media"))


def detail_of(item: EvidenceItem) -> EvidenceDetail:
    tls = json.loads(item.tls)
    return EvidenceDetail(
        **_summary(item).model_dump(),
        redirects=json.loads(item.redirects), headers=json.loads(item.headers),
        content_type=item.content_type, size=item.size, md5=item.md5,
        pdq_quality=item.pdq_quality, tls_fingerprint=item.tls_fingerprint,
        tls=TlsCertificate(**tls) if tls else None, page_title=item.page_title,
        resources=[CapturedResource(**r) for r in json.loads(item.resources)],
        screenshot_sha256=item.screenshot_sha256, warc_name=item.warc_name,
        warc_sha256=item.warc_sha256, warc_size=item.warc_size,
        captured_at_kst=kst(item.captured_at), reason=item.reason, match_id=item.match_id,
        destroyed_at=item.destroyed_at)


def case_items(ctx: ServiceContext, case: Case) -> list[EvidenceItem]:
    return list(ctx.session.scalars(
        select(EvidenceItem).where(EvidenceItem.case_id == case.id).order_by(EvidenceItem.id)))


def list_evidence(ctx: ServiceContext, case_code: str, *, via: str = "service",
                  reason: str = "") -> list[EvidenceSummary]:
    """The evidence items of a case, oldest first (each listing is a custody event)."""
    case = authorise_case(ctx, case_code, Need.LIST)
    items = case_items(ctx, case)
    reason = clean_reason(reason)
    for item in items:
        record_custody(ctx, item, Custody.LISTED, reason=reason, via=via)
    return [_summary(i) for i in items]


def get_evidence(ctx: ServiceContext, item_id: int, *, via: str = "service",
                 reason: str = "") -> EvidenceDetail:
    """All recorded details of one item (not its content)."""
    item = _item(ctx, item_id, Need.LIST)
    record_custody(ctx, item, Custody.VIEWED, reason=clean_reason(reason), via=via)
    return detail_of(item)


def custody_entries(ctx: ServiceContext, item: EvidenceItem) -> list[CustodyEntry]:
    return [CustodyEntry(id=e.id, item_id=e.item_id, at=e.at, actor=e.actor,
                         actor_name=e.actor_name, action=e.action, reason=e.reason, via=e.via,
                         details=json.loads(e.details))
            for e in ctx.session.scalars(select(CustodyEvent).where(
                CustodyEvent.item_id == item.id).order_by(CustodyEvent.id))]


def custody_log(ctx: ServiceContext, item_id: int, *, via: str = "service"
                ) -> list[CustodyEntry]:
    """The item's chain of custody, oldest first (reading it is recorded too)."""
    item = _item(ctx, item_id, Need.LIST)
    record_custody(ctx, item, Custody.VIEWED, via=via, what="custody log")
    ctx.session.flush()
    return custody_entries(ctx, item)


# --- content ---------------------------------------------------------------------------------
def _require_held(item: EvidenceItem) -> bytes:
    if item.status != "held" or item.wrapped_key is None:
        raise Conflict(f"evidence item {item.id} was destroyed on "
                       f"{kst(item.destroyed_at or item.captured_at)}", code="evidence_destroyed")
    return item.wrapped_key


def decrypt_item(ctx: ServiceContext, item: EvidenceItem) -> bytes:
    """The plaintext WARC file of an item (no custody event: callers record their own)."""
    wrapped = _require_held(item)
    data = unseal(ctx.keys, item.uid, wrapped, evidence_store(ctx).read(item.uid))
    if hashlib.sha256(data).hexdigest() != item.warc_sha256:
        raise Conflict(f"evidence item {item.id} does not match its recorded SHA-256",
                       code="evidence_corrupt")
    return data


def open_content(ctx: ServiceContext, item_id: int, *, reason: str,
                 via: str = "service") -> bytes:
    """The item's WARC file, decrypted; the reason is required and recorded."""
    item = _item(ctx, item_id, Need.DECRYPT)
    why = clean_reason(reason, required="decrypt this evidence")
    data = decrypt_item(ctx, item)
    record_custody(ctx, item, Custody.DECRYPTED, reason=why, via=via)
    return data


def _screenshot_of(data: bytes) -> bytes | None:
    for entry in read_warc(data):
        if entry.record_type == "resource" and entry.uri.startswith("urn:screenshot:"):
            return entry.payload
    return None


def blurred(png: bytes, width: int = 480) -> bytes:
    """A small, blurred, greyscale copy of a screenshot: enough to know which page it is."""
    with Image.open(io.BytesIO(png)) as img:
        img.load()
        small = img.convert("L")
        if small.width > width:
            small = small.resize((width, max(1, small.height * width // small.width)))
        small = small.crop((0, 0, small.width, min(small.height, width * 3)))
        out = io.BytesIO()
        small.filter(ImageFilter.GaussianBlur(8)).save(out, format="PNG")
        return out.getvalue()


def preview(ctx: ServiceContext, item_id: int, *, clear: bool = False, reason: str = "",
            via: str = "service") -> bytes | None:
    """The screenshot, blurred and greyscale; ``clear`` (investigators and admins, with a
    reason) gives it as captured. None when the capture has no screenshot."""
    item = _item(ctx, item_id, Need.DECRYPT if clear else Need.LIST)
    why = clean_reason(reason, required="unblur this evidence" if clear else None)
    png = _screenshot_of(decrypt_item(ctx, item))
    record_custody(ctx, item, Custody.UNBLURRED if clear else Custody.PREVIEWED,
                   reason=why, via=via, screenshot=png is not None)
    if png is None:
        return None
    return png if clear else blurred(png)


# --- retention -------------------------------------------------------------------------------
def _destroy(ctx: ServiceContext, item: EvidenceItem, reason: str, via: str) -> None:
    """Destroy ``item``, which the caller locked and read again (two destructions at once —
    two admins, a destruction and the case's erasure — record one); the file goes once the
    key's removal is committed."""
    if item.status == "destroyed":
        return
    removed = evidence_store(ctx).delete_after_commit(ctx.session, item.uid)
    item.wrapped_key = None
    item.status = "destroyed"
    item.destroyed_at = utcnow()
    record_custody(ctx, item, Custody.DESTROYED, reason=reason, via=via, file_removed=removed)


def destroy(ctx: ServiceContext, item_id: int, *, reason: str,
            via: str = "service") -> EvidenceDetail:
    """Destroy an item on a recorded decision: its file and key go, its record and custody
    log stay (what was held, and who decided to destroy it, when and why)."""
    item = _item(ctx, item_id, Need.DESTROY)
    why = clean_reason(reason, required="destroy this evidence (the retention decision)")
    ctx.session.refresh(item, with_for_update=True)
    if item.status == "destroyed":
        raise Conflict(f"evidence item {item.id} is already destroyed")
    _destroy(ctx, item, why, via)
    ctx.session.flush()
    return detail_of(item)


def _on_case_erased(ctx: ServiceContext, case_id: int) -> None:
    for item in ctx.session.scalars(
            select(EvidenceItem).where(EvidenceItem.case_id == case_id).with_for_update()
            .execution_options(populate_existing=True)):
        _destroy(ctx, item, "case erased at the victim's request", "service")


cases.on_case_erased(_on_case_erased)


# --- capture ---------------------------------------------------------------------------------
def _consented(ctx: ServiceContext, case: Case) -> bool:
    latest = ctx.session.scalar(
        select(ConsentRecord).where(ConsentRecord.case_id == case.id,
                                    ConsentRecord.purpose == ConsentPurpose.EVIDENCE_CAPTURE.value)
        .order_by(ConsentRecord.id.desc()).limit(1))
    return latest is not None and latest.withdrawn_at is None


def _hashes(body: bytes, kind: str) -> dict[str, Any]:
    out: dict[str, Any] = {"sha256": hashlib.sha256(body).hexdigest(),
                           "md5": hashlib.md5(body, usedforsecurity=False).hexdigest(),
                           "pdq": None, "pdq_quality": None}
    if kind == "image":
        try:
            prints, _lookups = media_lookups(body)
        except MediaError:
            return out
        if isinstance(prints, ImageFingerprints):
            out["pdq"], out["pdq_quality"] = prints.pdq, prints.quality
    return out


def _resource(fetched: capturing.Fetched) -> dict[str, Any]:
    kind = capturing.item_kind(fetched)
    return CapturedResource(
        url=fetched.requested_url, final_url=fetched.url, role=fetched.role, how=fetched.how,
        kind=kind, status=fetched.status, content_type=fetched.content_type,
        size=len(fetched.body), **_hashes(fetched.body, kind)).model_dump(mode="json")


def _check_url(url: str) -> str:
    url = (url or "").strip()
    if not url or len(url) > 4000:
        raise InvalidInput("give the URL to capture (http or https, at most 4000 characters)",
                           code="bad_url")
    normal = normalize_url(url)
    if normal is None:
        raise InvalidInput(f"{url[:200]!r} is not an absolute http or https URL",
                           code="bad_url")
    return normal


def capture_url(ctx: ServiceContext, case_code: str, url: str, *, reason: str = "",
                options: capturing.CaptureOptions | None = None, via: str = "service",
                match_id: int | None = None, client: HttpClient | None = None
                ) -> EvidenceDetail:
    """Capture ``url`` as evidence for a case: page or media, its media, headers, certificate,
    screenshot, sealed as a WARC file with a key of its own. Investigators and admins; the
    case needs the victim's evidence-capture consent."""
    case = authorise_case(ctx, case_code, Need.CAPTURE)
    if case.erased_at is not None:
        raise Conflict(f"case {case.code} was erased; nothing is captured for it",
                       code="case_erased")
    if not _consented(ctx, case):
        raise Forbidden(f"case {case.code} has no evidence-capture consent: the counsellor "
                        "records it first", code="consent_required")
    target = _check_url(url)
    why = clean_reason(reason)
    options = options or capturing.CaptureOptions.from_env()
    # No write before this point, so no lock is held while the network and browser work.
    got = capturing.capture(target, options, client=client,
                            guard=NetworkGuard.from_settings(ctx.settings))
    return _store(ctx, case, got, why, via, match_id)


def _store(ctx: ServiceContext, case: Case, got: capturing.Capture, reason: str, via: str,
           match_id: int | None) -> EvidenceDetail:
    # consent again, with the case locked: the capture took seconds to minutes, and a
    # withdrawal or an erasure meanwhile must not leave a sealed capture held for the case
    lock_case(ctx, case, consent=ConsentPurpose.EVIDENCE_CAPTURE)
    uid = uuid.uuid4().hex
    captured_at = got.finished_at
    primary = got.primary
    hashes = _hashes(primary.body, got.kind)
    resources = [_resource(f) for f in (*got.media, *got.resources)]
    resources += [CapturedResource(url=f.url, role=f.role, how=f.how,
                                   error=f"{f.error}: {f.message}"[:500]).model_dump(mode="json")
                  for f in got.failures]
    screenshot_sha = hashlib.sha256(got.screenshot).hexdigest() if got.screenshot else None
    tls = got.tls.model_dump(mode="json") if got.tls else {}
    warc_name = f"{case.code}-{uid[:12]}.warc.gz"
    details = {
        "case_code": case.code, "item_uid": uid, "kind": got.kind,
        "requested_url": primary.requested_url, "final_url": primary.url,
        "redirects": list(primary.redirects), "http_status": primary.status,
        "headers_as_received": primary.headers, "page_title": got.title,
        "server_addresses": got.addresses, "tls_certificate": tls or None,
        "tls_error": got.tls_error,
        "fetched_without_tls_verification": got.fetched_without_tls_verification,
        "capture_started_utc": got.started_at.isoformat(),
        "captured_at_utc": captured_at.isoformat(), "captured_at_kst": kst(captured_at),
        "captured_by": ctx.actor.ref, "captured_by_name": ctx.actor.label,
        "reason": reason, "match_id": match_id, **hashes,
        "screenshot_sha256": screenshot_sha, "screenshot_error": got.screenshot_error,
        "resources": resources, "user_agent": got.user_agent,
        "robots_txt": "not consulted (a deliberate capture of one URL)",
    }
    warc = build_warc(got, details, warc_name)
    wrapped, sealed = seal(ctx.keys, uid, warc)
    item = EvidenceItem(
        uid=uid, case_id=case.id, case_code=case.code, centre_id=case.centre_id, kind=got.kind,
        match_id=match_id, requested_url=primary.requested_url, final_url=primary.url,
        redirects=json.dumps(list(primary.redirects)),
        http_status=primary.status, headers=json.dumps(primary.headers, ensure_ascii=False),
        content_type=primary.content_type, size=len(primary.body), sha256=hashes["sha256"],
        md5=hashes["md5"], pdq=hashes["pdq"], pdq_quality=hashes["pdq_quality"],
        tls_fingerprint=got.tls.sha256 if got.tls else None,
        tls=json.dumps(tls, ensure_ascii=False), page_title=got.title[:2000],
        resources=json.dumps(resources, ensure_ascii=False), screenshot_sha256=screenshot_sha,
        warc_name=warc_name, warc_sha256=hashlib.sha256(warc).hexdigest(),
        warc_size=len(warc), wrapped_key=wrapped, captured_at=captured_at,
        captured_by=ctx.actor.ref, captured_by_name=ctx.actor.label[:254], reason=reason,
        status="held")
    ctx.session.add(item)
    ctx.session.flush()
    evidence_store(ctx).write(uid, sealed)
    record_custody(ctx, item, Custody.CAPTURED, reason=reason, via=via, url=primary.url,
                   sha256=item.sha256, warc_sha256=item.warc_sha256)
    ctx.session.flush()
    return detail_of(item)


def capture_from_match(ctx: ServiceContext, match_id: int, *, reason: str = "",
                       options: capturing.CaptureOptions | None = None, via: str = "service",
                       client: HttpClient | None = None) -> EvidenceDetail:
    """Capture the web item of a confirmed match for the match's case."""
    owned = find(ctx.session, ResourceType.MATCH, match_id)
    if owned is None:
        raise NotFound(f"no match {match_id}")
    if relation(ctx.actor, owned) is not Relation.SAME:  # another centre's: 404, audited
        check(ctx, ResourceType.MATCH, owned, Action.READ)
    match: ItemMatch = owned.record
    if not match.case_code:
        raise InvalidInput(f"match {match_id} belongs to no case; capture by URL instead",
                           code="match_without_case")
    authorise_case(ctx, match.case_code, Need.CAPTURE)
    decision = ctx.session.get(ReviewDecision, match_id)
    if decision is None or decision.status != ReviewStatus.CONFIRMED.value:
        raise Conflict(f"match {match_id} is not confirmed; a person confirms it first",
                       code="match_not_confirmed")
    item = ctx.session.scalar(select(Item).join(ItemVersion, ItemVersion.item_id == Item.id)
                              .where(ItemVersion.id == match.item_version_id))
    if item is None or not item.locator.startswith(("http://", "https://")):
        raise InvalidInput(f"the item of match {match_id} is not on the web "
                           f"({(item.locator if item else '')[:100]!r}); it cannot be captured "
                           "by URL", code="not_a_web_item")
    context = json.loads(item.context or "{}")
    why = reason or f"confirmed match {match_id}"
    if context.get("page_url"):
        why += f" (seen on {str(context['page_url'])[:500]})"
    return capture_url(ctx, match.case_code, item.locator, reason=why, options=options,
                       via=via, match_id=match_id, client=client)
