"""Inbound: a bank subscribes to an external exchange through python-threatexchange's
``SignalExchangeAPI`` implementations (a local file, StopNCII, NCMEC, ThreatExchange), so that
the centre's scans also match what other hotlines already know.

Fetching is incremental: the exchange's own checkpoint is stored after every delta, and the
next fetch resumes from it. Each update record of the exchange (its own key) becomes the bank
entries of one content id, so an update replaces them and a deletion removes them. Exchanges
without a checkpoint (the local file) return their whole state each time: records missing
from it are removed. Records the exchange marks as false positives are not added.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import hashlib
import importlib
import json
import re
import typing
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func, select

from jikimi.core.actors import Actor, ActorKind, Role
from jikimi.core.authorization import Action, ResourceType, visible_filter
from jikimi.core.config import Settings
from jikimi.core.context import ServiceContext
from jikimi.core.database import utcnow
from jikimi.core.perimeter import check_local_path, import_roots, upload_root
from jikimi.core.runtime import Runtime
from jikimi.core.text import clean_text
from jikimi.errors import Conflict, Forbidden, InvalidInput, JikimiError, NotFound
from jikimi.matching import Bank, BankEntry, NewEntry, add_entries, load_bank, remove_entry
from jikimi.matching import signal_type as jikimi_signal
from jikimi.partners.models import Subscription

EXCHANGES: dict[str, str] = {
    "local_file": "threatexchange.exchanges.impl.file_api:LocalFileSignalExchangeAPI",
    # with deletions applied (see _fixed_stopncii)
    "stopncii": "threatexchange.exchanges.impl.stop_ncii_api:StopNCIISignalExchangeAPI",
    "ncmec": "threatexchange.exchanges.impl.ncmec_api:NCMECSignalExchangeAPI",
    "fb_threatexchange":
        "threatexchange.exchanges.impl.fb_threatexchange_api:FBThreatExchangeSignalExchangeAPI",
}
TX_TO_JIKIMI = {"pdq": "pdq", "vpdq": "vpdq", "video_md5": "md5", "video_sha256": "sha256"}
JIKIMI_TO_TX = {v: k for k, v in TX_TO_JIKIMI.items()}
MAX_ERROR_CHARS = 500


class SubscriptionOut(BaseModel):
    name: str
    bank: str
    exchange: str
    config: dict[str, Any]
    has_credentials: bool
    checkpoint: dict[str, Any] | None
    last_fetch_at: dt.datetime | None
    last_error: str
    fetched_records: int
    entries: int


def tx_signal_types() -> list[Any]:
    """python-threatexchange's signal types that jikimi can hold."""
    from threatexchange.extensions.vpdq.vpdq import VPDQSignal
    from threatexchange.signal_type.md5 import VideoMD5Signal
    from threatexchange.signal_type.pdq.signal import PdqSignal
    from threatexchange.signal_type.sha256 import VideoSHA256Signal

    return [PdqSignal, VPDQSignal, VideoMD5Signal, VideoSHA256Signal]


def vpdq_from_tx(value: str) -> str:
    """python-threatexchange's vPDQ (JSON list of "pdq,quality,timestamp") as jikimi's."""
    try:
        features = json.loads(value)
        frames = []
        for number, feature in enumerate(features):
            pdq, quality, timestamp = str(feature).split(",")
            frames.append([number, float(timestamp), int(quality), pdq])
    except (ValueError, TypeError) as exc:
        raise InvalidInput("not a python-threatexchange vPDQ value", code="bad_hash") from exc
    return jikimi_signal("vpdq").normalise(json.dumps(frames))


def vpdq_to_tx(value: str) -> str:
    """jikimi's vPDQ value in python-threatexchange's serialisation."""
    frames = json.loads(value)
    return json.dumps([f"{pdq},{quality},{timestamp:.3f}"
                       for _frame, timestamp, quality, pdq in frames])


def to_jikimi(tx_type: str, value: str) -> tuple[str, str]:
    """A python-threatexchange (signal type, value) as jikimi's; InvalidInput if unknown."""
    name = TX_TO_JIKIMI.get(tx_type)
    if name is None:
        raise InvalidInput(f"jikimi has no signal type for {tx_type!r} (known: "
                           f"{', '.join(TX_TO_JIKIMI)})", code="bad_signal_type")
    if name == "vpdq":
        return name, vpdq_from_tx(value)
    return name, jikimi_signal(name).normalise(value)


def to_tx(signal: str, value: str) -> tuple[str, str]:
    """A jikimi (signal type, value) as python-threatexchange's."""
    name = JIKIMI_TO_TX.get(signal)
    if name is None:
        raise InvalidInput(f"python-threatexchange has no signal type for {signal!r}",
                           code="bad_signal_type")
    return name, (vpdq_to_tx(value) if signal == "vpdq" else value)


def _fixed_stopncii() -> type[Any]:
    from threatexchange.exchanges import fetch_state
    from threatexchange.exchanges.clients.stopncii import api
    from threatexchange.exchanges.impl import stop_ncii_api

    class StopNCIISignalExchangeAPI(stop_ncii_api.StopNCIISignalExchangeAPI):
        """StopNCII with deletions: threatexchange 1.2's ``_get_delta_mapping`` compares the
        hash value (not its status) with Withdrawn/Deleted, so it never deletes."""

        def fetch_iter(self, _supported: Any, checkpoint: Any) -> Iterator[Any]:
            start = api.StopNCIIAPI.DEFAULT_START_TIME
            if checkpoint is not None:
                start = checkpoint.update_time
            mapping = stop_ncii_api._type_mapping()
            gone = (api.StopNCIICaseStatus.Withdrawn, api.StopNCIICaseStatus.Deleted)
            for result in self.api.fetch_hashes_iter(start_timestamp=start):
                updates: dict[tuple[str, str], Any] = {}
                for record in result.hashRecords:
                    name = mapping.get(record.signalType)
                    if name:
                        updates[(name, record.hashValue)] = (
                            None if record.hashStatus in gone
                            else stop_ncii_api.StopNCIISignalMetadata(record.CSPFeedbacks))
                yield fetch_state.FetchDelta(
                    updates, stop_ncii_api.StopNCIICheckpoint.from_stopncii_fetch(result))

    return StopNCIISignalExchangeAPI


def exchange_class(kind: str) -> type[Any]:
    if kind not in EXCHANGES:
        raise InvalidInput(f"unknown exchange {kind!r} (known: {', '.join(EXCHANGES)})",
                           code="bad_exchange")
    if kind == "stopncii":
        return _fixed_stopncii()
    module, _, name = EXCHANGES[kind].partition(":")
    cls: type[Any] = getattr(importlib.import_module(module), name)
    return cls


def _may_subscribe(ctx: ServiceContext) -> None:
    if ctx.actor.kind is ActorKind.SYSTEM or ctx.actor.has_role(
            Role.ANALYST, Role.ADMIN, Role.CENTRAL_ADMIN):
        return
    raise Forbidden("subscriptions are managed by analysts and administrators")


def _collab(cls: type[Any], name: str, config: dict[str, Any]) -> Any:
    """The exchange's collaboration settings from JSON (enums by name or value, sets from
    lists), checked by the exchange's own dataclass."""
    import dacite

    config_cls = cls.get_config_cls()
    fields = {f.name for f in dataclasses.fields(config_cls) if f.init} - {
        "name", "api", "enabled"}
    unknown = sorted(set(config) - fields)
    if unknown:
        raise InvalidInput(f"unknown settings {unknown} for this exchange (it takes: "
                           f"{', '.join(sorted(fields)) or 'none'})", code="bad_exchange_config")
    data = dict(config)
    for field_name, kind in typing.get_type_hints(config_cls).items():
        if isinstance(kind, type) and issubclass(kind, enum.Enum) \
                and isinstance(data.get(field_name), str) and data[field_name] in kind.__members__:
            data[field_name] = kind[data[field_name]].value
    data.update(name=name, api=cls.get_name(), enabled=True)
    try:
        return dacite.from_dict(config_cls, data, config=dacite.Config(cast=[enum.Enum, set]))
    except (dacite.DaciteError, ValueError, TypeError) as exc:
        raise InvalidInput(f"the exchange settings do not fit: {exc}",
                           code="bad_exchange_config") from exc


def _credentials_context(name: str) -> str:
    return f"partner-subscription:{name}"


def _out(ctx: ServiceContext, sub: Subscription) -> SubscriptionOut:
    from jikimi.matching import Bank

    bank = ctx.session.get(Bank, sub.bank_id)
    assert bank is not None
    entries = ctx.session.scalar(select(func.count()).select_from(BankEntry).where(
        BankEntry.bank_id == sub.bank_id, BankEntry.content_id.like("tx:%"),
        BankEntry.removed_at.is_(None))) or 0
    return SubscriptionOut(name=sub.name, bank=bank.name, exchange=sub.exchange,
                           config=json.loads(sub.config),
                           has_credentials=sub.credentials_enc is not None,
                           checkpoint=json.loads(sub.checkpoint) if sub.checkpoint else None,
                           last_fetch_at=sub.last_fetch_at, last_error=sub.last_error,
                           fetched_records=sub.fetched_records, entries=entries)


def _check_local_file(settings: Settings, kind: str, config: dict[str, Any],
                      centre_id: int | None) -> None:
    """The ``local_file`` exchange reads a file on the server: only under the import roots,
    like archive sources (:mod:`jikimi.core.perimeter`)."""
    filename = config.get("filename") if isinstance(config, dict) else None
    if kind == "local_file" and isinstance(filename, str):
        check_local_path(filename, import_roots(settings), centre_id=centre_id,
                         upload_area=upload_root(settings))


def subscribe(ctx: ServiceContext, name: str, bank_name: str, kind: str,
              config: dict[str, Any], credentials: dict[str, Any] | None = None
              ) -> SubscriptionOut:
    """Subscribe a (non-case) bank to an exchange; credentials are stored encrypted."""
    _may_subscribe(ctx)
    name = clean_text(name, "the subscription name", max_chars=120, allow_empty=False)
    if not re.match(r"^[A-Za-z0-9가-힣][A-Za-z0-9가-힣_.\- ]{0,119}$", name):
        raise InvalidInput("subscription names use letters, digits, spaces, '_', '.', '-'")
    bank = load_bank(ctx, bank_name, Action.WRITE)
    if bank.case_id is not None:
        raise InvalidInput("a case's bank cannot subscribe to an exchange (its entries would "
                           "be shared as the victim's)", code="case_bank")
    if bank.negative:
        raise InvalidInput("subscribe a positive bank, not a negative one")
    if ctx.session.scalar(select(Subscription).where(Subscription.name == name)):
        raise Conflict(f"a subscription named {name!r} already exists")
    cls = exchange_class(kind)
    _collab(cls, name, config)
    _check_local_file(ctx.settings, kind, config,
                      ctx.actor.centre_id if ctx.actor.is_staff else None)
    sealed = None
    if credentials:
        cred_cls = getattr(cls, "get_credential_cls", None)
        if cred_cls is None:
            raise InvalidInput("this exchange takes no credentials")
        try:
            cred_cls()(**credentials)
        except TypeError as exc:
            raise InvalidInput(f"the credentials do not fit this exchange: {exc}",
                               code="bad_exchange_config") from exc
        sealed = ctx.keys.encrypt(json.dumps(credentials).encode(),
                                  context=_credentials_context(name))
    sub = Subscription(name=name, bank_id=bank.id, exchange=kind,
                       config=json.dumps(config, sort_keys=True), credentials_enc=sealed,
                       created_at=utcnow(), created_by=ctx.actor.ref)
    ctx.session.add(sub)
    ctx.session.flush()
    ctx.audit("partner.subscribe", "bank", bank.id,
              details={"subscription": name, "exchange": kind})
    return _out(ctx, sub)


def list_subscriptions(ctx: ServiceContext) -> list[SubscriptionOut]:
    """The subscriptions of the banks the actor may read."""
    _may_subscribe(ctx)
    return [_out(ctx, s) for s in ctx.session.scalars(
        select(Subscription).join(Bank, Bank.id == Subscription.bank_id)
        .where(visible_filter(ctx.actor, ResourceType.BANK, Bank.centre_id, Bank.national))
        .order_by(Subscription.name))]


def _subscription(ctx: ServiceContext, name: str) -> Subscription:
    sub = ctx.session.scalar(select(Subscription).where(Subscription.name == name[:120]))
    if sub is None:
        raise NotFound(f"no subscription {name!r}")
    load_bank(ctx, sub.bank_id, Action.WRITE)  # its bank's centre (404 for another's)
    return sub


def _content_id(key: Any) -> str:
    return "tx:" + hashlib.sha256(json.dumps(key, default=str).encode()).hexdigest()[:60]


class _Merge:
    """Applies an exchange's deltas to the subscribed bank, one transaction per delta."""

    def __init__(self, sub_id: int, bank_id: int, bank: str, label: str, cls: type[Any],
                 collab: Any) -> None:
        from threatexchange.exchanges.fetch_state import SignalOpinionCategory

        self.sub_id, self.bank_id, self.bank, self.label = sub_id, bank_id, bank, label
        self.cls, self.collab = cls, collab
        self.types = tx_signal_types()
        self.negative = SignalOpinionCategory.NEGATIVE_CLASS
        self.seen: set[str] = set()
        self.added = self.removed = self.skipped = 0

    def _desired(self, key: Any, value: Any) -> set[tuple[str, str]]:
        if value is None:
            return set()
        try:
            if value.get_as_aggregate_opinion().category == self.negative:
                return set()  # the exchange says it is a false positive
        except (AttributeError, AssertionError):
            pass
        converted = self.cls.naive_convert_to_signal_type(self.types, self.collab,
                                                          {key: value})
        wanted: set[tuple[str, str]] = set()
        for tx_type, signals in converted.items():
            for signal in signals:
                try:
                    wanted.add(to_jikimi(tx_type.get_name(), signal))
                except InvalidInput:
                    self.skipped += 1
        return wanted

    def apply(self, ctx: ServiceContext, updates: dict[Any, Any]) -> None:
        new: list[NewEntry] = []
        for key, value in updates.items():
            content_id = _content_id(key)
            self.seen.add(content_id)
            self._replace(ctx, content_id, self._desired(key, value), new)
        if new:
            self.added += add_entries(ctx, self.bank, new).added

    def _replace(self, ctx: ServiceContext, content_id: str, wanted: set[tuple[str, str]],
                 new: list[NewEntry]) -> None:
        have = {}
        for entry in ctx.session.scalars(select(BankEntry).where(
                BankEntry.bank_id == self.bank_id, BankEntry.content_id == content_id,
                BankEntry.removed_at.is_(None))):
            have[(entry.signal_type, entry.value)] = entry.id
        for pair, entry_id in have.items():
            if pair not in wanted:
                remove_entry(ctx, entry_id)
                self.removed += 1
        for signal, value in sorted(wanted - set(have)):
            new.append(NewEntry(signal, value, None, "original", content_id, self.label))

    def drop_unseen(self, ctx: ServiceContext) -> None:
        """For exchanges that return their whole state: remove what is no longer in it."""
        for entry_id, content_id in ctx.session.execute(select(
                BankEntry.id, BankEntry.content_id).where(
                BankEntry.bank_id == self.bank_id, BankEntry.content_id.like("tx:%"),
                BankEntry.removed_at.is_(None))).all():
            if content_id not in self.seen:
                remove_entry(ctx, entry_id)
                self.removed += 1


def _client(cls: type[Any], collab: Any, credentials: dict[str, Any] | None) -> Any:
    if credentials is not None:
        return cls.for_collab(collab, cls.get_credential_cls()(**credentials))
    return cls.for_collab(collab)


def fetch(runtime: Runtime, actor: Actor, name: str, *, max_deltas: int = 10_000
          ) -> SubscriptionOut:
    """Fetch what changed since the stored checkpoint and merge it into the bank.

    The exchange is read outside any database transaction (a slow exchange never holds the
    database), and each delta is merged with its checkpoint in a transaction of its own, so
    an error of the exchange stops the fetch keeping what was merged before it."""
    from threatexchange.exchanges.fetch_state import FetchCheckpointBase

    from jikimi.matching import Bank

    with runtime.context(actor) as ctx:
        _may_subscribe(ctx)
        sub = _subscription(ctx, name)
        bank = ctx.session.get(Bank, sub.bank_id)
        assert bank is not None
        cls = exchange_class(sub.exchange)
        collab = _collab(cls, sub.name, json.loads(sub.config))
        _check_local_file(runtime.settings, sub.exchange, json.loads(sub.config), None)
        credentials = None
        if sub.credentials_enc is not None:
            credentials = json.loads(ctx.keys.decrypt(sub.credentials_enc,
                                                      context=_credentials_context(sub.name)))
        stored = sub.checkpoint
        merge = _Merge(sub.id, bank.id, bank.name, f"{sub.exchange}:{sub.name}"[:200], cls,
                       collab)
    checkpoint_cls = cls.get_checkpoint_cls()
    checkpoint = None
    if stored:
        try:
            checkpoint = checkpoint_cls(**json.loads(stored))
        except TypeError:
            checkpoint = None
        if checkpoint is not None and checkpoint.is_stale():
            checkpoint = None
    whole_state = checkpoint_cls is FetchCheckpointBase
    records = 0
    error = ""
    completed = False
    try:
        deltas = _client(cls, collab, credentials).fetch_iter(merge.types, checkpoint)
        expected = stored
        for number, delta in enumerate(deltas, start=1):
            with runtime.context(actor) as ctx:
                # locked, and still at the checkpoint this fetch read: two fetches of one
                # subscription at once would merge the same records twice and move its
                # checkpoint back; the second stops here, keeping nothing of this delta
                current = ctx.session.get(Subscription, merge.sub_id, with_for_update=True,
                                          populate_existing=True)
                if current is None:
                    raise NotFound(f"no subscription {name!r}")
                if current.checkpoint != expected:
                    raise Conflict(f"another fetch of {name!r} is running; this one stopped",
                                   code="fetch_running")
                merge.apply(ctx, delta.updates)
                current.checkpoint = expected = json.dumps(
                    dataclasses.asdict(delta.checkpoint), default=str)
                current.fetched_records += len(delta.updates)
            records += len(delta.updates)
            if number >= max_deltas:
                break
        else:
            completed = True
    except JikimiError:
        raise
    except Exception as exc:  # the exchange's own errors: network, auth, malformed data
        error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS]
    with runtime.context(actor) as ctx:
        if whole_state and completed:
            merge.drop_unseen(ctx)
        current = ctx.session.get(Subscription, merge.sub_id)
        assert current is not None
        current.last_fetch_at = utcnow()
        current.last_error = error
        ctx.audit("partner.subscription_fetch", "bank", current.bank_id,
                  details={"subscription": current.name, "records": records,
                           "added": merge.added, "removed": merge.removed,
                           "skipped": merge.skipped, "error": error[:200]})
        return _out(ctx, current)
