"""Litigation documents in Korean: an evidence list to attach to a criminal complaint
(증거목록) and a summary for a damages claim (손해배상 청구를 위한 피해 요약서).

Pure: the builders take a :class:`LitigationData` (the case timeline, its evidence, its
linkage, the statutes chosen from ``legal.json``) and return a :class:`Document` of headings,
paragraphs, key/value blocks and tables; :func:`render_pdf` and :func:`render_docx` write it.

Rules the builders keep:

* **No contact data.** Nothing about the victim but the case code, the centre and whether she
  is a minor (which decides the statutes); timeline events show only whitelisted fields.
* **No invented law.** Every statute comes from ``legal.json`` by its article id, cited as
  ``「법률명」 제14조의2(제목)``; an article the data marks unverified or superseded is named
  so in the document, and every article not yet checked against law.go.kr carries a note. The
  civil-law basis of a damages claim is not in the data and is left to counsel, saying so.
* **Times in KST** with the zone written out; hashes in full, monospaced.
"""

from __future__ import annotations

import datetime as dt
import enum
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from jikimi.cases import TimelineEvent
from jikimi.core.i18n import translate
from jikimi.errors import InvalidInput, NotFound
from jikimi.evidence import EvidenceSummary
from jikimi.investigation.exports import xml_text
from jikimi.investigation.schemas import LinkageOut
from jikimi.takedown import ArticleStatus, LegalData

KST = ZoneInfo("Asia/Seoul")
DOCX_EAST_ASIAN_FONT = "Malgun Gothic"
"""Word's Korean default (맑은 고딕); LibreOffice on Linux substitutes Noto Sans CJK KR."""
DOCX_MONO_FONT = "Consolas"
MAX_TABLE_ROWS = 300

COMPLAINT_BASIS = ("sexual_crimes_act:14", "sexual_crimes_act:14-2")
MINOR_BASIS = ("youth_protection_act:2(5)", "youth_protection_act:11")
DAMAGES_EXTRA_BASIS = ("sexual_violence_prevention_act:7-3",)
RULE_KO = ("판단 기준: SHA-256이 같거나, 같은 등록 피해물과 일치하거나, PDQ 해시(회전·좌우 반전 "
           "포함, 품질 50 이상)의 차이가 {threshold}비트 이하이면 같은 콘텐츠로 보며, 이 관계는 "
           "연쇄적으로 적용합니다. 같은 콘텐츠를 가진 두 장소는 공유한 콘텐츠 수만큼의 가중치로 "
           "연결하고, 가중치 {min_shared} 이상인 연결로 이어진 장소들을 하나의 군집으로 봅니다. "
           "시각은 게시된 곳이 밝힌 게시 시각을, 없으면 jikimi가 처음 발견한 시각을 씁니다.")
_EVENT_FIELDS = ("old", "new", "channel", "purpose", "status", "platform", "request_id")


class DocumentKind(enum.StrEnum):
    complaint_evidence_list = "complaint-evidence-list"
    damages_summary = "damages-summary"


class DocumentFormat(enum.StrEnum):
    pdf = "pdf"
    docx = "docx"


# --- the document model ----------------------------------------------------------------------
@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 1


@dataclass(frozen=True)
class Paragraph:
    text: str
    mono: bool = False
    small: bool = False


@dataclass(frozen=True)
class KeyValues:
    rows: tuple[tuple[str, str], ...]
    mono_keys: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[float, ...] = ()
    mono_columns: frozenset[int] = frozenset()


Block = Heading | Paragraph | KeyValues | Table


@dataclass(frozen=True)
class Document:
    title: str
    subtitle: str
    blocks: tuple[Block, ...]
    created: dt.datetime

    def text(self) -> str:
        """All the words, for checks (no victim data must ever be in here)."""
        out = [self.title, self.subtitle]
        for b in self.blocks:
            if isinstance(b, Heading | Paragraph):
                out.append(b.text)
            elif isinstance(b, KeyValues):
                out += [f"{k} {v}" for k, v in b.rows]
            else:
                out += [" ".join(b.header), *(" ".join(r) for r in b.rows)]
        return "\n".join(out)


# --- inputs ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Citation:
    ref: str
    text: str
    """「법률명」 제14조의2(제목)"""
    status: ArticleStatus
    checked: bool


@dataclass(frozen=True)
class LitigationData:
    case_code: str
    centre_name: str
    case_status: str
    opened_at: dt.datetime
    minor: bool
    generated_at: dt.datetime
    generated_by: str
    timeline: Sequence[TimelineEvent]
    evidence: Sequence[EvidenceSummary]
    linkage: LinkageOut
    citations: Sequence[Citation]
    notes: Sequence[str] = field(default_factory=tuple)


def default_basis(kind: DocumentKind, minor: bool) -> tuple[str, ...]:
    """The articles a document names unless told otherwise (all ids in ``legal.json``)."""
    refs = COMPLAINT_BASIS + (MINOR_BASIS if minor else ())
    if kind is DocumentKind.damages_summary:
        refs += DAMAGES_EXTRA_BASIS
    return refs


def cite(legal: LegalData, refs: Sequence[str]) -> list[Citation]:
    """Citations for article ids of ``legal.json``; an unknown id is refused, never guessed."""
    out = []
    for ref in dict.fromkeys(refs):
        if not isinstance(ref, str) or len(ref) > 80:
            raise InvalidInput("an article id looks like 'sexual_crimes_act:14-2'",
                               code="unknown_legal_reference")
        try:
            statute, article = legal.article(ref)
        except NotFound as exc:
            raise InvalidInput(exc.message, code="unknown_legal_reference") from None
        text = f"「{statute.name_ko}」 제{article.main}조"
        if article.branch:
            text += f"의{article.branch}"
        if article.paragraph:
            text += f"제{article.paragraph}항"
        if article.item:
            text += f"제{article.item}호"
        if article.title_ko:
            text += f"({article.title_ko})"
        out.append(Citation(ref, text, article.status, article.checked_against_law_go_kr))
    return out


# --- helpers ---------------------------------------------------------------------------------
def kst(moment: dt.datetime | None) -> str:
    if moment is None:
        return "—"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(KST).strftime("%Y-%m-%d %H:%M:%S KST")


def _ko(msgid: str) -> str:
    return translate(msgid, "ko")


def _event_text(event: TimelineEvent) -> str:
    name = _ko(f"event.{event.kind}")
    if name == f"event.{event.kind}":  # a kind with no Korean name yet: say it as recorded
        name = event.kind
    parts = []
    for key in _EVENT_FIELDS:
        value = event.data.get(key)
        if value is None or isinstance(value, dict | list):
            continue
        if key in ("old", "new"):
            value = _ko(f"status.{value}")
        elif key == "purpose":
            value = _ko(f"consent.{value}")
        elif key == "channel":
            value = _ko(f"channel.{value}")
        parts.append(str(value)[:120])
    if "old" in event.data and "new" in event.data and len(parts) >= 2:
        parts = [f"{parts[0]} → {parts[1]}", *parts[2:]]
    return f"{name} ({', '.join(parts)})" if parts else name


_KIND_KO = {"page": "웹 페이지 캡처", "image": "이미지 원본", "video": "동영상 원본",
            "file": "파일 원본"}


def _place_labels(out: LinkageOut) -> dict[str, str]:
    return {p.key: p.label for p in out.places}


def _place_kind(kind: str) -> str:
    return {"telegram": "텔레그램 대화방", "site": "웹사이트"}.get(kind, "수집 자료")


def _limited(rows: Sequence[tuple[str, ...]], width: int) -> tuple[tuple[str, ...], ...]:
    if len(rows) <= MAX_TABLE_ROWS:
        return tuple(rows)
    more = (f"외 {len(rows) - MAX_TABLE_ROWS}건 (별첨 CSV 참조)",) + ("",) * (width - 1)
    return (*rows[:MAX_TABLE_ROWS], more)


def _case_block(data: LitigationData, purpose: str) -> KeyValues:
    return KeyValues((
        ("사건 번호", data.case_code),
        ("지원 기관", data.centre_name),
        ("사건 접수일", kst(data.opened_at)),
        ("사건 상태", _ko(f"status.{data.case_status}")),
        ("피해자", "미성년자" if data.minor else "성년자 (성명·연락처는 기재하지 않음)"),
        ("문서 용도", purpose),
        ("작성 일시", kst(data.generated_at)),
        ("작성자", data.generated_by),
    ))


def _evidence_table(data: LitigationData) -> list[Block]:
    if not data.evidence:
        return [Paragraph("이 사건에 수집·보관된 증거물이 아직 없습니다. 아래 연계 분석 자료를 "
                          "참고 자료로 제출할 수 있습니다.")]
    rows = []
    for n, e in enumerate(data.evidence, start=1):
        name = _KIND_KO.get(e.kind, e.kind)
        if e.media_count:
            name += f" (미디어 {e.media_count}건 포함)"
        remark = "보관 중" if e.status == "held" else "폐기됨"
        where = e.final_url if e.final_url == e.url else f"{e.url}\n→ {e.final_url}"
        who = e.captured_by_name or e.captured_by
        rows.append((f"증 제{n}호", name, kst(e.captured_at), where, e.sha256,
                     f"{remark}; HTTP {e.http_status}; 수집자 {who}"))
    return [Table(("번호", "증거명", "수집 일시", "수집 위치(URL)", "SHA-256", "비고"),
                  _limited(rows, 6), widths=(1.1, 1.6, 1.7, 3.0, 3.0, 1.8),
                  mono_columns=frozenset({4}))]


def _linkage_blocks(data: LitigationData, *, with_posters: bool) -> list[Block]:
    out = data.linkage
    labels = _place_labels(out)
    if not out.contents:
        return [Paragraph("모니터링 대상에서 이 사건에 등록된 피해물과 일치하는 콘텐츠가 아직 "
                          "발견되지 않았습니다.")]
    first = min(out.timeline, key=lambda e: e.at) if out.timeline else None
    last = max(out.timeline, key=lambda e: e.at) if out.timeline else None
    summary = (f"이 사건에 등록된 피해물과 같은 콘텐츠 {len(out.contents)}건이 "
               f"{len(out.places)}개 장소(텔레그램 대화방·웹사이트 등)에서 모두 "
               f"{len(out.sightings)}회 발견되었습니다.")
    if first is not None and last is not None:
        summary += (f" 최초 게시는 {kst(first.at)} '{labels.get(first.place, first.place)}'"
                    f"이며, 마지막 확산은 {kst(last.at)}입니다.")
    if out.clusters:
        summary += (f" 서로 같은 콘텐츠를 재게시한 장소의 군집이 {len(out.clusters)}개 "
                    "확인되었습니다.")
    blocks: list[Block] = [Paragraph(summary)]
    place_rows = [(p.label, _place_kind(p.kind), kst(p.first_at), str(len(p.contents)),
                   str(p.sightings), p.cluster or "—") for p in out.places]
    blocks.append(Table(("장소", "유형", "최초 발견", "콘텐츠", "게시 수", "군집"),
                        _limited(place_rows, 6), widths=(3.2, 1.6, 2.2, 1, 1, 1)))
    for k in out.clusters:
        names = ", ".join(labels.get(p, p) for p in k.places)
        blocks.append(Paragraph(f"군집 {k.id}: {names} — 공유 콘텐츠 {len(k.contents)}건",
                                small=True))
    if with_posters and out.posters:
        blocks.append(Heading("게시자별 게시 현황", 2))
        poster_rows = [(u.label, u.key, str(u.sightings), str(len(u.contents)),
                        str(len(u.places))) for u in out.posters]
        blocks.append(Table(("게시자", "식별자", "게시 수", "콘텐츠", "장소"),
                            _limited(poster_rows, 5), widths=(2.5, 2.5, 1, 1, 1)))
    blocks.append(Paragraph(RULE_KO.format(threshold=out.pdq_threshold,
                                           min_shared=out.min_shared), small=True))
    return blocks


def _spread_table(data: LitigationData) -> Table:
    labels = _place_labels(data.linkage)
    rows = [(kst(e.at), e.content, labels.get(e.place, e.place),
             "최초 게시" if e.first else "재게시",
             "게시 시각" if e.at_kind == "posted" else "발견 시각", e.locator)
            for e in data.linkage.timeline]
    return Table(("일시", "콘텐츠", "장소", "구분", "시각 기준", "위치"), _limited(rows, 6),
                 widths=(2.1, 0.9, 2.2, 1.1, 1.2, 3.2))


def _statute_blocks(data: LitigationData, *, civil_note: bool) -> list[Block]:
    blocks: list[Block] = []
    rows = []
    for c in data.citations:
        if c.status is ArticleStatus.SOURCED:
            state = "출처 확인" if c.checked else "출처 확인 (law.go.kr 원문 대조 전)"
        elif c.status is ArticleStatus.UNVERIFIED:
            state = "미확인 조문 — law.go.kr 원문 대조 필요"
        else:
            state = "폐지·대체됨 — 현행 조문 확인 필요"
        rows.append((c.text, state))
    blocks.append(Table(("조문", "확인 상태"), tuple(rows), widths=(5, 2.4)))
    if any(not c.checked for c in data.citations):
        blocks.append(Paragraph("조문 번호와 제목은 jikimi의 법령 데이터(legal.json)에서 "
                                "가져왔습니다. 제출 전에 국가법령정보센터(law.go.kr)의 "
                                "현행 원문과 대조하십시오.", small=True))
    if civil_note:
        blocks.append(Paragraph("민사상 손해배상 책임의 근거 조문은 jikimi의 법령 데이터에 "
                                "없으므로 이 문서에 적지 않았습니다. 소송대리인이 확인하여 "
                                "기재하십시오.", small=True))
    return blocks


def _timeline_table(data: LitigationData) -> list[Block]:
    if not data.timeline:
        return [Paragraph("기록된 처리 경과가 없습니다.")]
    rows = [(kst(e.at), _event_text(e), e.actor) for e in data.timeline]
    return [Table(("일시", "내용", "처리자"), _limited(rows, 3), widths=(2, 5, 1.6))]


def _closing(data: LitigationData) -> list[Block]:
    lines = [
        "이 문서는 jikimi가 사건 기록, 증거물 목록과 감시 결과에서 자동으로 작성했습니다.",
        "SHA-256은 수집 당시 받은 파일의 해시값입니다. 증거 패키지는 "
        "'jikimi evidence verify 패키지.zip --key 공개키' 명령으로 데이터베이스 없이 "
        "검증할 수 있습니다.",
        "모든 시각은 한국 표준시(KST)입니다.",
        "피해자의 성명·연락처 등 개인정보는 이 문서에 포함하지 않았습니다.",
        *data.notes,
    ]
    return [Paragraph(f"{n}. {line}") for n, line in enumerate(lines, start=1)]


# --- the two documents -----------------------------------------------------------------------
def complaint_evidence_list(data: LitigationData) -> Document:
    """증거목록: the evidence list attached to a criminal complaint (고소장)."""
    blocks: list[Block] = [
        Heading("1. 사건 정보"), _case_block(data, "고소장 첨부 증거목록"),
        Heading("2. 증거 목록"), *_evidence_table(data),
        Heading("3. 유포 경로 (연계 분석)"), *_linkage_blocks(data, with_posters=True),
        Heading("4. 관련 법령"), *_statute_blocks(data, civil_note=False),
        Heading("5. 사건 처리 경과"), *_timeline_table(data),
        Heading("6. 작성 기준 및 유의사항"), *_closing(data),
    ]
    return Document("증거목록", f"사건번호 {data.case_code} · 고소장 첨부용", tuple(blocks),
                    data.generated_at)


def damages_summary(data: LitigationData) -> Document:
    """손해배상 청구를 위한 피해 요약서: the extent and spread of the harm, for counsel."""
    out = data.linkage
    facts = (f"등록된 피해물과 같은 콘텐츠 {len(out.contents)}건, 유포 장소 {len(out.places)}곳, "
             f"발견 {len(out.sightings)}회, 게시자 {len(out.posters)}명(식별된 경우), "
             f"수집 증거물 {len(data.evidence)}건.")
    blocks: list[Block] = [
        Heading("1. 사건 개요"), _case_block(data, "손해배상 청구 자료"), Paragraph(facts),
        Heading("2. 유포 현황"), *_linkage_blocks(data, with_posters=True),
        Heading("3. 피해 확산 경위"), _spread_table(data) if out.timeline else Paragraph(
            "확산 기록이 없습니다."),
        Heading("4. 피해 구제 조치 경과"), *_timeline_table(data),
        Heading("5. 증거 자료"), *_evidence_table(data),
        Heading("6. 관련 법령"), *_statute_blocks(data, civil_note=True),
        Heading("7. 작성 기준 및 유의사항"), *_closing(data),
    ]
    return Document("손해배상 청구를 위한 피해 요약서", f"사건번호 {data.case_code}",
                    tuple(blocks), data.generated_at)


BUILDERS = {DocumentKind.complaint_evidence_list: complaint_evidence_list,
            DocumentKind.damages_summary: damages_summary}


# --- rendering -------------------------------------------------------------------------------
def render_pdf(doc: Document) -> bytes:
    """The document as PDF (Hangul from Noto Sans CJK KR; see ``jikimi.core.pdf``)."""
    from jikimi.core.pdf import PdfDocument

    pdf = PdfDocument(doc.title, subject=doc.subtitle, created=doc.created)
    for block in doc.blocks:
        if isinstance(block, Heading):
            pdf.heading(block.text, block.level)
        elif isinstance(block, Paragraph):
            pdf.paragraph(block.text, size=8.5 if block.small else None, mono=block.mono)
        elif isinstance(block, KeyValues):
            pdf.key_values(list(block.rows), mono_keys=block.mono_keys)
        else:
            pdf.table(list(block.header), [list(r) for r in block.rows],
                      widths=list(block.widths) or None, mono_columns=block.mono_columns)
    return pdf.to_bytes()


def render_docx(doc: Document) -> bytes:
    """The document as DOCX, every run with an East Asian font so Hangul renders in Word."""
    from docx import Document as new_docx
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.oxml.ns import qn
    from docx.shared import Pt
    from docx.text.run import Run

    def font(run: Run, *, mono: bool = False, size: float | None = None,
             bold: bool = False) -> None:
        name = DOCX_MONO_FONT if mono else DOCX_EAST_ASIAN_FONT
        run.font.name = name
        r_pr = run._element.get_or_add_rPr()
        fonts = r_pr.find(qn("w:rFonts"))
        if fonts is None:
            fonts = r_pr.makeelement(qn("w:rFonts"), {})
            r_pr.insert(0, fonts)
        for attr in ("w:ascii", "w:hAnsi", "w:cs"):
            fonts.set(qn(attr), name)
        fonts.set(qn("w:eastAsia"), DOCX_EAST_ASIAN_FONT)
        if size:
            run.font.size = Pt(size)
        if bold:
            run.bold = True

    document = new_docx()
    for style_name in ("Normal", "Title", "Subtitle", "Heading 1", "Heading 2", "Table Grid"):
        style = document.styles[style_name]
        style.font.name = DOCX_EAST_ASIAN_FONT
        element = style.element.get_or_add_rPr()
        fonts = element.find(qn("w:rFonts"))
        if fonts is None:
            fonts = element.makeelement(qn("w:rFonts"), {})
            element.insert(0, fonts)
        fonts.set(qn("w:eastAsia"), DOCX_EAST_ASIAN_FONT)
    document.core_properties.title = doc.title
    document.core_properties.subject = doc.subtitle
    document.core_properties.author = "jikimi"
    document.core_properties.language = "ko-KR"
    document.core_properties.created = doc.created.replace(tzinfo=None)

    font(document.add_heading(level=0).add_run(doc.title))
    font(document.add_paragraph(style="Subtitle").add_run(doc.subtitle))
    for block in doc.blocks:
        if isinstance(block, Heading):
            font(document.add_heading(level=block.level).add_run(block.text))
        elif isinstance(block, Paragraph):
            font(document.add_paragraph().add_run(block.text), mono=block.mono,
                 size=8.5 if block.small else 10)
        else:
            header, rows, mono = ((("항목", "내용"), block.rows, frozenset[int]())
                                  if isinstance(block, KeyValues)
                                  else (block.header, block.rows, block.mono_columns))
            table = document.add_table(rows=1, cols=len(header))
            table.style = document.styles["Table Grid"]
            table.alignment = WD_TABLE_ALIGNMENT.CENTER
            for cell, text in zip(table.rows[0].cells, header, strict=True):
                font(cell.paragraphs[0].add_run(text), size=9, bold=True)
            for values in rows:
                cells = table.add_row().cells
                for i, (cell, text) in enumerate(zip(cells, values, strict=True)):
                    is_mono = i in mono or (isinstance(block, KeyValues)
                                            and i == 1 and values[0] in block.mono_keys)
                    font(cell.paragraphs[0].add_run(text), mono=is_mono,
                         size=8 if is_mono else 9, bold=isinstance(block, KeyValues) and i == 0)
            document.add_paragraph()
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _clean(doc: Document) -> Document:
    """The document without characters XML and PDF text cannot hold (channel names and
    captions come from offenders; python-docx refuses control characters)."""
    def c(text: str) -> str:
        return xml_text(text)

    blocks: list[Block] = []
    for b in doc.blocks:
        if isinstance(b, Heading):
            blocks.append(Heading(c(b.text), b.level))
        elif isinstance(b, Paragraph):
            blocks.append(Paragraph(c(b.text), b.mono, b.small))
        elif isinstance(b, KeyValues):
            blocks.append(KeyValues(tuple((c(k), c(v)) for k, v in b.rows), b.mono_keys))
        else:
            blocks.append(Table(tuple(c(h) for h in b.header),
                                tuple(tuple(c(v) for v in row) for row in b.rows),
                                b.widths, b.mono_columns))
    return Document(c(doc.title), c(doc.subtitle), tuple(blocks), doc.created)


def render(doc: Document, fmt: DocumentFormat) -> bytes:
    """The document as PDF or DOCX."""
    clean = _clean(doc)
    return render_pdf(clean) if fmt is DocumentFormat.pdf else render_docx(clean)
