"""Banks: create, list, add fingerprints (from files or values), import hash lists, remove;
and matching fingerprints against every bank, with negative banks and per-bank thresholds."""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, select, text
from sqlalchemy.orm import Session

from jikimi.core.actors import Actor, ActorKind, Role
from jikimi.core.authorization import (
    Action,
    Owned,
    Relation,
    ResourceType,
    allowed,
    case_centre_id,
    check,
    find,
    load_for,
    load_owned,
    may_any,
    owning_centre,
    register_resource,
    relation,
    visible_filter,
)
from jikimi.core.context import ServiceContext
from jikimi.core.database import one_of, utcnow
from jikimi.core.security import Keyring
from jikimi.core.text import clean_text
from jikimi.errors import Conflict, Forbidden, InvalidInput, NotFound
from jikimi.hashing import ImageFingerprints, VideoFingerprints
from jikimi.matching import bulk, pictures
from jikimi.matching.matcher import (
    Candidate,
    EntryRead,
    Hit,
    Matcher,
    Query,
    encrypt_value,
    image_queries,
)
from jikimi.matching.models import Bank, BankChange, BankEntry, of_bank_found_by_another_index
from jikimi.matching.schemas import (
    AddedEntries,
    BankOut,
    EntryOut,
    MatchOut,
    MatchResult,
    PictureOut,
    PicturesOut,
)
from jikimi.matching.signal_types import signal_type as lookup_signal_type
from jikimi.matching.signal_types import vpdq_value

BANK_NAME_RE = re.compile(r"^[A-Za-z0-9가-힣][A-Za-z0-9가-힣_.\- ]{0,119}$")
MAX_IMPORT_LINES = 1_000_000


@dataclass(frozen=True, slots=True)
class NewEntry:
    """A fingerprint to add to a bank."""

    signal_type: str
    value: str
    quality: int | None = None
    variant: str = "original"
    content_id: str = ""
    label: str = ""


# --- permissions: the rule is jikimi.core.authorization's table ----------------------------
def _owned(bank: Bank) -> Owned:
    return Owned(bank, bank.centre_id, bank.national, bank.case_id, label=f"bank {bank.name!r}")


def _find_bank(session: Session, key: object) -> Owned | None:
    if isinstance(key, int):
        bank = session.get(Bank, key)
    else:
        bank = session.scalar(select(Bank).where(Bank.name == str(key)[:120]))
    return None if bank is None else _owned(bank)


def _find_entry(session: Session, key: object) -> Owned | None:
    try:
        entry = session.get(BankEntry, int(str(key)))
    except ValueError:
        return None
    if entry is None:
        return None
    bank = session.get(Bank, entry.bank_id)
    assert bank is not None
    return Owned(entry, bank.centre_id, bank.national, bank.case_id,
                 label=f"bank entry {entry.id}")


register_resource(ResourceType.BANK, _find_bank)
register_resource(ResourceType.BANK_ENTRY, _find_entry)


def _may_read_banks(ctx: ServiceContext) -> None:
    if not may_any(ctx.actor, ResourceType.BANK, Action.COUNT):
        raise Forbidden("banks are for staff")


# --- labels (private: encrypted at rest like counselling notes) -------------------------------
def _label_context(bank_id: int) -> str:
    return f"bank:{bank_id}:entry-label"


def seal_label(ctx: ServiceContext, bank_id: int, label: str) -> bytes | None:
    """A label encrypted for its bank (None for no label)."""
    return ctx.keys.encrypt(label.encode(), context=_label_context(bank_id)) if label else None


def entry_label(keys: Keyring, entry: BankEntry) -> str:
    """An entry's label in clear (legacy plaintext until ``jikimi db upgrade`` seals it)."""
    if entry.label_enc is not None:
        return keys.decrypt(entry.label_enc, context=_label_context(entry.bank_id)).decode()
    return entry.label


def seal_plain_labels(ctx: ServiceContext, *, batch: int = 2000) -> int:
    """Encrypt every label still stored in plaintext (after upgrading from before 0009)."""
    sealed = 0
    while True:
        rows = list(ctx.session.scalars(select(BankEntry).where(
            BankEntry.label != "", BankEntry.label_enc.is_(None)).limit(batch)))
        if not rows:
            break
        for row in rows:
            row.label_enc = seal_label(ctx, row.bank_id, row.label)
            row.label = ""
        ctx.session.flush()
        sealed += len(rows)
    if sealed:
        ctx.audit("bank.seal_labels", "bank", "*", details={"sealed": sealed})
    return sealed


# --- banks -----------------------------------------------------------------------------------
def _bank_out(ctx: ServiceContext, bank: Bank) -> BankOut:
    count = ctx.session.scalar(select(func.count()).select_from(BankEntry).where(
        BankEntry.bank_id == bank.id, BankEntry.removed_at.is_(None))) or 0
    owned = _owned(bank)
    if Action.READ in allowed(ctx.actor, ResourceType.BANK, owned) \
            or relation(ctx.actor, owned) is Relation.SAME:
        name, case_code, purpose = bank.name, bank.case_code, bank.purpose
    else:  # counts only: no name (case banks are named by their case), no case code
        name, case_code, purpose = f"bank {bank.id}", None, ""
    return BankOut(id=bank.id, name=name, owner_kind=bank.owner_kind,
                   case_code=case_code, centre_id=bank.centre_id, national=bank.national,
                   purpose=purpose, negative=bank.negative,
                   pdq_threshold=bank.pdq_threshold, entries=count, created_at=bank.created_at)


def create_bank(ctx: ServiceContext, name: str, *, purpose: str = "", negative: bool = False,
                pdq_threshold: int = 31, case: tuple[int, str] | None = None,
                owner_kind: str | None = None, case_access_checked: bool = False,
                national: bool = False) -> BankOut:
    """Create a bank. A case bank holds a victim's fingerprints: ``case`` is the case's
    (id, code), which the caller has already checked the actor may see; with
    ``case_access_checked`` the caller has also checked she may register for that case (the
    assigned counsellor), so the bank-management role is not required.

    The bank belongs to the case's centre, else to the centre the actor acts for, else to the
    installation's default centre. A ``national`` bank (never a case bank) is read by every
    centre's analysts; only the central centre (its admins, or the CLI) makes one."""
    centre_id = owning_centre(ctx, case_centre_id=case_centre_id(ctx.session, case[0])
                              if case else None)
    if case and national:
        raise InvalidInput("a case bank cannot be national", code="case_bank_national")
    if national and not (ctx.actor.kind is ActorKind.SYSTEM
                         or ctx.actor.has_role(Role.CENTRAL_ADMIN)):
        raise Forbidden("only the central centre makes national banks")
    if not (case and case_access_checked):
        check(ctx, ResourceType.BANK, Owned(None, centre_id, national, None,
                                            label=f"bank {name[:120]!r}"), Action.WRITE)
    name = clean_text(name, "the bank name", max_chars=120, allow_empty=False)
    if not BANK_NAME_RE.match(name):
        raise InvalidInput("bank names use letters, digits, spaces, '_', '.', '-'",
                           code="bad_bank_name")
    if not 0 <= pdq_threshold <= 31:
        raise InvalidInput("the PDQ threshold is 0 to 31 bits")
    purpose = clean_text(purpose, "the purpose", max_chars=200)
    if ctx.session.scalar(select(Bank).where(Bank.name == name)):
        raise Conflict(f"a bank named {name!r} already exists")
    if case and negative:
        raise InvalidInput("a case bank cannot be a negative bank")
    bank = Bank(name=name, owner_kind=owner_kind or ("case" if case else "centre"),
                case_id=case[0] if case else None, case_code=case[1] if case else None,
                centre_id=centre_id, national=national, purpose=purpose,
                negative=negative, pdq_threshold=pdq_threshold, created_at=utcnow(),
                created_by=ctx.actor.ref)
    ctx.session.add(bank)
    ctx.session.flush()
    ctx.audit("bank.create", "bank", bank.id, centre_id=centre_id,
              details={"name": name, "negative": negative, "national": national,
                       "case": case[1] if case else None})
    return _bank_out(ctx, bank)


def load_bank(ctx: ServiceContext, name: str | int, action: Action = Action.READ) -> Bank:
    """A bank by name (or id) if the actor may ``action`` on it (404 for another centre's)."""
    _may_read_banks(ctx)
    bank: Bank = load_for(ctx, ResourceType.BANK, name if isinstance(name, int) else
                          name[:120], action)
    return bank


def list_banks(ctx: ServiceContext) -> list[BankOut]:
    """The banks the actor may know of: her centre's, the national ones she may read, and
    (central admins) every centre's, as counts."""
    _may_read_banks(ctx)
    query = select(Bank).where(visible_filter(ctx.actor, ResourceType.BANK, Bank.centre_id,
                                              Bank.national, count=True)).order_by(Bank.id)
    return [_bank_out(ctx, b) for b in ctx.session.scalars(query)]


def get_bank(ctx: ServiceContext, name: str) -> BankOut:
    """A bank's summary (a count-only reader sees no name or case)."""
    return _bank_out(ctx, load_bank(ctx, name, Action.COUNT))


def may_read_entries(ctx: ServiceContext, name: str) -> bool:
    """Whether the actor may read a bank's entries and labels (not just count them)."""
    owned = find(ctx.session, ResourceType.BANK, name[:120])
    return owned is not None and Action.READ in allowed(ctx.actor, ResourceType.BANK, owned)


def list_entries(ctx: ServiceContext, name: str, *, limit: int = 200,
                 offset: int = 0) -> list[EntryOut]:
    """A bank's entries with their labels: for its own centre (and a national bank's readers)."""
    bank = load_bank(ctx, name, Action.READ)
    rows = ctx.session.scalars(select(BankEntry).where(BankEntry.bank_id == bank.id)
                               .order_by(BankEntry.id).limit(limit).offset(offset))
    out = [EntryOut(id=r.id, bank=bank.name, signal_type=r.signal_type, value=r.value,
                    quality=r.quality, variant=r.variant, content_id=r.content_id,
                    label=entry_label(ctx.keys, r), created_at=r.created_at,
                    removed=r.removed_at is not None)
           for r in rows]
    ctx.audit("bank.read_entries", "bank", bank.id, centre_id=bank.centre_id,
              details={"count": len(out), "case": bank.case_code})
    return out


def list_pictures(ctx: ServiceContext, name: str, *, limit: int = 50,
                  offset: int = 0) -> PicturesOut:
    """A bank's registered pictures, oldest first: one row per file registered (its
    ``content_id``), with its label and how many fingerprints of each signal type it gave.
    The same readers as :func:`list_entries`; staff read a picture, not its 200 hashes."""
    bank = load_bank(ctx, name, Action.READ)
    in_bank = of_bank_found_by_another_index(bank.id)
    firsts: dict[int, BankEntry] = {}
    for fresh in (False, True):  # kept until the bank changes; read again if it looks wrong
        first_ids = pictures.first_entry_ids(ctx.session, bank.id, fresh=fresh)
        wanted = [int(i) for i in first_ids[offset:offset + limit]]
        firsts = {r.id: r for r in ctx.session.scalars(
            select(BankEntry).where(BankEntry.id.in_(wanted), in_bank))}
        if len(firsts) == len(wanted):
            break
    total = len(first_ids)
    groups = [firsts[i] for i in wanted if i in firsts]
    contents = [g.content_id for g in groups]
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    removed: Counter[str] = Counter()
    if contents:
        for content_id, signal, active, gone in ctx.session.execute(
                select(BankEntry.content_id, BankEntry.signal_type,
                       func.count(BankEntry.id) - func.count(BankEntry.removed_at),
                       func.count(BankEntry.removed_at))
                .where(in_bank, BankEntry.content_id.in_(contents))
                .group_by(BankEntry.content_id, BankEntry.signal_type)):
            if active:
                counts[content_id][signal] = int(active)
            removed[content_id] += int(gone)
    qualities = dict(ctx.session.execute(
        select(BankEntry.content_id, func.max(BankEntry.quality))
        .where(in_bank, BankEntry.content_id.in_(contents), BankEntry.signal_type == "pdq",
               BankEntry.variant == "original")
        .group_by(BankEntry.content_id)).all()) if contents else {}
    items = []
    for first in groups:
        items.append(PictureOut(
            content_id=first.content_id, first_entry_id=first.id,
            label=entry_label(ctx.keys, first), quality=qualities.get(first.content_id),
            fingerprints=dict(sorted(counts[first.content_id].items())),
            removed=removed[first.content_id], created_at=first.created_at))
    ctx.audit("bank.read_entries", "bank", bank.id, centre_id=bank.centre_id,
              details={"pictures": len(items), "case": bank.case_code})
    return PicturesOut(items=items, total=total)


def add_entries(ctx: ServiceContext, name: str, entries: Sequence[NewEntry], *,
                case_access_checked: bool = False,
                progress: Callable[[int], None] | None = None) -> AddedEntries:
    """Add fingerprints; each is checked and normalised by its signal type first (one bad
    value refuses the whole batch). Duplicates of an active entry in the bank are skipped.
    ``case_access_checked``: the caller checked the actor may register for the bank's case.

    Written in bulk (``matching.bulk``: ids drawn up front, ``COPY`` on PostgreSQL), with one
    change-log record per entry and one audit entry for the whole batch; ``progress`` is
    called with the number of entries checked or written since its last call."""
    owned = find(ctx.session, ResourceType.BANK, name[:120])
    if owned is None:
        raise NotFound(f"no bank {name[:120]!r}: create it with `jikimi banks create`")
    bank: Bank = owned.record
    if not (case_access_checked and bank.case_id is not None):
        check(ctx, ResourceType.BANK_ENTRY, owned, Action.WRITE)  # else: the case rule did
    prepared: dict[tuple[str, str, str], dict[str, Any]] = {}
    now = utcnow()
    cleaned: dict[tuple[str, str], str] = {}

    def clean(value: str, what: str, max_chars: int) -> str:
        if not value:
            return ""
        key = (what, value)
        if key not in cleaned:  # variants and labels repeat: check each text once
            cleaned[key] = clean_text(value, what, max_chars=max_chars)
        return cleaned[key]

    sealed: dict[str, bytes | None] = {"": None}
    for number, entry in enumerate(entries, start=1):
        kind = lookup_signal_type(entry.signal_type)
        try:
            value = kind.normalise(entry.value)
            if entry.quality is not None and not 0 <= entry.quality <= 100:
                raise InvalidInput("quality is 0 to 100")
            variant = clean(entry.variant, "the variant", 30) or "original"
            key = kind.value_key(value)
            content_id = clean(entry.content_id, "the content id", 64) or key[:64]
            label = clean(entry.label, "the label", 200)
        except InvalidInput as exc:
            raise InvalidInput(f"entry {number}: {exc.message}", code=exc.code) from exc
        if (kind.name, key, variant) in prepared:
            continue
        stored = encrypt_value(ctx.keys, kind.name, value) if kind.encrypted_at_rest else value
        if label not in sealed:
            sealed[label] = seal_label(ctx, bank.id, label)
        prepared[(kind.name, key, variant)] = {
            "id": 0, "bank_id": bank.id, "signal_type": kind.name, "value": stored,
            "value_key": key, "quality": entry.quality, "variant": variant,
            "content_id": content_id, "label": "", "label_enc": sealed[label],
            "created_at": now, "created_by": ctx.actor.ref}
        if progress is not None and number % 20_000 == 0:
            progress(20_000)
    if progress is not None and len(entries) % 20_000:
        progress(len(entries) % 20_000)
    if len(prepared) >= bulk.ANALYZE_AFTER_ROWS:  # PostgreSQL: plan the lookups below well
        bulk.refresh_statistics(ctx.session, bulk.ENTRIES)
    by_signal: dict[str, list[str]] = defaultdict(list)
    for signal, key, _variant in prepared:
        by_signal[signal].append(key)
    for signal, signal_keys in by_signal.items():
        unique = list(dict.fromkeys(signal_keys))
        for start in range(0, len(unique), 2000):  # signal type first: the composite index
            for found in ctx.session.execute(select(
                    BankEntry.value_key, BankEntry.variant).where(
                    BankEntry.signal_type == signal, one_of(
                        ctx.session, BankEntry.value_key, unique[start:start + 2000]),
                    of_bank_found_by_another_index(bank.id),
                    BankEntry.removed_at.is_(None))):
                prepared.pop((signal, found.value_key, found.variant), None)
    rows = list(prepared.values())
    for row, entry_id in zip(rows, bulk.allocate_entry_ids(ctx.session, len(rows)),
                             strict=True):
        row["id"] = entry_id
    bulk.insert_entries(ctx.session, rows, progress)
    if rows:
        lock_change_log(ctx.session)
        bulk.log_additions(ctx.session, [row["id"] for row in rows], now)
    content_ids = list(dict.fromkeys(row["content_id"] for row in rows))
    ctx.audit("bank.add_entries", "bank", bank.id, centre_id=bank.centre_id,
              details={"added": len(rows), "given": len(entries),
                       "signal_types": dict(Counter(row["signal_type"] for row in rows))})
    return AddedEntries(bank=bank.name, added=len(rows), content_ids=content_ids)


CHANGE_LOG_LOCK = 0x6A696B696D69  # "jikimi": the advisory lock that orders bank_changes


def lock_change_log(session: Session) -> None:
    """Serialise writers of the bank change log until this transaction ends.

    Readers (the matcher, the partner feed) follow the log by sequence number. On PostgreSQL
    two transactions could otherwise take sequence numbers 10 and 11 and commit 11 first: a
    reader passing 11 would never see 10. Holding a transaction-level advisory lock from before
    the sequence is drawn until commit makes commit order equal sequence order. SQLite writers
    are already serialised (``BEGIN IMMEDIATE``).

    Lock order: this lock, then the audit chain's head row, which a transaction takes only at
    its commit (``core.audit.defer_entry``) and after which it takes no other lock; so no
    deadlock, and the head is not held while the log's writer does its bulk work."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHANGE_LOG_LOCK})


def entries_for_fingerprints(fp: ImageFingerprints | VideoFingerprints,
                             label: str = "") -> list[NewEntry]:
    """What to register for one file: PDQ with its registration variants (mirrored,
    rotated, unframed, cropped) and region hashes (``pdq_region``: corners kept, off-centre
    crops, small tilts), or vPDQ; plus SHA-256 and MD5; one content id for all."""
    content = fp.sha256
    out: list[NewEntry] = []
    if isinstance(fp, ImageFingerprints):
        out.append(NewEntry("pdq", fp.pdq, fp.quality, "original", content, label))
        for variant in fp.variants:
            if variant.name != "original":
                out.append(NewEntry("pdq", variant.hex, variant.quality, variant.name, content,
                                    label))
        for region in fp.regions:
            out.append(NewEntry("pdq_region", region.hex, region.quality, region.name, content,
                                label))
    else:
        out.append(NewEntry("vpdq", vpdq_value(fp.frames), None, "original", content, label))
    out.append(NewEntry("sha256", fp.sha256, None, "original", content, label))
    out.append(NewEntry("md5", fp.md5, None, "original", content, label))
    return out


def remove_case_entries(ctx: ServiceContext, case_id: int, *,
                        signal_type: str | None = None, reason: str = "") -> int:
    """Remove (at once, for every index) the entries of a case's banks — all of them, or
    those of one signal type. Used on erasure and on withdrawal of consent."""
    query = select(BankEntry).join(Bank, Bank.id == BankEntry.bank_id).where(
        Bank.case_id == case_id, BankEntry.removed_at.is_(None))
    if signal_type is not None:
        query = query.where(BankEntry.signal_type == signal_type)
    now = utcnow()
    rows = list(ctx.session.scalars(query))
    if rows:
        lock_change_log(ctx.session)
    for row in rows:
        row.removed_at = now
        ctx.session.add(BankChange(entry_id=row.id, op="remove", at=now))
    if rows:
        ctx.audit("bank.remove_case_entries", "case", case_id,
                  centre_id=case_centre_id(ctx.session, case_id),
                  details={"removed": len(rows), "signal_type": signal_type, "reason": reason})
    ctx.session.flush()
    return len(rows)


def remove_entry(ctx: ServiceContext, entry_id: int) -> None:
    """Remove one entry (for every index at once): its bank's centre only."""
    owned = load_owned(ctx, ResourceType.BANK_ENTRY, entry_id, Action.WRITE)
    row: BankEntry = owned.record
    if row.removed_at is not None:
        raise Conflict(f"entry {entry_id} was already removed")
    row.removed_at = utcnow()
    lock_change_log(ctx.session)
    ctx.session.add(BankChange(entry_id=row.id, op="remove", at=row.removed_at))
    ctx.audit("bank.remove_entry", "bank", row.bank_id, centre_id=owned.centre_id,
              details={"entry_id": entry_id})


# --- import ----------------------------------------------------------------------------------
def parse_hash_lines(lines: Iterable[str], default_signal: str = "pdq") -> list[NewEntry]:
    """Read a hash list: JSON lines as `jikimi hash` writes them, `signal_type,value[,quality]`
    CSV/TSV rows, or one bare hash per line (``default_signal``). ``#`` starts a comment.
    Each value is checked (and normalised) as its line is read: the first bad line refuses
    the whole list, named by its line number."""
    entries: list[NewEntry] = []
    for number, raw in enumerate(lines, start=1):
        if number > MAX_IMPORT_LINES:
            raise InvalidInput(f"a hash list holds at most {MAX_IMPORT_LINES} lines")
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            for entry in _line_entries(line, default_signal):
                value = lookup_signal_type(entry.signal_type).normalise(entry.value)
                if entry.quality is not None and not 0 <= entry.quality <= 100:
                    raise InvalidInput("quality is 0 to 100")
                entries.append(entry if value == entry.value else replace(entry, value=value))
        except (ValueError, TypeError, KeyError) as exc:
            raise InvalidInput(f"line {number} of the hash list is not readable: {exc}",
                               code="bad_hash_list") from exc
        except InvalidInput as exc:
            raise InvalidInput(f"line {number} of the hash list: {exc.message}",
                               code="bad_hash_list") from exc
    return entries


def _line_entries(line: str, default_signal: str) -> list[NewEntry]:
    """The entries of one line of a hash list (not yet checked)."""
    if line.startswith("{"):
        record = json.loads(line)
        if not isinstance(record, dict):
            raise ValueError("not an object")
        if "error" in record:
            return []
        out: list[NewEntry] = []
        content = str(record.get("sha256") or "")
        label = Path(str(record.get("path") or "")).name[:200]
        if record.get("kind") == "video" and record.get("vpdq"):
            out.append(NewEntry("vpdq", json.dumps(record["vpdq"]), None, "original",
                                content, label))
        elif record.get("pdq"):
            out.append(NewEntry("pdq", str(record["pdq"]), int(record.get("quality") or 0),
                                "original", content, label))
        for name in ("sha256", "md5"):
            if record.get(name):
                out.append(NewEntry(name, str(record[name]), None, "original", content,
                                    label))
        return out
    parts = [p.strip() for p in re.split(r"[,\t]", line)]
    if len(parts) == 1:
        return [NewEntry(default_signal, parts[0])]
    quality = int(parts[2]) if len(parts) > 2 and parts[2] else None
    return [NewEntry(parts[0].lower(), parts[1], quality)]


# --- matching --------------------------------------------------------------------------------
def _match_out(hit: Hit) -> MatchOut:
    return MatchOut(bank=hit.bank.name, entry_id=hit.entry_id, signal_type=hit.signal_type,
                    distance=hit.distance, variant=hit.query_variant,
                    entry_variant=hit.entry_variant, content_id=hit.content_id,
                    case_code=hit.bank.case_code, reliable=hit.reliable)


def _hit_rank(hit: Hit) -> tuple[bool, bool, int, bool, bool]:
    """Best first: a reliable hit (a closer unreliable one, e.g. a flat window, must not hide
    it), an exact file hash, then the closest, then the unmodified query and entry."""
    return (not hit.reliable, not lookup_signal_type(hit.signal_type).indexed_in_database,
            hit.distance, hit.query_variant != "original", hit.entry_variant != "original")


def best_per_content(hits: Sequence[Hit], *, per_signal_type: bool = True) -> list[Hit]:
    """One hit per registered content and bank (and signal type, unless ``per_signal_type`` is
    False), the best by :func:`_hit_rank`, so that variants of one image do not crowd the
    result. Entries registered without a content id (face templates) stand for themselves."""
    best: dict[tuple[int, str, str], Hit] = {}
    for hit in hits:
        key = (hit.bank.id, content_key(hit.content_id, hit.entry_id),
               hit.signal_type if per_signal_type else "")
        if key not in best or _hit_rank(hit) < _hit_rank(best[key]):
            best[key] = hit
    return sorted(best.values(), key=lambda h: (h.distance, h.bank.name, h.entry_id))


def content_key(content_id: str, entry_id: int) -> str:
    """Which registered content an entry is of: its content id, or the entry itself."""
    return content_id or f"entry:{entry_id}"


def may_see_hit(ctx: ServiceContext, hit: Hit) -> bool:
    """Whether the actor may read the bank a hit is in (another centre's case bank: never;
    its case code and label stay in its centre)."""
    return actor_may_see_hit(ctx.actor, hit)


def actor_may_see_hit(actor: Actor, hit: Hit) -> bool:
    """:func:`may_see_hit` for an actor (the rule of ``authorization``)."""
    return Action.READ in allowed(actor, ResourceType.BANK, Owned(
        hit.bank, hit.bank.centre_id, hit.bank.national, hit.bank.case_id))


def match_queries(ctx: ServiceContext, matcher: Matcher, queries: Sequence[Query], *,
                  threshold: int | None = None) -> MatchResult:
    """Match lookups against every bank. A hit in a negative bank suppresses the matches."""
    check_match(ctx.actor, threshold)
    matcher.sync(ctx.session)
    result, details = answer_match(ctx.actor, ctx.session, matcher, queries, threshold)
    ctx.audit("match.query", "match", "*", centre_id=ctx.actor.centre_id, details=details)
    return result


def check_match(actor: Actor, threshold: int | None) -> None:
    """Who may match, and the threshold's range."""
    if not may_any(actor, ResourceType.BANK, Action.COUNT):
        raise Forbidden("banks are for staff")
    if threshold is not None and not 0 <= threshold <= 31:
        raise InvalidInput("the PDQ threshold is 0 to 31 bits")


def answer_match(actor: Actor, session: Session | Connection | None, matcher: Matcher,
                 queries: Sequence[Query], threshold: int | None = None, *,
                 candidates: Sequence[Candidate] | None = None,
                 read: EntryRead | None = None) -> tuple[MatchResult, dict[str, Any]]:
    """The answer of a match (after :func:`check_match`) and what its audit entry records;
    the caller audits it (``match_queries`` in its unit of work, a fast door through the
    audit writer) and keeps the matcher current. Only the banks the actor may see count;
    a hit in a negative bank suppresses the matches. A door that searched the index and
    read the hit entries itself passes ``candidates`` and ``read`` (``Matcher.resolve``)."""
    if candidates is None:
        candidates = matcher.candidates(queries, threshold)
    found = matcher.resolve(session, candidates, threshold, read=read)
    hits = best_per_content([hit for hit in found if actor_may_see_hit(actor, hit)])
    positive = [_match_out(h) for h in hits if not h.bank.negative]
    negative = [_match_out(h) for h in hits if h.bank.negative]
    if negative:
        result = MatchResult(matched=False, matches=[], suppressed_by=negative)
    else:
        result = MatchResult(matched=any(m.reliable for m in positive), matches=positive)
    return result, {"queries": len(queries), "matches": len(result.matches),
                    "suppressed": len(result.suppressed_by)}


def queries_for_fingerprints(fp: ImageFingerprints | VideoFingerprints, *,
                             dihedral: bool) -> list[Query]:
    if isinstance(fp, ImageFingerprints):
        return image_queries(fp.pdq, fp.quality, fp.dihedral, fp.sha256, fp.md5,
                             use_dihedral=dihedral)
    return [Query("vpdq", vpdq_value(fp.frames)), Query("sha256", fp.sha256),
            Query("md5", fp.md5)]
