"""Names, not ids: the litigation PDF (pdftotext), the case timeline, consent records, a
takedown's history and the notice's Korean particles show who acted by name — never
``staff:N`` or ``system:cli``."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import World
from tests.investigation.conftest import Linked, linked, staff_actor  # noqa: F401
from tests.investigation.test_documents import pdf_text
from tests.review.test_pages import session_for

from jikimi import accounts, cases, investigation
from jikimi.core.actors import cli_actor
from jikimi.core.runtime import Runtime


def _name(runtime: Runtime, world: World, key: str, name: str) -> None:
    with runtime.context(cli_actor()) as ctx:
        user = accounts.get_user(ctx, world.staff[key].id)
        user.display_name = name


def test_documents_and_pages_name_people(app, runtime: Runtime, world: World,  # type: ignore[no-untyped-def]
                                         linked: Linked, tmp_path: Path) -> None:  # noqa: F811
    _name(runtime, world, "counsellor_a", "김상담")
    _name(runtime, world, "investigator_a", "박수사")
    with runtime.context(staff_actor(runtime, world, "counsellor_a")) as ctx:
        cases.record_consent(ctx, linked.case_code, cases.ConsentPurpose.FACE_SEARCH)
        cases.add_note(ctx, linked.case_code, "상담 기록")
    with runtime.context(cli_actor()) as ctx:
        cases.change_status(ctx, linked.case_code, cases.CaseStatus.ACTIVE, "by the operator")
    with runtime.context(staff_actor(runtime, world, "investigator_a")) as ctx:
        document = investigation.litigation_document(ctx, linked.case_code,
                                                     "complaint-evidence-list", "pdf")
    text = pdf_text(document.content, tmp_path)
    assert "staff:" not in text and "system:" not in text
    assert "박수사" in text  # who made the document
    assert "김상담" in text and "시스템(명령줄)" in text  # who acted in the timeline

    counsellor, _ = session_for(app, world.staff["counsellor_a"])
    page = counsellor.get(f"/cases/{linked.case_code}")
    assert page.status_code == 200
    assert "staff:" not in page.text and "system:cli" not in page.text
    assert "김상담" in page.text and "시스템(명령줄)" in page.text
    consent = counsellor.get(f"/cases/{linked.case_code}/consents")
    assert "staff:" not in consent.text and "김상담" in consent.text
    english = counsellor.get(f"/cases/{linked.case_code}?lang=en")
    assert "System (command line)" in english.text and "staff:" not in english.text


def test_notice_particles_follow_the_centre_name() -> None:
    import datetime as dt

    from jikimi.takedown import Centre, NoticeInput, NoticeItem, render_notice
    from jikimi.takedown.directory import load_directory

    platform = load_directory().get("tumblr")
    assert platform is not None
    now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    for name, expected in (("서울센터", "서울센터는"), ("부산지원단", "부산지원단은")):
        notice = render_notice(NoticeInput(
            centre=Centre(name, "centre@jikimi.test", "1366"), platform=platform,
            legal_basis=("sexual_violence_prevention_act:7-3",),
            items=(NoticeItem("https://www.tumblr.com/p/1"),), case_code="DSC-2026-000001",
            request_id="TD-2026-000001", deadline=now, issued_at=now, language="ko",
            allow_unverified_legal=True))
        assert expected + " " in notice.body and "은(는)" not in notice.body
