"""Litigation documents from a real case: PDF text (pdftotext) and rendering (pdftoppm), DOCX
read back with python-docx, statutes only from legal.json, no victim contact data, refusals."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn
from PIL import Image
from sqlalchemy import select
from tests.conftest import World, auth
from tests.foundation.test_cli import jikimi
from tests.investigation.conftest import Linked, staff_actor
from tests.scans.conftest import Site, media, site  # noqa: F401

from jikimi import cases, evidence, investigation
from jikimi.core.audit import AuditEntry
from jikimi.core.runtime import Runtime
from jikimi.errors import InvalidInput, NotFound
from jikimi.evidence import CaptureOptions

COMPLAINT_HEADINGS = ["증거목록", "1. 사건 정보", "2. 증거 목록", "3. 유포 경로 (연계 분석)",
                      "4. 관련 법령", "5. 사건 처리 경과", "6. 작성 기준 및 유의사항"]
DAMAGES_HEADINGS = ["손해배상 청구를 위한 피해 요약서", "1. 사건 개요", "2. 유포 현황",
                    "3. 피해 확산 경위", "4. 피해 구제 조치 경과", "5. 증거 자료",
                    "6. 관련 법령"]


def pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


def docx_text(data: bytes) -> tuple[list[str], str]:
    doc = Document(io.BytesIO(data))
    headings = [p.text for p in doc.paragraphs if p.style is not None
                and p.style.name in ("Title", "Heading 1")]
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return headings, "\n".join([p.text for p in doc.paragraphs] + cells)


@pytest.fixture
def captured(runtime: Runtime, world: World, linked: Linked, site: Site) -> str:  # noqa: F811
    """One evidence item: the recompressed copy on the local site, captured by the
    investigator (the victim consented to evidence capture)."""
    with runtime.context(staff_actor(runtime, world, "counsellor_a")) as ctx:
        cases.record_consent(ctx, linked.case_code, cases.ConsentPurpose.EVIDENCE_CAPTURE)
    with runtime.context(staff_actor(runtime, world, "investigator_a")) as ctx:
        item = evidence.capture_url(ctx, linked.case_code,
                                    site.url + "/media/copy-recompressed.jpg",
                                    reason="고소 준비", options=CaptureOptions(screenshot=False))
    return item.sha256


def test_documents(runtime: Runtime, world: World, linked: Linked, captured: str, client,  # type: ignore[no-untyped-def]
                   cli_env: dict[str, str], tmp_path: Path) -> None:
    victim = (linked.victim_name, linked.victim_phone, linked.victim_email)
    inv = auth(world.staff["investigator_a"])
    url = f"/api/v1/investigation/cases/{linked.case_code}/documents"

    # --- the complaint's evidence list as PDF, through the API ------------------------------
    r = client.get(f"{url}/complaint-evidence-list", params={"format": "pdf"}, headers=inv)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF")
    text = pdf_text(r.content, tmp_path)
    for heading in COMPLAINT_HEADINGS:
        assert heading in text, heading
    assert linked.case_code in text
    assert "성폭력범죄의 처벌 등에 관한 특례법" in text and "제14조의2" in text
    assert captured[:24] in text  # (the hash wraps in its table cell)
    assert "재업로드 채널 B" in text  # a place the case's content spread to
    assert not any(v in text for v in victim)
    fonts = subprocess.run(["pdffonts", str(tmp_path / "doc.pdf")], capture_output=True,
                           text=True, check=True).stdout
    assert "NotoSansCJK" in fonts and " yes " in fonts  # embedded, so Hangul is drawn
    subprocess.run(["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", "-singlefile",
                    str(tmp_path / "doc.pdf"), str(tmp_path / "page1")], check=True)
    page = Image.open(tmp_path / "page1.png").convert("L")
    dark = sum(page.histogram()[:128]) / (page.width * page.height)
    assert 0.01 < dark < 0.5  # text on a white page, not blank

    # --- the damages summary as DOCX, through the CLI ---------------------------------------
    target = tmp_path / "damages.docx"
    jikimi(cli_env, "investigation", "documents", linked.case_code, "--kind",
           "damages-summary", "--format", "docx", "--to", str(target))
    headings, body = docx_text(target.read_bytes())
    assert headings[:len(DAMAGES_HEADINGS)] == DAMAGES_HEADINGS
    assert linked.case_code in body and "소송대리인" in body
    assert not any(v in body for v in victim)
    doc = Document(str(target))
    runs = [run for p in doc.paragraphs for run in p.runs if run.text]
    assert runs and all(
        run._element.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia")) for run in runs)

    # --- statutes: chosen ones, flagged when unverified; unknown ones refused ---------------
    with runtime.context(staff_actor(runtime, world, "investigator_a")) as ctx:
        flagged = investigation.litigation_document(
            ctx, linked.case_code, "complaint-evidence-list", "docx",
            basis=["sexual_crimes_act:14-3", "network_act:44-9"])
        _h, flagged_text = docx_text(flagged.content)
        assert "제14조의3" in flagged_text and "제44조의9" in flagged_text
        assert "미확인 조문" in flagged_text and "제14조의2" not in flagged_text
        with pytest.raises(InvalidInput):
            investigation.litigation_document(ctx, linked.case_code, "complaint-evidence-list",
                                              "pdf", basis=["civil_code:750"])
    assert client.get(f"{url}/damages-summary", params={"basis": "civil_code:750"},
                      headers=inv).status_code == 422

    # --- who may: counsellors view the linkage but do not make documents; other centres not -
    assert client.get(f"{url}/damages-summary", headers=auth(
        world.staff["counsellor_a"])).status_code == 403
    assert client.get(f"{url}/damages-summary", headers=auth(
        world.staff["investigator_b"])).status_code == 403
    assert client.get(f"{url}/damages-summary", headers=auth(
        world.staff["analyst_a"])).status_code == 403
    assert client.get("/api/v1/investigation/cases/DSC-2026-999999/documents/damages-summary",
                      headers=inv).status_code == 404
    assert client.get(f"{url}/subpoena", headers=inv).status_code == 422
    assert client.get(f"{url}/damages-summary", params={"format": "odt"},
                      headers=inv).status_code == 422
    with runtime.context(staff_actor(runtime, world, "investigator_a")) as ctx:
        with pytest.raises(NotFound):
            investigation.litigation_document(ctx, "DSC-2026-999999", "damages-summary", "pdf")
        with pytest.raises(InvalidInput):
            investigation.litigation_document(ctx, linked.case_code, "damages-summary", "rtf")

    # --- audited, with the custody of the evidence listed -----------------------------------
    with runtime.sessions() as session:
        documents = list(session.scalars(select(AuditEntry).where(
            AuditEntry.action == "investigation.document")))
    assert len(documents) == 3 and all(d.record_id == linked.case_code for d in documents)

    # --- once the victim's case is erased, nothing more is made from it ---------------------
    with runtime.context(staff_actor(runtime, world, "counsellor_a")) as ctx:
        cases.erase_case(ctx, linked.case_code)
    admin = auth(world.staff["admin_a"])
    assert client.get(f"{url}/damages-summary", headers=admin).status_code == 409
    assert client.get(f"/api/v1/investigation/cases/{linked.case_code}/linkage",
                      headers=admin).status_code == 409
    # (the investigator's access came from the police-referral consent, erased with the case)
    assert client.get(f"{url}/damages-summary", headers=inv).status_code == 403


def test_documents_from_hostile_data_and_defaults() -> None:
    """No database: a minor's case, channel names with control characters and markup, no
    evidence and no timeline yet."""
    import datetime as dt

    from jikimi.investigation.documents import (
        DocumentFormat,
        DocumentKind,
        LitigationData,
        cite,
        complaint_evidence_list,
        damages_summary,
        default_basis,
        render,
    )
    from jikimi.investigation.exports import to_out
    from jikimi.investigation.linkage import Place, Sighting, link
    from jikimi.takedown import load_legal

    t0 = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
    hostile = Place("telegram:1", "telegram", "<script>\x07\x00 채널\x1b")
    s = [Sighting(ref=str(i), sha256="a" * 64, place=p, at=t0 + dt.timedelta(hours=i),
                  at_kind="posted", locator=f"msg {i}")
         for i, p in enumerate([hostile, Place("site:example.org", "site", "example.org")])]
    out = to_out(link(s), scope="case", case_code="DSC-2026-000042", centre_id=1,
                 generated_at=t0)
    basis = default_basis(DocumentKind.damages_summary, minor=True)
    assert "youth_protection_act:11" in basis
    data = LitigationData(
        case_code="DSC-2026-000042", centre_name="부산센터", case_status="open",
        opened_at=t0, minor=True, generated_at=t0, generated_by="system:test", timeline=[],
        evidence=[], linkage=out, citations=cite(load_legal(), basis))
    for build in (complaint_evidence_list, damages_summary):
        doc = build(data)
        assert "제2조제5호" in doc.text() and "미성년자" in doc.text()
        assert "아직 없습니다" in doc.text()  # no evidence yet, said plainly
        for fmt in DocumentFormat:
            rendered = render(doc, fmt)
            assert rendered[:4] in (b"%PDF", b"PK\x03\x04")
    _h, text = docx_text(render(damages_summary(data), DocumentFormat.docx))
    assert "<script> 채널" in text and "\x07" not in text
