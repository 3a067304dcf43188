"""The administrator's status page: mail settings and a real SMTP server (aiosmtpd), the
worker's heartbeat, the key file and its recorded backup, disk, outbox — in the service, the
CLI (``jikimi status``, ``jikimi keys backup``) and the page, in Korean and English."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest
from tests.conftest import World
from tests.review.test_pages import session_for
from tests.takedown.conftest import Recorder, free_port, smtp_server  # noqa: F401
from typer.testing import CliRunner

from jikimi import ops
from jikimi.cli.app import app as cli_app
from jikimi.core.actors import cli_actor
from jikimi.core.database import utcnow
from jikimi.core.runtime import Runtime
from jikimi.errors import Forbidden, InvalidInput


def _states(runtime: Runtime) -> dict[str, tuple[str, str]]:
    with runtime.context(cli_actor()) as ctx:
        return {c.key: (c.state, c.reason) for c in ops.system_status(ctx).checks}


def test_status_checks(runtime: Runtime, world: World, tmp_path: Path,
                       smtp_server: tuple[Recorder, int]) -> None:  # noqa: F811
    _recorder, port = smtp_server
    states = _states(runtime)
    assert states["sender_address"] == ("fail", "missing")
    assert states["mail_server"] == ("fail", "missing")
    assert states["worker"] == ("fail", "never")
    assert states["key_file"] == ("ok", "present")
    assert states["key_backup"] == ("warn", "never")
    assert states["outbox"] == ("ok", "empty")
    assert states["disk"][0] in ("ok", "warn")
    # a real mail server answers; a closed port does not
    runtime.settings.smtp_from = "centre@jikimi.test"
    runtime.settings.smtp_url = f"smtp://127.0.0.1:{port}"
    states = _states(runtime)
    assert states["sender_address"] == ("ok", "set")
    assert states["mail_server"] == ("ok", "answers")
    runtime.settings.smtp_url = f"smtp://127.0.0.1:{free_port()}"
    assert _states(runtime)["mail_server"] == ("fail", "unreachable")
    # the worker's heartbeat: alive, then silent
    ops.beat(runtime, "worker")
    assert _states(runtime)["worker"] == ("ok", "alive")
    ops.beat(runtime, "worker", now=utcnow() - ops.WORKER_SILENCE - dt.timedelta(minutes=1))
    assert _states(runtime)["worker"] == ("fail", "silent")
    # key backups: outside the data directory only, recorded, the copy loads
    with runtime.context(cli_actor()) as ctx, pytest.raises(InvalidInput):
        ops.backup_keys(ctx, runtime.settings.resolved_data_dir / "copy.json")
    target = tmp_path / "offline" / "keys.json"
    with runtime.context(cli_actor()) as ctx:
        row = ops.backup_keys(ctx, target)
    assert target.read_bytes() == runtime.settings.key_file.read_bytes()
    assert (target.stat().st_mode & 0o777) == 0o600 and len(row.sha256) == 64
    assert _states(runtime)["key_backup"] == ("ok", "recent")
    os.chmod(runtime.settings.key_file, 0o644)
    assert _states(runtime)["key_file"] == ("warn", "readable_by_others")
    os.chmod(runtime.settings.key_file, 0o600)
    # only administrators see it
    from jikimi import accounts

    with runtime.context(cli_actor()) as ctx:
        analyst = accounts.actor_for(accounts.get_user(ctx, world.staff["analyst_a"].id))
        admin = accounts.actor_for(accounts.get_user(ctx, world.staff["admin_a"].id))
    with runtime.context(analyst) as ctx, pytest.raises(Forbidden):
        ops.system_status(ctx)
    with runtime.context(admin) as ctx:
        assert ops.system_status(ctx).checks
        with pytest.raises(Forbidden):
            ops.backup_keys(ctx, tmp_path / "admin-copy.json")


def test_status_cli(runtime: Runtime, world: World, tmp_path: Path,  # type: ignore[no-untyped-def]
                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JIKIMI_DATA_DIR", str(runtime.settings.data_dir))
    monkeypatch.setenv("JIKIMI_DATABASE_URL", runtime.settings.sqlalchemy_url)
    monkeypatch.setenv("COLUMNS", "400")
    cli = CliRunner()
    shown = cli.invoke(cli_app, ["status", "--lang", "ko"])
    assert shown.exit_code == 1  # something fails: no sender address, no worker
    assert "JIKIMI_SMTP_FROM" in shown.output and "jikimi keys backup" in shown.output
    (tmp_path / "usb").mkdir()
    backup = cli.invoke(cli_app, ["keys", "backup", str(tmp_path / "usb")])
    assert backup.exit_code == 0, backup.output
    assert len(list((tmp_path / "usb").glob("jikimi-keys-*.json"))) == 1
    inside = cli.invoke(cli_app, ["keys", "backup", str(runtime.settings.data_dir / "k.json")])
    assert inside.exit_code != 0 and "data directory" in inside.output
    worker = cli.invoke(cli_app, ["worker", "--once"])
    assert worker.exit_code == 0, worker.output
    as_json = cli.invoke(cli_app, ["status", "--format", "json"])
    checks = {c["key"]: c for c in json.loads(as_json.output)["checks"]}
    assert checks["key_backup"]["state"] == "ok"
    assert checks["worker"]["state"] == "ok"  # one round of the worker is a heartbeat
    english = cli.invoke(cli_app, ["status", "--lang", "en"])
    assert "Last key backup" in english.output and "System (command line)" in english.output


def test_status_page(app, runtime: Runtime, world: World) -> None:  # type: ignore[no-untyped-def]
    admin, _csrf = session_for(app, world.staff["admin_a"], totp=True)
    page = admin.get("/status")
    assert page.status_code == 200
    assert 'data-check="mail_server" data-state="fail"' in page.text
    assert "메일 서버가 설정되지 않았습니다" in page.text and "JIKIMI_SMTP_URL" in page.text
    english = admin.get("/status?lang=en")
    assert "No mail server is set" in english.text
    central, _csrf = session_for(app, world.staff["central_admin"], totp=True)
    assert central.get("/status").status_code == 200
    for who in ("analyst_a", "counsellor_a", "investigator_a"):
        client, _csrf = session_for(app, world.staff[who])
        assert client.get("/status").status_code == 403, who
