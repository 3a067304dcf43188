"""CLI: ``jikimi hash FILE...`` prints the fingerprints of files and directories."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from jikimi.errors import MediaError
from jikimi.hashing.fingerprints import ImageFingerprints, fingerprint_file

TSV_COLUMNS = (
    "path",
    "kind",
    "pdq",
    "quality",
    "sha256",
    "md5",
    "dihedral",
    "frame",
    "timestamp",
    "error_code",
    "error_message",
)


class OutputFormat(StrEnum):
    """Output formats of ``jikimi hash``."""

    json = "json"
    tsv = "tsv"


def expand_paths(paths: list[Path]) -> Iterator[Path]:
    """Files as given; directories walked recursively in sorted order (hidden files skipped)."""
    for p in paths:
        if p.is_dir():
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if not name.startswith("."):
                        yield Path(root) / name
        else:
            yield p


def file_record(
    path: Path, *, seconds_per_hash: float, animated_as_video: bool, variants: bool
) -> dict[str, object]:
    """One output record: the fingerprints, or ``{path, error: {code, message}}``."""
    try:
        if not path.exists():
            return {"path": str(path), "error": {"code": "not_found", "message": "No such file."}}
        fp = fingerprint_file(
            path,
            seconds_per_hash=seconds_per_hash,
            animated_as_video=animated_as_video,
            with_variants=variants,
        )
    except MediaError as exc:
        return {"path": str(path), "error": {"code": exc.code, "message": exc.message}}
    except Exception as exc:  # a bug must not stop the batch; report it and go on
        return {
            "path": str(path),
            "error": {"code": "internal_error", "message": f"{type(exc).__name__}: {exc}"},
        }
    out: dict[str, object] = {"path": str(path)}
    out.update(fp.to_json())
    if isinstance(fp, ImageFingerprints):
        out["vpdq"] = None
    return out


# The victim portal's submission file (jikimi.portal.routes.SubmissionIn checks it there).
SUBMISSION_FORMAT = "jikimi-submission"
SUBMISSION_MAX_ITEMS = 100
SUBMISSION_MAX_FRAMES = 3600


def submission_item(record: dict[str, object], label: str) -> dict[str, object]:
    """One item of a submission file from a ``jikimi hash`` record (with its variants)."""
    common: dict[str, object] = {"label": label, "sha256": record["sha256"],
                                 "md5": record["md5"]}
    frames = record.get("vpdq")
    if isinstance(frames, list):
        if len(frames) > SUBMISSION_MAX_FRAMES:
            raise ValueError(f"{len(frames)} frames; a submission takes videos of up to "
                             f"{SUBMISSION_MAX_FRAMES} hashed frames (use --seconds-per-hash)")
        return {"kind": "video", **common, "frames": frames}
    variants = record.get("variants") or []
    assert isinstance(variants, list)
    regions = record.get("regions") or []
    assert isinstance(regions, list)
    return {"kind": "image", **common, "pdq": record["pdq"], "quality": record["quality"],
            "variants": [v for v in variants if v["name"] != "original"], "regions": regions}


def write_submission(path: Path, records: list[dict[str, object]], label_names: bool) -> int:
    """Write the submission file the victim portal accepts (fingerprints only, no case code
    or secret); returns the number of items written. Failed files are left out."""
    items: list[dict[str, object]] = []
    for record in records:
        if "error" in record:
            continue
        label = Path(str(record["path"])).name if label_names else f"file {len(items) + 1}"
        items.append(submission_item(record, label[:200]))
    if not items:
        raise ValueError("no file could be fingerprinted; nothing to write")
    if len(items) > SUBMISSION_MAX_ITEMS:
        raise ValueError(f"{len(items)} files; a submission takes up to "
                         f"{SUBMISSION_MAX_ITEMS}: make several")
    body = {"format": SUBMISSION_FORMAT, "version": 1, "items": items}
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(body, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    tmp.replace(path)
    return len(items)


def _cell(value: object) -> str:
    if value is None:
        return ""
    return str(value).replace("\t", " ").replace("\r", " ").replace("\n", " ")


def _tsv_rows(record: dict[str, object]) -> Iterator[list[str]]:
    """One row per image or error, one row per hashed frame of a video."""
    path = _cell(record["path"])
    error = record.get("error")
    if isinstance(error, dict):
        yield [path, "", "", "", "", "", "", "", "", _cell(error["code"]), _cell(error["message"])]
        return
    common = [_cell(record["sha256"]), _cell(record["md5"])]
    frames = record.get("vpdq")
    if isinstance(frames, list):
        for f in frames:
            yield [
                path, "video", f["pdq"], str(f["quality"]), *common, "",
                str(f["frame"]), f"{f['timestamp']:.3f}", "", "",
            ]  # fmt: skip
        return
    dihedral = record["dihedral"]
    assert isinstance(dihedral, list)
    yield [
        path, "image", _cell(record["pdq"]), _cell(record["quality"]), *common,
        ",".join(dihedral), "", "", "", "",
    ]  # fmt: skip


def hash_command(
    files: Annotated[
        list[Path], typer.Argument(help="Image or video files, or directories to walk.")
    ],
    output_format: Annotated[
        OutputFormat, typer.Option("--format", help="json (one line per file) or tsv.")
    ] = OutputFormat.json,
    seconds_per_hash: Annotated[
        float,
        typer.Option(help="Videos: hash one frame every N seconds (0 = every frame).", min=0.0),
    ] = 1.0,
    animated_as_video: Annotated[
        bool, typer.Option(help="Hash animated GIF/APNG as videos instead of by first frame.")
    ] = False,
    variants: Annotated[
        bool, typer.Option(help="Images: add the registration variants (JSON only).")
    ] = False,
    submission: Annotated[
        Path | None,
        typer.Option(
            help="Also write the victim portal's submission file here (fingerprints and "
            "registration variants only; upload it on the portal's register page).",
            dir_okay=False,
        ),
    ] = None,
    label_names: Annotated[
        bool,
        typer.Option(help="Submission: label items by file name (sent to the centre) "
                     "instead of 'file 1', 'file 2'..."),
    ] = False,
) -> None:
    """Print PDQ / vPDQ fingerprints and SHA-256 / MD5 of each file.

    Exit status 1 when any file failed (its line carries {path, error: {code, message}}).
    With --submission, the files are also written as one portal submission (nothing of the
    pictures themselves is in it).
    """
    variants = variants or submission is not None
    records: list[dict[str, object]] = []
    items = list(expand_paths(files))
    show_progress = any(p.is_dir() for p in files)
    failed = False
    if output_format is OutputFormat.tsv:
        typer.echo("\t".join(TSV_COLUMNS))
    with Progress(
        TextColumn("hashing"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        disable=not show_progress,
        transient=True,
    ) as progress:
        task = progress.add_task("hash", total=len(items))
        for path in items:
            record = file_record(
                path,
                seconds_per_hash=seconds_per_hash,
                animated_as_video=animated_as_video,
                variants=variants,
            )
            failed = failed or "error" in record
            if submission is not None:
                records.append(record)
            if output_format is OutputFormat.json:
                typer.echo(json.dumps(record, ensure_ascii=False))
            else:
                for row in _tsv_rows(record):
                    typer.echo("\t".join(row))
            progress.advance(task)
    if submission is not None:
        try:
            written = write_submission(submission, records, label_names)
        except (ValueError, OSError) as exc:
            typer.echo(f"error: the submission file was not written: {exc}", err=True)
            raise typer.Exit(code=2) from exc
        typer.echo(f"submission: {written} item(s) written to {submission}", err=True)
    if failed:
        raise typer.Exit(code=1)


def register(app: typer.Typer) -> None:
    """Add ``hash`` to the jikimi CLI."""
    app.command("hash")(hash_command)
