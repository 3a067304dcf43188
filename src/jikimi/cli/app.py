"""The ``jikimi`` command: one Typer app that mounts each capability's commands."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from jikimi import accounts, cases
from jikimi.cases import CaseStatus, ConsentPurpose, IntakeChannel
from jikimi.cli.banks import banks_app, match_command
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
from jikimi.cli.errors import SafeGroup
from jikimi.cli.evidence import evidence_app
from jikimi.cli.faces import faces_app
from jikimi.cli.investigation import investigation_app
from jikimi.cli.keys import keys_app
from jikimi.cli.ops import keys_backup_command, status_command
from jikimi.cli.partner_client import partner_client_app
from jikimi.cli.partners import partners_app
from jikimi.cli.review import review_app
from jikimi.cli.scans import scan_command, scans_app, sources_app, worker_command
from jikimi.cli.takedowns import takedowns_app
from jikimi.core.actors import Role, cli_actor
from jikimi.core.audit import audit_key, verify_chain
from jikimi.core.config import load_settings
from jikimi.core.runtime import Runtime
from jikimi.hashing.commands import register as register_hash_commands

app = typer.Typer(help="지킴이 jikimi — digital-sex-crime victim support centre.",
                  no_args_is_help=True, pretty_exceptions_enable=False, cls=SafeGroup)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
centres_app = typer.Typer(help="Support centres.", no_args_is_help=True)
users_app = typer.Typer(help="Staff accounts.", no_args_is_help=True)
cases_app = typer.Typer(help="Cases, consent and erasure.", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
demo_app = typer.Typer(help="Demo data for trying jikimi.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(centres_app, name="centres")
app.add_typer(users_app, name="users")
app.add_typer(cases_app, name="cases")
app.add_typer(audit_app, name="audit")
app.add_typer(demo_app, name="demo")
app.add_typer(banks_app, name="banks")
app.command("match")(match_command)
app.add_typer(sources_app, name="sources")
app.add_typer(faces_app, name="faces")
app.add_typer(review_app, name="review")
app.add_typer(scans_app, name="scans")
app.command("scan")(scan_command)
app.command("worker")(worker_command)
app.add_typer(takedowns_app, name="takedowns")
app.add_typer(partners_app, name="partners")
app.add_typer(partner_client_app, name="partner-client")
app.add_typer(evidence_app, name="evidence")
app.add_typer(keys_app, name="keys")
keys_app.command("backup")(keys_backup_command)
app.command("status")(status_command)
app.add_typer(investigation_app, name="investigation")
register_hash_commands(app)

# --- serve / db ------------------------------------------------------------------------------
@app.command()
def serve(host: Annotated[str, typer.Option(help="interface to bind")] = "127.0.0.1",
          port: Annotated[int, typer.Option(help="TCP port")] = 8000,
          migrate: Annotated[bool, typer.Option(help="apply migrations first")] = True,
          workers: Annotated[int, typer.Option(
              min=1, max=64, help="processes serving the port; they share the index snapshot "
              "(memory-mapped) and follow the bank change log each")] = 1) -> None:
    """Start the web service (API, staff pages)."""
    import uvicorn

    from jikimi.api.app import create_app

    runtime = open_runtime(migrate=migrate)
    if workers > 1:  # each process opens its own runtime from the same settings
        runtime.close()
        uvicorn.run("jikimi.api.app:create_app", factory=True, host=host, port=port,
                    workers=workers, proxy_headers=False, log_level="info",
                    access_log=False,  # no log line per request (lookups at thousands/s)
                    timeout_worker_healthcheck=300)  # a start-up may build the index
        return
    uvicorn.run(create_app(runtime=runtime), host=host, port=port, proxy_headers=False,
                log_level="info", access_log=False)


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Apply migrations (creates the database and the key file on first run)."""
    settings = load_settings()
    Runtime.open(settings).close()
    from jikimi.core.database import upgrade_database

    upgrade_database(settings.sqlalchemy_url, revision)
    if revision == "head":  # labels of bank entries stored before 0009 get encrypted
        from jikimi.matching import seal_plain_labels

        runtime = Runtime.open(settings)
        try:
            with runtime.context(cli_actor("cli")) as ctx:
                sealed = seal_plain_labels(ctx)
        finally:
            runtime.close()
        if sealed:
            console.print(f"{sealed} bank entry labels encrypted")
    console.print(f"database at revision {revision}")


# --- centres ---------------------------------------------------------------------------------
@centres_app.command("add")
def centres_add(name: str,
                central: Annotated[bool, typer.Option("--central",
                                                      help="the central centre")] = False
                ) -> None:
    """Add a support centre."""
    with cli_context() as ctx:
        centre = accounts.add_centre(ctx, name, is_central=central)
        console.print(f"centre {centre.id}: {centre.name}")


@centres_app.command("list")
def centres_list(output: FormatOption = OutputFormat.table) -> None:
    with cli_context() as ctx:
        rows = accounts.list_centres(ctx)
        data = [{"id": c.id, "name": c.name, "is_central": c.is_central,
                 "created_at": c.created_at.isoformat()} for c in rows]
    if output is OutputFormat.json:
        emit_json(data)
    else:
        emit_table(["id", "name", "central"], [(d["id"], d["name"], d["is_central"])
                                               for d in data])


# --- users -----------------------------------------------------------------------------------
@users_app.command("add")
def users_add(
    email: str,
    role: Annotated[Role, typer.Option("--role", help="counsellor, analyst, investigator, "
                                       "admin or central_admin")],
    centre: Annotated[str | None, typer.Option("--centre", help="centre name or id")] = None,
    name: Annotated[str, typer.Option("--name", help="display name")] = "",
    output: FormatOption = OutputFormat.table,
) -> None:
    """Create a staff account; prints its password (and TOTP secret for admins) once."""
    with cli_context() as ctx:
        target = accounts.resolve_centre(ctx.session, centre)
        created = accounts.add_user(ctx, email, role, target, display_name=name)
        data = {"id": created.user.id, "email": created.user.email, "role": role.value,
                "centre": target.name, "password": created.password,
                "totp_secret": created.totp_secret, "totp_uri": created.totp_uri}
    if output is OutputFormat.json:
        emit_json(data)
        return
    console.print(f"account {data['id']} {data['email']} ({role.value}) at {target.name}")
    console.print(f"password (shown once): [bold]{created.password}[/bold]")
    if created.totp_secret:
        console.print(f"TOTP secret (shown once): [bold]{created.totp_secret}[/bold]")
        console.print(f"  {created.totp_uri}")


@users_app.command("list")
def users_list(centre: Annotated[str | None, typer.Option("--centre")] = None,
               output: FormatOption = OutputFormat.table) -> None:
    with cli_context() as ctx:
        centre_id = accounts.resolve_centre(ctx.session, centre).id if centre else None
        data = [{"id": u.id, "email": u.email, "role": u.role, "centre_id": u.centre_id,
                 "active": u.active, "totp_enabled": u.totp_enabled}
                for u in accounts.list_users(ctx, centre_id)]
    if output is OutputFormat.json:
        emit_json(data)
    else:
        emit_table(["id", "email", "role", "centre", "active", "2FA"],
                   [(d["id"], d["email"], d["role"], d["centre_id"], d["active"],
                     d["totp_enabled"]) for d in data])


@users_app.command("reset-password")
def users_reset_password(user_id: int, output: FormatOption = OutputFormat.table) -> None:
    """Give an account a new password (printed once); its sessions and API tokens end."""
    with cli_context() as ctx:
        password = accounts.reset_password(ctx, user_id)
        email = accounts.get_user(ctx, user_id).email
    if output is OutputFormat.json:
        emit_json({"id": user_id, "email": email, "password": password})
        return
    console.print(f"account {user_id} {email}: new password (shown once): "
                  f"[bold]{password}[/bold]")


# --- cases -----------------------------------------------------------------------------------
@cases_app.command("open")
def cases_open(
    channel: Annotated[IntakeChannel, typer.Option("--channel", help="hotline, web, walk_in "
                                                   "or referral")],
    name: Annotated[str | None, typer.Option("--name")] = None,
    phone: Annotated[str | None, typer.Option("--phone")] = None,
    email: Annotated[str | None, typer.Option("--email")] = None,
    minor: Annotated[bool, typer.Option("--minor", help="the victim is a minor")] = False,
    centre: Annotated[str | None, typer.Option("--centre", help="centre name or id")] = None,
    assign: Annotated[list[int] | None, typer.Option("--assign", help="staff id")] = None,
    output: FormatOption = OutputFormat.table,
) -> None:
    """Open a case; prints the case code and the victim's secret once."""
    with cli_context() as ctx:
        target = accounts.resolve_centre(ctx.session, centre)
        opened = cases.open_case(ctx, target, channel, name=name, phone=phone, email=email,
                                 minor=minor, assign_to=assign or [])
    if output is OutputFormat.json:
        emit_json({"code": opened.case.code, "victim_secret": opened.victim_secret,
                   "centre": target.name})
        return
    console.print(f"case code: [bold]{opened.case.code}[/bold]")
    console.print(f"victim's secret (shown once): [bold]{opened.victim_secret}[/bold]")


@cases_app.command("list")
def cases_list(
    status: Annotated[CaseStatus | None, typer.Option("--status")] = None,
    channel: Annotated[IntakeChannel | None, typer.Option("--channel")] = None,
    minor: Annotated[bool | None, typer.Option("--minor/--adult")] = None,
    output: FormatOption = OutputFormat.table,
) -> None:
    with cli_context() as ctx:
        rows = cases.list_cases(ctx, status=status, channel=channel, minor=minor, limit=10_000)
    if output is OutputFormat.json:
        emit_json(rows)
    else:
        emit_table(["code", "centre", "status", "channel", "opened", "minor", "consents"],
                   [(r.code, r.centre_name, r.status.value, r.intake_channel.value,
                     r.intake_at.strftime("%Y-%m-%d"), "yes" if r.minor else "",
                     ",".join(c.value for c in r.consents)) for r in rows])


@cases_app.command("show")
def cases_show(code: str, output: FormatOption = OutputFormat.table) -> None:
    with cli_context() as ctx:
        detail = cases.get_case(ctx, code)
        events = cases.timeline(ctx, code)
    if output is OutputFormat.json:
        data = detail.model_dump(mode="json")
        data["timeline"] = [e.model_dump(mode="json") for e in events]
        emit_json(data)
        return
    emit_table(["field", "value"], [
        ("code", detail.code), ("centre", detail.centre_name), ("status", detail.status.value),
        ("channel", detail.intake_channel.value), ("opened", detail.intake_at.isoformat()),
        ("minor", detail.minor), ("consents", ",".join(c.value for c in detail.consents)),
        ("assignees", ",".join(map(str, detail.assignee_ids))),
        ("erased", detail.erased_at.isoformat() if detail.erased_at else ""),
    ], title=detail.code)
    emit_table(["time (UTC)", "actor", "event", "data"],
               [(e.at.strftime("%Y-%m-%d %H:%M:%S"), e.actor, e.kind, json.dumps(e.data))
                for e in events], title="timeline")


@cases_app.command("consent")
def cases_consent(code: str, purpose: ConsentPurpose,
                  withdraw: Annotated[bool, typer.Option("--withdraw")] = False) -> None:
    """Record consent for a purpose (partner_sharing, face_search, evidence_capture,
    police_referral), or withdraw it."""
    with cli_context() as ctx:
        cases.record_consent(ctx, code, purpose, withdraw=withdraw)
    console.print(f"{code}: consent for {purpose.value} "
                  f"{'withdrawn' if withdraw else 'recorded'}")


@cases_app.command("status")
def cases_status(code: str, status: CaseStatus,
                 reason: Annotated[str, typer.Option("--reason")] = "") -> None:
    """Move a case to a new status (open, active, monitoring, closed, reopened)."""
    with cli_context() as ctx:
        cases.change_status(ctx, code, status, reason)
    console.print(f"{code}: {status.value}")


@cases_app.command("erase")
def cases_erase(code: str,
                reason: Annotated[str, typer.Option("--reason")] = "victim request",
                yes: Annotated[bool, typer.Option("--yes", help="do not ask")] = False) -> None:
    """Erase a case's contact data, notes and consents at the victim's request."""
    if not yes and not typer.confirm(f"Erase {code}? This cannot be undone."):
        raise typer.Exit(1)
    with cli_context() as ctx:
        cases.erase_case(ctx, code, reason)
    console.print(f"{code}: erased; a tombstone remains")


@cases_app.command("hand-over")
def cases_hand_over(code: str,
                    to: Annotated[str, typer.Option("--to", help="the receiving centre (name "
                                                                  "or id)")],
                    reason: Annotated[str, typer.Option("--reason")]) -> None:
    """Move a case to another centre (its bank, matches, takedowns and evidence follow; it
    lands in that centre's intake queue)."""
    with cli_context() as ctx:
        centre = accounts.resolve_centre(ctx.session, to)
        name = cases.hand_over(ctx, code, centre.id, reason)
    console.print(f"{code.strip().upper()}: handed over to {name}")


# --- audit -----------------------------------------------------------------------------------
@audit_app.command("verify")
def audit_verify(output: FormatOption = OutputFormat.table) -> None:
    """Check the audit chain; exits 1 and names the first bad entry if it was tampered with."""
    runtime = open_runtime()
    try:
        with runtime.sessions() as session:
            report = verify_chain(session, audit_key(runtime.keys.signing_secret))
    finally:
        runtime.close()
    if output is OutputFormat.json:
        emit_json({"ok": report.ok, "entries": report.entries,
                   "first_bad_entry": report.problem.seq if report.problem else None,
                   "reason": report.problem.reason if report.problem else None})
    elif report.ok:
        console.print(f"audit log intact: {report.entries} entries")
    else:
        assert report.problem is not None
        err_console.print(f"[red]audit log broken at entry {report.problem.seq}[/red]: "
                          f"{report.problem.reason}")
    if not report.ok:
        raise typer.Exit(1)


# --- demo ------------------------------------------------------------------------------------
@demo_app.command("seed")
def demo_seed() -> None:
    """Create demo centres, staff of every role and a few cases (once; re-running reuses)."""
    import os

    from jikimi.cli.demo import seed_demo
    from jikimi.cli.demo_world import DEMO_SENDER

    # The demo scans its own gallery site on 127.0.0.1 and prepares a notice: it needs
    # loopback fetches and a sender address (a real installation sets neither this way).
    os.environ.setdefault("JIKIMI_FETCH_ALLOW_LOOPBACK", "true")
    os.environ.setdefault("JIKIMI_SMTP_FROM", DEMO_SENDER)
    runtime = open_runtime()
    try:
        result = seed_demo(runtime)
    finally:
        runtime.close()
    if result is None:
        console.print("demo data already present; passwords were printed when it was created")
        return
    print("Demo accounts (passwords shown once; admins also need the TOTP secret):")
    for centre, role, email, password, totp in result:
        extra = f"  TOTP secret: {totp}" if totp else ""
        print(f"  [{centre}] {role:<14} {email:<36} password: {password}{extra}")


@demo_app.command("run")
def demo_run() -> None:
    """Serve the demo's gallery site and catch its e-mail (127.0.0.1 only), until stopped."""
    from jikimi.cli.demo_world import run_services

    runtime = open_runtime()
    try:
        run_services(runtime, lambda line: console.print(line, markup=False))
    finally:
        runtime.close()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
