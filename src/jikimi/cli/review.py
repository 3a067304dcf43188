"""CLI: ``jikimi review list|show|confirm|reject|release|assign``."""

from __future__ import annotations

from typing import Annotated

import typer

from jikimi import review
from jikimi.cli.common import (
    FormatOption,
    OutputFormat,
    cli_context,
    console,
    emit_json,
    emit_table,
)
from jikimi.core.glossary import closeness

review_app = typer.Typer(help="The review queue of matches.", no_args_is_help=True)


@review_app.command("list")
def review_list(
    status: Annotated[review.ReviewStatus | None, typer.Option("--status")] = None,
    case: Annotated[str | None, typer.Option("--case")] = None,
    platform: Annotated[str | None, typer.Option("--platform", help="a platform id, or "
                                                 "'unknown'")] = None,
    signal: Annotated[str | None, typer.Option("--signal")] = None,
    source: Annotated[int | None, typer.Option("--source", min=1)] = None,
    assigned: Annotated[str | None, typer.Option("--assigned", help="me, none or a staff "
                                                 "id")] = None,
    output: FormatOption = OutputFormat.table,
) -> None:
    """Pending matches (or --status confirmed|rejected|quarantined), most urgent first."""
    with cli_context() as ctx:
        entries = review.queue(ctx, status=status or review.ReviewStatus.PENDING,
                               case_code=case, platform=platform, signal_type=signal,
                               source_id=source, assigned=assigned)
    if output is OutputFormat.json:
        emit_json(entries)
    else:
        emit_table(["match", "case", "minor", "signal", "distance", "platform", "bank",
                    "item"],
                   [(e.match_id, e.case_code or "", "yes" if e.minor else "", e.signal_type,
                     e.distance, e.platform or "", e.bank, e.locator[-60:]) for e in entries])


@review_app.command("show")
def review_show(match_id: int, output: FormatOption = OutputFormat.table) -> None:
    """One match: fingerprint, distance, variant, registered entry, case, item and context."""
    with cli_context() as ctx:
        found = review.detail(ctx, match_id)
    if output is OutputFormat.json:
        emit_json(found)
        return
    e = found.entry
    rows = [("status", e.status), ("case", e.case_code or ""), ("minor", e.minor),
            ("signal", f"{e.signal_type} ({e.label})"), ("distance", e.distance),
            ("how close", closeness(e.signal_type, e.distance) or "-"),
            ("alteration", _alteration(e.signal_type, e.variant, e.entry_variant, e.distance)),
            ("variant", f"{e.variant} / registered {e.entry_variant}"),
            ("bank", f"{found.registered.bank} entry {found.registered.entry_id}"),
            ("item", found.item.locator), ("source", found.item.source_name),
            ("platform", e.platform or "")]
    rows += [(f"context.{k}", v) for k, v in found.item.context.items() if v is not None]
    emit_table(["field", "value"], rows)


def _alteration(signal_type: str, variant: str, entry_variant: str, distance: int) -> str:
    """The recognised alteration in words (docs/glossary.md), as the review pages say it."""
    from jikimi.matching.alterations import describe

    found = describe(signal_type, variant, entry_variant, distance)
    if found is None:
        return "-"
    words = found.label.format(**found.values)
    return f"{words}; {found.strength}" if found.strength else words


def _report(outcomes: list[review.BulkOutcome], verb: str) -> None:
    for o in outcomes:
        console.print(f"match {o.match_id}: {verb}" if o.ok else
                      f"match {o.match_id}: not {verb} ({o.error})")
    if not all(o.ok for o in outcomes):
        raise typer.Exit(1)


@review_app.command("confirm")
def review_confirm(match_ids: Annotated[list[int], typer.Argument(min=1)],
                   reason: Annotated[str, typer.Option("--reason")] = "") -> None:
    """Confirm one or more matches (each proposes a takedown)."""
    with cli_context() as ctx:
        if len(match_ids) == 1:
            entry = review.confirm(ctx, match_ids[0], reason)
            console.print(f"match {entry.match_id}: confirmed ({entry.case_code or 'no case'})")
            return
        outcomes = review.decide_many(ctx, match_ids, review.ReviewStatus.CONFIRMED, reason)
    _report(outcomes, "confirmed")


@review_app.command("reject")
def review_reject(match_ids: Annotated[list[int], typer.Argument(min=1)],
                  reason: Annotated[str, typer.Option("--reason")]) -> None:
    """Reject one or more matches, saying why."""
    with cli_context() as ctx:
        if len(match_ids) == 1:
            entry = review.reject(ctx, match_ids[0], reason)
            console.print(f"match {entry.match_id}: rejected")
            return
        outcomes = review.decide_many(ctx, match_ids, review.ReviewStatus.REJECTED, reason)
    _report(outcomes, "rejected")


@review_app.command("release")
def review_release(match_ids: Annotated[list[int], typer.Argument(min=1)],
                   reason: Annotated[str, typer.Option("--reason")] = "") -> None:
    """Put quarantined matches back in the queue."""
    with cli_context() as ctx:
        outcomes = review.decide_many(ctx, match_ids, review.ReviewStatus.PENDING, reason)
    _report(outcomes, "released")


@review_app.command("assign")
def review_assign(match_ids: Annotated[list[int], typer.Argument(min=1)],
                  to: Annotated[int | None, typer.Option("--to", min=1, help="staff id; "
                                "omit to unassign")] = None) -> None:
    """Assign matches to an analyst (or unassign them)."""
    with cli_context() as ctx:
        outcomes = review.assign(ctx, match_ids, to)
    _report(outcomes, "assigned" if to else "unassigned")
