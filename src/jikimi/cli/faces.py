"""CLI: ``jikimi faces enroll|search|erase`` (consented face search)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from jikimi import faces
from jikimi.cli.common import FormatOption, OutputFormat, cli_context, console, emit_table
from jikimi.errors import MediaError
from jikimi.hashing.commands import expand_paths
from jikimi.matching import Matcher

faces_app = typer.Typer(help="Face search for deepfakes, only with the victim's consent.",
                        no_args_is_help=True)


@faces_app.command("enroll")
def faces_enroll(case_code: str, photos: Annotated[list[Path], typer.Argument()]) -> None:
    """Embed the face in each photo and keep only the embeddings (needs face-search consent)."""
    data: list[tuple[str, bytes]] = []
    for path in photos:
        try:
            data.append((path.name, path.read_bytes()))
        except OSError as exc:
            console.print(f"[red]{path}[/red]: {exc}")
            raise typer.Exit(1) from exc
    with cli_context() as ctx:
        result = faces.enroll(ctx, case_code, data)
    console.print(f"{result.case_code}: {result.faces} face(s) enrolled from "
                  f"{result.photos} photo(s)")
    for note in result.skipped:
        console.print(f"  skipped {note}")


@faces_app.command("search")
def faces_search(
    paths: Annotated[list[Path], typer.Argument(help="files or directories")],
    threshold: Annotated[float, typer.Option("--threshold", min=0.1, max=1.2,
                                             help="Euclidean distance")
                         ] = faces.REVIEW_THRESHOLD,
    output: FormatOption = OutputFormat.table,
) -> None:
    """Find enrolled faces in images and in sampled video frames (one per second, at most
    60 per video); one JSON line per file with --format json (``time`` per face in videos)."""
    rows: list[tuple[str, str, str, str, str]] = []
    failed = False
    with cli_context() as ctx:
        matcher = Matcher.load(ctx.settings.resolved_data_dir / "index", ctx.session, ctx.keys)
        detector = faces.detector_status(ctx.settings.synthetic_media_model)
        if output is OutputFormat.table:
            console.print(detector.note, style="yellow" if detector.configured else None)
        for path in expand_paths(paths):
            record: dict[str, object] = {"path": str(path)}
            try:
                record.update(faces.search_media(ctx, matcher, path,
                                                 threshold=threshold).to_json())
            except MediaError as exc:
                failed = True
                record["error"] = {"code": exc.code, "message": exc.message}
            if output is OutputFormat.json:
                sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
            else:
                rows.extend(_table_rows(path, record))
    if output is OutputFormat.table:
        emit_table(["file", "time", "face box", "possible matches (review)", "note"], rows)
    if failed:
        raise typer.Exit(1)


def _table_rows(path: Path, record: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    if "error" in record:
        return [(path.name, "", "", "", record["error"]["message"])]
    synthetic = record.get("synthetic")
    note = "" if synthetic is None else (
        f"synthetic-media score {synthetic['score']:.2f}"
        + ("" if synthetic["evaluated"] else " (unevaluated model)"))
    rows = [(path.name, "" if face.get("time") is None else f"{face['time']:.1f}s",
             str(face["box"]),
             ", ".join(f"{m['case']} ({m['distance']})" for m in face["matches"]), note)
            for face in record["faces"]]
    return rows or [(path.name, "", "", "", note or "no face")]


@faces_app.command("erase")
def faces_erase(case_code: str) -> None:
    """Remove a case's face embeddings at once."""
    with cli_context() as ctx:
        removed = faces.erase(ctx, case_code)
    console.print(f"{case_code}: {removed} face embedding(s) removed")
