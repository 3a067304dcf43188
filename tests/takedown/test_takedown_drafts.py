"""Notices are drafts an officer approves: preview in the platform's language, edit (audited,
kept as the draft's text), approve; the e-mail an SMTP server receives carries the edited
text. Missing operator settings answer with a sentence (409), never a 500; the CLI does the
same steps."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select
from tests.conftest import World, auth
from tests.takedown.conftest import SENDER, Recorder
from tests.takedown.seed import VICTIM_NAME, seed_case, seed_match
from typer.testing import CliRunner

from jikimi.core.actors import cli_actor
from jikimi.core.audit import AuditEntry
from jikimi.core.runtime import Runtime
from jikimi.takedown import service


def _confirmed_drafts(client, runtime: Runtime, world: World,  # type: ignore[no-untyped-def]
                      urls: list[str]) -> tuple[dict[str, int], dict[str, str]]:
    seeded = seed_case(runtime, world.centre_a)
    analyst = auth(world.staff["analyst_a"])
    for n, url in enumerate(urls):
        match_id = seed_match(runtime, seeded, url, content=f"c{n}")
        r = client.post(f"/api/v1/review/{match_id}/confirm", json={}, headers=analyst)
        assert r.status_code == 200, r.text
    listed = client.get("/api/v1/takedowns", headers=analyst).json()
    return {row["platform_id"]: row["id"] for row in listed}, analyst


def test_preview_edit_approve_sends_the_edited_text(
        client, runtime: Runtime, world: World,  # type: ignore[no-untyped-def]
        smtp_server: tuple[Recorder, int]) -> None:
    recorder, _port = smtp_server
    ids, analyst = _confirmed_drafts(client, runtime, world, ["https://www.tumblr.com/p/7"])
    tumblr = ids["tumblr"]
    # preview: rendered in the platform's language, stored, nothing sent
    r = client.post(f"/api/v1/takedowns/{tumblr}/preview", json={}, headers=analyst)
    assert r.status_code == 200, r.text
    draft = r.json()
    assert draft["status"] == "draft" and draft["approved_at"] is None
    assert draft["language"] == "en" and "https://www.tumblr.com/p/7" in draft["notice_body"]
    assert draft["outbox"] == [] and recorder.messages == []
    # mark-sent before approval is refused
    assert client.post(f"/api/v1/takedowns/{tumblr}/mark-sent", json={},
                       headers=analyst).status_code == 409
    # bad edits: two-line subject (header injection), the URL taken out, control characters
    for body, code in (({"subject": "a\r\nBcc: x@y.example", "body": draft["notice_body"]},
                        "bad_notice_subject"),
                       ({"subject": "ok", "body": "Please remove it."}, "notice_url_missing"),
                       ({"subject": "ok", "body": draft["notice_body"] + "\x07"},
                        "bad_notice_body")):
        r = client.put(f"/api/v1/takedowns/{tumblr}/notice", json=body, headers=analyst)
        assert r.status_code == 422 and r.json()["error"]["code"] == code, r.text
    assert client.put(f"/api/v1/takedowns/{tumblr}/notice", json={"subject": "x"},
                      headers=analyst).status_code == 422
    # only analysts and admins of the centre edit
    edited_body = draft["notice_body"].replace(
        "https://www.tumblr.com/p/7",
        "https://www.tumblr.com/p/7\n(Posted again on 1 December; urgent.)")
    edit = {"subject": "Urgent: " + draft["notice_subject"], "body": edited_body}
    for who, code in (("counsellor_a", 403), ("analyst_b", 404)):
        assert client.put(f"/api/v1/takedowns/{tumblr}/notice", json=edit,
                          headers=auth(world.staff[who])).status_code == code
    r = client.put(f"/api/v1/takedowns/{tumblr}/notice", json=edit, headers=analyst)
    assert r.status_code == 200, r.text
    assert r.json()["edited_by"] == f"staff:{world.staff['analyst_a'].id}"
    assert "(Posted again on 1 December; urgent.)" in r.json()["notice_body"]
    # approve: the e-mail leaves with the edited text
    r = client.post(f"/api/v1/takedowns/{tumblr}/approve", json={}, headers=analyst)
    assert r.status_code == 200, r.text
    assert len(recorder.messages) == 1
    message = recorder.parsed()[0]
    assert message["Subject"].startswith("Urgent: ")
    assert message["From"] == SENDER and recorder.messages[0][0] == ["abuse@tumblr.com"]
    assert "(Posted again on 1 December; urgent.)" in message.get_body().get_content()
    assert VICTIM_NAME not in message.as_string()
    shown = client.get(f"/api/v1/takedowns/{tumblr}", headers=analyst).json()
    assert shown["status"] == "sent"
    assert [e["kind"] for e in shown["events"] if e["kind"] in
            ("prepared", "edited", "approved")] == ["prepared", "edited", "approved"]
    # approved notices are fixed
    for method, path, body in (("put", "notice", edit), ("post", "preview", {}),
                               ("post", "approve", {})):
        r = getattr(client, method)(f"/api/v1/takedowns/{tumblr}/{path}", json=body,
                                    headers=analyst)
        assert r.status_code == 409, (path, r.text)
    with runtime.sessions() as session:
        actions = {a for a in session.scalars(select(AuditEntry.action).where(
            AuditEntry.record_id == str(tumblr)))}
        edits = [json.loads(d or "{}") for d in session.scalars(
            select(AuditEntry.details).where(AuditEntry.action == "takedown.edit"))]
    assert {"takedown.prepare", "takedown.edit", "takedown.send"} <= actions
    assert edits and edits[0]["before_sha256"] != edits[0]["after_sha256"]


def test_missing_settings_are_a_sentence_not_a_500(
        client, runtime: Runtime, world: World) -> None:  # type: ignore[no-untyped-def]
    ids, analyst = _confirmed_drafts(client, runtime, world, ["https://www.tumblr.com/p/8",
                                                             "https://x.com/u/status/9"])
    tumblr, x = ids["tumblr"], ids["x"]
    # no mail server (this installation has no SMTP URL): preview works, e-mail approval is
    # refused with a sentence, approval for submission by hand works
    assert runtime.settings.smtp_url is None
    assert service.mail_readiness(runtime.settings) == ["mail_server_missing"]
    assert client.post(f"/api/v1/takedowns/{tumblr}/preview", json={},
                       headers=analyst).status_code == 200
    r = client.post(f"/api/v1/takedowns/{tumblr}/approve", json={},
                    headers=auth(world.staff["analyst_a"], "ko"))
    assert r.status_code == 409 and r.json()["error"]["code"] == "mail_server_missing"
    said = r.json()["error"]["message"]
    assert "메일 서버" in said and "JIKIMI_" not in said
    r = client.post(f"/api/v1/takedowns/{tumblr}/approve", json={"by_hand": True},
                    headers=analyst)
    assert r.status_code == 200 and r.json()["outbox"] == []
    assert client.post(f"/api/v1/takedowns/{tumblr}/mark-sent", json={"note": "sent by hand"},
                       headers=analyst).json()["status"] == "sent"
    # no sender address: the preview itself says what is missing, in one sentence
    runtime.settings.smtp_from = "jikimi@localhost"
    assert "sender_address_missing" in service.mail_readiness(runtime.settings)
    r = client.post(f"/api/v1/takedowns/{x}/preview", json={},
                    headers=auth(world.staff["analyst_a"], "ko"))
    assert r.status_code == 409 and r.json()["error"]["code"] == "sender_address_missing", r.text
    assert "관리자" in r.json()["error"]["message"]
    r = client.post(f"/api/v1/takedowns/{x}/send", json={}, headers=analyst)
    assert r.status_code == 409 and r.json()["error"]["code"] == "sender_address_missing"


def test_cli_preview_edit_approve(runtime: Runtime, world: World, tmp_path: Path,
                                  smtp_server: tuple[Recorder, int],
                                  monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from jikimi import review
    from jikimi.cli.app import app

    recorder, port = smtp_server
    seeded = seed_case(runtime, world.centre_a)
    match_id = seed_match(runtime, seeded, "https://www.tumblr.com/p/10")
    with runtime.context(cli_actor()) as ctx:
        review.confirm(ctx, match_id)
        request_id = next(r.id for r in service.list_requests(ctx) if r.platform_id == "tumblr")
    for key, value in (("JIKIMI_DATA_DIR", str(runtime.settings.data_dir)),
                       ("JIKIMI_DATABASE_URL", runtime.settings.sqlalchemy_url),
                       ("JIKIMI_SMTP_FROM", SENDER),
                       ("JIKIMI_SMTP_URL", f"smtp://127.0.0.1:{port}")):
        monkeypatch.setenv(key, value)
    cli = CliRunner()
    shown = cli.invoke(app, ["takedowns", "preview", str(request_id)])
    assert shown.exit_code == 0, shown.output
    assert "https://www.tumblr.com/p/10" in shown.output
    with runtime.context(cli_actor()) as ctx:
        body = service.get_request(ctx, request_id).notice_body or ""
    text = tmp_path / "notice.txt"
    text.write_text(body + "\nEdited at the command line.\n", encoding="utf-8")
    edited = cli.invoke(app, ["takedowns", "edit", str(request_id), "--body-file", str(text)])
    assert edited.exit_code == 0, edited.output
    bad = tmp_path / "bad.txt"
    bad.write_text("nothing\n", encoding="utf-8")
    refused = cli.invoke(app, ["takedowns", "edit", str(request_id), "--body-file", str(bad)])
    assert refused.exit_code == 1 and "notice_url_missing" in refused.output
    approved = cli.invoke(app, ["takedowns", "approve", str(request_id)])
    assert approved.exit_code == 0, approved.output
    assert "sent" in approved.output
    assert "Edited at the command line." in recorder.parsed()[0].get_body().get_content()
    stats = cli.invoke(app, ["takedowns", "stats"])
    assert stats.exit_code == 0 and "no removals yet" in stats.output
    assert "None" not in stats.output
