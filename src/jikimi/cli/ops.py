"""CLI: ``jikimi status`` (the administrator's status page at the command line) and
``jikimi keys backup PATH`` (a recorded copy of the key file)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from jikimi import ops
from jikimi.cli.common import FormatOption, OutputFormat, cli_context, console, emit_table
from jikimi.core.i18n import translate
from jikimi.ops.wording import check_sentence


def status_command(
    lang: Annotated[str, typer.Option("--lang", help="ko or en")] = "ko",
    output: FormatOption = OutputFormat.table,
) -> None:
    """Mail, worker, key file and its backup, disk, outbox: what an administrator must fix."""
    language = lang if lang in ("ko", "en") else "ko"
    with cli_context() as ctx:
        status = ops.system_status(ctx)
    if output is OutputFormat.json:
        import json

        print(json.dumps({"ok": status.ok, "checks": [
            {"key": c.key, "state": c.state, "reason": c.reason,
             "facts": {k: str(v) for k, v in c.facts.items()}} for c in status.checks]},
            ensure_ascii=False, indent=2))
    else:
        emit_table([translate("Check", language), translate("State", language),
                    translate("What it means", language)],
                   [(translate(f"status.{c.key}", language),
                     translate(f"status_state.{c.state}", language),
                     check_sentence(c, language)) for c in status.checks])
    if not status.ok and any(c.state == "fail" for c in status.checks):
        raise typer.Exit(1)


def keys_backup_command(
    path: Annotated[Path, typer.Argument(help="a file (or folder) outside the data directory, "
                                         "e.g. on an offline medium")],
) -> None:
    """Copy the key file (mode 0600), check the copy, and record the backup for the status
    page. Whoever holds the copy can read contact data: keep it offline."""
    with cli_context() as ctx:
        row = ops.backup_keys(ctx, path)
    console.print(f"key file copied to {row.path}\nSHA-256 {row.sha256}\nKeep it offline: it "
                  "decrypts every case's contact data.")
