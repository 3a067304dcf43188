"""CLI: `jikimi investigation` (being built)."""

from __future__ import annotations

import typer

investigation_app = typer.Typer(help="Linkage of channels and litigation documents.",
                  no_args_is_help=True)
