"""CLI: ``jikimi evidence capture|capture-match|list|show|custody|open|export|verify|destroy``.

Every command but ``verify`` acts as the operator at the server's console (recorded as
``system:cli:<name>``; ``--by`` names the person, by default the login name) and leaves a
custody event on each item it touches. ``verify`` needs no database: only the package and the
centre's public key.
"""

from __future__ import annotations

import getpass
import os
from pathlib import Path
from typing import Annotated

import typer

from jikimi import evidence
from jikimi.cli.common import (
    FormatOption,
    OutputFormat,
    cli_context,
    console,
    emit_json,
    emit_table,
    err_console,
)
from jikimi.errors import JikimiError

evidence_app = typer.Typer(help="Evidence capture, chain of custody, packages.",
                           no_args_is_help=True)

ByOption = Annotated[str, typer.Option("--by", help="who is acting (default: login name)")]
ReasonOption = Annotated[str, typer.Option("--reason", help="why (recorded in the custody log)")]


def _label(by: str) -> str:
    name = by.strip() or _login()
    return f"cli:{name[:100]}"


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "operator"


def _print_detail(detail: evidence.EvidenceDetail, output: OutputFormat) -> None:
    if output is OutputFormat.json:
        emit_json(detail)
        return
    rows = [("id", detail.id), ("case", detail.case_code), ("kind", detail.kind),
            ("status", detail.status), ("requested URL", detail.url),
            ("final URL", detail.final_url), ("redirects", " -> ".join(detail.redirects)),
            ("HTTP status", detail.http_status), ("SHA-256", detail.sha256),
            ("PDQ", detail.pdq or ""), ("TLS certificate", detail.tls_fingerprint or ""),
            ("captured", f"{detail.captured_at.isoformat()} ({detail.captured_at_kst})"),
            ("captured by", f"{detail.captured_by_name} ({detail.captured_by})"),
            ("media", detail.media_count), ("screenshot", detail.screenshot_sha256 or "none"),
            ("WARC", f"{detail.warc_name} sha256={detail.warc_sha256}")]
    emit_table(["field", "value"], rows, title=f"evidence {detail.id}")


@evidence_app.command("capture")
def capture(case_code: str, url: str, reason: ReasonOption = "", by: ByOption = "",
            no_screenshot: Annotated[bool, typer.Option(
                "--no-screenshot", help="skip Chromium (JIKIMI_EVIDENCE_SCREENSHOT=0)")] = False,
            output: FormatOption = OutputFormat.table) -> None:
    """Capture URL (page or media, with its media, headers, certificate and screenshot) as
    evidence for CASE_CODE; the case needs evidence-capture consent."""
    options = evidence.CaptureOptions.from_env()
    if no_screenshot:
        options = evidence.CaptureOptions(screenshot=False, chromium=options.chromium)
    with cli_context(_label(by)) as ctx:
        detail = evidence.capture_url(ctx, case_code, url, reason=reason, options=options,
                                      via="cli")
    _print_detail(detail, output)


@evidence_app.command("capture-match")
def capture_match(match_id: int, reason: ReasonOption = "", by: ByOption = "",
                  output: FormatOption = OutputFormat.table) -> None:
    """Capture the web item of a confirmed match for its case."""
    with cli_context(_label(by)) as ctx:
        detail = evidence.capture_from_match(ctx, match_id, reason=reason, via="cli")
    _print_detail(detail, output)


@evidence_app.command("list")
def list_items(case_code: str, by: ByOption = "", reason: ReasonOption = "",
               output: FormatOption = OutputFormat.table) -> None:
    """The evidence items of a case."""
    with cli_context(_label(by)) as ctx:
        items = evidence.list_evidence(ctx, case_code, via="cli", reason=reason)
    if output is OutputFormat.json:
        emit_json(items)
        return
    emit_table(["id", "kind", "captured (UTC)", "final URL", "SHA-256", "HTTP", "status"],
               [(i.id, i.kind, i.captured_at.strftime("%Y-%m-%d %H:%M:%S"), i.final_url[-60:],
                 i.sha256, i.http_status, i.status) for i in items])


@evidence_app.command("show")
def show(item_id: int, by: ByOption = "", reason: ReasonOption = "",
         output: FormatOption = OutputFormat.table) -> None:
    """Everything recorded about one item (not its content)."""
    with cli_context(_label(by)) as ctx:
        detail = evidence.get_evidence(ctx, item_id, via="cli", reason=reason)
    _print_detail(detail, output)


@evidence_app.command("custody")
def custody(item_id: int, by: ByOption = "", output: FormatOption = OutputFormat.table) -> None:
    """An item's chain of custody, oldest first."""
    with cli_context(_label(by)) as ctx:
        entries = evidence.custody_log(ctx, item_id, via="cli")
    if output is OutputFormat.json:
        emit_json(entries)
        return
    emit_table(["at (UTC)", "action", "who", "via", "reason"],
               [(e.at.strftime("%Y-%m-%d %H:%M:%S"), e.action, e.actor_name or e.actor, e.via,
                 e.reason) for e in entries])


@evidence_app.command("open")
def open_item(item_id: int,
              to: Annotated[Path, typer.Option("--to", help="where to write the WARC file")],
              reason: Annotated[str, typer.Option("--reason", help="why (required)")],
              by: ByOption = "") -> None:
    """Decrypt an item's WARC file to a file (a recorded decryption)."""
    with cli_context(_label(by)) as ctx:
        data = evidence.open_content(ctx, item_id, reason=reason, via="cli")
    fd = os.open(to, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    console.print(f"item {item_id}: {len(data):,} bytes written to {to}")


@evidence_app.command("export")
def export(case_code: str,
           to: Annotated[Path, typer.Option("--to", help="the package to write (.zip)")],
           hashes_only: Annotated[bool, typer.Option(
               "--hashes-only", help="only the hashes, not the items")] = False,
           reason: ReasonOption = "", by: ByOption = "") -> None:
    """Write the case's evidence package: items (or only hashes), signed manifest, custody
    log and the report in Korean."""
    from jikimi.evidence.package import export_package

    with cli_context(_label(by)) as ctx:
        result = export_package(ctx, case_code, to, hashes_only=hashes_only, reason=reason,
                                via="cli")
    console.print(f"{result.path}: {result.items} item(s), {result.files} files"
                  f"{' (hashes only)' if result.hashes_only else ''}\n"
                  f"package SHA-256: {result.sha256}")


@evidence_app.command("verify")
def verify(package: Path,
           key: Annotated[Path, typer.Option("--key", help="the centre's public key (PEM)")],
           output: FormatOption = OutputFormat.table) -> None:
    """Check a package's signature and every file's hash (no database needed); exits with
    status 1 and names each file that does not match."""
    from jikimi.evidence.package import load_public_key, verify_package

    try:
        public = load_public_key(key.read_bytes())
    except OSError as exc:
        err_console.print(f"[red]error[/red]: cannot read the key file {key}: {exc}")
        raise typer.Exit(2) from exc
    except JikimiError as exc:
        err_console.print(f"[red]error[/red] ({exc.code}): {exc.message}")
        raise typer.Exit(2) from exc
    result = verify_package(package, public)
    if output is OutputFormat.json:
        emit_json({"ok": result.ok, "signature_ok": result.signature_ok,
                   "case_code": result.case_code, "key_fingerprint": result.key_fingerprint,
                   "checked": result.checked,
                   "problems": [{"file": f, "problem": p} for f, p in result.problems]})
    else:
        console.print(f"key fingerprint: {result.key_fingerprint}")
        console.print(f"signature: {'valid' if result.signature_ok else 'INVALID'}")
        for name in result.checked:
            if name not in result.bad_files:
                console.print(f"  ok       {name}")
        for name, problem in result.problems:
            console.print(f"  FAILED   {name}: {problem}", markup=False)
        console.print("package verified" if result.ok else "VERIFICATION FAILED")
    if not result.ok:
        raise typer.Exit(1)


@evidence_app.command("destroy")
def destroy(item_id: int,
            reason: Annotated[str, typer.Option("--reason", help="the retention decision")],
            by: ByOption = "") -> None:
    """Destroy an item on a recorded decision: its content and key are deleted, its record
    and chain of custody stay."""
    with cli_context(_label(by)) as ctx:
        detail = evidence.destroy(ctx, item_id, reason=reason, via="cli")
    console.print(f"item {detail.id}: destroyed")
