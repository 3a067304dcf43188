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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import Table, delete, event, func, insert, select, update
from sqlalchemy.orm import ORMExecuteState, Session

from jikimi.cases import Case, ConsentPurpose, on_case_erased, on_consent_withdrawn
from jikimi.cases.models import ConsentRecord  # read-only: which cases consent to sharing
from jikimi.core.context import ServiceContext
from jikimi.core.database import one_of, utcnow
from jikimi.core.security import Keyring
from jikimi.errors import IntegrityError, InvalidInput
from jikimi.matching import Bank, BankChange, BankEntry, bulk
from jikimi.matching.bulk import BULK_BANK_CHANGES
from jikimi.matching.service import lock_change_log
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
CHUNK = 2000
"""Rows per statement in a refresh (bounded IN lists and memory, on SQLite and PostgreSQL)."""


READ_CHUNK = 50_000
"""PostgreSQL: values per read of a refresh (one array constant: ``core.database.one_of``)."""

APPLY_CHUNK = 10_000
"""Bank entries per round of :meth:`_Refresh.apply_entries` (new items are written with
``matching.bulk``: ``COPY`` on PostgreSQL)."""
_ITEMS = cast(Table, FeedItem.__table__)
_CHANGES = cast(Table, FeedChange.__table__)
_RECORDS = cast(Table, HashRecord.__table__)


@dataclass(frozen=True)
class _ItemRef:
    """What the change log and the StopNCII records need of a feed item."""

    id: int
    signal_type: str
    value_key: str
    media: str


def _tokens(count: int) -> list[str]:
    """``count`` opaque item ids, as ``secrets.token_urlsafe(16)`` (one read of the OS's
    random source for all of them)."""
    raw = secrets.token_bytes(16 * count)
    return [base64.urlsafe_b64encode(raw[i:i + 16]).rstrip(b"=").decode("ascii")
            for i in range(0, 16 * count, 16)]


def _state(session: Session) -> FeedState:
    # one lock order everywhere: the change log's lock (taken here too, so that a writer of
    # the log that then brings the feed up to date, and an erasure that removes the feed's
    # items and then the case's entries, take the two in the same order), then the feed
    # state; the audit chain's head comes last, at the commit (core.audit.defer_entry), so
    # the feed's bookkeeping never holds it
    lock_change_log(session)
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


def _chunks(values: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


class _Refresh:
    """One refresh, set-based: items inserted, re-activated and de-activated a chunk of rows
    per statement, their changes logged, then the StopNCII records of the values they touch
    re-versioned in bulk. Never row by row: a refresh after an import of a million hashes is
    a few hundred statements."""

    def __init__(self, session: Session, state: FeedState) -> None:
        self.session = session
        self.state = state
        self.now = utcnow()
        self.touched: set[tuple[str, str]] = set()
        self._minor: dict[int, bool] = {}

    def _categories(self, case_ids: Iterable[int]) -> None:
        missing = sorted(set(case_ids) - set(self._minor))
        for chunk in _chunks(missing):
            for row in self.session.execute(select(Case.id, Case.minor).where(
                    one_of(self.session, Case.id, chunk))):
                self._minor[row.id] = bool(row.minor)

    def _category(self, case_id: int) -> str:
        return "csam" if self._minor.get(case_id) else "ncii"

    def _videos(self, keys: set[tuple[int, str]]) -> set[tuple[int, str]]:
        """Which (bank, content) pairs are videos: a content with a vPDQ entry."""
        videos: set[tuple[int, str]] = set()
        for chunk in _chunks(sorted({c for _b, c in keys})):
            rows = self.session.execute(select(BankEntry.bank_id, BankEntry.content_id).where(
                one_of(self.session, BankEntry.content_id, chunk),
                BankEntry.signal_type == "vpdq")).all()
            videos.update((r.bank_id, r.content_id) for r in rows)
        return videos

    def apply_entries(self, entry_ids: Sequence[int], desired: set[int]) -> None:
        """Bring the items of these bank entries in line with what should be shared now."""
        for chunk in _chunks(sorted(set(entry_ids)), APPLY_CHUNK):
            entries = self.session.execute(
                select(BankEntry.id, BankEntry.bank_id, BankEntry.content_id,
                       BankEntry.signal_type, BankEntry.value, BankEntry.value_key,
                       BankEntry.removed_at, Bank.case_id, Bank.negative)
                .join(Bank, Bank.id == BankEntry.bank_id)
                .where(one_of(self.session, BankEntry.id, chunk))).all()
            items = {row.bank_entry_id: row for row in self.session.execute(
                select(FeedItem.id, FeedItem.bank_entry_id, FeedItem.active,
                       FeedItem.signal_type, FeedItem.value_key, FeedItem.media)
                .where(one_of(self.session, FeedItem.bank_entry_id, chunk)))}
            wanted = [e for e in entries
                      if e.case_id is not None and e.case_id in desired and not e.negative
                      and e.removed_at is None and e.signal_type in SHARED_SIGNALS]
            wanted_ids = {e.id for e in wanted}
            self._categories(e.case_id for e in wanted)
            new = [e for e in wanted if e.id not in items]
            videos = self._videos({(e.bank_id, e.content_id) for e in new}) if new else set()
            if new:
                rows = [
                    {"id": item_id, "token": token, "bank_entry_id": e.id,
                     "case_id": e.case_id, "signal_type": e.signal_type, "value": e.value,
                     "value_key": e.value_key, "category": self._category(e.case_id),
                     "media": "video" if (e.bank_id, e.content_id) in videos else "image",
                     "active": True, "added_at": self.now, "removed_at": None}
                    for e, item_id, token in zip(
                        new, bulk.allocate_ids(self.session, _ITEMS, len(new)),
                        _tokens(len(new)), strict=True)]
                bulk.insert_rows(self.session, _ITEMS, rows)
                self._log([_ItemRef(r["id"], r["signal_type"], r["value_key"], r["media"])
                           for r in rows], "add")
            revived = [(items[e.id], e.case_id) for e in wanted
                       if e.id in items and not items[e.id].active]
            for category in ("csam", "ncii"):
                ids = [item.id for item, case_id in revived
                       if self._category(case_id) == category]
                if ids:
                    self.session.execute(
                        update(FeedItem).where(one_of(self.session, FeedItem.id, ids))
                        .values(active=True, added_at=self.now, removed_at=None,
                                category=category)
                        .execution_options(synchronize_session=False))
            self._log([item for item, _ in revived], "add")
            self._deactivate([item for entry_id, item in items.items()
                              if item.active and entry_id not in wanted_ids])

    def _deactivate(self, items: Sequence[Any]) -> int:
        """De-activate items (rows with id, signal_type, value_key, media)."""
        for chunk in _chunks([item.id for item in items]):
            self.session.execute(update(FeedItem).where(one_of(self.session, FeedItem.id, chunk))
                                 .values(active=False, removed_at=self.now)
                                 .execution_options(synchronize_session=False))
        self._log(items, "remove")
        return len(items)

    def _log(self, items: Sequence[Any], op: str) -> None:
        if not items:
            return
        bulk.insert_rows(self.session, _CHANGES, [
            {"item_id": item.id, "op": op, "at": self.now} for item in items])
        for item in items:
            kind = _stopncii_kind(item.signal_type, item.media)
            if kind:
                self.touched.add((kind, item.value_key))

    def add_case(self, case_id: int, desired: set[int]) -> None:
        entry_ids = self.session.scalars(
            select(BankEntry.id).join(Bank, Bank.id == BankEntry.bank_id)
            .where(Bank.case_id == case_id, Bank.negative.is_(False),
                   BankEntry.removed_at.is_(None),
                   BankEntry.signal_type.in_(SHARED_SIGNALS))).all()
        self.apply_entries(list(entry_ids), desired)

    def remove_case(self, case_id: int) -> int:
        removed = self._deactivate(self.session.execute(
            select(FeedItem.id, FeedItem.signal_type, FeedItem.value_key, FeedItem.media)
            .where(FeedItem.case_id == case_id, FeedItem.active.is_(True))).all())
        self.session.execute(delete(SharedCase).where(SharedCase.case_id == case_id)
                             .execution_options(synchronize_session=False))
        return removed

    def finish(self) -> None:
        """Re-version the StopNCII records of every hash value whose items changed. All the
        reads come first, then the writes: a read after this transaction grew the records
        table (before its statistics knew) may be planned as a scan of it, once per chunk."""
        names = {"ImagePDQ": "pdq", "VideoMD5": "md5"}
        version = self.state.version
        size = READ_CHUNK if self.session.get_bind().dialect.name == "postgresql" else CHUNK
        for kind in ("ImagePDQ", "VideoMD5"):
            values = sorted(v for k, v in self.touched if k == kind)
            active: set[str] = set()
            existing: dict[str, int] = {}
            for chunk in _chunks(values, size):
                active.update(row.value_key for row in self.session.execute(
                    select(FeedItem.value_key).where(
                        FeedItem.signal_type == names[kind],
                        one_of(self.session, FeedItem.value_key, chunk),
                        FeedItem.active.is_(True)).distinct()))
                existing.update((row.value, row.id) for row in self.session.execute(
                    select(HashRecord.id, HashRecord.value).where(
                        HashRecord.signal_type == kind,
                        one_of(self.session, HashRecord.value, chunk))))
            updates, inserts = [], []
            for value in values:
                version += 1
                fields = {"status": "Active" if value in active else "Deleted",
                          "modified_at": self.now, "version": version}
                if value in existing:
                    updates.append({"id": existing[value], **fields})
                else:
                    inserts.append({"signal_type": kind, "value": value, **fields})
            for chunk in _chunks(updates, APPLY_CHUNK):
                self.session.execute(update(HashRecord), list(chunk),
                                     execution_options={"synchronize_session": False})
            bulk.insert_rows(self.session, _RECORDS, inserts)
        self.state.version = version
        self.touched.clear()
        # ORM objects of these tables loaded earlier in this transaction are stale now
        for obj in list(self.session.identity_map.values()):
            if isinstance(obj, FeedItem | HashRecord | SharedCase):
                self.session.expire(obj)
        self.session.flush()


def _stopncii_kind(signal: str, media: str) -> str | None:
    if signal == "pdq":
        return "ImagePDQ"
    if signal == "md5" and media == "video":
        return "VideoMD5"
    return None


def feed_is_current(session: Session) -> bool:
    """Whether the feed has applied every bank change and consent (cheap: three small
    reads, no lock); the follower refreshes only when it is not."""
    state = session.get(FeedState, 1)
    newest = session.scalar(select(func.max(BankChange.seq))) or 0
    if state is None or state.last_bank_seq < newest:
        return False
    applied = set(session.scalars(select(SharedCase.case_id)))
    return applied == _consenting_cases(session)


def refresh_feed(session: Session) -> dt.datetime:
    """Bring the feed up to date with consents and the bank change log; returns the time of
    the refresh (every change it made is stamped with it).

    Called where bank entries change (in the same transaction: the import, the staff page),
    by the server's and the worker's follower, and before a feed page is signed; never by a
    lookup."""
    session.flush()
    state = _state(session)
    run = _Refresh(session, state)
    desired = _consenting_cases(session)
    applied = set(session.scalars(select(SharedCase.case_id)))
    for case_id in sorted(applied - desired):
        run.remove_case(case_id)
    for case_id in sorted(desired - applied):
        session.execute(insert(SharedCase), [{"case_id": case_id, "since": run.now}])
        run.add_case(case_id, desired)
    # the bank change log since the last refresh (new cases were read whole just above);
    # only case banks can be shared, in windows of the log so memory stays bounded
    newest = session.scalar(select(func.max(BankChange.seq))) or 0
    start = state.last_bank_seq
    while start < newest:
        end = min(start + 50_000, newest)
        entry_ids = session.scalars(
            select(BankChange.entry_id).distinct()
            .join(BankEntry, BankEntry.id == BankChange.entry_id)
            .join(Bank, Bank.id == BankEntry.bank_id)
            .where(BankChange.seq > start, BankChange.seq <= end,
                   Bank.case_id.is_not(None))).all()
        run.apply_entries(list(entry_ids), desired)
        start = end
    state.last_bank_seq = max(state.last_bank_seq, newest)
    run.finish()
    return run.now


BANK_CHANGED = "jikimi.partners.bank_changed"
"""``session.info`` flag: this transaction wrote the bank change log or gave sharing consent."""


@event.listens_for(Session, "after_flush")
def _note_bank_changes(session: Session, _flush: Any) -> None:
    if any(isinstance(obj, BankChange) or (
            isinstance(obj, ConsentRecord)
            and obj.purpose == ConsentPurpose.PARTNER_SHARING.value) for obj in session.new):
        session.info[BANK_CHANGED] = True


@event.listens_for(Session, "do_orm_execute")
def _note_bulk_bank_changes(state: ORMExecuteState) -> None:
    if state.is_insert and getattr(state.statement, "table", None) is BankChange.__table__:
        state.session.info[BANK_CHANGED] = True


@event.listens_for(Session, "before_commit", insert=True)  # before the audit's commit step
def _refresh_with_bank_changes(session: Session) -> None:
    """A transaction that changed bank entries or gave sharing consent brings the feed up to
    date before it commits (set-based, so an import of a million hashes costs seconds in the
    import, never in a platform's request)."""
    changed = session.info.pop(BANK_CHANGED, False)
    if session.info.pop(BULK_BANK_CHANGES, False) or changed:  # bulk: matching.bulk
        refresh_feed(session)


def remove_case_from_feed(ctx: ServiceContext, case_id: int, reason: str) -> int:
    """Remove a case's items from the feed at once (withdrawal, erasure)."""
    ctx.session.flush()
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
