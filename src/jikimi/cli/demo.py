"""Demo data: two centres, staff of every role, a few cases, and a scan with matches to review.
Never real people: the demo pictures are generated shapes."""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw, ImageOps
from sqlalchemy import select

from jikimi import accounts, cases, matching, scans
from jikimi.cases import ConsentPurpose, IntakeChannel
from jikimi.core.actors import Role, cli_actor
from jikimi.core.perimeter import upload_root
from jikimi.core.runtime import Runtime

CENTRAL = "중앙디지털성범죄피해자지원센터"
REGIONAL = "서울디지털성범죄안심지원센터"

STAFF = [
    (CENTRAL, Role.CENTRAL_ADMIN, "central.admin@demo.jikimi.kr"),
    (CENTRAL, Role.COUNSELLOR, "central.counsellor@demo.jikimi.kr"),
    (REGIONAL, Role.ADMIN, "admin@demo.jikimi.kr"),
    (REGIONAL, Role.COUNSELLOR, "counsellor@demo.jikimi.kr"),
    (REGIONAL, Role.ANALYST, "analyst@demo.jikimi.kr"),
    (REGIONAL, Role.INVESTIGATOR, "investigator@demo.jikimi.kr"),
]


def seed_demo(runtime: Runtime) -> list[tuple[str, str, str, str, str]] | None:
    """Create the demo installation; None if it already exists."""
    with runtime.context(cli_actor("demo")) as ctx:
        if ctx.session.scalar(select(accounts.Centre).where(accounts.Centre.name == CENTRAL)):
            return None
        centres = {
            CENTRAL: accounts.add_centre(ctx, CENTRAL, is_central=True),
            REGIONAL: accounts.add_centre(ctx, REGIONAL),
        }
        printed: list[tuple[str, str, str, str, str]] = []
        ids: dict[str, int] = {}
        for centre_name, role, email in STAFF:
            created = accounts.add_user(ctx, email, role, centres[centre_name],
                                        display_name=email.split("@")[0])
            ids[email] = created.user.id
            printed.append((centre_name, role.value, email, created.password,
                            created.totp_secret or ""))
        counsellor = ids["counsellor@demo.jikimi.kr"]
        first = cases.open_case(ctx, centres[REGIONAL], IntakeChannel.HOTLINE,
                                name="김지원 (가명)", phone="010-0000-0001",
                                email="victim1@example.invalid", assign_to=[counsellor])
        cases.record_consent(ctx, first.case.code, ConsentPurpose.PARTNER_SHARING)
        cases.change_status(ctx, first.case.code, cases.CaseStatus.ACTIVE, "demo")
        second = cases.open_case(ctx, centres[REGIONAL], IntakeChannel.WEB, minor=True,
                                 assign_to=[counsellor])
        cases.record_consent(ctx, second.case.code, ConsentPurpose.POLICE_REFERRAL)
        cases.open_case(ctx, centres[REGIONAL], IntakeChannel.WALK_IN, name="이하늘 (가명)",
                        assign_to=[counsellor])
        cases.open_case(ctx, centres[CENTRAL], IntakeChannel.REFERRAL,
                        assign_to=[ids["central.counsellor@demo.jikimi.kr"]])
        first_code = first.case.code
    _seed_scan(runtime, first_code, ids["counsellor@demo.jikimi.kr"],
               ids["analyst@demo.jikimi.kr"])
    from jikimi.cli.demo_world import seed_web_demo

    seed_web_demo(runtime, first_code, ids, demo_picture)  # gallery site, history, a notice
    return printed


def demo_picture(seed: int, size: tuple[int, int] = (800, 600)) -> Image.Image:
    """A benign generated picture: coloured shapes on a gradient."""
    rnd = random.Random(seed)
    img = Image.new("RGB", size)
    draw = ImageDraw.Draw(img)
    for y in range(size[1]):
        draw.line([(0, y), (size[0], y)], fill=(y % 256, (y * 3 + seed * 17) % 256, 140))
    for _ in range(14):
        x0, y0 = rnd.randrange(size[0]), rnd.randrange(size[1])
        box = (x0, y0, x0 + rnd.randrange(60, 260), y0 + rnd.randrange(60, 260))
        colour = (rnd.randrange(256), rnd.randrange(256), rnd.randrange(256))
        (draw.ellipse if rnd.random() < 0.5 else draw.rectangle)(box, fill=colour)
    return img


def _jpeg(img: Image.Image, quality: int = 90) -> bytes:
    out = io.BytesIO()
    img.save(out, "JPEG", quality=quality)
    return out.getvalue()


def _seed_scan(runtime: Runtime, case_code: str, counsellor_id: int, analyst_id: int) -> None:
    """The first case registers two pictures; a "seized folder" under the data directory holds
    altered copies of them and unrelated pictures; one scan puts the copies in the review
    queue (the pictures are generated, nothing personal)."""
    from jikimi.hashing import fingerprint_bytes
    from jikimi.matching import Matcher

    # Under the import roots, where archive sources may read (jikimi.core.perimeter).
    folder = upload_root(runtime.settings) / "demo" / "seized-folder"
    folder.mkdir(parents=True, exist_ok=True)
    registered = [demo_picture(1), demo_picture(2)]
    copies = {
        "copy-mirrored.jpg": ImageOps.mirror(registered[0]),
        "copy-resized.jpg": registered[0].resize((400, 300)),
        "copy-cropped.jpg": registered[1].crop((40, 30, 760, 570)),
        "holiday-1.jpg": demo_picture(11),
        "holiday-2.jpg": demo_picture(12),
    }
    for name, img in copies.items():
        (folder / name).write_bytes(_jpeg(img, 80))
    with runtime.context(cli_actor("demo")) as ctx:
        counsellor = accounts.actor_for(accounts.get_user(ctx, counsellor_id))
        analyst = accounts.actor_for(accounts.get_user(ctx, analyst_id))
    with runtime.context(counsellor) as ctx:
        ref = cases.case_ref(ctx, case_code)
        matching.create_bank(ctx, "demo-victim-1", case=ref, case_access_checked=True)
        for n, img in enumerate(registered):
            fp = fingerprint_bytes(_jpeg(img), with_variants=True)
            matching.add_entries(ctx, "demo-victim-1", matching.entries_for_fingerprints(
                fp, label=f"demo picture {n + 1}"), case_access_checked=True)
    with runtime.context(analyst) as ctx:
        source_id = scans.add_source(ctx, "archive", "demo seized folder",
                                     {"path": str(folder)}).id
    matcher = Matcher(keys=runtime.keys)
    with runtime.sessions() as session:
        matcher.sync(session)
    scans.run_scan(runtime, analyst, matcher, source_id)
