"""The demo's own small world on this machine: a gallery web site on loopback where altered
copies of the demo pictures are "posted", a mail catcher standing in for the platforms' abuse
desks, and months of history so that every chart has something to show.

``jikimi demo seed`` serves the site while it scans it (so the review queue holds real web
matches and confirming one proposes a takedown), prepares one notice for approval, and builds
the history through the services (cases, consent, matches confirmed, notices approved, sent and
verified); only the dates of that history are moved into past months, since services stamp
"now". ``jikimi demo run`` (started by ``scripts/serve``) keeps the site and the mail catcher
up: notices the staff approve arrive there and are saved as ``.eml`` files under
``$JIKIMI_DATA_DIR/demo/mailbox``. Everything binds to 127.0.0.1; the pictures are generated
shapes, never people.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import os
import threading
import time
from collections.abc import Callable
from email import message_from_bytes, policy
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from PIL import Image, ImageOps
from sqlalchemy import select, update

from jikimi import accounts, cases, matching, review, scans
from jikimi.cases import Case, ConsentPurpose, IntakeChannel
from jikimi.core.actors import Actor, cli_actor
from jikimi.core.database import utcnow
from jikimi.core.runtime import Runtime

SITE_PORT_ENV = "JIKIMI_DEMO_SITE_PORT"
MAIL_PORT_ENV = "JIKIMI_DEMO_SMTP_PORT"
DEFAULT_SITE_PORT = 8765
DEFAULT_MAIL_PORT = 8025
DEMO_SENDER = "deletion-support@demo.jikimi.kr"
DEMO_ABUSE_DESK = "abuse@gallery.demo.jikimi.kr"
HISTORY_MONTHS = (5, 4, 3, 2, 1)  # months ago of the history cases


def site_port() -> int:
    return int(os.environ.get(SITE_PORT_ENV, DEFAULT_SITE_PORT))


def mail_port() -> int:
    return int(os.environ.get(MAIL_PORT_ENV, DEFAULT_MAIL_PORT))


def site_dir(runtime: Runtime) -> Path:
    return runtime.settings.resolved_data_dir / "demo" / "gallery-site"


def mailbox_dir(runtime: Runtime) -> Path:
    return runtime.settings.resolved_data_dir / "demo" / "mailbox"


# --- the gallery site --------------------------------------------------------------------------
def _jpeg(img: Image.Image, quality: int = 85) -> bytes:
    out = io.BytesIO()
    img.save(out, "JPEG", quality=quality)
    return out.getvalue()


def write_site(folder: Path, posted: dict[str, Image.Image]) -> list[str]:
    """Write the gallery (one page listing every picture) and return the pictures' paths."""
    media = folder / "media"
    media.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, img in posted.items():
        (media / name).write_bytes(_jpeg(img))
        paths.append(f"/media/{name}")
    items = "\n".join(f'<li><img src="{html.escape(p)}" alt="" width="200"></li>' for p in paths)
    (folder / "index.html").write_text(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Demo gallery"
        "</title></head><body><h1>Demo gallery (jikimi demo, loopback only)</h1><ul>"
        f"{items}</ul></body></html>\n", encoding="utf-8")
    (folder / "robots.txt").write_text("User-agent: *\nAllow: /\n", encoding="utf-8")
    return paths


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return


def serve_site(folder: Path, port: int) -> ThreadingHTTPServer:
    """Serve ``folder`` on 127.0.0.1:``port`` from a daemon thread; call ``shutdown()``."""
    handler = partial(_QuietHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, name="demo-site", daemon=True).start()
    return server


# --- the mail catcher --------------------------------------------------------------------------
class MailCatcher:
    """An SMTP server on 127.0.0.1 that accepts every message and saves it as an .eml file."""

    def __init__(self, folder: Path, on_message: Callable[[str], None] | None = None) -> None:
        self.folder = folder
        self.on_message = on_message
        folder.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw: bytes = envelope.original_content or envelope.content
        stamp = utcnow().strftime("%Y%m%d-%H%M%S-%f")
        (self.folder / f"{stamp}.eml").write_bytes(raw)
        message = message_from_bytes(raw, policy=policy.default)
        if self.on_message is not None:
            self.on_message(f"{', '.join(envelope.rcpt_tos)}: {message['Subject']}")
        return "250 Message accepted for delivery"


def start_mail_catcher(folder: Path, port: int,
                       on_message: Callable[[str], None] | None = None) -> Any:
    """Start the catcher (aiosmtpd) and return its controller (``stop()`` ends it)."""
    from aiosmtpd.controller import Controller

    controller = Controller(MailCatcher(folder, on_message), hostname="127.0.0.1", port=port)
    controller.start()
    return controller


def run_services(runtime: Runtime, say: Callable[[str], None]) -> None:
    """``jikimi demo run``: the gallery site and the mail catcher until interrupted."""
    folder = site_dir(runtime)
    if not (folder / "index.html").is_file():
        say("the demo site is missing: run `jikimi demo seed` first")
        return
    site = serve_site(folder, site_port())
    catcher = start_mail_catcher(mailbox_dir(runtime), mail_port(),
                                 lambda line: say(f"demo mail received → {line}"))
    say(f"demo gallery on http://127.0.0.1:{site_port()}/ ; mail catcher on "
        f"smtp://127.0.0.1:{mail_port()} (saved under {mailbox_dir(runtime)})")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        catcher.stop()
        site.shutdown()


# --- seeding -----------------------------------------------------------------------------------
def _actor(runtime: Runtime, user_id: int) -> Actor:
    with runtime.context(cli_actor("demo")) as ctx:
        return accounts.actor_for(accounts.get_user(ctx, user_id))


def _register(runtime: Runtime, counsellor: Actor, code: str, bank: str,
              pictures: list[Image.Image]) -> None:
    from jikimi.hashing import fingerprint_bytes

    with runtime.context(counsellor) as ctx:
        ref = cases.case_ref(ctx, code)
        matching.create_bank(ctx, bank, case=ref, case_access_checked=True)
        for n, img in enumerate(pictures):
            fp = fingerprint_bytes(_jpeg(img, 92), with_variants=True)
            matching.add_entries(ctx, bank, matching.entries_for_fingerprints(
                fp, label=f"demo picture {n + 1}"), case_access_checked=True)


def _months_ago(now: dt.datetime, months: int, day: int = 12) -> dt.datetime:
    year, month = now.year, now.month - months
    while month < 1:
        year, month = year - 1, month + 12
    return dt.datetime(year, month, day, 2, 0, tzinfo=dt.UTC)


def seed_web_demo(runtime: Runtime, first_code: str, ids: dict[str, int],
                  picture: Callable[[int], Image.Image]) -> dict[str, Any]:
    """The gallery site with copies of the first case's pictures and of history cases'
    pictures; one scan of it; history through the services; one notice prepared for the
    abuse desk (the mail catcher). Returns what was made (for the tests and the summary)."""
    from jikimi.matching import Matcher
    from jikimi.takedown import service as takedowns

    centre_id = _centre_of(runtime, ids["counsellor@demo.jikimi.kr"])
    counsellor = _actor(runtime, ids["counsellor@demo.jikimi.kr"])
    analyst = _actor(runtime, ids["analyst@demo.jikimi.kr"])
    now = utcnow()
    # history cases (their pictures are generated; dates moved into past months below)
    history: list[tuple[str, int]] = []
    with runtime.context(counsellor) as ctx:
        centre = accounts.resolve_centre(ctx.session, centre_id)
        for months in HISTORY_MONTHS:
            opened = cases.open_case(ctx, centre, IntakeChannel.HOTLINE,
                                     assign_to=[int(counsellor.id or 0)])
            cases.record_consent(ctx, opened.case.code, ConsentPurpose.PARTNER_SHARING)
            history.append((opened.case.code, months))
    first_pictures = [picture(1), picture(2)]
    posted: dict[str, Image.Image] = {
        "beach-mirrored.jpg": ImageOps.mirror(first_pictures[0]),
        "beach-small.jpg": first_pictures[0].resize((480, 360)),
        "garden-crop.jpg": first_pictures[1].crop((30, 20, 770, 580)),
        "street-1.jpg": picture(21), "street-2.jpg": picture(22),
    }
    for n, (code, _months) in enumerate(history):
        own = picture(40 + n)
        _register(runtime, counsellor, code, f"demo-history-{n + 1}", [own])
        posted[f"repost-{n + 1}.jpg"] = ImageOps.mirror(own)
    folder = site_dir(runtime)
    paths = write_site(folder, posted)
    base = f"http://127.0.0.1:{site_port()}"
    server = serve_site(folder, site_port())
    try:
        with runtime.context(analyst) as ctx:
            source_id = scans.add_source(ctx, "urls", "demo gallery (loopback)",
                                         {"urls": [base + p for p in paths]}).id
        matcher = Matcher(keys=runtime.keys)
        with runtime.sessions() as session:
            matcher.sync(session)
        scans.run_scan(runtime, analyst, matcher, source_id)
    finally:
        server.shutdown()
    # history: each history case's copy confirmed; its notice approved, sent, verified
    with runtime.context(analyst) as ctx:
        entries = review.queue(ctx, status=review.ReviewStatus.PENDING, limit=10_000)
    by_case: dict[str, list[int]] = {}
    for entry in entries:
        if entry.case_code and entry.locator.startswith(base):
            by_case.setdefault(entry.case_code, []).append(entry.match_id)
    made: dict[str, Any] = {"source_id": source_id, "site": base, "requests": []}
    with runtime.context(analyst) as ctx:
        for code, _months in history:
            for match_id in by_case.get(code, [])[:1]:
                review.confirm(ctx, match_id, "demo: the same picture, mirrored")
    with runtime.context(analyst) as ctx:
        drafts = {r.case_code: r.id for r in takedowns.list_requests(ctx, status="draft")}
    for n, (code, months) in enumerate(history):
        request_id = drafts.get(code)
        if request_id is None:
            continue
        sent = _months_ago(now, months, day=8 + n)
        with runtime.context(analyst) as ctx:
            if n == len(history) - 1:  # the newest waits for the officer's approval
                takedowns.prepare_notice(ctx, request_id, recipient=DEMO_ABUSE_DESK)
                made["awaiting_approval"] = request_id
                continue
            takedowns.prepare_notice(ctx, request_id, now=sent - dt.timedelta(hours=2))
            takedowns.approve_notice(ctx, request_id, by_hand=True,
                                     now=sent - dt.timedelta(hours=1))
            takedowns.mark_sent(ctx, request_id, sent_at=sent,
                                note="demo: submitted through the site's form")
            if n < len(history) - 2:  # the others were removed after a few days
                takedowns.transition(ctx, request_id, "removed",
                                     "demo: checked by hand, the page is gone",
                                     now=sent + dt.timedelta(hours=30 + 22 * n))
            made["requests"].append(request_id)
    _move_into_the_past(runtime, history, first_code, now)
    return made


def _centre_of(runtime: Runtime, user_id: int) -> int:
    with runtime.context(cli_actor("demo")) as ctx:
        return int(accounts.get_user(ctx, user_id).centre_id)


def _move_into_the_past(runtime: Runtime, history: list[tuple[str, int]], first_code: str,
                        now: dt.datetime) -> None:
    """Demo history only: the services stamp "now", so the history cases' intake and their
    matches are dated back into the months they stand for (the first case's matches are
    spread over the last two months). Nothing else is changed."""
    from jikimi.scans import ItemMatch

    with runtime.sessions() as session, session.begin():
        for code, months in history:
            when = _months_ago(now, months, day=3)
            session.execute(update(Case).where(Case.code == code).values(intake_at=when))
            session.execute(update(ItemMatch).where(ItemMatch.case_code == code)
                            .values(created_at=when + dt.timedelta(days=4)))
        seized = list(session.scalars(select(ItemMatch.id).where(
            ItemMatch.case_code == first_code, ItemMatch.scan_id.is_not(None))
            .order_by(ItemMatch.id)))
        for n, match_id in enumerate(seized[:3]):
            session.execute(update(ItemMatch).where(ItemMatch.id == match_id).values(
                created_at=_months_ago(now, 1 + n % 2, day=18)))
