"""CLI: ``jikimi partners ...`` — partner platforms and their keys, the feed's public key,
hash-list files in python-threatexchange's formats, and banks subscribed to other exchanges."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from jikimi import partners
from jikimi.cli.common import (
    FormatOption,
    OutputFormat,
    cli_context,
    console,
    emit_json,
    emit_table,
    err_console,
    open_runtime,
)
from jikimi.core.actors import cli_actor
from jikimi.errors import JikimiError

partners_app = typer.Typer(help="Partner platforms, their API keys, the hash feed and "
                                "exchanges.", no_args_is_help=True)

ScopeOption = Annotated[list[str] | None, typer.Option(
    "--scope", help="feed, lookup or feedback (repeat; default all)")]


def _print_key(issued: partners.NewKey, output: OutputFormat) -> None:
    if output is OutputFormat.json:
        emit_json(issued)
        return
    console.print(f"partner: {issued.partner}")
    console.print(f"scopes: {', '.join(issued.scopes)} · {issued.rate_per_minute} calls/minute")
    console.print(f"API key (shown once, store it now): {issued.key}", soft_wrap=True)


@partners_app.command("add")
def add(name: str,
        contact: Annotated[str, typer.Option(help="the platform's abuse contact")] = "",
        scope: ScopeOption = None,
        rate: Annotated[int, typer.Option(help="calls a minute", min=1, max=100_000)] = 600,
        output: FormatOption = OutputFormat.table) -> None:
    """Register a partner platform and print its API key once."""
    with cli_context() as ctx:
        issued = partners.add_partner(ctx, name, contact=contact, scopes=scope,
                                      rate_per_minute=rate)
    _print_key(issued, output)


@partners_app.command("list")
def list_(output: FormatOption = OutputFormat.table) -> None:
    """Partners and their keys (never the keys themselves)."""
    with cli_context() as ctx:
        found = partners.list_partners(ctx)
    if output is OutputFormat.json:
        emit_json(found)
        return
    emit_table(["partner", "key id", "scopes", "rate/min", "state", "last used"], [
        (p.name, k.key_id, ",".join(k.scopes), k.rate_per_minute,
         ("active" + (f" until {k.expires_at:%Y-%m-%d %H:%M} UTC" if k.expires_at else ""))
         if k.active else ("revoked" if k.revoked_at else "expired"),
         k.last_used_at.isoformat(timespec="seconds") if k.last_used_at else "")
        for p in found for k in p.keys] or [(p.name, "", "", "", "disabled", "")
                                            for p in found])


@partners_app.command("revoke")
def revoke(key_id: Annotated[str | None, typer.Argument(help="the key id to revoke")] = None,
           partner: Annotated[str | None, typer.Option(
               "--partner", help="disable this partner and revoke all its keys")] = None) -> None:
    """Revoke a key at once (its next call gets 401), or disable a whole partner."""
    if bool(key_id) == bool(partner):
        err_console.print("give a key id, or --partner NAME")
        raise typer.Exit(2)
    with cli_context() as ctx:
        if partner:
            partners.revoke_partner(ctx, partner)
        else:
            assert key_id
            partners.revoke_key(ctx, key_id)
    console.print(f"revoked: {partner or key_id}")


@partners_app.command("rotate")
def rotate(name: str,
           grace: Annotated[int, typer.Option(help="minutes the old key keeps working",
                                              min=0, max=10080)] = 0,
           output: FormatOption = OutputFormat.table) -> None:
    """Issue a new key for a partner; the old ones stop (after the grace period)."""
    with cli_context() as ctx:
        issued = partners.rotate_key(ctx, name, grace_minutes=grace)
    _print_key(issued, output)


@partners_app.command("public-key")
def public_key() -> None:
    """The Ed25519 key that signs the feed, for partners to pin."""
    with cli_context() as ctx:
        text = partners.public_key_text(ctx.keys)
    sys.stdout.write(text + "\n")


@partners_app.command("stats")
def stats(output: FormatOption = OutputFormat.table) -> None:
    """Partners' reports by action, partner and month, and what the feed shares."""
    with cli_context() as ctx:
        result = partners.statistics(ctx)
    if output is OutputFormat.json:
        emit_json(result)
        return
    console.print(f"shared now: {result.active_items} fingerprints of {result.sharing_cases} "
                  f"cases, {result.partners} partners")
    emit_table(["action", "reports"], sorted(result.by_action.items()))


@partners_app.command("feedback")
def case_feedback(case: str, output: FormatOption = OutputFormat.table) -> None:
    """Partners' reports on a case's fingerprints."""
    with cli_context() as ctx:
        found = partners.feedback_for_case(ctx, case)
    if output is OutputFormat.json:
        emit_json(found)
        return
    emit_table(["received", "partner", "action", "signal", "their content id"], [
        (f.received_at.isoformat(timespec="seconds"), f.partner, f.action, f.signal_type,
         f.partner_content_id) for f in found])


@partners_app.command("export")
def export(bank: str,
           fmt: Annotated[str, typer.Option("--format", help="lines ('<signal_type> <value>') "
                                            "or csv (threatexchange dataset CSV)")] = "lines",
           out: Annotated[Path | None, typer.Option("-o", "--output-file")] = None) -> None:
    """Write a bank as a python-threatexchange hash list."""
    with cli_context() as ctx:
        chunks = list(partners.export_bank(ctx, bank, fmt))
    if out:
        out.write_text("".join(chunks))
        console.print(f"wrote {out}")
    else:
        sys.stdout.write("".join(chunks))


@partners_app.command("import")
def import_(bank: str, file: Path,
            signal_type: Annotated[str | None, typer.Option(
                help="python-threatexchange signal type of bare lines (e.g. pdq)")] = None
            ) -> None:
    """Add a python-threatexchange hash list (lines or dataset CSV) to a bank."""
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        err_console.print(f"[red]error[/red]: cannot read {file}: {exc}")
        raise typer.Exit(1) from exc
    with cli_context() as ctx:
        added = partners.import_signals(ctx, bank, text, signal_type, label=file.name)
    console.print(f"added {added} fingerprints to {bank}")


@partners_app.command("subscribe")
def subscribe(name: str,
              bank: Annotated[str, typer.Option(help="the (non-case) bank to fill")],
              exchange: Annotated[str, typer.Option(
                  help="local_file, stopncii, ncmec or fb_threatexchange")],
              config: Annotated[str, typer.Option(help="the exchange's settings as JSON, "
                                                  "e.g. '{\"filename\": \"/x.txt\"}'")] = "{}",
              credentials: Annotated[str | None, typer.Option(
                  help="credentials as JSON (stored encrypted)")] = None) -> None:
    """Subscribe a bank to an external exchange (python-threatexchange)."""
    try:
        settings = json.loads(config)
        secrets = json.loads(credentials) if credentials else None
    except ValueError as exc:
        err_console.print(f"[red]error[/red]: --config and --credentials are JSON: {exc}")
        raise typer.Exit(2) from exc
    with cli_context() as ctx:
        sub = partners.subscribe(ctx, name, bank, exchange, settings, secrets)
    console.print(f"subscription {sub.name}: bank {sub.bank} ← {sub.exchange}")


@partners_app.command("fetch")
def fetch(name: str, output: FormatOption = OutputFormat.table) -> None:
    """Fetch a subscription's changes since its checkpoint."""
    runtime = open_runtime()
    try:
        sub = partners.fetch(runtime, cli_actor(), name)
    except JikimiError as exc:
        err_console.print(f"[red]error[/red] ({exc.code}): {exc.message}")
        raise typer.Exit(1) from exc
    finally:
        runtime.close()
    if output is OutputFormat.json:
        emit_json(sub)
    else:
        console.print(f"{sub.name}: {sub.entries} fingerprints in {sub.bank}; checkpoint "
                      f"{json.dumps(sub.checkpoint)}")
    if sub.last_error:
        err_console.print(f"[red]the exchange failed[/red]: {sub.last_error}")
        raise typer.Exit(1)


@partners_app.command("subscriptions")
def subscriptions(output: FormatOption = OutputFormat.table) -> None:
    """Banks subscribed to external exchanges."""
    with cli_context() as ctx:
        found = partners.list_subscriptions(ctx)
    if output is OutputFormat.json:
        emit_json(found)
        return
    emit_table(["name", "bank", "exchange", "entries", "last fetch", "error"], [
        (s.name, s.bank, s.exchange, s.entries,
         s.last_fetch_at.isoformat(timespec="seconds") if s.last_fetch_at else "",
         s.last_error[:60]) for s in found])
