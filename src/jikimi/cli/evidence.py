"""CLI: `jikimi evidence` (being built)."""

from __future__ import annotations

import typer

evidence_app = typer.Typer(help="Evidence capture, chain of custody, packages.",
                  no_args_is_help=True)
