"""Demo data: two centres, staff of every role, a few cases. Never real people."""

from __future__ import annotations

from sqlalchemy import select

from jikimi import accounts, cases
from jikimi.cases import ConsentPurpose, IntakeChannel
from jikimi.core.actors import Role, cli_actor
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
        return printed
