"""CLI: ``jikimi review list|confirm|reject``."""

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

review_app = typer.Typer(help="The review queue of matches.", no_args_is_help=True)


@review_app.command("list")
def review_list(
    status: Annotated[review.ReviewStatus | None, typer.Option("--status")] = None,
    case: Annotated[str | None, typer.Option("--case")] = None,
    output: FormatOption = OutputFormat.table,
) -> None:
    """Pending matches (or --status confirmed|rejected|quarantined), most urgent first."""
    with cli_context() as ctx:
        entries = review.queue(ctx, status=status or review.ReviewStatus.PENDING,
                               case_code=case)
    if output is OutputFormat.json:
        emit_json(entries)
    else:
        emit_table(["match", "case", "minor", "signal", "distance", "bank", "item"],
                   [(e.match_id, e.case_code or "", "yes" if e.minor else "", e.signal_type,
                     e.distance, e.bank, e.locator[-60:]) for e in entries])


@review_app.command("confirm")
def review_confirm(match_id: int,
                   reason: Annotated[str, typer.Option("--reason")] = "") -> None:
    with cli_context() as ctx:
        entry = review.confirm(ctx, match_id, reason)
    console.print(f"match {entry.match_id}: confirmed ({entry.case_code or 'no case'})")


@review_app.command("reject")
def review_reject(match_id: int, reason: Annotated[str, typer.Option("--reason")]) -> None:
    with cli_context() as ctx:
        entry = review.reject(ctx, match_id, reason)
    console.print(f"match {entry.match_id}: rejected")
