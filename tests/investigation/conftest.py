"""Three Telegram channels that repost two pieces of content, scanned into a real database.

Channel A is the real Telegram Desktop export ``tg2md-private-channel`` (2021 format, string
peer ids, no ``date_unixtime``) with its photo files filled in: ``photo_1`` is content X and
``photo_3`` (an album of three messages) is content Y. Channel B (newer format: Unix dates,
``forwarded_from_id``) forwards X and a recompressed Y from A; channel C (a supergroup with
integer ids) posts a mirrored Y and one unrelated picture. X is registered for a case.

Expected: clusters {A, B, C} (A–B share 2 contents, A–C and B–C share Y); with
``min_shared=2`` only {A, B}. The case's content is X alone: places A and B.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import ImageOps
from tests.conftest import SHARED_DATA, World
from tests.scans.conftest import encode, scene

from jikimi.core.runtime import Runtime

TG2MD = SHARED_DATA / "telegram-export" / "tg2md-private-channel"
A_ID = 1292077344
B_ID = 1500000001
C_ID = 1600000002
A, B, C = f"telegram:{A_ID}", f"telegram:{B_ID}", f"telegram:{C_ID}"


@dataclass
class Linked:
    case_code: str
    source_ids: list[int]
    victim_name: str
    victim_phone: str
    victim_email: str


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _message(msg_id: int, unix: int, sender: str, sender_id: str | int, photo: str,
             **extra: object) -> dict[str, object]:
    return {"id": msg_id, "type": "message", "date": "2021-07-20T10:00:00",
            "date_unixtime": str(unix), "from": sender, "from_id": sender_id,
            "photo": photo, "width": 480, "height": 360, "text": "", **extra}


def build_exports(root: Path) -> list[Path]:
    x, y, other = scene(21), scene(22), scene(23)
    a = root / "channel-a"
    shutil.copytree(TG2MD, a)
    _write(a / "photos/photo_1@12-11-2020_12-57-31.jpg", encode(x, quality=92))
    _write(a / "photos/photo_3@14-07-2021_18-52-46.jpg", encode(y, quality=92))
    _write(a / "files/dice.svg_thumb.jpg", encode(scene(24)))
    _write(a / "files/dice.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>")

    b = root / "channel-b"
    _write(b / "photos/x.jpg", encode(x, quality=92))  # the same bytes as A's photo_1
    _write(b / "photos/y.jpg", encode(y, quality=45))  # recompressed
    (b / "result.json").write_text(json.dumps({
        "name": "재업로드 채널 B", "type": "private_channel", "id": B_ID, "messages": [
            _message(7, 1626771600, "Reposter", "user555", "photos/x.jpg",
                     forwarded_from="test", forwarded_from_id=f"channel{A_ID}"),
            _message(8, 1626775200, "Reposter", "user555", "photos/y.jpg",
                     forwarded_from="test", forwarded_from_id=f"channel{A_ID}"),
        ]}, ensure_ascii=False))

    c = root / "channel-c"
    _write(c / "photos/y-mirrored.png", encode(ImageOps.mirror(y), "PNG"))
    _write(c / "photos/cat.jpg", encode(other))
    (c / "result.json").write_text(json.dumps({
        "name": "=cmd|' /C calc'!A0", "type": "public_supergroup", "id": C_ID, "messages": [
            _message(100, 1626861600, "Reposter", 555, "photos/y-mirrored.png"),
            _message(101, 1626865200, "Someone", 777, "photos/cat.jpg"),
        ]}, ensure_ascii=False))
    return [a, b, c]


def staff_actor(runtime: Runtime, world: World, key: str):  # type: ignore[no-untyped-def]
    from jikimi import accounts
    from jikimi.core.actors import cli_actor

    with runtime.context(cli_actor("test")) as ctx:
        return accounts.actor_for(accounts.get_user(ctx, world.staff[key].id))


@pytest.fixture
def linked(runtime: Runtime, world: World, tmp_path: Path) -> Linked:
    return build_linked(runtime, world, tmp_path)


def build_linked(runtime: Runtime, world: World, tmp_path: Path) -> Linked:
    """Centre A: a case (X registered, police-referral consent so investigators may see it)
    and three Telegram sources scanned."""
    from jikimi import accounts, cases, matching, scans
    from jikimi.hashing import fingerprint_bytes
    from jikimi.matching import Matcher

    counsellor = staff_actor(runtime, world, "counsellor_a")
    analyst = staff_actor(runtime, world, "analyst_a")
    name, phone, email = "김피해", "010-1234-5678", "victim@test.invalid"
    with runtime.context(counsellor) as ctx:
        centre = accounts.resolve_centre(ctx.session, world.centre_a)
        code = cases.open_case(ctx, centre, cases.IntakeChannel.HOTLINE, name=name,
                               phone=phone, email=email,
                               assign_to=[world.staff["counsellor_a"].id]).case.code
        cases.record_consent(ctx, code, cases.ConsentPurpose.POLICE_REFERRAL)
        ref = cases.case_ref(ctx, code)
        matching.create_bank(ctx, "victim-x", case=ref, case_access_checked=True)
        matching.add_entries(ctx, "victim-x", matching.entries_for_fingerprints(
            fingerprint_bytes(encode(scene(21), "PNG"), with_variants=True), label="x"),
            case_access_checked=True)
    source_ids = []
    with runtime.context(analyst) as ctx:
        for n, export in enumerate(build_exports(tmp_path / "exports")):
            source_ids.append(scans.add_source(
                ctx, "telegram", f"export {n}", {"path": str(export),
                                                 "timezone": "Asia/Seoul"}).id)
    matcher = Matcher(keys=runtime.keys)
    with runtime.sessions() as session:
        matcher.sync(session)
    for source_id in source_ids:
        scans.run_scan(runtime, analyst, matcher, source_id)
    return Linked(code, source_ids, name, phone, email)
