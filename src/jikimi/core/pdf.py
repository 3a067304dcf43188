"""Korean PDF documents (evidence reports, litigation documents) with Hangul that renders.

A small, general writer: a title, headings, paragraphs, key/value blocks and tables, with the
document title and page numbers in the footer. Text is set in Noto Sans CJK KR from Debian's
``fonts-noto-cjk`` (a TrueType/OpenType collection that fpdf2 embeds as a subset), so every
Hangul syllable is drawn by the font instead of becoming an empty box; hashes and other
machine strings use the monospaced variant from the same collection. NanumGothic
(``fonts-nanum``) is used when Noto is not installed::

    doc = PdfDocument("증거 보고서", subject="DSC-2026-000001")
    doc.heading("1. 사건 정보")
    doc.key_values([("사건 번호", "DSC-2026-000001")])
    doc.table(["번호", "SHA-256"], [["1", "ab…"]], widths=[1, 6], mono_columns={1})
    Path("report.pdf").write_bytes(doc.to_bytes())
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from jikimi.errors import ConfigurationError

FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"))


@dataclass(frozen=True)
class FontFile:
    path: Path
    index: int = 0
    """Index in a font collection (.ttc): Noto Sans CJK's Korean face is 1."""


@dataclass(frozen=True)
class KoreanFonts:
    regular: FontFile
    bold: FontFile
    mono: FontFile


def _find(name: str) -> Path | None:
    for root in FONT_DIRS:
        if root.is_dir():
            for found in root.rglob(name):
                return found
    return None


def korean_fonts() -> KoreanFonts:
    """Fonts with Hangul from the system; :class:`ConfigurationError` when there are none."""
    regular = _find("NotoSansCJK-Regular.ttc")
    if regular is not None:
        bold = _find("NotoSansCJK-Bold.ttc") or regular
        # Collection order: Sans CJK JP, KR, SC, TC, HK, then Sans Mono CJK JP, KR, ...
        return KoreanFonts(FontFile(regular, 1), FontFile(bold, 1), FontFile(regular, 6))
    nanum = _find("NanumGothic.ttf")
    if nanum is not None:
        bold_nanum = _find("NanumGothicBold.ttf") or nanum
        mono = _find("NanumGothicCoding.ttf") or nanum
        return KoreanFonts(FontFile(nanum), FontFile(bold_nanum), FontFile(mono))
    raise ConfigurationError(
        "no Korean font found for PDF reports: install Debian's fonts-noto-cjk "
        "(apt-get install fonts-noto-cjk)", code="no_korean_font")


class _Pdf(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("kr", "", 8)
        self.set_text_color(110, 110, 110)
        self.cell(0, 5, f"{self.footer_text}    {self.page_no()} / {{nb}}", align="C")
        self.set_text_color(0, 0, 0)


class PdfDocument:
    """A portrait A4 document written top to bottom."""

    BODY_SIZE = 10.0

    def __init__(self, title: str, *, subject: str = "", author: str = "jikimi",
                 created: dt.datetime | None = None, lang: str = "ko") -> None:
        fonts = korean_fonts()
        pdf = _Pdf(orientation="P", unit="mm", format="A4")
        pdf.add_font("kr", "", str(fonts.regular.path),
                     collection_font_number=fonts.regular.index)
        pdf.add_font("kr", "B", str(fonts.bold.path), collection_font_number=fonts.bold.index)
        pdf.add_font("mono", "", str(fonts.mono.path), collection_font_number=fonts.mono.index)
        pdf.set_margins(18, 18, 18)
        pdf.set_auto_page_break(True, margin=18)
        pdf.set_title(title)
        pdf.set_subject(subject)
        pdf.set_author(author)
        pdf.set_creator("jikimi")
        pdf.set_lang(lang)
        pdf.set_creation_date(created or dt.datetime.now(dt.UTC))
        pdf.footer_text = f"{title} {subject}".strip()
        pdf.add_page()
        self._pdf = pdf
        pdf.set_font("kr", "B", 18)
        pdf.multi_cell(0, 9, title, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if subject:
            pdf.set_font("kr", "", 11)
            pdf.set_text_color(70, 70, 70)
            pdf.multi_cell(0, 6, subject, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.set_text_color(0, 0, 0)
        pdf.ln(4)

    @property
    def width(self) -> float:
        """Usable width in mm."""
        return float(self._pdf.epw)

    def heading(self, text: str, level: int = 1) -> None:
        """A section heading (level 1 or 2); never left alone at the foot of a page."""
        size = 14.0 if level <= 1 else 12.0
        pdf = self._pdf
        if pdf.will_page_break(size + 14):
            pdf.add_page()
        pdf.ln(3 if level <= 1 else 1)
        pdf.set_font("kr", "B", size)
        pdf.multi_cell(0, size * 0.55, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if level <= 1:
            y = pdf.get_y() + 0.8
            pdf.set_draw_color(160, 160, 160)
            pdf.line(pdf.l_margin, y, pdf.l_margin + pdf.epw, y)
            pdf.set_draw_color(0, 0, 0)
            pdf.ln(2.5)
        else:
            pdf.ln(1)

    def paragraph(self, text: str, *, size: float | None = None, mono: bool = False) -> None:
        """Wrapped text, left-aligned (justified Hangul with long hashes looks broken)."""
        pdf = self._pdf
        pdf.set_font("mono" if mono else "kr", "", size or self.BODY_SIZE)
        pdf.multi_cell(0, (size or self.BODY_SIZE) * 0.55, text, align="L",
                       new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(1.5)

    def key_values(self, rows: Sequence[tuple[str, str]], *, key_width: float = 0.28,
                   mono_keys: Collection[str] = ()) -> None:
        """A two-column block of labels and values (``mono_keys``: values set monospaced)."""
        pdf = self._pdf
        key_w = self.width * key_width
        pdf.set_font("kr", "", self.BODY_SIZE)
        with pdf.table(col_widths=(key_w, self.width - key_w), first_row_as_headings=False,
                       text_align="LEFT", line_height=5.2, padding=1.2,
                       borders_layout="HORIZONTAL_LINES") as table:
            for key, value in rows:
                row = table.row()
                row.cell(key, style=FontFace(family="kr", emphasis="BOLD"))
                if key in mono_keys:
                    row.cell(value, style=FontFace(family="mono", size_pt=8.5))
                else:
                    row.cell(value)
        pdf.ln(3)

    def table(self, header: Sequence[str], rows: Sequence[Sequence[str]], *,
              widths: Sequence[float] | None = None, mono_columns: Collection[int] = (),
              size: float = 8.5) -> None:
        """A table with a repeated bold header row; ``widths`` are relative column widths."""
        pdf = self._pdf
        pdf.set_font("kr", "", size)
        relative = list(widths) if widths else [1.0] * len(header)
        total = sum(relative)
        col_widths = tuple(self.width * w / total for w in relative)
        with pdf.table(col_widths=col_widths, text_align="LEFT", line_height=size * 0.5,
                       padding=1.0, repeat_headings=1,
                       headings_style=FontFace(family="kr", emphasis="BOLD",
                                               fill_color=(230, 230, 230))) as table:
            heading = table.row()
            for text in header:
                heading.cell(text)
            for values in rows:
                row = table.row()
                for i, value in enumerate(values):
                    if i in mono_columns:
                        row.cell(value, style=FontFace(family="mono", size_pt=size - 1))
                    else:
                        row.cell(value)
        pdf.ln(3)

    def spacer(self, mm: float = 4.0) -> None:
        self._pdf.ln(mm)

    def page_break(self) -> None:
        self._pdf.add_page()

    def to_bytes(self) -> bytes:
        return bytes(self._pdf.output())

    def save(self, path: Path) -> None:
        path.write_bytes(self.to_bytes())
