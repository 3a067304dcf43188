"""CLI: ``jikimi banks ...`` and ``jikimi match``."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from jikimi import matching
from jikimi.cases import case_ref
from jikimi.cli.common import (
    CentreOption,
    FormatOption,
    OutputFormat,
    cli_context,
    console,
    emit_json,
    emit_table,
)
from jikimi.errors import InvalidInput, MediaError
from jikimi.hashing import fingerprint_file
from jikimi.hashing.commands import expand_paths

banks_app = typer.Typer(help="Hash banks: victims' fingerprints, imported lists, negative "
                             "banks.", no_args_is_help=True)


def _progress(total: int) -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    console=console.__class__(stderr=True), disable=total < 2)


@banks_app.command("create")
def banks_create(
    name: str,
    negative: Annotated[bool, typer.Option("--negative", help="known benign content: its "
                                           "matches suppress others")] = False,
    threshold: Annotated[int, typer.Option("--threshold", min=0, max=31,
                                           help="PDQ distance that counts as a match")] = 31,
    case: Annotated[str | None, typer.Option("--case", help="the case whose fingerprints "
                                             "these are")] = None,
    purpose: Annotated[str, typer.Option("--purpose")] = "",
    national: Annotated[bool, typer.Option("--national", help="read by every centre's "
                                           "analysts (not for a case bank)")] = False,
    centre: CentreOption = None,
) -> None:
    """Create a bank, owned by the case's centre with --case, else by --centre, else by the
    installation's default centre."""
    with cli_context(centre=centre) as ctx:
        ref = case_ref(ctx, case) if case else None
        bank = matching.create_bank(ctx, name, purpose=purpose, negative=negative,
                                    pdq_threshold=threshold, case=ref, national=national)
    console.print(f"bank {bank.id}: {bank.name}" + (" (negative)" if bank.negative else ""))


@banks_app.command("list")
def banks_list(output: FormatOption = OutputFormat.table) -> None:
    with cli_context() as ctx:
        banks = matching.list_banks(ctx)
    if output is OutputFormat.json:
        emit_json(banks)
    else:
        emit_table(["id", "name", "entries", "negative", "threshold", "case"],
                   [(b.id, b.name, b.entries, b.negative, b.pdq_threshold, b.case_code or "")
                    for b in banks])


@banks_app.command("entries")
def banks_entries(name: str, output: FormatOption = OutputFormat.table,
                  limit: Annotated[int, typer.Option(min=1, max=100_000)] = 1000) -> None:
    """List a bank's entries."""
    with cli_context() as ctx:
        entries = matching.list_entries(ctx, name, limit=limit)
    if output is OutputFormat.json:
        emit_json(entries)
    else:
        emit_table(["id", "signal", "value", "quality", "variant", "label", "removed"],
                   [(e.id, e.signal_type, e.value[:20] + "…", e.quality, e.variant, e.label,
                     e.removed) for e in entries])


@banks_app.command("add")
def banks_add(name: str, paths: Annotated[list[Path], typer.Argument(help="files or "
                                                                       "directories")]) -> None:
    """Fingerprint files (nothing of them is stored but fingerprints) and add them."""
    files = list(expand_paths(paths))
    entries: list[matching.NewEntry] = []
    failed = 0
    with _progress(len(files)) as progress:
        task = progress.add_task("hashing", total=len(files))
        for path in files:
            try:
                fp = fingerprint_file(path, with_variants=True)
                entries.extend(matching.entries_for_fingerprints(fp, label=path.name))
            except (MediaError, OSError) as exc:
                failed += 1
                code = getattr(exc, "code", "unreadable")
                console.print(f"[red]{path}[/red]: ({code}) {exc}", highlight=False)
            progress.advance(task)
    with cli_context() as ctx:
        added = matching.add_entries(ctx, name, entries)
    console.print(f"{name}: {added.added} fingerprints of {len(added.content_ids)} files added"
                  + (f", {failed} files failed" if failed else ""))
    if failed:
        raise typer.Exit(1)


@banks_app.command("import")
def banks_import(name: str, hashfile: Path,
                 signal: Annotated[str, typer.Option("--signal-type", help="for bare hash "
                                                     "lines")] = "pdq") -> None:
    """Import a hash list: `jikimi hash` JSON lines, `signal_type,value[,quality]` rows, or
    one bare hash per line."""
    try:
        with hashfile.open(encoding="utf-8") as handle:
            entries = matching.parse_hash_lines(handle, default_signal=signal)
    except (OSError, UnicodeDecodeError) as exc:
        console.print(f"[red]cannot read {hashfile}[/red]: {exc}")
        raise typer.Exit(1) from exc
    except InvalidInput as exc:
        console.print(f"[red]{hashfile}[/red]: {exc.message}", soft_wrap=True)
        raise typer.Exit(1) from exc
    # checked, then written in bulk: one transaction (a failure leaves nothing behind), one
    # audit entry, the feed brought up to date before the commit
    with _progress(len(entries)) as progress, cli_context() as ctx:
        task = progress.add_task("importing", total=2 * len(entries))
        added = matching.add_entries(ctx, name, entries,
                                     progress=lambda n: progress.advance(task, n))
        progress.update(task, description="committing (feed bookkeeping)",
                        completed=2 * len(entries))
    console.print(f"{name}: {added.added} fingerprints imported"
                  + (f" ({len(entries) - added.added} already present)"
                     if len(entries) > added.added else ""))


@banks_app.command("remove")
def banks_remove(entry_id: int) -> None:
    """Remove one entry (it disappears from matching at once)."""
    with cli_context() as ctx:
        matching.remove_entry(ctx, entry_id)
    console.print(f"entry {entry_id} removed")


def _variant_label(match: dict[str, object], record: dict[str, object]) -> str:
    if not match:
        error = record.get("error")
        return f"error: {error['code']}" if isinstance(error, dict) else "no match"
    query, entry = match.get("variant"), match.get("entry_variant")
    return str(match.get("alteration") or (entry if query == "original" else query))


def _alteration_text(match: dict[str, object], lang: str) -> str | None:
    """Which alteration the match recognised (jikimi.matching.alterations), in ``lang``."""
    from jikimi.core.i18n import translate
    from jikimi.matching.alterations import describe

    distance = match["distance"]
    assert isinstance(distance, int)
    alt = describe(str(match["signal_type"]), str(match["variant"]),
                   str(match["entry_variant"]), distance)
    if alt is None:
        return None
    text = translate(alt.label, lang, **alt.values)
    return f"{text} · {translate(alt.strength, lang)}" if alt.strength else text


@banks_app.command("snapshot")
def banks_snapshot() -> None:
    """Write the matching index snapshot under the data directory now (`jikimi worker` keeps
    it up to date; serving processes map it)."""
    from jikimi.cli.common import open_runtime
    from jikimi.matching.snapshots import SnapshotKeeper

    runtime = open_runtime()
    index_dir = runtime.settings.resolved_data_dir / "index"
    try:
        with runtime.sessions() as session:
            matcher = matching.Matcher.load(index_dir, session, runtime.keys, mmap=True)
        keeper = SnapshotKeeper(matcher, runtime.sessions, index_dir)
        if keeper.saved_seq == matcher.last_seq:
            console.print(f"index snapshot already at change {matcher.last_seq}")
            return
        if not keeper.write():
            console.print("[red]another process is writing the index snapshot[/red]")
            raise typer.Exit(1)
    finally:
        runtime.close()
    console.print(f"index snapshot written at change {keeper.saved_seq}")


class MatchFormat(StrEnum):
    table = "table"
    json = "json"


def match_command(
    paths: Annotated[list[Path], typer.Argument(help="files or directories")],
    threshold: Annotated[int | None, typer.Option("--threshold", min=0, max=31,
                                                  help="PDQ distance (default: each bank's)")
                         ] = None,
    dihedral: Annotated[bool, typer.Option("--dihedral", help="kept for old scripts: "
                                           "mirrored and rotated copies always match")] = False,
    output: Annotated[MatchFormat, typer.Option("--format")] = MatchFormat.table,
) -> None:
    """Match files against every bank; one JSON line per input with --format json."""
    files = list(expand_paths(paths))
    any_failed = False
    rows: list[tuple[str, str, str, str, str, str]] = []
    with cli_context() as ctx, _progress(len(files)) as progress:
        matcher = matching.Matcher.load(ctx.settings.resolved_data_dir / "index", ctx.session,
                                        ctx.keys)
        task = progress.add_task("matching", total=len(files))
        for path in files:
            record: dict[str, object] = {"path": str(path)}
            try:
                _fp, lookups = matching.file_lookups(path)
                result = matching.match_queries(ctx, matcher, lookups, threshold=threshold)
                record.update(result.model_dump(mode="json"))
                for m in record["matches"]:  # type: ignore[attr-defined]
                    m["alteration"] = _alteration_text(m, "ko")
                    m["alteration_en"] = _alteration_text(m, "en")
            except (MediaError, OSError) as exc:
                any_failed = True
                record["error"] = {"code": getattr(exc, "code", "unreadable"),
                                   "message": str(exc)}
            if output is MatchFormat.json:
                sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
            else:
                for m in record.get("matches", []) or [{}]:  # type: ignore[attr-defined]
                    rows.append((path.name, str(m.get("bank", "")), str(m.get("entry_id", "")),
                                 str(m.get("signal_type", "")), str(m.get("distance", "")),
                                 _variant_label(m, record)))
            progress.advance(task)
    if output is MatchFormat.table:
        emit_table(["file", "bank", "entry", "signal", "distance", "variant"], rows)
    if any_failed:
        raise typer.Exit(1)
