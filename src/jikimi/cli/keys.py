"""CLI: ``jikimi keys export-public PATH`` — the centre's public signing key."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from jikimi.cli.common import console, open_runtime

keys_app = typer.Typer(help="The centre's signing keys.", no_args_is_help=True)


@keys_app.command("export-public")
def export_public(path: Annotated[Path, typer.Argument(help="where to write the PEM file")]
                  ) -> None:
    """Write the centre's Ed25519 public key (PEM): give it to whoever verifies packages."""
    from jikimi.evidence.package import load_public_key, public_key_fingerprint, public_key_pem

    runtime = open_runtime()
    try:
        pem = public_key_pem(runtime.keys)
    finally:
        runtime.close()
    path = path.expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.partial")
    temp.write_bytes(pem)
    os.replace(temp, path)
    fingerprint = public_key_fingerprint(load_public_key(pem))
    console.print(f"public key written to {path}\nSHA-256 fingerprint: {fingerprint}")
