"""CLI: `jikimi partners` (being built)."""

from __future__ import annotations

import typer

partners_app = typer.Typer(help="Partner platforms and their API keys.",
                  no_args_is_help=True)
