"""Statutes, regulators and hotlines as editable data (``data/legal.json``), not code.

Several of them changed in 2024–2025 (the KCC became the KMCC on 2025-10-01; the KCSC's
successor name is unverified), so notices look names and article numbers up here at render
time. Every article carries a ``status``: ``sourced`` (statute text quoted by the listed
sources), ``unverified`` (``legal-ko.md`` flags it) or ``superseded``; and whether it has been
checked against law.go.kr. Notices refuse unverified and superseded articles unless told
otherwise, and warn about every article not yet checked.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from functools import cached_property
from pathlib import Path

from pydantic import ValidationError, field_validator, model_validator

from jikimi.errors import NotFound
from jikimi.takedown.directory import DATA_DIR, FrozenModel, read_json, validation_error

DEFAULT_LEGAL_PATH = DATA_DIR / "legal.json"
_ARTICLE_RE = re.compile(r"^[0-9]{1,4}(-[0-9]{1,3})?$")


class ArticleStatus(enum.StrEnum):
    SOURCED = "sourced"
    UNVERIFIED = "unverified"
    SUPERSEDED = "superseded"


class Article(FrozenModel):
    """One citable provision: an article, optionally one paragraph (항) or item (호) of it."""

    id: str
    article: str
    paragraph: int | None = None
    item: int | None = None
    title_ko: str | None = None
    title_en: str | None = None
    summary_en: str
    status: ArticleStatus
    checked_against_law_go_kr: bool = False
    sources: tuple[str, ...]

    @field_validator("article")
    @classmethod
    def _article(cls, value: str) -> str:
        if not _ARTICLE_RE.match(value):
            raise ValueError(f"article must look like '14' or '14-2', got {value!r}")
        return value

    @property
    def main(self) -> str:
        """The article number before the branch: '14' of '14-2'."""
        return self.article.partition("-")[0]

    @property
    def branch(self) -> str | None:
        """The branch number (가지번호): '2' of '14-2' (rendered 제14조의2)."""
        return self.article.partition("-")[2] or None


class Statute(FrozenModel):
    id: str
    name_ko: str
    short_ko: str
    name_en: str
    in_force_note: str | None = None
    articles: tuple[Article, ...]


class RegulatorName(FrozenModel):
    ko: str
    en: str | None
    abbr: str | None
    valid_from: dt.date | None
    valid_until: dt.date | None
    verified: bool
    sources: tuple[str, ...]


class Regulator(FrozenModel):
    id: str
    role: str
    names: tuple[RegulatorName, ...]
    website: str | None = None
    website_verified: bool = True
    escalation_email: str | None = None
    notes: str = ""

    @model_validator(mode="after")
    def _names_ordered(self) -> Regulator:
        if not self.names:
            raise ValueError("a regulator needs at least one name")
        for before, after in zip(self.names, self.names[1:], strict=False):
            if before.valid_until is None or after.valid_from != before.valid_until:
                raise ValueError(f"names of {self.id} must follow each other without gaps")
        return self

    def name_on(self, day: dt.date) -> RegulatorName:
        """The name in force on ``day`` (the first name before any recorded change)."""
        for name in self.names:
            if (name.valid_from is None or name.valid_from <= day) and (
                name.valid_until is None or day < name.valid_until
            ):
                return name
        return self.names[0]

    @property
    def former_names(self) -> tuple[RegulatorName, ...]:
        return self.names[:-1]


class Hotline(FrozenModel):
    id: str
    number: str
    owner: str
    description_en: str
    hours: str
    since: dt.date | None = None
    verified: bool
    note: str | None = None
    sources: tuple[str, ...]


class CentreRecord(FrozenModel):
    name_ko: str
    name_en: str
    since: dt.date
    operator_ko: str
    operator_en: str
    websites: tuple[str, ...]


class LegalData(FrozenModel):
    """Everything in ``legal.json``, with lookups by id."""

    version: int
    compiled: str
    source_document: str = ""
    notes: tuple[str, ...] = ()
    statutes: tuple[Statute, ...]
    regulators: tuple[Regulator, ...]
    hotlines: tuple[Hotline, ...]
    centre: CentreRecord
    default_notice_basis: tuple[str, ...]
    category_basis: dict[str, tuple[str, ...]]

    @model_validator(mode="after")
    def _references_resolve(self) -> LegalData:
        ids = [a.id for s in self.statutes for a in s.articles]
        if len(ids) != len(set(ids)):
            raise ValueError("article ids must be unique")
        known = set(ids)
        for ref in (*self.default_notice_basis, *(r for v in self.category_basis.values()
                                                  for r in v)):
            if ref not in known:
                raise ValueError(f"unknown article reference {ref!r}")
        return self

    @cached_property
    def _articles(self) -> dict[str, tuple[Statute, Article]]:
        return {a.id: (s, a) for s in self.statutes for a in s.articles}

    def article(self, ref: str) -> tuple[Statute, Article]:
        """The statute and article for a reference such as ``sexual_crimes_act:14-2``."""
        try:
            return self._articles[ref]
        except KeyError:
            raise NotFound(f"no article {ref!r} in legal.json; use one of its article ids",
                           code="unknown_legal_reference") from None

    def regulator(self, regulator_id: str) -> Regulator:
        for regulator in self.regulators:
            if regulator.id == regulator_id:
                return regulator
        raise NotFound(f"no regulator {regulator_id!r} in legal.json")

    def content_regulator(self) -> Regulator:
        """The body that reviews content and receives escalations (the KCSC or its successor)."""
        for regulator in self.regulators:
            if regulator.role == "content_regulator":
                return regulator
        raise NotFound("legal.json names no content_regulator")

    def hotline(self, hotline_id: str) -> Hotline:
        for hotline in self.hotlines:
            if hotline.id == hotline_id:
                return hotline
        raise NotFound(f"no hotline {hotline_id!r} in legal.json")


def load_legal(path: str | Path | None = None) -> LegalData:
    """Load and validate the legal data (the packaged ``legal.json`` by default)."""
    source = Path(path) if path is not None else DEFAULT_LEGAL_PATH
    try:
        return LegalData.model_validate(read_json(source, "legal data"))
    except ValidationError as exc:
        raise validation_error("legal data", source, exc) from exc
