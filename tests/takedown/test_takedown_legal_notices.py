"""legal.json as legal-ko.md records it, and notices rendered from the template files."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jikimi.errors import InvalidInput, NotFound
from jikimi.takedown import (
    Centre,
    ConsentedDetail,
    EscalationInput,
    EscalationReason,
    Fingerprint,
    NoticeInput,
    NoticeItem,
    available_languages,
    deadline_for,
    load_directory,
    load_legal,
    render_escalation,
    render_notice,
)
from jikimi.takedown.notices import TEMPLATE_DIR

LEGAL = load_legal()
DIRECTORY = load_directory()
PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
SHA = "a" * 64
BASIS = ("sexual_violence_prevention_act:7-3(1)", "telecommunications_business_act:22-5(1)",
         "sexual_crimes_act:14-2")


def make_input(platform_id: str = "naver", **changes: object) -> NoticeInput:
    platform = DIRECTORY.get(platform_id)
    assert platform is not None
    base = NoticeInput(
        centre=Centre("중앙디지털성범죄피해자지원센터", "delete@centre.example.org", "02-735-8994"),
        platform=platform,
        legal_basis=BASIS,
        items=(NoticeItem("https://blog.naver.com/u/1",
                          (Fingerprint("pdq", PDQ), Fingerprint("sha256", SHA))),
               NoticeItem("https://blog.naver.com/u/2")),
        case_code="DSC-2026-000123",
        request_id="TR-2026-0042",
        deadline=dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC),
        issued_at=dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC),
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


# --- legal.json ------------------------------------------------------------------------------
def test_regulator_names_change_on_2025_10_01() -> None:
    kcsc = LEGAL.content_regulator()
    assert kcsc.name_on(dt.date(2025, 9, 30)).ko == "방송통신심의위원회"
    assert kcsc.name_on(dt.date(2025, 9, 30)).abbr == "KCSC"
    successor = kcsc.name_on(dt.date(2025, 10, 1))
    assert successor.ko == "방송미디어통신심의위원회" and not successor.verified
    kcc = LEGAL.regulator("communications_commission")
    assert kcc.name_on(dt.date(2025, 9, 30)).en == "Korea Communications Commission"
    assert kcc.name_on(dt.date(2026, 1, 1)).en == "Korea Media and Communications Commission"
    assert kcc.name_on(dt.date(2026, 1, 1)).verified


def test_hotlines_exactly_as_recorded() -> None:
    numbers = {h.id: h.number for h in LEGAL.hotlines}
    assert numbers == {"centre_24h": "02-735-8994", "national_1366": "1366",
                       "content_regulator_1377": "1377", "seoul_centre": "02-815-0382"}
    assert LEGAL.hotline("national_1366").since == dt.date(2025, 4, 17)


def test_articles_and_their_status() -> None:
    statute, article = LEGAL.article("sexual_crimes_act:14-2")
    assert statute.name_ko == "성폭력범죄의 처벌 등에 관한 특례법"
    assert (article.main, article.branch) == ("14", "2")
    assert LEGAL.article("telecommunications_business_act_decree:30-5(2)")[1].status == \
        "unverified"
    assert LEGAL.article("kcc_act:21(4)")[1].status == "superseded"
    assert all(a.sources for s in LEGAL.statutes for a in s.articles)
    assert not any(a.checked_against_law_go_kr for s in LEGAL.statutes for a in s.articles)
    with pytest.raises(NotFound):
        LEGAL.article("sexual_crimes_act:99")


# --- notices ---------------------------------------------------------------------------------
def test_korean_notice() -> None:
    notice = render_notice(make_input())
    assert notice.language == "ko"
    assert "TR-2026-0042" in notice.subject and "2건" in notice.subject
    body = notice.body
    assert "「성폭력방지 및 피해자보호 등에 관한 법률」 제7조의3제1항" in body
    assert "「전기통신사업법」 제22조의5제1항" in body
    assert "「성폭력범죄의 처벌 등에 관한 특례법」 제14조의2(허위영상물 등의 반포등)" in body
    assert "https://blog.naver.com/u/1" in body and "https://blog.naver.com/u/2" in body
    assert f"pdq: {PDQ}" in body and f"sha256: {SHA}" in body
    assert "DSC-2026-000123" in body
    assert "2026-12-02 18:00 KST (2026-12-02 09:00 UTC)" in body
    assert "delete@centre.example.org" in body and "02-735-8994" in body
    assert any("law.go.kr" in w for w in notice.warnings)


def test_english_notice_for_a_foreign_platform() -> None:
    notice = render_notice(make_input("x", items=(NoticeItem("https://x.com/u/status/1"),)))
    assert notice.language == "en"
    assert notice.subject.endswith("(request TR-2026-0042, 1 URL)")
    assert ("Article 22-5(1) of the Telecommunications Business Act (전기통신사업법)"
            in notice.body)
    assert "Article 14-2 of the Act on Special Cases Concerning the Punishment of Sexual Crimes" \
        in notice.body
    assert "https://x.com/u/status/1" in notice.body
    assert any("legal entity of X" in w for w in notice.warnings)


def test_item_citation_and_language_override() -> None:
    notice = render_notice(make_input(legal_basis=("youth_protection_act:2(5)",),
                                      language="en"))
    assert "Article 2, subparagraph 5 of the Act on the Protection of Children" in notice.body
    ko = render_notice(make_input(legal_basis=("youth_protection_act:2(5)",)))
    assert "「아동·청소년의 성보호에 관한 법률」 제2조제5호" in ko.body


@pytest.mark.parametrize("lang", ["fr", "pt-BR", "zz", "../../etc/passwd", "EN"])
def test_unknown_language_falls_back_to_english(lang: str) -> None:
    assert render_notice(make_input(language=lang)).language == "en"


def test_adding_a_language_is_adding_files(tmp_path: Path) -> None:
    shutil.copytree(TEMPLATE_DIR, tmp_path, dirs_exist_ok=True)
    (tmp_path / "notice.ja.txt").write_text(
        "{% import cite_template as c %}削除依頼 {{ request_id }}\n"
        "{% for b in basis %}{{ c.cite(b) }}\n{% endfor %}", encoding="utf-8")
    (tmp_path / "notice_subject.ja.txt").write_text("削除依頼 {{ request_id }}", encoding="utf-8")
    assert "ja" in available_languages(templates_dir=tmp_path)
    notice = render_notice(make_input(language="ja-JP"), templates_dir=tmp_path)
    assert notice.language == "ja" and notice.subject == "削除依頼 TR-2026-0042"
    assert "Article 7-3(1)" in notice.body  # no cite.ja.txt: English citations


def test_no_victim_personal_data_without_consent() -> None:
    notice = render_notice(make_input())
    assert "동의한 정보" not in notice.body
    consented = render_notice(make_input(consented_details=(
        ConsentedDetail("계정", "@victim_account", dt.datetime(2026, 11, 30, tzinfo=dt.UTC)),)))
    assert "계정: @victim_account" in consented.body
    with pytest.raises(InvalidInput, match="case code"):
        render_notice(make_input(case_code="김지은"))


def test_unverified_and_superseded_articles_are_refused_unless_allowed() -> None:
    for ref in ("telecommunications_business_act_decree:30-5(2)", "kcc_act:21(4)"):
        with pytest.raises(InvalidInput, match=r"law\.go\.kr"):
            render_notice(make_input(legal_basis=(ref,)))
        notice = render_notice(make_input(legal_basis=(ref,), allow_unverified_legal=True))
        assert any(ref in w for w in notice.warnings)
    with pytest.raises(NotFound):
        render_notice(make_input(legal_basis=("sexual_crimes_act:99",)))


BENIGN_LINES = render_notice(make_input()).body.count("\n")


@settings(max_examples=100, deadline=None)
@given(name=st.text(min_size=1, max_size=40), phone=st.text(max_size=20))
def test_no_header_or_line_injection(name: str, phone: str) -> None:
    hostile = f"{name}\r\nBcc: attacker@evil.example\n\u202e"
    notice = render_notice(make_input(
        centre=Centre(hostile, "delete@centre.example.org", phone + "\r\nX: y")))
    assert "\r" not in notice.subject and "\n" not in notice.subject
    assert "\u202e" not in notice.body and "\r" not in notice.body
    # hostile values never add lines: the body has exactly the lines of a benign notice
    assert notice.body.count("\n") == BENIGN_LINES
    assert "\nX: y" not in notice.body


def test_bad_inputs() -> None:
    with pytest.raises(InvalidInput):
        NoticeItem("javascript:alert(1)")
    with pytest.raises(InvalidInput):
        NoticeItem("https://x.com/a\nb")
    with pytest.raises(InvalidInput):
        Fingerprint("pdq", "zz")
    with pytest.raises(InvalidInput):
        Centre("c", "not-an-email", "1")
    with pytest.raises(InvalidInput, match="time zone"):
        render_notice(make_input(deadline=dt.datetime(2026, 12, 2)))
    with pytest.raises(InvalidInput):
        render_notice(make_input(items=()))


def test_deadline_from_the_directory() -> None:
    naver = DIRECTORY.get("naver")
    assert naver is not None
    sent = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    assert deadline_for(naver, sent) == sent + dt.timedelta(hours=naver.response_hours)


def test_escalation_names_the_regulator_of_the_day() -> None:
    notice = make_input("x")
    escalation = EscalationInput(
        centre=notice.centre, platform=notice.platform, legal_basis=notice.legal_basis,
        items=notice.items, case_code=notice.case_code, request_id=notice.request_id,
        original_sent_at=notice.issued_at, original_deadline=notice.deadline,
        reason=EscalationReason.OVERDUE, escalated_at=dt.datetime(2026, 12, 3, tzinfo=dt.UTC))
    rendered = render_escalation(escalation)
    assert rendered.language == "ko"
    assert "수신: 방송미디어통신심의위원회 (구 방송통신심의위원회)" in rendered.body
    assert "조치 기한까지 삭제되지 않았습니다" in rendered.body
    assert "X (Twitter)" in rendered.subject
    assert any("unverified" in w for w in rendered.warnings)
    before = render_escalation(dataclasses.replace(
        escalation, escalated_at=dt.datetime(2025, 9, 1, tzinfo=dt.UTC),
        reason=EscalationReason.REFUSED))
    assert "수신: 방송통신심의위원회\n" in before.body
    assert "거부" in before.body
