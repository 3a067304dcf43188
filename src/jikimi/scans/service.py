"""Sources and durable scans: enumerate → fetch → fingerprint → match, resumable.

State lives in the database. Each scan item is a row keyed by (scan, item key); enumeration
inserts rows idempotently, and an item's results (item, version, matches, status) are written
in one transaction, so a scan killed at any point and resumed ends with exactly the items and
matches of an uninterrupted run, with no duplicates.

One runner per scan: whoever runs a scan (``jikimi scan``, ``jikimi worker``, or the process a
serving door starts: :mod:`jikimi.scans.launcher`) first claims it (:func:`claim_scan`); every
writing transaction of the run renews the claim and is refused when another runner has taken
it over, which happens only when the claim went unrenewed for ``CLAIM_SECONDS`` or its process
on this host is gone. A run that fails ends the scan as failed, with its reason for staff.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

from sqlalchemy import ColumnElement, column, func, or_, select, table, true, update
from sqlalchemy.orm import Session, sessionmaker

from jikimi.core.actors import Actor, ActorKind
from jikimi.core.authorization import (
    Action,
    Owned,
    ResourceType,
    load_for,
    load_owned,
    may_any,
    owning_centre,
    register_resource,
    visible_filter,
)
from jikimi.core.context import ServiceContext
from jikimi.core.database import make_read_engine, utcnow
from jikimi.core.perimeter import NetworkGuard
from jikimi.core.runtime import Runtime
from jikimi.core.text import clean_text
from jikimi.errors import Conflict, Forbidden, InvalidInput, JikimiError, NotFound
from jikimi.matching import Matcher, best_per_content, content_key
from jikimi.matching.matcher import Hit
from jikimi.matching.models import Bank, BankEntry
from jikimi.scans.analysis import ItemResult, PendingItem, analyse_batch
from jikimi.scans.models import Item, ItemMatch, ItemVersion, Scan, ScanItem, SourceRecord
from jikimi.scans.perimeter import check_source, open_source
from jikimi.scans.schemas import ScanDetail, ScanItemOut, ScanMatchOut, ScanSummary, SourceOut
from jikimi.sources import SOURCE_TYPES, ItemError, SourceItem, build_source

ENUMERATE_BATCH = 200
WRITE_BATCH = 25
CLAIM_SECONDS = 120
"""A claim not renewed for this long is abandoned: another runner may take the scan over."""
HEARTBEAT_SECONDS = 15
"""How often a runner renews its claim while it works (besides every batch it writes)."""

log = logging.getLogger("jikimi.scans")
T = TypeVar("T")


class WriteRunner(Protocol):
    """Runs a run's write transaction (``work``) and returns its result: here, by default;
    a scan process hands it to its thread at the normal CPU priority
    (:mod:`jikimi.scan_process`)."""

    def __call__(self, work: Callable[[], T]) -> T: ...


def _here(work: Callable[[], T]) -> T:
    return work()

MatchesRecordedHook = Callable[[Session, list[ItemMatch]], None]
_matches_recorded_hooks: list[MatchesRecordedHook] = []


def on_matches_recorded(hook: MatchesRecordedHook) -> None:
    """Call ``hook(session, matches)`` in the writing transaction after a scan records new
    matches for an item (the takedown capability's re-upload watch uses it)."""
    if hook not in _matches_recorded_hooks:
        _matches_recorded_hooks.append(hook)


class ScanStatus:
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ScanBusy(Conflict):
    """Another live runner holds the scan."""

    code = "scan_busy"


class ScanClaimLost(Conflict):
    """This runner's claim was taken over (it went unrenewed): it stops without writing."""

    code = "scan_claim_lost"


# --- permissions: the rule is jikimi.core.authorization's table ----------------------------
def _may_run(actor: Actor) -> None:
    if not may_any(actor, ResourceType.SOURCE, Action.WRITE):
        raise Forbidden("sources and scans are run by analysts and administrators")


def _may_read(actor: Actor) -> None:
    if not may_any(actor, ResourceType.SCAN, Action.READ):
        raise Forbidden("scan results are for analysts, investigators and administrators")


def _find_source(session: Session, key: object) -> Owned | None:
    record = session.get(SourceRecord, int(str(key))) if str(key).isdigit() else None
    return None if record is None else Owned(record, record.centre_id,
                                             label=f"source {record.id}")


def _find_scan(session: Session, key: object) -> Owned | None:
    scan = session.get(Scan, int(str(key))) if str(key).isdigit() else None
    if scan is None:
        return None
    record = session.get(SourceRecord, scan.source_id)
    assert record is not None
    return Owned(scan, record.centre_id, label=f"scan {scan.id}")


def _find_match(session: Session, key: object) -> Owned | None:
    match = session.get(ItemMatch, int(str(key))) if str(key).isdigit() else None
    return None if match is None else Owned(match, match.centre_id, label=f"match {match.id}")


register_resource(ResourceType.SOURCE, _find_source, changed_in_turn=True)  # one scan at once
register_resource(ResourceType.SCAN, _find_scan)
register_resource(ResourceType.MATCH, _find_match, changed_in_turn=True)  # decisions


# --- sources ---------------------------------------------------------------------------------
def _source_out(record: SourceRecord) -> SourceOut:
    return SourceOut(id=record.id, type=record.type, name=record.name,
                     config=json.loads(record.config), interval_minutes=record.interval_minutes,
                     next_run_at=record.next_run_at, active=record.active,
                     created_at=record.created_at)


def add_source(ctx: ServiceContext, source_type: str, name: str, config: dict[str, Any],
               *, interval_minutes: int | None = None) -> SourceOut:
    """Register a source; its configuration is validated by its source type."""
    _may_run(ctx.actor)
    if source_type not in SOURCE_TYPES:
        raise InvalidInput(f"unknown source type {source_type!r} "
                           f"(known: {', '.join(sorted(SOURCE_TYPES))})", code="bad_source_type")
    name = clean_text(name, "the source name", max_chars=200, allow_empty=False)
    if interval_minutes is not None and not 5 <= interval_minutes <= 525_600:
        raise InvalidInput("the re-scan interval is 5 minutes to a year")
    check_source(ctx.settings, source_type, config,  # import roots, refused addresses
                 ctx.actor.centre_id if ctx.actor.is_staff else None)
    source = build_source(source_type, config)
    normalised = source.to_config()
    centre_id = owning_centre(ctx)
    record = SourceRecord(centre_id=centre_id, type=source_type, name=name,
                          config=json.dumps(normalised, ensure_ascii=False),
                          interval_minutes=interval_minutes,
                          next_run_at=utcnow() if interval_minutes else None,
                          created_at=utcnow(), created_by=ctx.actor.ref)
    ctx.session.add(record)
    ctx.session.flush()
    details: dict[str, Any] = {"type": source_type, "name": name}
    if (normalised.get("http") or {}).get("respect_robots") is False:
        details["robots_override"] = True  # an explicit, audited decision
    ctx.audit("source.create", "source", record.id, centre_id=centre_id, details=details)
    return _source_out(record)


def list_sources(ctx: ServiceContext) -> list[SourceOut]:
    _may_read(ctx.actor)
    query = select(SourceRecord).where(visible_filter(
        ctx.actor, ResourceType.SOURCE, SourceRecord.centre_id)).order_by(SourceRecord.id)
    return [_source_out(r) for r in ctx.session.scalars(query)]


def get_source(ctx: ServiceContext, source_id: int, *, for_running: bool = False) -> SourceOut:
    """One source, if the actor may see it (and run scans of it, with ``for_running``)."""
    (_may_run if for_running else _may_read)(ctx.actor)
    return _source_out(_source(ctx, source_id, Action.WRITE if for_running else Action.READ))


def _source(ctx: ServiceContext, source_id: int, action: Action = Action.READ) -> SourceRecord:
    record: SourceRecord = load_for(ctx, ResourceType.SOURCE, source_id, action)
    return record


REPORTED_SOURCE_NAME = "Reported items"
_CENTRES = table("centres", column("id"))
MAX_REPORTED_URLS = 100_000


def report_url(ctx: ServiceContext, url: str, *, note: str = "") -> SourceOut:
    """An item reported by an analyst or a partner: added to the centre's "Reported items"
    source (a URL list, created on first use), which the next scan of it processes."""
    _may_run(ctx.actor)
    note = clean_text(note, "the note", max_chars=500)
    check_source(ctx.settings, "urls", {"urls": [url]}, None)  # a refused address: 422 now
    centre_id = owning_centre(ctx)
    # the centre's row locked: two reports at once add both URLs, to one source
    ctx.session.execute(select(_CENTRES.c.id).where(_CENTRES.c.id == centre_id)
                        .with_for_update())
    record = ctx.session.scalar(select(SourceRecord).where(
        SourceRecord.centre_id == centre_id, SourceRecord.type == "urls",
        SourceRecord.name == REPORTED_SOURCE_NAME).execution_options(populate_existing=True))
    urls = json.loads(record.config).get("urls", []) if record else []
    candidate = build_source("urls", {"urls": [url]}).to_config()["urls"][0]
    if candidate not in urls:
        if len(urls) >= MAX_REPORTED_URLS:
            raise Conflict("the reported-items source is full; start a new source")
        urls.append(candidate)
    config = build_source("urls", {"urls": urls}).to_config()
    if record is None:
        record = SourceRecord(centre_id=centre_id, type="urls",
                              name=REPORTED_SOURCE_NAME, created_at=utcnow(),
                              created_by=ctx.actor.ref, config="{}")
        ctx.session.add(record)
    record.config = json.dumps(config, ensure_ascii=False)
    ctx.session.flush()
    ctx.audit("source.report_url", "source", record.id, centre_id=centre_id,
              details={"url": candidate, "note": note})
    return _source_out(record)


# --- scans: start and enumerate --------------------------------------------------------------
def start_scan(ctx: ServiceContext, source_id: int, *, runner: str = "local") -> int:
    """Create a scan of a source (or return the unfinished one, to resume it)."""
    _may_run(ctx.actor)
    record = _source(ctx, source_id, Action.WRITE)
    unfinished = ctx.session.scalar(select(Scan).where(
        Scan.source_id == record.id, Scan.status == ScanStatus.RUNNING).order_by(Scan.id))
    if unfinished is not None:
        return unfinished.id
    scan = Scan(source_id=record.id, status=ScanStatus.RUNNING, runner=runner,
                started_at=utcnow(), started_by=ctx.actor.ref)
    ctx.session.add(scan)
    ctx.session.flush()
    ctx.audit("scan.start", "scan", scan.id, centre_id=record.centre_id,
              details={"source_id": record.id, "runner": runner})
    return scan.id


# --- scans: one runner each ------------------------------------------------------------------
def this_process() -> str:
    """Who a claim names: this host, this process's id and its start time (so that a process
    id used again later is not taken for the process that held the claim)."""
    return f"{socket.gethostname()}:{os.getpid()}:{_process_start(os.getpid())[1]}"


def _process_start(pid: int) -> tuple[str, str]:
    """A process's state letter and start time (clock ticks after boot) from ``/proc``, or
    ``("?", "?")`` when they cannot be read."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return "?", "?"
    return (fields[0], fields[19]) if len(fields) > 19 else ("?", "?")


def _holder_gone(holder: str | None) -> bool:
    """Whether the process a claim names is known to be gone: it ran on this host and no
    live process has its id and start time. Another host's process is never known gone (its
    claim lapses after ``CLAIM_SECONDS`` without renewal)."""
    parts = (holder or "").rsplit(":", 2)
    if len(parts) != 3 or parts[0] != socket.gethostname() or not parts[1].isdigit():
        return False
    pid, started = int(parts[1]), parts[2]
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # another user's process has that id: its start time tells
        pass
    state, now_started = _process_start(pid)
    return state in ("Z", "X") or (started != "?" and now_started not in ("?", started))


def claim_scan(runtime: Runtime, scan_id: int, holder: str | None = None) -> str | None:
    """Claim a running scan for one runner and return the claim's token; ``None`` when the
    scan is not running or another live runner holds it. Atomic: of two runners claiming at
    once, one gets it."""
    holder = (holder or this_process())[:200]
    token = secrets.token_hex(16)
    now = utcnow()
    with runtime.sessions() as session, session.begin():
        current = session.execute(select(Scan.status, Scan.claim_token, Scan.claimed_by)
                                  .where(Scan.id == scan_id)).one_or_none()
        if current is None or current.status != ScanStatus.RUNNING:
            return None
        free = or_(Scan.claim_token.is_(None), Scan.heartbeat_at.is_(None),
                   Scan.heartbeat_at < now - dt.timedelta(seconds=CLAIM_SECONDS))
        if current.claim_token is not None and _holder_gone(current.claimed_by):
            free = or_(free, Scan.claim_token == current.claim_token)
        taken = session.connection().execute(
            update(Scan).where(Scan.id == scan_id, Scan.status == ScanStatus.RUNNING, free)
            .values(claim_token=token, claimed_by=holder, heartbeat_at=now))
        if taken.rowcount == 1 and current.claim_token is not None:
            log.warning("scan %d: taken over from %s", scan_id, current.claimed_by)
    return token if taken.rowcount == 1 else None


def _hold(session: Session, scan_id: int, claim: str | None,
          **values: Any) -> None:
    """Renew the claim inside a writing transaction (setting ``values`` too); raises
    :class:`ScanClaimLost` when another runner holds the scan now, so that nothing of this
    transaction is written. Without a claim (a caller that runs the steps itself), only the
    heartbeat is set."""
    where = [Scan.id == scan_id]
    if claim is not None:
        where += [Scan.claim_token == claim, Scan.status == ScanStatus.RUNNING]
    done = session.connection().execute(update(Scan).where(*where)
                                        .values(heartbeat_at=utcnow(), **values))
    if claim is not None and done.rowcount != 1:
        raise ScanClaimLost(f"scan {scan_id} is run by another runner now")


def adopt_claim(runtime: Runtime, scan_id: int, claim: str) -> bool:
    """Take over a claim made for this process (a door claims a scan, then starts the process
    that runs it): the claim names this process from now on. False if the claim is gone."""
    try:
        with runtime.sessions() as session, session.begin():
            _hold(session, scan_id, claim, claimed_by=this_process()[:200])
    except ScanClaimLost:
        return False
    return True


def renew_claim(runtime: Runtime, scan_id: int, claim: str) -> bool:
    """Renew a claim (a runner does it every ``HEARTBEAT_SECONDS``); False if it is lost."""
    try:
        with runtime.sessions() as session, session.begin():
            _hold(session, scan_id, claim)
    except ScanClaimLost:
        return False
    return True


def release_claim(runtime: Runtime, scan_id: int, claim: str) -> None:
    """Give a claim up, leaving the scan running and resumable (an interrupted runner)."""
    with runtime.sessions() as session, session.begin():
        session.execute(update(Scan).where(Scan.id == scan_id, Scan.claim_token == claim)
                        .values(claim_token=None))


def fail_scan(runtime: Runtime, scan_id: int, reason: str, *, claim: str | None = None
              ) -> bool:
    """End a running scan as failed with ``reason`` (shown to staff with the scan); with
    ``claim``, only while that claim holds it. Returns whether the scan was ended."""
    where = [Scan.id == scan_id, Scan.status == ScanStatus.RUNNING]
    if claim is not None:
        where.append(Scan.claim_token == claim)
    with runtime.sessions() as session, session.begin():
        done = session.connection().execute(update(Scan).where(*where).values(
            status=ScanStatus.FAILED, error=reason[:2000], finished_at=utcnow(),
            claim_token=None))
        if done.rowcount == 1:  # a re-scanned source tries again at its next interval
            source = session.scalar(select(SourceRecord).join(
                Scan, Scan.source_id == SourceRecord.id).where(Scan.id == scan_id))
            if source is not None and source.interval_minutes:
                source.next_run_at = utcnow() + dt.timedelta(minutes=source.interval_minutes)
    return done.rowcount == 1


def failure_reason(exc: BaseException) -> str:
    """What staff read when a run fails: a jikimi error's message, else the exception."""
    if isinstance(exc, JikimiError):
        return f"{exc.message} ({exc.code})"
    return f"{type(exc).__name__}: {exc}"


@contextmanager
def keeping_claim(runtime: Runtime, scan_id: int, claim: str,
                  run_write: WriteRunner = _here) -> Iterator[None]:
    """Renew ``claim`` every ``HEARTBEAT_SECONDS`` on a thread while the body runs (a slow
    fetch or a long enumeration writes nothing for a while)."""
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(HEARTBEAT_SECONDS):
            try:
                if not run_write(lambda: renew_claim(runtime, scan_id, claim)):
                    return  # the next write of the run stops it
            except Exception:  # a database hiccup: the next beat or batch renews it
                log.warning("scan %d: the claim could not be renewed", scan_id, exc_info=True)

    thread = threading.Thread(target=beat, name=f"scan-{scan_id}-claim", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def run_claimed_scan(runtime: Runtime, matcher: Matcher, scan_id: int, claim: str, *,
                     executor: ItemExecutor | None = None,
                     on_progress: Callable[[ScanProgress], None] | None = None,
                     run_write: WriteRunner = _here) -> ScanSummary:
    """Run a claimed scan to its end: enumerate, process, finish. An error ends the scan as
    failed with its reason; an interruption (Ctrl-C, SIGTERM) gives the claim up so that the
    scan can be resumed; a lost claim stops the run and leaves the scan to its new runner."""
    try:
        with keeping_claim(runtime, scan_id, claim, run_write):
            enumerate_scan(runtime, scan_id, claim=claim, run_write=run_write)
            return process_scan(runtime, matcher, scan_id, executor=executor,
                                on_progress=on_progress, claim=claim, run_write=run_write)
    except ScanClaimLost:
        raise
    except Exception as exc:
        try:
            fail_scan(runtime, scan_id, failure_reason(exc), claim=claim)
        except Exception:
            log.exception("scan %d: the failure could not be recorded", scan_id)
        raise
    except BaseException:
        try:
            release_claim(runtime, scan_id, claim)
        except Exception:
            log.exception("scan %d: the claim could not be given up", scan_id)
        raise


def resume_scan(runtime: Runtime, matcher: Matcher, scan_id: int, *,
                executor: ItemExecutor | None = None) -> ScanSummary | None:
    """Run an unfinished scan to its end if no live runner holds it (``jikimi worker``);
    ``None`` when another runner has it."""
    claim = claim_scan(runtime, scan_id)
    if claim is None:
        return None
    return run_claimed_scan(runtime, matcher, scan_id, claim, executor=executor)


def _busy(runtime: Runtime, scan_id: int) -> ScanBusy:
    with runtime.sessions() as session:
        holder = session.scalar(select(Scan.claimed_by).where(Scan.id == scan_id)) or "?"
    host, _, rest = holder.partition(":")
    return ScanBusy(f"scan {scan_id} is being run by process {rest.split(':')[0]} on {host}; "
                    "it goes on without you (see `jikimi scans show`)", scan_id=scan_id)


def _insert_items(session: Session, scan_id: int,
                  entries: Sequence[SourceItem | ItemError]) -> None:
    keys = [e.key for e in entries]
    existing = set(session.scalars(select(ScanItem.item_key).where(
        ScanItem.scan_id == scan_id, ScanItem.item_key.in_(keys))))
    now = utcnow()
    for entry in entries:
        if entry.key in existing:
            continue
        existing.add(entry.key)
        if isinstance(entry, ItemError):
            session.add(ScanItem(scan_id=scan_id, item_key=entry.key[:2000],
                                 locator=entry.locator, status="error",
                                 error_code=entry.code[:40], error_reason=entry.reason[:2000],
                                 processed_at=now))
        else:
            session.add(ScanItem(scan_id=scan_id, item_key=entry.key[:2000],
                                 locator=entry.locator, kind_hint=entry.kind_hint,
                                 context=json.dumps(dict(entry.context), ensure_ascii=False,
                                                    default=str),
                                 status="pending"))


def enumerate_scan(runtime: Runtime, scan_id: int, *, claim: str | None = None,
                   run_write: WriteRunner = _here) -> None:
    """Enumerate the source into scan items (idempotent; repeated after a crash). With
    ``claim``, every write checks that this runner still holds the scan."""
    with runtime.sessions() as session:
        scan = session.get(Scan, scan_id)
        if scan is None:
            raise NotFound(f"no scan {scan_id}")
        if scan.enumerated:
            return
        record = session.get(SourceRecord, scan.source_id)
        assert record is not None
        source = open_source(runtime.settings, record.type, json.loads(record.config),
                             record.centre_id)
    batch: list[SourceItem | ItemError] = []

    def insert(entries: list[SourceItem | ItemError], **values: Any) -> None:
        with runtime.sessions() as session, session.begin():
            if entries:
                _insert_items(session, scan_id, entries)
            _hold(session, scan_id, claim, **values)

    for entry in source.enumerate():
        batch.append(entry)
        if len(batch) >= ENUMERATE_BATCH:
            run_write(functools.partial(insert, batch))
            batch = []
    run_write(lambda: insert(batch, enumerated=True))


# --- scans: process and write back -----------------------------------------------------------
class ItemExecutor(Protocol):
    """Runs :func:`analyse_batch` somewhere: in this process, or on a Ray cluster."""

    def run(self, source_type: str, source_config: dict[str, Any],
            batches: Iterable[list[PendingItem]], matcher: Matcher) -> Iterator[ItemResult]: ...


class LocalExecutor:
    def __init__(self, guard: NetworkGuard | None = None) -> None:
        self.guard = guard

    def run(self, source_type: str, source_config: dict[str, Any],
            batches: Iterable[list[PendingItem]], matcher: Matcher) -> Iterator[ItemResult]:
        for batch in batches:
            yield from analyse_batch(source_type, source_config, batch, matcher,
                                     guard=self.guard)


@contextmanager
def _reads(runtime: Runtime) -> Iterator[sessionmaker[Session]]:
    """Sessions for a run's reads (the pending items, the counts, the hits' entries). On
    SQLite they never take the write lock, which the runtime's sessions take at BEGIN
    (IMMEDIATE): a read-only connection whose statements each read what is committed. On
    PostgreSQL reads take no lock: the runtime's sessions."""
    url = runtime.settings.sqlalchemy_url
    if not url.startswith("sqlite"):
        yield runtime.sessions
        return
    engine = make_read_engine(url)
    try:
        yield sessionmaker(bind=engine, expire_on_commit=False)
    finally:
        engine.dispose()


def load_matcher(runtime: Runtime) -> Matcher:
    """The matcher a scan process uses: the index snapshot mapped (the worker writes it),
    brought up to date from the database with reads that do not take SQLite's write lock."""
    with _reads(runtime) as reads, reads() as session:
        return Matcher.load(runtime.settings.resolved_data_dir / "index", session,
                            runtime.keys, mmap=True)


def _pending_batches(reads: sessionmaker[Session], scan_id: int, size: int
                     ) -> Iterator[list[PendingItem]]:
    last_id = 0
    while True:
        with reads() as session:
            rows = session.scalars(select(ScanItem).where(
                ScanItem.scan_id == scan_id, ScanItem.status == "pending",
                ScanItem.id > last_id).order_by(ScanItem.id).limit(size)).all()
        if not rows:
            return
        last_id = rows[-1].id
        yield [PendingItem(r.id, r.item_key, r.locator, r.kind_hint, json.loads(r.context))
               for r in rows]


def _write_results(session: Session, scan_id: int, source_id: int, source_centre: int,
                   results: Sequence[ItemResult], hits: Sequence[list[Hit]]) -> int:
    """Write a batch of items' outcomes (``hits``: each item's candidates, resolved before the
    writing transaction began); returns how many new matches they produced. Idempotent.

    A batch is a handful of statements whatever its size (its scan items, items, versions and
    known matches each read in one query, the new rows of each kind inserted in one flush):
    on SQLite this transaction holds the database's one write lock (issue 16)."""
    rows = {row.id: row for row in session.scalars(select(ScanItem).where(
        ScanItem.id.in_([r.scan_item_id for r in results])))}
    now = utcnow()
    todo: list[tuple[ItemResult, list[Hit], ScanItem]] = []
    for result, found in zip(results, hits, strict=True):
        row = rows.get(result.scan_item_id)
        if row is None or row.status != "pending":
            continue
        row.processed_at = now
        if not result.ok:
            row.status = "error"
            row.error_code = (result.error_code or "error")[:40]
            row.error_reason = result.error_reason
            continue
        assert result.sha256 is not None and result.kind is not None
        todo.append((result, found, row))
    if not todo:
        return 0
    keys = [row.item_key for _, _, row in todo]
    items = {item.item_key: item for item in session.scalars(select(Item).where(
        Item.source_id == source_id, Item.item_key.in_(keys)))}
    new_items = []
    for _, _, row in todo:
        if row.item_key not in items:
            items[row.item_key] = Item(source_id=source_id, item_key=row.item_key,
                                       locator=row.locator, context=row.context,
                                       first_seen=now, last_seen=now)
            new_items.append(items[row.item_key])
    if new_items:
        session.add_all(new_items)
        session.flush()
    wanted = {(items[row.item_key].id, result.sha256) for result, _, row in todo}
    versions = {(v.item_id, v.sha256): v for v in session.scalars(select(ItemVersion).where(
        ItemVersion.item_id.in_({item_id for item_id, _ in wanted}),
        ItemVersion.sha256.in_({sha for _, sha in wanted})))
        if (v.item_id, v.sha256) in wanted}
    new_versions = []
    for result, _, row in todo:
        item, sha256 = items[row.item_key], result.sha256 or ""
        if (item.id, sha256) not in versions:
            version = ItemVersion(item_id=item.id, sha256=sha256, kind=result.kind,
                                  fingerprints=json.dumps(result.fingerprints),
                                  first_seen=now, last_seen=now)
            versions[(item.id, sha256)] = version
            new_versions.append(version)
    if new_versions:
        session.add_all(new_versions)
        session.flush()
    # One match per registered content (all its variants and hash types share a content id):
    # the analyst reviews "this item is that picture", not each variant that matched.
    version_ids = {v.id for v in versions.values()}
    known: dict[int, set[tuple[int, str]]] = {}
    if any(found for _, found, _ in todo):
        for version_id, bank_id, content_id, entry_id in session.execute(
                select(ItemMatch.item_version_id, ItemMatch.bank_id, BankEntry.content_id,
                       ItemMatch.entry_id)
                .join(BankEntry, BankEntry.id == ItemMatch.entry_id)
                .where(ItemMatch.item_version_id.in_(version_ids))):
            known.setdefault(version_id, set()).add((bank_id, content_key(content_id,
                                                                          entry_id)))
    recorded_per_item: list[list[ItemMatch]] = []
    for result, found, row in todo:
        item = items[row.item_key]
        assert result.sha256 is not None
        version = versions[(item.id, result.sha256)]
        item.last_seen = now
        item.context = row.context
        version.last_seen = now
        item.current_version_id = version.id
        row.item_version_id = version.id
        row.status = "done"
        seen = known.get(version.id, set())
        suppressed = any(h.bank.negative for h in found)
        best = [] if suppressed else [
            hit for hit in best_per_content(found, per_signal_type=False)
            if (hit.bank.id, content_key(hit.content_id, hit.entry_id)) not in seen]
        recorded = [ItemMatch(item_version_id=version.id, entry_id=hit.entry_id,
                              bank_id=hit.bank.id, case_code=hit.bank.case_code,
                              signal_type=hit.signal_type, distance=hit.distance,
                              variant=hit.query_variant, entry_variant=hit.entry_variant,
                              reliable=hit.reliable, scan_id=scan_id, created_at=now,
                              centre_id=match_centre(hit.bank.case_id, hit.bank.centre_id,
                                                     source_centre))
                    for hit in best]
        if recorded:
            recorded_per_item.append(recorded)
    every = [match for recorded in recorded_per_item for match in recorded]
    if every:
        session.add_all(every)
        session.flush()
        for recorded in recorded_per_item:  # each item's new matches, as they were found
            for hook in _matches_recorded_hooks:
                hook(session, recorded)
    return len(every)


@dataclass
class ScanProgress:
    done: int = 0
    total: int = 0
    matched: int = 0


def process_scan(runtime: Runtime, matcher: Matcher, scan_id: int, *,
                 executor: ItemExecutor | None = None, batch_size: int = WRITE_BATCH,
                 on_progress: Callable[[ScanProgress], None] | None = None,
                 claim: str | None = None, run_write: WriteRunner = _here) -> ScanSummary:
    """Process every pending item of a scan and finish it. Safe to call again after a crash.

    Results are written ``batch_size`` items per transaction; the hits are resolved (read)
    before it begins, so that a batch holds SQLite's one write lock only while it writes.
    With ``claim``, every batch checks that this runner still holds the scan."""
    executor = executor or LocalExecutor(NetworkGuard.from_settings(runtime.settings))
    with _reads(runtime) as reads:
        return _process(runtime, reads, matcher, scan_id, executor, batch_size, on_progress,
                        claim, run_write)


def _process(runtime: Runtime, reads: sessionmaker[Session], matcher: Matcher, scan_id: int,
             executor: ItemExecutor, batch_size: int,
             on_progress: Callable[[ScanProgress], None] | None, claim: str | None,
             run_write: WriteRunner) -> ScanSummary:
    with reads() as session:
        scan = session.get(Scan, scan_id)
        if scan is None:
            raise NotFound(f"no scan {scan_id}")
        if scan.status != ScanStatus.RUNNING:
            raise Conflict(f"scan {scan_id} is {scan.status}, not running")
        record = session.get(SourceRecord, scan.source_id)
        assert record is not None
        source_type, config = record.type, json.loads(record.config)
        matcher.sync(session)
        progress = ScanProgress(
            done=session.scalar(select(func.count()).select_from(ScanItem).where(
                ScanItem.scan_id == scan_id, ScanItem.status != "pending")) or 0,
            total=session.scalar(select(func.count()).select_from(ScanItem).where(
                ScanItem.scan_id == scan_id)) or 0)
    pending: list[ItemResult] = []

    def flush() -> None:
        if not pending:
            return
        with reads() as session:  # the reads, before the writing transaction
            hits = [matcher.resolve(session, r.candidates) if r.ok else [] for r in pending]

        def write() -> int:
            with runtime.sessions() as session, session.begin():
                matched = _write_results(session, scan_id, record.id, record.centre_id,
                                         pending, hits)
                _hold(session, scan_id, claim)
            return matched

        progress.matched += run_write(write)
        progress.done += len(pending)
        pending.clear()
        if on_progress:
            on_progress(progress)

    batches = _pending_batches(reads, scan_id, batch_size)
    for result in executor.run(source_type, config, batches, matcher):
        pending.append(result)
        if len(pending) >= batch_size:
            flush()
    flush()

    def finish() -> None:
        with runtime.sessions() as session, session.begin():
            _hold(session, scan_id, claim, status=ScanStatus.DONE, finished_at=utcnow(),
                  claim_token=None)
            if record.interval_minutes:
                source_row = session.get(SourceRecord, record.id)
                assert source_row is not None
                source_row.next_run_at = utcnow() + dt.timedelta(
                    minutes=record.interval_minutes)

    run_write(finish)
    return summary(runtime, scan_id)


def run_scan(runtime: Runtime, actor: Actor, matcher: Matcher, source_id: int, *,
             executor: ItemExecutor | None = None, runner: str = "local",
             on_progress: Callable[[ScanProgress], None] | None = None) -> ScanSummary:
    """Start (or resume) a scan of a source and run it to the end in this process; raises
    :class:`ScanBusy` when another live runner is running it."""
    with runtime.context(actor) as ctx:
        scan_id = start_scan(ctx, source_id, runner=runner)
    claim = claim_scan(runtime, scan_id)
    if claim is None:
        raise _busy(runtime, scan_id)
    return run_claimed_scan(runtime, matcher, scan_id, claim, executor=executor,
                            on_progress=on_progress)


# --- reading results -------------------------------------------------------------------------
def summary(runtime: Runtime, scan_id: int) -> ScanSummary:
    with runtime.sessions() as session:
        scan = session.get(Scan, scan_id)
        if scan is None:
            raise NotFound(f"no scan {scan_id}")
        return _summary(session, scan)


def _summary(session: Session, scan: Scan) -> ScanSummary:
    counts = dict(session.execute(select(ScanItem.status, func.count()).where(
        ScanItem.scan_id == scan.id).group_by(ScanItem.status)).all())
    matched = session.scalar(select(func.count(func.distinct(ScanItem.id))).join(
        ItemMatch, ItemMatch.item_version_id == ScanItem.item_version_id).where(
        ScanItem.scan_id == scan.id)) or 0
    return ScanSummary(scan_id=scan.id, source_id=scan.source_id, status=scan.status,
                       runner=scan.runner, items=sum(counts.values()),
                       pending=counts.get("pending", 0), matched=matched,
                       errors=counts.get("error", 0), started_at=scan.started_at,
                       finished_at=scan.finished_at, error=scan.error)


def show_scan(ctx: ServiceContext, scan_id: int, *, limit: int = 10_000) -> ScanDetail:
    """A scan's items with their errors and matches."""
    _may_read(ctx.actor)
    owned = load_owned(ctx, ResourceType.SCAN, scan_id, Action.READ)
    scan: Scan = owned.record
    items = []
    for row in ctx.session.scalars(select(ScanItem).where(ScanItem.scan_id == scan.id)
                                   .order_by(ScanItem.id).limit(limit)):
        matches = []
        if row.item_version_id is not None:
            for m, bank_name in ctx.session.execute(
                    select(ItemMatch, Bank.name).join(Bank, Bank.id == ItemMatch.bank_id)
                    .where(ItemMatch.item_version_id == row.item_version_id,
                           _own_matches(ctx.actor))
                    .order_by(ItemMatch.distance, ItemMatch.entry_id)):
                matches.append(ScanMatchOut(
                    match_id=m.id, bank=bank_name, entry_id=m.entry_id,
                    signal_type=m.signal_type, distance=m.distance, variant=m.variant,
                    entry_variant=m.entry_variant, case_code=m.case_code, reliable=m.reliable))
        items.append(ScanItemOut(key=row.item_key, locator=row.locator, status=row.status,
                                 error_code=row.error_code, error_reason=row.error_reason,
                                 context=json.loads(row.context), matches=matches))
    ctx.audit("scan.read", "scan", scan.id, centre_id=owned.centre_id)
    return ScanDetail(summary=_summary(ctx.session, scan), items=items)


def match_centre(case_id: int | None, bank_centre_id: int, source_centre_id: int) -> int:
    """Who owns a new match: the matched case bank's centre (whatever source found it), else
    the centre of the source that found it."""
    return bank_centre_id if case_id is not None else source_centre_id


def _own_matches(actor: Actor) -> ColumnElement[bool]:
    """A scan's readers see the matches their centre owns (another centre's case stays
    hidden, even when this centre's source found it)."""
    if actor.kind is ActorKind.SYSTEM:
        return true()
    return ItemMatch.centre_id == actor.centre_id


def list_scans(ctx: ServiceContext, source_id: int | None = None) -> list[ScanSummary]:
    _may_read(ctx.actor)
    query = select(Scan).order_by(Scan.id.desc()).limit(200)
    if source_id is not None:
        query = query.where(Scan.source_id == source_id)
    visible = {s.id for s in list_sources(ctx)}
    return [_summary(ctx.session, s) for s in ctx.session.scalars(query)
            if s.source_id in visible]


def due_sources(session: Session, now: dt.datetime | None = None) -> list[int]:
    """Sources whose re-scan interval has come round."""
    now = now or utcnow()
    return list(session.scalars(select(SourceRecord.id).where(
        SourceRecord.active.is_(True), SourceRecord.next_run_at.is_not(None),
        SourceRecord.next_run_at <= now).order_by(SourceRecord.next_run_at)))


def unfinished_scans(session: Session) -> list[int]:
    return list(session.scalars(select(Scan.id).where(Scan.status == ScanStatus.RUNNING)
                                .order_by(Scan.id)))


