"""No traceback reaches the person at the console.

:class:`SafeGroup` is the ``jikimi`` command's group class: a jikimi error becomes one line with
its code; anything unexpected becomes one line naming a log file under
``$JIKIMI_DATA_DIR/logs/`` that holds the traceback (mode 0600).
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import traceback
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

from jikimi.errors import JikimiError

_err = Console(stderr=True)


def log_directory() -> Path:
    """``$JIKIMI_DATA_DIR/logs`` (created 0700), or the temporary directory if the data
    directory cannot be used."""
    try:
        from jikimi.core.config import load_settings

        directory = load_settings().resolved_data_dir / "logs"
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        return directory
    except Exception:  # the settings themselves may be what failed
        return Path(tempfile.gettempdir())


def write_crash_log(exc: BaseException, argv: list[str] | None = None) -> Path:
    """Write the traceback of ``exc`` to a new private file and return its path."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    path = log_directory() / f"cli-{stamp}-{os.getpid()}.log"
    text = "".join(traceback.format_exception(exc))
    header = f"jikimi {' '.join(argv or [])}\n{dt.datetime.now(dt.UTC).isoformat()}\n\n"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(header + text)
    return path


def report_unexpected(exc: BaseException, argv: list[str] | None = None) -> None:
    """One line on standard error for an unexpected failure, the traceback in a log file."""
    try:
        where = f"details in {write_crash_log(exc, argv)}"
    except OSError:
        where = "no log file could be written"
    summary = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
    _err.print(f"[red]error[/red] (unexpected {type(exc).__name__}"
               f"{': ' + escape(summary) if summary else ''}); {where}", soft_wrap=True)


class SafeGroup(TyperGroup):
    """The top-level group: jikimi errors and unexpected exceptions end as one line."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except typer.TyperException:  # usage errors, Exit and Abort: typer reports them
            raise
        except (typer.Exit, typer.Abort):
            raise
        except JikimiError as exc:
            _err.print(f"[red]error[/red] ({exc.code}): {escape(exc.message)}", soft_wrap=True)
            raise typer.Exit(1) from exc
        except Exception as exc:
            report_unexpected(exc, list(ctx.args) or None)
            raise typer.Exit(1) from exc
