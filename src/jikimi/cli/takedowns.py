"""CLI: `jikimi takedowns` (being built)."""

from __future__ import annotations

import typer

takedowns_app = typer.Typer(help="Takedown requests: notices, dispatch and verification.",
                  no_args_is_help=True)
