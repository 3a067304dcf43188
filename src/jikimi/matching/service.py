"""Banks: create, list, add fingerprints (from files or values), import hash lists, remove;
and matching fingerprints against every bank, with negative banks and per-bank thresholds."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from jikimi.core.actors import ActorKind, Role
from jikimi.core.audit import AuditHead
from jikimi.core.context import ServiceContext
from jikimi.core.database import utcnow
from jikimi.core.text import clean_text
from jikimi.errors import Conflict, Forbidden, InvalidInput, NotFound
from jikimi.hashing import ImageFingerprints, VideoFingerprints
from jikimi.matching.matcher import Hit, Matcher, Query, encrypt_value, image_queries
from jikimi.matching.models import Bank, BankChange, BankEntry
from jikimi.matching.schemas import AddedEntries, BankOut, EntryOut, MatchOut, MatchResult
from jikimi.matching.signal_types import signal_type as lookup_signal_type
from jikimi.matching.signal_types import vpdq_value

BANK_NAME_RE = re.compile(r"^[A-Za-z0-9가-힣][A-Za-z0-9가-힣_.\- ]{0,119}$")
MAX_IMPORT_LINES = 1_000_000


@dataclass(frozen=True)
class NewEntry:
    """A fingerprint to add to a bank."""

    signal_type: str
    value: str
    quality: int | None = None
    variant: str = "original"
    content_id: str = ""
    label: str = ""


# --- permissions -----------------------------------------------------------------------------
def _may_manage_banks(ctx: ServiceContext) -> None:
    if ctx.actor.kind is ActorKind.SYSTEM or ctx.actor.has_role(
            Role.ANALYST, Role.ADMIN, Role.CENTRAL_ADMIN):
        return
    raise Forbidden("banks are managed by analysts and administrators")


def _may_read_banks(ctx: ServiceContext) -> None:
    if ctx.actor.kind is ActorKind.SYSTEM or ctx.actor.is_staff:
        return
    raise Forbidden("banks are for staff")


def _may_change_bank(ctx: ServiceContext, bank: Bank) -> None:
    _may_manage_banks(ctx)
    if ctx.actor.is_staff and not ctx.actor.has_role(Role.CENTRAL_ADMIN) \
            and bank.centre_id not in (None, ctx.actor.centre_id):
        raise Forbidden(f"bank {bank.name!r} belongs to another centre")


# --- banks -----------------------------------------------------------------------------------
def _bank_out(ctx: ServiceContext, bank: Bank) -> BankOut:
    count = ctx.session.scalar(select(func.count()).select_from(BankEntry).where(
        BankEntry.bank_id == bank.id, BankEntry.removed_at.is_(None))) or 0
    return BankOut(id=bank.id, name=bank.name, owner_kind=bank.owner_kind,
                   case_code=bank.case_code,
                   purpose=bank.purpose, negative=bank.negative,
                   pdq_threshold=bank.pdq_threshold, entries=count, created_at=bank.created_at)


def create_bank(ctx: ServiceContext, name: str, *, purpose: str = "", negative: bool = False,
                pdq_threshold: int = 31, case: tuple[int, str] | None = None,
                owner_kind: str | None = None, case_access_checked: bool = False) -> BankOut:
    """Create a bank. A case bank holds a victim's fingerprints: ``case`` is the case's
    (id, code), which the caller has already checked the actor may see; with
    ``case_access_checked`` the caller has also checked she may register for that case (the
    assigned counsellor), so the bank-management role is not required."""
    if not (case and case_access_checked):
        _may_manage_banks(ctx)
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
                centre_id=ctx.actor.centre_id, purpose=purpose,
                negative=negative, pdq_threshold=pdq_threshold, created_at=utcnow(),
                created_by=ctx.actor.ref)
    ctx.session.add(bank)
    ctx.session.flush()
    ctx.audit("bank.create", "bank", bank.id, centre_id=ctx.actor.centre_id,
              details={"name": name, "negative": negative,
                       "case": case[1] if case else None})
    return _bank_out(ctx, bank)


def _bank(ctx: ServiceContext, name: str) -> Bank:
    bank = ctx.session.scalar(select(Bank).where(Bank.name == name[:120]))
    if bank is None:
        raise NotFound(f"no bank {name!r}: create it with `jikimi banks create`")
    return bank


def list_banks(ctx: ServiceContext) -> list[BankOut]:
    _may_read_banks(ctx)
    return [_bank_out(ctx, b) for b in ctx.session.scalars(select(Bank).order_by(Bank.id))]


def get_bank(ctx: ServiceContext, name: str) -> BankOut:
    _may_read_banks(ctx)
    return _bank_out(ctx, _bank(ctx, name))


def list_entries(ctx: ServiceContext, name: str, *, limit: int = 200,
                 offset: int = 0) -> list[EntryOut]:
    _may_read_banks(ctx)
    bank = _bank(ctx, name)
    rows = ctx.session.scalars(select(BankEntry).where(BankEntry.bank_id == bank.id)
                               .order_by(BankEntry.id).limit(limit).offset(offset))
    return [EntryOut(id=r.id, bank=bank.name, signal_type=r.signal_type, value=r.value,
                     quality=r.quality, variant=r.variant, content_id=r.content_id,
                     label=r.label, created_at=r.created_at, removed=r.removed_at is not None)
            for r in rows]


def add_entries(ctx: ServiceContext, name: str, entries: Sequence[NewEntry], *,
                case_access_checked: bool = False) -> AddedEntries:
    """Add fingerprints; each is checked and normalised by its signal type first (one bad
    value refuses the whole batch). Duplicates of an active entry in the bank are skipped.
    ``case_access_checked``: the caller checked the actor may register for the bank's case."""
    bank = _bank(ctx, name)
    if not (case_access_checked and bank.case_id is not None):
        _may_change_bank(ctx, bank)
    prepared: dict[tuple[str, str, str], BankEntry] = {}
    now = utcnow()
    for number, entry in enumerate(entries, start=1):
        kind = lookup_signal_type(entry.signal_type)
        try:
            value = kind.normalise(entry.value)
        except InvalidInput as exc:
            raise InvalidInput(f"entry {number}: {exc.message}", code=exc.code) from exc
        if entry.quality is not None and not 0 <= entry.quality <= 100:
            raise InvalidInput(f"entry {number}: quality is 0 to 100")
        variant = clean_text(entry.variant, "the variant", max_chars=30) or "original"
        key = kind.value_key(value)
        content_id = clean_text(entry.content_id, "the content id", max_chars=64) or key[:64]
        stored = encrypt_value(ctx.keys, kind.name, value) if kind.encrypted_at_rest else value
        prepared.setdefault((kind.name, key, variant), BankEntry(
            bank_id=bank.id, signal_type=kind.name, value=stored, value_key=key,
            quality=entry.quality, variant=variant, content_id=content_id,
            label=clean_text(entry.label, "the label", max_chars=200), created_at=now,
            created_by=ctx.actor.ref))
    keys = list(prepared)
    for start in range(0, len(keys), 2000):
        chunk_keys = {k[1] for k in keys[start:start + 2000]}
        for row in ctx.session.execute(select(
                BankEntry.signal_type, BankEntry.value_key, BankEntry.variant).where(
                BankEntry.bank_id == bank.id, BankEntry.value_key.in_(chunk_keys),
                BankEntry.removed_at.is_(None))):
            prepared.pop((row.signal_type, row.value_key, row.variant), None)
    rows = list(prepared.values())
    ctx.session.add_all(rows)
    ctx.session.flush()
    if rows:
        lock_change_log(ctx.session)
    ctx.session.add_all([BankChange(entry_id=row.id, op="add", at=now) for row in rows])
    ctx.session.flush()
    content_ids = list(dict.fromkeys(row.content_id for row in rows))
    ctx.audit("bank.add_entries", "bank", bank.id, centre_id=ctx.actor.centre_id,
              details={"added": len(rows)})
    return AddedEntries(bank=bank.name, added=len(rows), content_ids=content_ids)



CHANGE_LOG_LOCK = 0x6A696B696D69  # "jikimi": the advisory lock that orders bank_changes


def lock_change_log(session: Session) -> None:
    """Serialise writers of the bank change log until this transaction ends.

    Readers (the matcher, the partner feed) follow the log by sequence number. On PostgreSQL
    two transactions could otherwise take sequence numbers 10 and 11 and commit 11 first: a
    reader passing 11 would never see 10. Holding a transaction-level advisory lock from before
    the sequence is drawn until commit makes commit order equal sequence order. SQLite writers
    are already serialised (``BEGIN IMMEDIATE``).

    The audit chain's head row is locked first: every writer of the log audits in the same
    transaction and so takes that lock anyway; taking it first keeps one lock order (audit head,
    then this lock) and so no deadlock."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(AuditHead.id).where(AuditHead.id == 1).with_for_update())
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
        ctx.audit("bank.remove_case_entries", "case", case_id, centre_id=ctx.actor.centre_id,
                  details={"removed": len(rows), "signal_type": signal_type, "reason": reason})
    ctx.session.flush()
    return len(rows)


def remove_entry(ctx: ServiceContext, entry_id: int) -> None:
    row = ctx.session.get(BankEntry, entry_id)
    if row is None:
        raise NotFound(f"no bank entry {entry_id}")
    bank = ctx.session.get(Bank, row.bank_id)
    assert bank is not None
    _may_change_bank(ctx, bank)
    if row.removed_at is not None:
        raise Conflict(f"entry {entry_id} was already removed")
    row.removed_at = utcnow()
    lock_change_log(ctx.session)
    ctx.session.add(BankChange(entry_id=row.id, op="remove", at=row.removed_at))
    ctx.audit("bank.remove_entry", "bank", bank.id, centre_id=ctx.actor.centre_id,
              details={"entry_id": entry_id})


# --- import ----------------------------------------------------------------------------------
def parse_hash_lines(lines: Iterable[str], default_signal: str = "pdq") -> list[NewEntry]:
    """Read a hash list: JSON lines as `jikimi hash` writes them, `signal_type,value[,quality]`
    CSV/TSV rows, or one bare hash per line (``default_signal``). ``#`` starts a comment."""
    entries: list[NewEntry] = []
    for number, raw in enumerate(lines, start=1):
        if number > MAX_IMPORT_LINES:
            raise InvalidInput(f"a hash list holds at most {MAX_IMPORT_LINES} lines")
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            if line.startswith("{"):
                record = json.loads(line)
                if not isinstance(record, dict):
                    raise ValueError("not an object")
                if "error" in record:
                    continue
                content = str(record.get("sha256") or "")
                label = Path(str(record.get("path") or "")).name[:200]
                if record.get("kind") == "video" and record.get("vpdq"):
                    entries.append(NewEntry("vpdq", json.dumps(record["vpdq"]), None,
                                            "original", content, label))
                elif record.get("pdq"):
                    entries.append(NewEntry("pdq", str(record["pdq"]),
                                            int(record.get("quality") or 0), "original",
                                            content, label))
                for name in ("sha256", "md5"):
                    if record.get(name):
                        entries.append(NewEntry(name, str(record[name]), None, "original",
                                                content, label))
                continue
            parts = [p.strip() for p in re.split(r"[,\t]", line)]
            if len(parts) == 1:
                entries.append(NewEntry(default_signal, parts[0]))
            else:
                quality = int(parts[2]) if len(parts) > 2 and parts[2] else None
                entries.append(NewEntry(parts[0].lower(), parts[1], quality))
        except (ValueError, TypeError, KeyError) as exc:
            raise InvalidInput(f"line {number} of the hash list is not readable: {exc}",
                               code="bad_hash_list") from exc
    for number, entry in enumerate(entries, start=1):
        try:
            lookup_signal_type(entry.signal_type).normalise(entry.value)
        except InvalidInput as exc:
            raise InvalidInput(f"entry {number} of the hash list: {exc.message}",
                               code="bad_hash_list") from exc
    return entries


        for region in fp.regions:
            out.append(NewEntry("pdq_region", region.hex, region.quality, region.name, content,
                                label))
# --- matching --------------------------------------------------------------------------------
def _match_out(hit: Hit) -> MatchOut:
    return MatchOut(bank=hit.bank.name, entry_id=hit.entry_id, signal_type=hit.signal_type,
                    distance=hit.distance, variant=hit.query_variant,
                    entry_variant=hit.entry_variant, content_id=hit.content_id,
                    case_code=hit.bank.case_code, reliable=hit.reliable)


def _hit_rank(hit: Hit) -> tuple[bool, int, bool, bool]:
    """Best first: an exact file hash, then the closest, then the unmodified query and entry."""
    return (not lookup_signal_type(hit.signal_type).indexed_in_database, hit.distance,
            hit.query_variant != "original", hit.entry_variant != "original")


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


def match_queries(ctx: ServiceContext, matcher: Matcher, queries: Sequence[Query], *,
                  threshold: int | None = None) -> MatchResult:
    """Match lookups against every bank. A hit in a negative bank suppresses the matches."""
    _may_read_banks(ctx)
    if threshold is not None and not 0 <= threshold <= 31:
        raise InvalidInput("the PDQ threshold is 0 to 31 bits")
    matcher.sync(ctx.session)
    hits = best_per_content(matcher.search(ctx.session, queries, threshold))
    positive = [_match_out(h) for h in hits if not h.bank.negative]
    negative = [_match_out(h) for h in hits if h.bank.negative]
    if negative:
        result = MatchResult(matched=False, matches=[], suppressed_by=negative)
    else:
        result = MatchResult(matched=any(m.reliable for m in positive), matches=positive)
    ctx.audit("match.query", "match", "*", centre_id=ctx.actor.centre_id,
              details={"queries": len(queries), "matches": len(result.matches),
                       "suppressed": len(result.suppressed_by)})
    return result


def queries_for_fingerprints(fp: ImageFingerprints | VideoFingerprints, *,
                             dihedral: bool) -> list[Query]:
    if isinstance(fp, ImageFingerprints):
        return image_queries(fp.pdq, fp.quality, fp.dihedral, fp.sha256, fp.md5,
                             use_dihedral=dihedral)
    return [Query("vpdq", vpdq_value(fp.frames)), Query("sha256", fp.sha256),
            Query("md5", fp.md5)]
