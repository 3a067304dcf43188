"""What every CLI command shares: the operator's unit of work and output helpers."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from enum import StrEnum
from typing import Annotated, Any

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.table import Table

from jikimi.core.actors import cli_actor
from jikimi.core.authorization import acting_for, resolve_centre
from jikimi.core.config import load_settings
from jikimi.core.context import ServiceContext
from jikimi.core.runtime import Runtime
from jikimi.errors import JikimiError
from jikimi.hashing.decode import configure_decode_budget

console = Console()
err_console = Console(stderr=True)


class OutputFormat(StrEnum):
    table = "table"
    json = "json"


FormatOption = Annotated[OutputFormat, typer.Option("--format", help="table or json")]


def open_runtime(migrate: bool = False) -> Runtime:
    """Open the installation. An empty database gets its schema on first use; one at another
    revision is refused with the command to run (``jikimi db upgrade``)."""
    from jikimi.core.schema_state import ensure_schema

    settings = load_settings()
    runtime = Runtime.open(settings, migrate=migrate)
    configure_decode_budget(settings.decode_memory_mb)
    if not migrate:
        try:
            if ensure_schema(settings.sqlalchemy_url):
                err_console.print("created the database schema (first use of this data "
                                  "directory)")
        except BaseException:
            runtime.close()
            raise
    return runtime


CentreOption = Annotated[str | None, typer.Option(
    "--centre", help="the centre (name or id) the new records belong to: by default the "
                     "case's centre with --case, else the installation's default centre "
                     "(the central centre, else the first)")]


@contextmanager
def cli_context(label: str = "cli", *, centre: str | None = None) -> Iterator[ServiceContext]:
    """A unit of work as the operator at the server's console, acting for ``centre`` (name or
    id) when given; the actor stays ``system:<label>``. Errors exit with status 1."""
    runtime = open_runtime()
    try:
        with runtime.context(cli_actor(label)) as ctx:
            if centre is not None:
                ctx.actor = acting_for(ctx.actor, resolve_centre(ctx.session, centre))
            yield ctx
    except JikimiError as exc:
        err_console.print(f"[red]error[/red] ({exc.code}): {exc.message}")
        raise typer.Exit(1) from exc
    finally:
        runtime.close()


def emit_json(data: Any) -> None:
    if isinstance(data, BaseModel):
        data = data.model_dump(mode="json")
    elif isinstance(data, list):
        data = [d.model_dump(mode="json") if isinstance(d, BaseModel) else d for d in data]
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def emit_table(columns: Sequence[str], rows: Sequence[Sequence[Any]], title: str = "") -> None:
    table = Table(title=title or None)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*["" if v is None else str(v) for v in row])
    # A console made now reads the terminal's width now (COLUMNS), not at import time.
    Console().print(table)


