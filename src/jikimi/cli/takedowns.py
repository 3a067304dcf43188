"""CLI: ``jikimi takedowns ...`` — requests, notices, e-mail dispatch, verification."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Annotated

import typer

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
from jikimi.takedown import service
from jikimi.takedown.lifecycle import TakedownStatus
from jikimi.takedown.outbox import DEFAULT_LEASE, dispatch
from jikimi.takedown.schemas import RequestDetail

takedowns_app = typer.Typer(help="Takedown requests: notices, dispatch and verification.",
                            no_args_is_help=True)


def _fail(exc: JikimiError) -> typer.Exit:
    err_console.print(f"[red]error[/red] ({exc.code}): {exc.message}")
    return typer.Exit(1)


@takedowns_app.command("list")
def list_command(
    status: Annotated[TakedownStatus | None, typer.Option("--status")] = None,
    case: Annotated[str | None, typer.Option("--case", help="a case code")] = None,
    platform: Annotated[str | None, typer.Option("--platform")] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="only requests past deadline")
                       ] = False,
    output: FormatOption = OutputFormat.table,
) -> None:
    """Takedown requests, newest first."""
    with cli_context() as ctx:
        rows = service.list_requests(ctx, status=status, case_code=case, platform=platform,
                                     overdue=True if overdue else None)
    if output is OutputFormat.json:
        emit_json(rows)
        return
    emit_table(["id", "reference", "case", "platform", "status", "URLs", "removed",
                "deadline", "e-mail"],
               [(r.id, r.reference, r.case_code, r.platform_name, r.status
                 + (" (re-upload)" if r.reupload else "") + (" OVERDUE" if r.overdue else ""),
                 r.urls, r.removed_urls, r.deadline.strftime("%Y-%m-%d %H:%M") if r.deadline
                 else "", r.outbox_status) for r in rows])


def _print_detail(d: RequestDetail) -> None:
    console.print(f"[bold]{d.reference}[/bold] (id {d.id}) case {d.case_code or '-'} → "
                  f"{d.platform_name} [{d.platform_id}]: {d.status}"
                  + (" — re-upload" if d.reupload else ""))
    if d.channel:
        verified = {True: "", False: " (UNVERIFIED contact)", None: ""}[d.contact_verified]
        console.print(f"channel: {d.channel} {d.channel_address or '(no documented address)'}"
                      f"{verified}; language {d.language}")
    if d.deadline:
        console.print(f"deadline: {d.deadline:%Y-%m-%d %H:%M} UTC"
                      + (" — OVERDUE" if d.overdue else ""))
    emit_table(["URL", "state", "last check"],
               [(i.url, i.state, i.last_outcome or "") for i in d.items], title="URLs")
    for warning in d.notice_warnings:
        console.print(f"[yellow]check:[/yellow] {warning}")
    if d.notice_body:
        console.print(f"\n[bold]Subject:[/bold] {d.notice_subject}\n")
        console.print(d.notice_body, markup=False, highlight=False)
    if d.escalation_body:
        console.print(f"\n[bold]Escalation:[/bold] {d.escalation_subject}\n")
        console.print(d.escalation_body, markup=False, highlight=False)
    if d.outbox:
        emit_table(["message", "purpose", "status", "attempts", "sent", "error"],
                   [(o.message_id, o.purpose, o.status + (" (possibly twice)" if o.uncertain
                                                          else ""), o.attempts,
                     o.sent_at, o.last_error) for o in d.outbox], title="E-mail")
    if d.checks:
        emit_table(["time", "URL", "HTTP", "outcome", "reason"],
                   [(c.checked_at.strftime("%Y-%m-%d %H:%M:%S"), c.url, c.http_status,
                     c.outcome, c.reason) for c in d.checks], title="Re-checks")


@takedowns_app.command("show")
def show_command(request_id: int, output: FormatOption = OutputFormat.table) -> None:
    """One request: URLs, notice, e-mail, re-checks."""
    with cli_context() as ctx:
        detail = service.get_request(ctx, request_id)
    if output is OutputFormat.json:
        emit_json(detail)
    else:
        _print_detail(detail)


@takedowns_app.command("send")
def send_command(
    request_id: int,
    to: Annotated[str | None, typer.Option("--to", help="e-mail address instead of the "
                                                        "directory's")] = None,
    language: Annotated[str | None, typer.Option("--language")] = None,
    basis: Annotated[list[str] | None, typer.Option("--basis", help="article id from "
                                                    "legal.json (repeatable)")] = None,
    allow_unverified: Annotated[bool, typer.Option("--allow-unverified")] = False,
    queue_only: Annotated[bool, typer.Option("--queue-only", help="leave the e-mail to the "
                                             "dispatcher")] = False,
    output: FormatOption = OutputFormat.table,
) -> None:
    """Approve a draft: e-mail its notice (through the outbox) or prepare it for a web form."""
    with cli_context() as ctx:
        detail = service.send_request(ctx, request_id, recipient=to, language=language,
                                      legal_basis=basis, allow_unverified=allow_unverified)
    sent_now = False
    if detail.outbox_status == "queued" and not queue_only:
        runtime = open_runtime()
        try:
            if runtime.settings.smtp is None:
                err_console.print("JIKIMI_SMTP_URL is not set: the notice waits in the outbox")
            else:
                ids = service.queued_message_ids(runtime, request_id)
                sent_now = bool(dispatch(runtime, message_ids=ids).sent)
            with runtime.context(cli_actor()) as ctx:
                detail = service.get_request(ctx, request_id)
        except JikimiError as exc:
            raise _fail(exc) from exc
        finally:
            runtime.close()
    if output is OutputFormat.json:
        emit_json(detail)
        return
    if detail.channel == "email":
        console.print(f"{detail.reference}: notice to {detail.channel_address} "
                      + ("sent" if sent_now else f"in the outbox ({detail.outbox_status})"))
    else:
        console.print(f"{detail.reference}: notice prepared for "
                      f"{detail.channel_address or 'the site (no documented channel)'}; "
                      "submit it, then run `jikimi takedowns mark-sent "
                      f"{detail.id}`\n")
        console.print(detail.notice_body or "", markup=False, highlight=False)


@takedowns_app.command("preview")
def preview_command(
    request_id: int,
    to: Annotated[str | None, typer.Option("--to", help="e-mail address instead of the "
                                                        "directory's")] = None,
    language: Annotated[str | None, typer.Option("--language")] = None,
    basis: Annotated[list[str] | None, typer.Option("--basis", help="article id from "
                                                    "legal.json (repeatable)")] = None,
    allow_unverified: Annotated[bool, typer.Option("--allow-unverified")] = False,
    output: FormatOption = OutputFormat.table,
) -> None:
    """Prepare a draft's notice and show it (nothing is sent until `approve`)."""
    try:
        with cli_context() as ctx:
            detail = service.prepare_notice(ctx, request_id, recipient=to, language=language,
                                            legal_basis=basis,
                                            allow_unverified=allow_unverified)
    except JikimiError as exc:
        raise _fail(exc) from exc
    if output is OutputFormat.json:
        emit_json(detail)
        return
    _print_detail(detail)
    console.print(f"\nEdit with `jikimi takedowns edit {detail.id} --body-file FILE`, then "
                  f"`jikimi takedowns approve {detail.id}`.")


@takedowns_app.command("edit")
def edit_command(
    request_id: int,
    subject: Annotated[str | None, typer.Option("--subject", help="the new subject line")
                       ] = None,
    body_file: Annotated[Path | None, typer.Option("--body-file", help="a UTF-8 text file with "
                                                   "the new notice text")] = None,
) -> None:
    """Replace the prepared notice's subject and/or text (audited)."""
    try:
        with cli_context() as ctx:
            current = service.get_request(ctx, request_id)
            body = current.notice_body or ""
            if body_file is not None:
                try:
                    body = body_file.read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError) as exc:
                    err_console.print(f"[red]error[/red]: cannot read {body_file}: {exc}")
                    raise typer.Exit(1) from exc
            detail = service.edit_notice(ctx, request_id,
                                         subject=subject or current.notice_subject or "",
                                         body=body)
    except JikimiError as exc:
        raise _fail(exc) from exc
    console.print(f"{detail.reference}: notice edited; approve it with `jikimi takedowns "
                  f"approve {detail.id}`")


@takedowns_app.command("approve")
def approve_command(
    request_id: int,
    by_hand: Annotated[bool, typer.Option("--by-hand", help="submit it yourself (web form) "
                                          "instead of e-mail")] = False,
    queue_only: Annotated[bool, typer.Option("--queue-only", help="leave the e-mail to the "
                                             "dispatcher")] = False,
) -> None:
    """Approve the prepared notice as it reads: e-mail it, or release it for the web form."""
    try:
        with cli_context() as ctx:
            detail = service.approve_notice(ctx, request_id, by_hand=by_hand)
    except JikimiError as exc:
        raise _fail(exc) from exc
    if detail.outbox_status == "queued" and not queue_only:
        runtime = open_runtime()
        try:
            ids = service.queued_message_ids(runtime, request_id)
            report = dispatch(runtime, message_ids=ids)
        except JikimiError as exc:
            raise _fail(exc) from exc
        finally:
            runtime.close()
        console.print(f"{detail.reference}: notice to {detail.channel_address} "
                      + ("sent" if report.sent else "in the outbox"))
        return
    if detail.outbox_status:
        console.print(f"{detail.reference}: notice in the outbox ({detail.outbox_status})")
        return
    console.print(f"{detail.reference}: approved; submit it through "
                  f"{detail.channel_address or 'the site'}, then run `jikimi takedowns "
                  f"mark-sent {detail.id}`")


@takedowns_app.command("mark-sent")
def mark_sent_command(request_id: int,
                      note: Annotated[str, typer.Option("--note")] = "") -> None:
    """Record that the prepared notice was submitted (web form)."""
    with cli_context() as ctx:
        detail = service.mark_sent(ctx, request_id, note=note)
    console.print(f"{detail.reference}: sent; deadline {detail.deadline:%Y-%m-%d %H:%M} UTC")


@takedowns_app.command("transition")
def transition_command(request_id: int, status: TakedownStatus,
                       note: Annotated[str, typer.Option("--note")] = "") -> None:
    """acknowledged, refused, overdue, escalated, or removed / partially_removed by hand."""
    with cli_context() as ctx:
        detail = service.transition(ctx, request_id, status, note)
    console.print(f"{detail.reference}: {detail.status}")


@takedowns_app.command("verify")
def verify_command(request_id: Annotated[int | None, typer.Argument()] = None,
                   output: FormatOption = OutputFormat.table) -> None:
    """Re-fetch and re-hash the open URLs of one request, or of every open request."""
    runtime = open_runtime()
    try:
        report = service.verify(runtime, cli_actor(), request_id)
    except JikimiError as exc:
        raise _fail(exc) from exc
    finally:
        runtime.close()
    if output is OutputFormat.json:
        emit_json(report)
        return
    console.print(f"{report.checked} URLs of {report.requests} requests checked: "
                  f"{report.removed} removed, {report.still_present} still up, "
                  f"{report.unreachable} unreachable, {report.errors} unclear")
    for change in report.changes:
        console.print(f"request {change.id}: {change.from_status} → {change.to_status}")


@takedowns_app.command("overdue")
def overdue_command() -> None:
    """Mark requests past their platform's deadline as overdue."""
    with cli_context() as ctx:
        moved = service.mark_overdue(ctx)
    console.print(f"{len(moved)} requests overdue" + (f": {moved}" if moved else ""))


@takedowns_app.command("dispatch")
def dispatch_command(
    once: Annotated[bool, typer.Option("--once", help="one round, then exit")] = False,
    poll_seconds: Annotated[float, typer.Option("--poll-seconds")] = 10.0,
    lease_seconds: Annotated[float, typer.Option("--lease-seconds")
                             ] = DEFAULT_LEASE.total_seconds(),
    on_uncertain: Annotated[str, typer.Option(
        "--on-uncertain", help="resend (at least once) or hold (at most once) a message "
                               "whose sending was interrupted")] = "resend",
    output: FormatOption = OutputFormat.table,
) -> None:
    """Send the outbox's e-mail (each message once; retries with backoff), until stopped."""
    if on_uncertain not in ("resend", "hold"):
        err_console.print("--on-uncertain is resend or hold")
        raise typer.Exit(2)
    runtime = open_runtime()
    try:
        while True:
            report = dispatch(runtime, lease=dt.timedelta(seconds=lease_seconds),
                              on_uncertain=on_uncertain)
            if output is OutputFormat.json:
                emit_json(report)
            elif once or report.sent or report.failed or report.dead:
                console.print(f"sent {report.sent}, failed {report.failed}, dead "
                              f"{report.dead}, re-claimed {report.reclaimed}")
            if once:
                return
            time.sleep(poll_seconds)
    except JikimiError as exc:
        raise _fail(exc) from exc
    finally:
        runtime.close()


@takedowns_app.command("stats")
def stats_command(
    csv: Annotated[bool, typer.Option("--csv", help="the month × platform table as CSV")
                   ] = False,
    centre: Annotated[int | None, typer.Option("--centre", help="one centre's id")] = None,
    output: FormatOption = OutputFormat.table,
) -> None:
    """Requests and removals by month and platform, median time to removal, re-upload rate."""
    with cli_context() as ctx:
        if csv:
            typer.echo(service.statistics_csv(ctx, centre_id=centre), nl=False)
            return
        stats = service.statistics(ctx, centre_id=centre)
    if output is OutputFormat.json:
        emit_json(stats)
        return
    median = ("no removals yet" if stats.median_hours_to_removal is None
              else f"median {stats.median_hours_to_removal} h to removal")
    console.print(f"{stats.requests_total} requests, {stats.sent_total} sent, "
                  f"{stats.removed_total} removed; {median}; re-upload rate "
                  f"{stats.reupload_rate}; {stats.overdue_now} overdue")
    emit_table(["month", "platform", "sent", "removed"],
               [(r.month, r.platform_id, r.requests, r.removed) for r in stats.by_month])


@takedowns_app.command("platforms")
def platforms_command(output: FormatOption = OutputFormat.table) -> None:
    """The platform directory in use (edits by admins marked, unverified contacts flagged)."""
    with cli_context() as ctx:
        rows = service.list_platforms(ctx)
    if output is OutputFormat.json:
        emit_json(rows)
        return
    emit_table(["id", "name", "language", "deadline (h)", "contacts", "edited"],
               [(p.id, p.name, p.language, p.response_hours,
                 ", ".join(f"{c['kind']}:{c['address'] or '-'}"
                           + ("" if c["verified"] else " (unverified)") for c in p.channels),
                 "yes" if p.overridden else "") for p in rows])
