"""CLI: ``jikimi investigation linkage`` and ``jikimi investigation documents``."""

from __future__ import annotations

import datetime as dt
import enum
import sys
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from jikimi import investigation
from jikimi.cli.common import cli_context, console, emit_table
from jikimi.investigation import CsvTable, DocumentFormat, DocumentKind, ExportFile

KST = ZoneInfo("Asia/Seoul")
investigation_app = typer.Typer(help="Linkage of channels and litigation documents.",
                                no_args_is_help=True)


def _kst(moment: dt.datetime) -> str:
    return moment.astimezone(KST).strftime("%Y-%m-%d %H:%M")


class LinkageFormat(enum.StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    graphml = "graphml"


def _write(file: ExportFile, to: Path | None) -> None:
    if to is None:  # a terminal or a pipe: no byte-order mark (it is there for Excel)
        sys.stdout.buffer.write(file.content.removeprefix(b"\xef\xbb\xbf"))
        sys.stdout.flush()
        return
    to.parent.mkdir(parents=True, exist_ok=True)
    to.write_bytes(file.content)
    console.print(f"wrote {to} ({len(file.content):,} bytes)")


@investigation_app.command("linkage")
def linkage_command(
    case_code: Annotated[str | None, typer.Argument(
        metavar="[CASE_CODE]", help="a case (its matched content); omit for the whole centre")
    ] = None,
    output: Annotated[LinkageFormat, typer.Option(
        "--format", help="table (summary), json, csv or graphml")] = LinkageFormat.table,
    table: Annotated[CsvTable, typer.Option(
        "--table", help="which CSV table")] = CsvTable.sightings,
    to: Annotated[Path | None, typer.Option("--to", help="write to this file")] = None,
    min_shared: Annotated[int, typer.Option(
        "--min-shared", min=1, max=1000,
        help="fewest shared contents that join two places in a cluster")] = 1,
    threshold: Annotated[int, typer.Option(
        "--pdq-threshold", min=0, max=31, help="PDQ bits for 'the same content'")] = 31,
    centre: Annotated[int | None, typer.Option(
        "--centre", help="centre id (default: every centre's sources)")] = None,
) -> None:
    """Which channels, sites and posters share content; clusters of channels that repost
    each other; first-seen and spread timelines."""
    with cli_context() as ctx:
        if output is LinkageFormat.table:
            out = (investigation.case_linkage(ctx, case_code, min_shared=min_shared,
                                              pdq_threshold=threshold)
                   if case_code else investigation.centre_linkage(
                       ctx, centre_id=centre, min_shared=min_shared, pdq_threshold=threshold))
        else:
            file = investigation.export_linkage(
                ctx, case_code, output.value, table=table, min_shared=min_shared,
                pdq_threshold=threshold, centre_id=centre)
    if output is not LinkageFormat.table:
        _write(file, to)
        return
    console.print(f"{len(out.contents)} contents in {len(out.places)} places, "
                  f"{len(out.clusters)} clusters, {len(out.posters)} posters")
    labels = {p.key: p.label for p in out.places}
    emit_table(["cluster", "places", "shared contents"],
               [(k.id, ", ".join(labels[p] for p in k.places), len(k.contents))
                for k in out.clusters], title="clusters")
    emit_table(["place", "label", "cluster", "contents", "first", "last"],
               [(p.key, p.label, p.cluster or "", len(p.contents), _kst(p.first_at),
                 _kst(p.last_at)) for p in out.places], title="places (times in KST)")
    emit_table(["poster", "label", "sightings", "contents", "places"],
               [(u.key, u.label, u.sightings, len(u.contents), len(u.places))
                for u in out.posters], title="posters")


@investigation_app.command("documents")
def documents_command(
    case_code: Annotated[str, typer.Argument(metavar="CASE_CODE")],
    kind: Annotated[DocumentKind, typer.Option(
        "--kind", help="complaint-evidence-list (증거목록) or damages-summary")],
    to: Annotated[Path, typer.Option("--to", help="where to write the document")],
    output: Annotated[DocumentFormat, typer.Option("--format", help="pdf or docx")
                      ] = DocumentFormat.pdf,
    basis: Annotated[list[str] | None, typer.Option(
        "--basis", help="an article id of legal.json to name (repeatable), e.g. "
        "sexual_crimes_act:14-2")] = None,
) -> None:
    """A Korean litigation document from the case's timeline, evidence and linkage."""
    with cli_context() as ctx:
        file = investigation.litigation_document(ctx, case_code, kind, output, basis=basis)
    _write(file, to)
