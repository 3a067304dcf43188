"""Seeding for the partner tests: cases that consent to sharing, with fingerprints in their
banks, and partners with keys."""

from __future__ import annotations

import hashlib
import random
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import uvicorn
from tests.browser_fixtures import free_port
from tests.conftest import StaffMember, World

from jikimi import accounts, cases, matching, partners
from jikimi.cases import ConsentPurpose, IntakeChannel
from jikimi.core.actors import Actor, ActorKind, Role, cli_actor
from jikimi.core.runtime import Runtime
from jikimi.matching import NewEntry


def staff_actor(member: StaffMember) -> Actor:
    return Actor(kind=ActorKind.STAFF, id=member.id, role=Role(member.role),
                 centre_id=member.centre_id, label=member.email)


def random_pdq(rng: random.Random) -> str:
    return f"{rng.getrandbits(256):064x}"


def flip_bits(pdq: str, bits: int) -> str:
    value = int(pdq, 16)
    for bit in range(bits):
        value ^= 1 << (bit * 7)
    return f"{value:064x}"


@dataclass
class SharingCase:
    code: str
    case_id: int
    bank: str
    pdqs: list[str]
    sha256s: list[str]
    md5s: list[str]


def sharing_case(runtime: Runtime, world: World, *, images: int = 2, minor: bool = False,
                 consent: bool = True, seed: int = 1) -> SharingCase:
    """A case of centre A (assigned to counsellor_a) with ``images`` registered images."""
    rng = random.Random(seed)
    counsellor = world.staff["counsellor_a"]
    with runtime.context(cli_actor("test")) as ctx:
        centre = next(c for c in accounts.list_centres(ctx) if c.id == world.centre_a)
        code = cases.open_case(ctx, centre, IntakeChannel.HOTLINE, minor=minor,
                               assign_to=[counsellor.id]).case.code
    with runtime.context(staff_actor(counsellor)) as ctx:
        if consent:
            cases.record_consent(ctx, code, ConsentPurpose.PARTNER_SHARING)
        case_id, code = cases.case_ref(ctx, code)
        name = f"case-{code}"
        matching.create_bank(ctx, name, case=(case_id, code), owner_kind="case",
                             case_access_checked=True)
        pdqs, shas, md5s, entries = [], [], [], []
        for number in range(images):
            blob = f"image {seed} {number}".encode()
            sha, md5 = hashlib.sha256(blob).hexdigest(), hashlib.md5(blob).hexdigest()
            pdq = random_pdq(rng)
            pdqs.append(pdq)
            shas.append(sha)
            md5s.append(md5)
            entries += [NewEntry("pdq", pdq, 90, "original", sha),
                        NewEntry("sha256", sha, None, "original", sha),
                        NewEntry("md5", md5, None, "original", sha)]
        matching.add_entries(ctx, name, entries, case_access_checked=True)
    return SharingCase(code, case_id, name, pdqs, shas, md5s)


def set_consent(runtime: Runtime, world: World, code: str, *, withdraw: bool) -> None:
    with runtime.context(staff_actor(world.staff["counsellor_a"])) as ctx:
        cases.record_consent(ctx, code, ConsentPurpose.PARTNER_SHARING, withdraw=withdraw)


def add_partner(runtime: Runtime, name: str, **kwargs: object) -> partners.NewKey:
    with runtime.context(cli_actor("test")) as ctx:
        return partners.add_partner(ctx, name, **kwargs)  # type: ignore[arg-type]


def public_key(runtime: Runtime) -> str:
    return partners.public_key_text(runtime.keys)


@pytest.fixture
def live_url(app) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """This test's app (its backend) served by uvicorn in a thread."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)
