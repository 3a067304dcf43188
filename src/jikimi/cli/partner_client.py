"""CLI: `jikimi partner-client` (being built)."""

from __future__ import annotations

import typer

partner_client_app = typer.Typer(help="Partner reference client.",
                  no_args_is_help=True)
