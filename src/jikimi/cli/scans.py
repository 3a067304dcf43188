"""CLI: ``jikimi sources ...``, ``jikimi scan``, ``jikimi scans show``, ``jikimi worker``."""

from __future__ import annotations

import json
import time
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from jikimi import scans
from jikimi.cli.common import (
    CentreOption,
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
from jikimi.matching import Matcher

sources_app = typer.Typer(help="Places content appears: URL lists, sites, feeds, Telegram "
                               "exports, archives.", no_args_is_help=True)
scans_app = typer.Typer(help="Scan results.", no_args_is_help=True)


@sources_app.command("add")
def sources_add(
    source_type: Annotated[str, typer.Argument(metavar="TYPE",
                                               help="urls, crawl, feed, telegram or archive")],
    name: Annotated[str, typer.Option("--name")],
    url: Annotated[list[str] | None, typer.Option("--url", help="a URL (repeatable)")] = None,
    path: Annotated[str | None, typer.Option("--path", help="a folder, ZIP or export")] = None,
    config: Annotated[str | None, typer.Option("--config", help="more settings as JSON")
                      ] = None,
    interval: Annotated[int | None, typer.Option("--every-minutes",
                                                 help="re-scan interval")] = None,
    centre: CentreOption = None,
    output: FormatOption = OutputFormat.table,
) -> None:
    """Register a source for --centre (default: the installation's default centre); prints
    its id."""
    settings: dict[str, Any] = json.loads(config) if config else {}
    if url:
        settings["start_urls" if source_type == "crawl" else "urls"] = list(url)
    if path:
        settings["path"] = path
    with cli_context(centre=centre) as ctx:
        source = scans.add_source(ctx, source_type, name, settings, interval_minutes=interval)
    if output is OutputFormat.json:
        emit_json({"id": source.id})
    else:
        console.print(f"source {source.id}: {source.name} ({source.type})")


@sources_app.command("list")
def sources_list(output: FormatOption = OutputFormat.table) -> None:
    with cli_context() as ctx:
        rows = scans.list_sources(ctx)
    if output is OutputFormat.json:
        emit_json(rows)
    else:
        emit_table(["id", "type", "name", "every (min)", "next run"],
                   [(s.id, s.type, s.name, s.interval_minutes or "",
                     s.next_run_at.isoformat() if s.next_run_at else "") for s in rows])


def _executor(ray: str | None, ray_workers: int | None) -> scans.ItemExecutor | None:
    if ray is None:
        return None
    from jikimi.scans.ray_runner import RayExecutor

    return RayExecutor(None if ray in ("", "local") else ray, num_cpus=ray_workers)


def scan_command(
    source_id: int,
    ray: Annotated[str | None, typer.Option("--ray", help="run on Ray: 'local' or a cluster "
                                            "address such as ray://head:10001")] = None,
    ray_workers: Annotated[int | None, typer.Option("--ray-workers",
                                                    help="CPUs of a local Ray")] = None,
    output: FormatOption = OutputFormat.table,
) -> None:
    """Scan a source (or resume its unfinished scan) and print a summary."""
    runtime = open_runtime()
    executor = _executor(ray, ray_workers)
    try:
        with runtime.sessions() as session:
            matcher = Matcher.load(runtime.settings.resolved_data_dir / "index", session,
                                     runtime.keys)
        with Progress(TextColumn("scan"), BarColumn(), MofNCompleteColumn(),
                      console=err_console, disable=output is OutputFormat.json) as bar:
            task = bar.add_task("scan", total=None)

            def update(p: scans.ScanProgress) -> None:
                bar.update(task, completed=p.done, total=p.total or None)

            result = scans.run_scan(runtime, cli_actor(), matcher, source_id,
                                    executor=executor, runner="ray" if ray is not None
                                    else "local", on_progress=update)
    except JikimiError as exc:
        err_console.print(f"[red]error[/red] ({exc.code}): {exc.message}")
        raise typer.Exit(1) from exc
    finally:
        if executor is not None and hasattr(executor, "shutdown"):
            executor.shutdown()
        runtime.close()
    data = {"scan_id": result.scan_id, "items": result.items, "matched": result.matched,
            "errors": result.errors}
    if output is OutputFormat.json:
        emit_json(data)
    else:
        console.print(f"scan {result.scan_id}: {result.items} items, {result.matched} "
                      f"matched, {result.errors} errors")


@scans_app.command("show")
def scans_show(scan_id: int, output: FormatOption = OutputFormat.table) -> None:
    """A scan's items, errors and matches."""
    with cli_context() as ctx:
        detail = scans.show_scan(ctx, scan_id)
    if output is OutputFormat.json:
        emit_json(detail)
        return
    s = detail.summary
    console.print(f"scan {s.scan_id} of source {s.source_id}: {s.status}, {s.items} items, "
                  f"{s.matched} matched, {s.errors} errors")
    emit_table(["item", "status", "matches / error"],
               [(i.key[-60:], i.status,
                 ", ".join(f"{m.bank}#{m.entry_id} d={m.distance}" for m in i.matches)
                 or (f"{i.error_code}: {i.error_reason}" if i.error_code else ""))
                for i in detail.items])


@scans_app.command("run-started")
def scans_run_started(
    scan_id: int,
    claim: Annotated[str, typer.Option("--claim", help="the claim the starting process "
                                       "made for this run")],
    nice: Annotated[int, typer.Option("--nice", help="run the heavy work this many steps "
                                      "lower in CPU priority", min=0, max=19)] = 0,
) -> None:
    """Run a scan a serving door started and claimed, as the process the door starts does
    (``python -m jikimi.scan_process``); not needed by hand: ``jikimi scan`` and ``jikimi
    worker`` run scans themselves. A failure ends the scan as failed with its reason."""
    from jikimi.scan_process import run

    raise typer.Exit(run(scan_id, claim, nice))


@scans_app.command("list")
def scans_list(output: FormatOption = OutputFormat.table) -> None:
    with cli_context() as ctx:
        rows = scans.list_scans(ctx)
    if output is OutputFormat.json:
        emit_json(rows)
    else:
        emit_table(["scan", "source", "status", "items", "matched", "errors"],
                   [(r.scan_id, r.source_id, r.status, r.items, r.matched, r.errors)
                    for r in rows])


def worker_command(
    once: Annotated[bool, typer.Option("--once", help="one round, then exit")] = False,
    poll_seconds: Annotated[float, typer.Option("--poll-seconds")] = 30.0,
) -> None:
    """Re-scan sources on their interval and resume interrupted scans; send takedown e-mail,
    mark overdue requests and re-check removals; keep the matching index snapshot up to date
    (serving processes map it); run the scans the serving doors start (this host's scan
    runner, on ``$JIKIMI_DATA_DIR/run/scans.sock``); until stopped."""
    from jikimi.matching.snapshots import SnapshotKeeper
    from jikimi.scans.runner import ScanRunner

    runtime = open_runtime()
    index_dir = runtime.settings.resolved_data_dir / "index"
    with runtime.sessions() as session:
        matcher = Matcher.load(index_dir, session, runtime.keys, mmap=True)
    keeper = SnapshotKeeper(matcher, runtime.sessions, index_dir)
    runner: ScanRunner | None = None
    if not once:
        keeper.start()  # its own thread: a long scan never delays the snapshot
        runner = ScanRunner(runtime, matcher, say=lambda line: console.print(
            escape(line), soft_wrap=True))
        if runner.start():  # the doors hand it the scans they start
            console.print(f"scan runner listening on {escape(str(runner.path))}")
        else:
            err_console.print("another worker runs this data directory's scans; this one "
                              "runs only its own rounds")
            runner = None
    try:
        while True:
            from jikimi.ops import beat

            beat(runtime, "worker")  # the status page shows whether the worker is alive
            with runtime.sessions() as session:
                matcher.sync(session)
                resumable = scans.unfinished_scans(session)
                due = scans.due_sources(session)
            for scan_id in resumable:  # unless a live runner (a door's process) has it
                if runner is not None:  # run on the runner's thread, at its priority
                    if runner.take(scan_id):
                        console.print(f"resumed scan {scan_id} (queued)")
                    continue
                try:
                    if scans.resume_scan(runtime, matcher, scan_id) is not None:
                        console.print(f"resumed scan {scan_id}")
                except Exception as exc:  # the scan ended as failed, with its reason
                    err_console.print(f"[red]scan {scan_id}[/red]: "
                                      f"{escape(scans.failure_reason(exc))}")
            for source_id in due:
                if runner is not None:
                    try:
                        with runtime.context(cli_actor("worker")) as ctx:
                            due_scan = scans.start_scan(ctx, source_id)
                        if runner.take(due_scan):
                            console.print(f"scan {due_scan} of source {source_id} queued")
                    except Exception as exc:
                        err_console.print(f"[red]source {source_id}[/red]: "
                                          f"{escape(scans.failure_reason(exc))}")
                    continue
                try:
                    result = scans.run_scan(runtime, cli_actor("worker"), matcher, source_id)
                except scans.ScanBusy:
                    continue  # its scan is running elsewhere
                except Exception as exc:
                    err_console.print(f"[red]source {source_id}[/red]: "
                                      f"{escape(scans.failure_reason(exc))}")
                    continue
                console.print(f"scan {result.scan_id} of source {source_id}: "
                              f"{result.items} items, {result.matched} matched")
            try:  # takedowns: due e-mail, deadlines, scheduled re-checks of removed URLs
                from jikimi.takedown.service import run_due_work

                run_due_work(runtime)
            except JikimiError as exc:
                err_console.print(f"[red]takedowns[/red] ({exc.code}): {exc.message}")
            if once:
                if keeper.round(force=True):
                    console.print(f"index snapshot written at change {keeper.saved_seq}")
                return
            time.sleep(poll_seconds)
    finally:
        if runner is not None:
            runner.stop()
        keeper.stop()
        runtime.close()
