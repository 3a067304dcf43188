"""Hash lists in the formats python-threatexchange reads and writes:

- ``<signal_type> <value>`` lines, as its local-file exchange reads them
  (``LocalFileSignalExchangeAPI``) and ``threatexchange dataset -P -S`` prints them;
- its dataset CSV (``threatexchange dataset -P --csv``): a header
  ``signal_type,signal_str,collab,category,tags`` and one row per signal.

Signal types use python-threatexchange's names: ``pdq``, ``vpdq`` (its own serialisation),
``video_md5`` and ``video_sha256`` (jikimi's file digests of any media: python-threatexchange
names exact digests after videos only).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from sqlalchemy import select

from jikimi.core.authorization import Action
from jikimi.core.context import ServiceContext
from jikimi.errors import InvalidInput
from jikimi.matching import BankEntry, NewEntry, add_entries, load_bank
from jikimi.partners.exchange import to_jikimi, to_tx

FORMATS = ("lines", "csv")
CSV_FIELDS = ["signal_type", "signal_str", "collab", "category", "tags"]
MAX_LINES = 1_000_000
MAX_LINE_CHARS = 500_000


@dataclass(frozen=True)
class ExportedSignal:
    signal_type: str
    value: str
    collab: str
    category: str
    tags: str


def bank_signals(ctx: ServiceContext, bank_name: str) -> Iterator[ExportedSignal]:
    """The active entries of a bank in python-threatexchange's names (faces are never
    exported)."""
    bank = load_bank(ctx, bank_name, Action.READ)
    category = "NEGATIVE_CLASS" if bank.negative else "POSITIVE_CLASS"
    seen: set[tuple[str, str]] = set()
    last = 0
    while True:
        rows = list(ctx.session.scalars(select(BankEntry).where(
            BankEntry.bank_id == bank.id, BankEntry.removed_at.is_(None),
            BankEntry.id > last).order_by(BankEntry.id).limit(5000)))
        if not rows:
            break
        last = rows[-1].id
        for row in rows:
            try:
                tx_type, value = to_tx(row.signal_type, row.value)
            except InvalidInput:
                continue
            if (tx_type, value) in seen:
                continue
            seen.add((tx_type, value))
            yield ExportedSignal(tx_type, value, bank.name, category, "")


def write_signals(signals: Iterable[ExportedSignal], fmt: str) -> Iterator[str]:
    """The text of a hash list, chunk by chunk."""
    if fmt == "lines":
        for s in signals:
            yield f"{s.signal_type} {s.value}\n"
        return
    if fmt != "csv":
        raise InvalidInput(f"the format is one of {', '.join(FORMATS)}", code="bad_format")
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, CSV_FIELDS)
    writer.writeheader()
    for s in signals:
        writer.writerow({"signal_type": s.signal_type, "signal_str": s.value,
                         "collab": s.collab, "category": s.category, "tags": s.tags})
        if buffer.tell() > 65536:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def export_bank(ctx: ServiceContext, bank_name: str, fmt: str = "lines") -> Iterator[str]:
    if fmt not in FORMATS:
        raise InvalidInput(f"the format is one of {', '.join(FORMATS)}", code="bad_format")
    signals = bank_signals(ctx, bank_name)
    ctx.audit("partner.export", "bank", bank_name[:80], details={"format": fmt})
    return write_signals(signals, fmt)


def read_signals(text: str, default_signal_type: str | None = None
                 ) -> list[tuple[str, str]]:
    """python-threatexchange (signal type, value) pairs from either format (a CSV is
    recognised by its header). Rows the CSV marks NEGATIVE_CLASS are left out."""
    lines = text.splitlines()
    if len(lines) > MAX_LINES:
        raise InvalidInput(f"a hash list holds at most {MAX_LINES} lines")
    pairs: list[tuple[str, str]] = []
    if lines and lines[0].strip().replace(" ", "") .startswith("signal_type,signal_str"):
        csv.field_size_limit(MAX_LINE_CHARS)
        try:
            for number, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
                if not row.get("signal_type") or row.get("signal_str") is None:
                    raise InvalidInput(f"row {number} has no signal_type or signal_str",
                                       code="bad_hash_list")
                if (row.get("category") or "").strip() == "NEGATIVE_CLASS":
                    continue
                pairs.append((row["signal_type"].strip(), row["signal_str"].strip()))
        except csv.Error as exc:
            raise InvalidInput(f"the CSV is not readable: {exc}", code="bad_hash_list") from exc
        return pairs
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if len(line) > MAX_LINE_CHARS:
            raise InvalidInput(f"line {number} is too long", code="bad_hash_list")
        if default_signal_type:
            pairs.append((default_signal_type, line))
            continue
        kind, _, value = line.partition(" ")
        if not value.strip():
            raise InvalidInput(f"line {number} is not '<signal_type> <value>'",
                               code="bad_hash_list")
        pairs.append((kind, value.strip()))
    return pairs


def import_signals(ctx: ServiceContext, bank_name: str, text: str,
                   default_signal_type: str | None = None, label: str = "") -> int:
    """Add a python-threatexchange hash list to a bank; one bad value refuses the file."""
    entries = []
    for number, (kind, value) in enumerate(read_signals(text, default_signal_type), start=1):
        try:
            name, normalised = to_jikimi(kind, value)
        except InvalidInput as exc:
            raise InvalidInput(f"signal {number}: {exc.message}", code="bad_hash_list") from exc
        entries.append(NewEntry(name, normalised, None, "original", "", label[:200]))
    if not entries:
        raise InvalidInput("the file holds no signals", code="bad_hash_list")
    return add_entries(ctx, bank_name, entries).added
