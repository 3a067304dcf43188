"""The shared hash feed: the fingerprints of cases that consented to sharing with partners.

The feed is derived from the banks and the consent records, and follows them:

- the cases whose sharing consent is active (and that are not erased) are compared with the
  cases the feed has applied (``partner_shared_cases``) on every refresh: a new consent adds
  the case's fingerprints, a lost one removes them;
- the bank change log is followed by sequence, so a fingerprint added to (or removed from) a
  sharing case's bank is added to (or removed from) the feed;
- withdrawal of sharing consent and erasure remove the case's items at once, in the same
  transaction as the withdrawal (the case hooks), before any partner can pull again.

Every change of an item is appended to ``partner_feed_changes`` (jikimi's own feed pages over
it by sequence) and re-versions the item's StopNCII-shaped record (one per hash value).
Refreshes are serialised by a row lock on ``partner_feed_state``.

Only PDQ, vPDQ, SHA-256 and MD5 are shared; face embeddings never leave the centre.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Iterable, Sequence
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from jikimi.cases import Case, ConsentPurpose, on_case_erased, on_consent_withdrawn
from jikimi.cases.models import ConsentRecord  # read-only: which cases consent to sharing
from jikimi.core.context import ServiceContext
from jikimi.core.database import utcnow
from jikimi.core.security import Keyring
from jikimi.errors import IntegrityError, InvalidInput
from jikimi.matching import Bank, BankChange, BankEntry
from jikimi.partners.accounts import PartnerPrincipal
from jikimi.partners.models import (
    FeedChange,
    FeedItem,
    FeedState,
    HashRecord,
    Partner,
    PartnerFeedback,
    SharedCase,
)

SHARED_SIGNALS = ("pdq", "vpdq", "sha256", "md5")
FEED_FORMAT = "jikimi.partner-feed.v1"
SIGNATURE_CONTEXT = b"jikimi partner feed v1\n"
MAX_PAGE = 5000
STOPNCII_MAX_PAGE = 1000
STOPNCII_DEFAULT_START = 10  # threatexchange's StopNCIIAPI.DEFAULT_START_TIME
MAX_TIMESTAMP = 253_402_300_799  # 9999-12-31T23:59:59Z


# --- categories ------------------------------------------------------------------------------
def category_for(case: Case) -> str:
    """What partners are told about content: ``csam`` if the victim was a minor (platforms
    have legal duties for it), else ``ncii``. Nothing else about the case."""
    return "csam" if case.minor else "ncii"


def stopncii_type(item: FeedItem) -> str | None:
    """The StopNCII signal type of an item, or None if StopNCII has none for it."""
    if item.signal_type == "pdq":
        return "ImagePDQ"
    if item.signal_type == "md5" and item.media == "video":
        return "VideoMD5"
    return None


# --- refresh ---------------------------------------------------------------------------------
def _state(session: Session) -> FeedState:
    state = session.execute(select(FeedState).where(FeedState.id == 1).with_for_update()
                            ).scalar_one_or_none()
    if state is None:  # the migration inserts it; a hand-made database may lack it
        state = FeedState(id=1, last_bank_seq=0, version=0)
        session.add(state)
        session.flush()
    return state


def _consenting_cases(session: Session) -> set[int]:
    rows = session.execute(
        select(ConsentRecord.case_id).join(Case, Case.id == ConsentRecord.case_id).where(
            ConsentRecord.purpose == ConsentPurpose.PARTNER_SHARING.value,
            ConsentRecord.withdrawn_at.is_(None), Case.erased_at.is_(None))).all()
    return {r.case_id for r in rows}


class _Refresh:
    """One refresh: item changes, then the StopNCII records they touch."""

    def __init__(self, session: Session, state: FeedState) -> None:
        self.session = session
        self.state = state
        self.now = utcnow()
        self.touched: set[tuple[str, str]] = set()
        self._cases: dict[int, Case] = {}

    def _case(self, case_id: int) -> Case:
        if case_id not in self._cases:
            case = self.session.get(Case, case_id)
            assert case is not None
            self._cases[case_id] = case
        return self._cases[case_id]

    def _media(self, entries: Sequence[BankEntry]) -> dict[tuple[int, str], str]:
        """image or video per (bank, content): a content with a vPDQ entry is a video."""
        keys = {(e.bank_id, e.content_id) for e in entries}
        videos: set[tuple[int, str]] = set()
        contents = sorted({c for _b, c in keys})
        for start in range(0, len(contents), 2000):
            rows = self.session.execute(select(BankEntry.bank_id, BankEntry.content_id).where(
                BankEntry.content_id.in_(contents[start:start + 2000]),
                BankEntry.signal_type == "vpdq")).all()
            videos.update((r.bank_id, r.content_id) for r in rows)
        return {k: ("video" if k in videos else "image") for k in keys}

    def activate(self, entries: Sequence[tuple[BankEntry, int]]) -> None:
        """Make these (entry, case id) pairs active items."""
        if not entries:
            return
        existing = self._items_for([e.id for e, _ in entries])
        media = self._media([e for e, _ in entries])
        for entry, case_id in entries:
            item = existing.get(entry.id)
            if item is not None and item.active:
                continue
            if item is None:
                item = FeedItem(token=secrets.token_urlsafe(16), bank_entry_id=entry.id,
                                case_id=case_id, signal_type=entry.signal_type,
                                value=entry.value, value_key=entry.value_key,
                                category=category_for(self._case(case_id)),
                                media=media[(entry.bank_id, entry.content_id)], active=True,
                                added_at=self.now)
                self.session.add(item)
                self.session.flush()
            else:
                item.active = True
                item.added_at = self.now
                item.removed_at = None
                item.category = category_for(self._case(case_id))
            self._log(item, "add")

    def deactivate(self, items: Iterable[FeedItem]) -> int:
        count = 0
        for item in items:
            if not item.active:
                continue
            item.active = False
            item.removed_at = self.now
            self._log(item, "remove")
            count += 1
        return count

    def _log(self, item: FeedItem, op: str) -> None:
        self.session.add(FeedChange(item_id=item.id, op=op, at=self.now))
        kind = stopncii_type(item)
        if kind:
            self.touched.add((kind, item.value_key))

    def _items_for(self, entry_ids: Sequence[int]) -> dict[int, FeedItem]:
        found: dict[int, FeedItem] = {}
        for start in range(0, len(entry_ids), 5000):
            for item in self.session.scalars(select(FeedItem).where(
                    FeedItem.bank_entry_id.in_(entry_ids[start:start + 5000]))):
                found[item.bank_entry_id] = item
        return found

    def case_entries(self, case_id: int) -> list[tuple[BankEntry, int]]:
        rows = self.session.scalars(select(BankEntry).join(Bank, Bank.id == BankEntry.bank_id)
                                    .where(Bank.case_id == case_id, Bank.negative.is_(False),
                                           BankEntry.removed_at.is_(None),
                                           BankEntry.signal_type.in_(SHARED_SIGNALS)))
        return [(row, case_id) for row in rows]

    def remove_case(self, case_id: int) -> int:
        removed = self.deactivate(self.session.scalars(select(FeedItem).where(
            FeedItem.case_id == case_id, FeedItem.active.is_(True))))
        shared = self.session.get(SharedCase, case_id)
        if shared is not None:
            self.session.delete(shared)
        return removed

    def finish(self) -> None:
        """Re-version the StopNCII records of every hash value whose items changed."""
        self.session.flush()
        names = {"ImagePDQ": "pdq", "VideoMD5": "md5"}
        for kind, value in sorted(self.touched):
            active = self.session.scalar(select(func.count()).select_from(FeedItem).where(
                FeedItem.signal_type == names[kind], FeedItem.value_key == value,
                FeedItem.active.is_(True))) or 0
            record = self.session.scalar(select(HashRecord).where(
                HashRecord.signal_type == kind, HashRecord.value == value))
            self.state.version += 1
            status = "Active" if active else "Deleted"
            if record is None:
                self.session.add(HashRecord(signal_type=kind, value=value, status=status,
                                            modified_at=self.now, version=self.state.version))
            else:
                record.status = status
                record.modified_at = self.now
                record.version = self.state.version
        self.touched.clear()
        self.session.flush()


def _shareable(entry: BankEntry, case_id: int, negative: bool, desired: set[int]) -> bool:
    return (case_id in desired and not negative and entry.removed_at is None
            and entry.signal_type in SHARED_SIGNALS)


def refresh_feed(session: Session) -> dt.datetime:
    """Bring the feed up to date with consents and the bank change log; returns the time of
    the refresh (every change it made is stamped with it)."""
    state = _state(session)
    run = _Refresh(session, state)
    desired = _consenting_cases(session)
    applied = set(session.scalars(select(SharedCase.case_id)))
    for case_id in sorted(applied - desired):
        run.remove_case(case_id)
    for case_id in sorted(desired - applied):
        session.add(SharedCase(case_id=case_id, since=run.now))
        run.activate(run.case_entries(case_id))
    session.flush()
    # the bank change log since the last refresh (new cases were read whole just above);
    # only case banks can be shared, in windows of the log so memory stays bounded
    newest = session.scalar(select(func.max(BankChange.seq))) or 0
    start = state.last_bank_seq
    while start < newest:
        end = min(start + 50_000, newest)
        rows = session.execute(
            select(BankChange.seq, BankEntry, Bank.case_id, Bank.negative)
            .join(BankEntry, BankEntry.id == BankChange.entry_id)
            .join(Bank, Bank.id == BankEntry.bank_id)
            .where(BankChange.seq > start, BankChange.seq <= end,
                   Bank.case_id.is_not(None)).order_by(BankChange.seq)).all()
        latest: dict[int, tuple[BankEntry, int, bool]] = {}
        for row in rows:
            latest[row.BankEntry.id] = (row.BankEntry, row.case_id, row.negative)
        wanted = [(entry, case_id) for entry, case_id, negative in latest.values()
                  if _shareable(entry, case_id, negative, desired)]
        run.activate(wanted)
        unwanted = [entry.id for entry, case_id, negative in latest.values()
                    if not _shareable(entry, case_id, negative, desired)]
        run.deactivate(run._items_for(unwanted).values())
        start = end
    state.last_bank_seq = max(state.last_bank_seq, newest)
    run.finish()
    return run.now


_refreshed_at: dict[str, float] = {}
_refresh_lock = threading.Lock()
LOOKUP_REFRESH_SECONDS = 5.0


def refresh_feed_now_and_then(session: Session) -> None:
    """Refresh the feed at most every few seconds per database in this process (for lookups,
    which run per upload): an addition reaches lookups within seconds, while removals never
    wait (withdrawal and erasure remove items at once)."""
    bind = session.get_bind()
    database = str(bind.url if isinstance(bind, Engine) else bind.engine.url)
    now = time.monotonic()
    with _refresh_lock:
        if now - _refreshed_at.get(database, -LOOKUP_REFRESH_SECONDS) < LOOKUP_REFRESH_SECONDS:
            return
        _refreshed_at[database] = now
    refresh_feed(session)


def remove_case_from_feed(ctx: ServiceContext, case_id: int, reason: str) -> int:
    """Remove a case's items from the feed at once (withdrawal, erasure)."""
    run = _Refresh(ctx.session, _state(ctx.session))
    removed = run.remove_case(case_id)
    run.finish()
    if removed:
        ctx.audit("partner.feed_remove_case", "case", case_id,
                  details={"removed": removed, "reason": reason})
    return removed


def _on_withdrawn(ctx: ServiceContext, case_id: int, purpose: ConsentPurpose) -> None:
    if purpose is ConsentPurpose.PARTNER_SHARING:
        remove_case_from_feed(ctx, case_id, "sharing consent withdrawn")


def _on_erased(ctx: ServiceContext, case_id: int) -> None:
    remove_case_from_feed(ctx, case_id, "case erased")
    # partners' reports stay counted, without the platforms' content ids that point at it
    ctx.session.execute(update(PartnerFeedback).where(PartnerFeedback.case_id == case_id)
                        .values(partner_content_id="", tags=""))


on_consent_withdrawn(_on_withdrawn)
on_case_erased(_on_erased)


# --- signing ---------------------------------------------------------------------------------
def canonical_json(data: Any) -> bytes:
    """The bytes that are signed: sorted keys, no spaces, UTF-8 (no floats in a page)."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False
                      ).encode("utf-8")


def public_key_bytes(keys: Keyring) -> bytes:
    return keys.ed25519.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def public_key_text(keys: Keyring) -> str:
    """The centre's feed-signing public key as partners pin it: ``ed25519:<base64>``."""
    return "ed25519:" + base64.b64encode(public_key_bytes(keys)).decode("ascii")


def key_fingerprint(public: bytes) -> str:
    return hashlib.sha256(public).hexdigest()[:16]


def sign_page(keys: Keyring, page: dict[str, Any]) -> dict[str, Any]:
    signature = keys.ed25519.sign(SIGNATURE_CONTEXT + canonical_json(page))
    return {"page": page, "signature": base64.b64encode(signature).decode("ascii"),
            "key_id": key_fingerprint(public_key_bytes(keys))}


def parse_public_key(text: str) -> Ed25519PublicKey:
    """A public key from ``ed25519:<base64>`` (or bare base64 / 64 hex digits)."""
    raw = text.strip().removeprefix("ed25519:")
    try:
        data = bytes.fromhex(raw) if len(raw) == 64 else base64.b64decode(raw, validate=True)
        return Ed25519PublicKey.from_public_bytes(data)
    except ValueError as exc:
        raise InvalidInput("a public key is 'ed25519:' and 32 bytes in base64",
                           code="bad_public_key") from exc


def verify_signature(document: dict[str, Any], public: Ed25519PublicKey) -> dict[str, Any]:
    """The page of a signed document if its signature is the centre's; IntegrityError if not."""
    if not isinstance(document, dict) or not isinstance(document.get("page"), dict) \
            or not isinstance(document.get("signature"), str):
        raise IntegrityError("not a signed feed page", code="feed_signature_invalid")
    try:
        signature = base64.b64decode(document["signature"], validate=True)
        public.verify(signature, SIGNATURE_CONTEXT + canonical_json(document["page"]))
    except (ValueError, InvalidSignature) as exc:
        raise IntegrityError("the feed page's signature does not verify: it was altered or "
                             "not signed by the centre", code="feed_signature_invalid") from exc
    page: dict[str, Any] = document["page"]
    return page


# --- jikimi's own feed -----------------------------------------------------------------------
def _first_fetch(ctx: ServiceContext, principal: PartnerPrincipal, now: dt.datetime
                 ) -> dt.datetime:
    partner = ctx.session.get(Partner, principal.partner_id)
    assert partner is not None
    if partner.first_fetch_at is None:
        partner.first_fetch_at = now
    return partner.first_fetch_at


def parse_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    if not cursor.isdigit() or len(cursor) > 12:
        raise InvalidInput("the cursor is the 'next_cursor' of the previous page",
                           code="bad_cursor")
    return int(cursor)


def feed_page(ctx: ServiceContext, principal: PartnerPrincipal, *, cursor: str | None,
              limit: int = 1000, nonce: str | None = None) -> dict[str, Any]:
    """One signed page of feed changes after ``cursor``.

    An addition carries the opaque id, the signal type, the value and the category; a removal
    only the id. Additions of items that have since been removed are left out (the partner
    never needs the value of a fingerprint it must not use)."""
    principal.require("feed")
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"a page holds 1 to {MAX_PAGE} changes")
    if nonce is not None and not (8 <= len(nonce) <= 64 and nonce.isascii()
                                  and nonce.replace("-", "").replace("_", "").isalnum()):
        raise InvalidInput("the nonce is 8 to 64 letters, digits, '-' or '_'",
                           code="bad_nonce")
    start = parse_cursor(cursor)
    now = refresh_feed(ctx.session)
    _first_fetch(ctx, principal, now)
    rows = ctx.session.execute(
        select(FeedChange.seq, FeedChange.op, FeedItem).join(
            FeedItem, FeedItem.id == FeedChange.item_id)
        .where(FeedChange.seq > start).order_by(FeedChange.seq).limit(limit + 1)).all()
    has_more = len(rows) > limit
    rows = rows[:limit]
    changes: list[dict[str, Any]] = []
    for row in rows:
        item: FeedItem = row.FeedItem
        if row.op == "add":
            if not item.active:
                continue
            changes.append({"op": "add", "id": item.token, "signal_type": item.signal_type,
                            "value": item.value, "category": item.category})
        else:
            changes.append({"op": "remove", "id": item.token})
    page = {"format": FEED_FORMAT, "partner": principal.partner_name,
            "cursor": str(start), "next_cursor": str(rows[-1].seq if rows else start),
            "has_more": has_more, "nonce": nonce,
            "issued_at": now.isoformat(timespec="seconds"), "changes": changes}
    ctx.audit("partner.feed_page", "partner", principal.partner_id,
              details={"key_id": principal.key_id, "cursor": start,
                       "next_cursor": page["next_cursor"], "changes": len(changes)})
    return sign_page(ctx.keys, page)


# --- the StopNCII shape ----------------------------------------------------------------------
def _page_token(keys: Keyring, start: int, version: int) -> str:
    body = f"{start}.{version}"
    return f"{body}.{keys.sign('stopncii-page:' + body)[:32]}"


def _read_page_token(keys: Keyring, token: str) -> tuple[int, int]:
    parts = token.split(".")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit() \
            or len(token) > 100:
        raise InvalidInput("nextPageToken is not one jikimi issued", code="bad_page_token")
    body = f"{parts[0]}.{parts[1]}"
    if not secrets.compare_digest(parts[2], keys.sign("stopncii-page:" + body)[:32]):
        raise InvalidInput("nextPageToken is not one jikimi issued", code="bad_page_token")
    return int(parts[0]), int(parts[1])


def stopncii_fetch(ctx: ServiceContext, principal: PartnerPrincipal, *, start_timestamp: int,
                   page_size: int = 800, next_page_token: str | None = None) -> dict[str, Any]:
    """FetchHashes as StopNCII answers it: records (one per hash value) changed since
    ``start_timestamp``, paged by ``nextPageToken``, with ``nextSetTimestamp`` to store as the
    checkpoint. ``caseNumbers`` are the items' opaque ids, never case codes; a deleted
    record is sent only to partners that may have received it while it was active."""
    principal.require("feed")
    page_size = max(1, min(page_size, STOPNCII_MAX_PAGE))
    if not 0 <= start_timestamp <= MAX_TIMESTAMP:
        raise InvalidInput("startTimestamp is a Unix time in seconds", code="bad_timestamp")
    start, after_version = (start_timestamp, 0)
    if next_page_token:
        start, after_version = _read_page_token(ctx.keys, next_page_token)
    now = refresh_feed(ctx.session)
    first_fetch = _first_fetch(ctx, principal, now)
    since = dt.datetime.fromtimestamp(start, dt.UTC)
    records = list(ctx.session.scalars(
        select(HashRecord).where(HashRecord.modified_at >= since,
                                 HashRecord.version > after_version)
        .order_by(HashRecord.version).limit(page_size + 1)))
    has_more = len(records) > page_size
    records = records[:page_size]
    items: dict[tuple[str, str], list[FeedItem]] = {}
    names = {"ImagePDQ": "pdq", "VideoMD5": "md5"}
    for kind in ("ImagePDQ", "VideoMD5"):
        values = [r.value for r in records if r.signal_type == kind]
        for start_at in range(0, len(values), 2000):
            for item in ctx.session.scalars(select(FeedItem).where(
                    FeedItem.signal_type == names[kind],
                    FeedItem.value_key.in_(values[start_at:start_at + 2000]))):
                if stopncii_type(item) == kind:
                    items.setdefault((kind, item.value_key), []).append(item)
    out = []
    for record in records:
        cases = {item.token: ("Active" if item.active else "Deleted")
                 for item in items.get((record.signal_type, record.value), [])
                 if item.active or (item.removed_at is not None
                                    and item.removed_at >= first_fetch)}
        if not cases:
            continue  # deleted before this partner's first fetch: it never had it
        out.append({"lastModtimestamp": int(record.modified_at.timestamp()),
                    "signalType": record.signal_type, "hashValue": record.value,
                    "hashStatus": record.status, "caseNumbers": cases, "CSPFeedbacks": []})
    if has_more:
        next_set = int(records[-1].modified_at.timestamp())
        token: str | None = _page_token(ctx.keys, start, records[-1].version)
    else:
        next_set = max(start, int(now.timestamp()) - 1)
        token = None
    ctx.audit("partner.stopncii_fetch", "partner", principal.partner_id,
              details={"key_id": principal.key_id, "start": start, "records": len(out)})
    return {"count": len(out), "nextPageToken": token, "nextSetTimestamp": next_set,
            "hasMoreRecords": has_more, "hashRecords": out}


def feed_counts(session: Session) -> dict[str, int]:
    """How many fingerprints and cases are shared now."""
    return {
        "active_items": session.scalar(select(func.count()).select_from(FeedItem).where(
            FeedItem.active.is_(True))) or 0,
        "sharing_cases": session.scalar(select(func.count()).select_from(SharedCase)) or 0,
        "changes": session.scalar(select(func.max(FeedChange.seq))) or 0,
    }
