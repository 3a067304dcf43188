"""Takedown notices rendered from per-language template files, with the legal basis from data.

Templates live in ``templates/`` as ``notice.<lang>.txt``, ``notice_subject.<lang>.txt`` and
``cite.<lang>.txt`` (how that language cites an article); the escalation to the content
regulator is ``escalation.<lang>.txt`` and ``escalation_subject.<lang>.txt``. Adding a language
adds files; an unknown language falls back to its primary subtag, then to English.

Templates are plain text (no autoescape) rendered in a Jinja sandbox, and every inserted value
passes through :func:`single_line`: control characters, CR/LF and bidi overrides cannot break
a header or forge lines in the body. A notice names the case only by its pseudonymous code;
details about the victim appear only when the input carries them as consented fields.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from jikimi.core.i18n import translate
from jikimi.core.names import with_particle
from jikimi.core.text import is_email
from jikimi.errors import InvalidInput
from jikimi.matching import signal_type
from jikimi.takedown.directory import Platform
from jikimi.takedown.legal import DEFAULT_LEGAL_PATH, ArticleStatus, LegalData, load_legal

TEMPLATE_DIR = Path(__file__).parent / "templates"
FALLBACK_LANGUAGE = "en"
KST = dt.timezone(dt.timedelta(hours=9), "KST")  # no daylight saving since 1988
_LANG_RE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_CASE_CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9-]{2,39}$")
_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]+")


def single_line(value: object) -> str:
    """``value`` as text on one line: control, line-break and bidi characters become spaces."""
    if value is None:
        return ""
    return _UNSAFE.sub(" ", str(value)).strip()


# --- inputs ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Centre:
    """Who sends the notice: the centre's name, contact e-mail and phone."""

    name: str
    email: str
    phone: str

    def __post_init__(self) -> None:
        if not is_email(self.email):
            raise InvalidInput(f"centre e-mail {self.email!r} is not an e-mail address")


@dataclass(frozen=True)
class Fingerprint:
    """One fingerprint of an item, e.g. ``Fingerprint("pdq", "f8f8...")``."""

    signal_type: str
    value: str

    def __post_init__(self) -> None:
        canonical = signal_type(self.signal_type).normalise(self.value)
        object.__setattr__(self, "value", canonical)


@dataclass(frozen=True)
class NoticeItem:
    url: str
    fingerprints: tuple[Fingerprint, ...] = ()

    def __post_init__(self) -> None:
        if not re.match(r"^https?://\S+$", self.url) or _UNSAFE.search(self.url):
            raise InvalidInput(f"item URL must be an http(s) URL on one line: {self.url!r}")


@dataclass(frozen=True)
class ConsentedDetail:
    """A detail about the victim she agreed to share with this platform (e.g. her account)."""

    label: str
    value: str
    consent_recorded_at: dt.datetime


class EscalationReason(enum.StrEnum):
    OVERDUE = "overdue"
    REFUSED = "refused"
    PARTIALLY_REMOVED = "partially_removed"


@dataclass(frozen=True)
class NoticeInput:
    """Everything a notice states. The victim appears only as ``case_code`` unless she consented."""

    centre: Centre
    platform: Platform
    legal_basis: tuple[str, ...]
    items: tuple[NoticeItem, ...]
    case_code: str
    request_id: str
    deadline: dt.datetime
    issued_at: dt.datetime
    consented_details: tuple[ConsentedDetail, ...] = ()
    language: str | None = None
    allow_unverified_legal: bool = False


@dataclass(frozen=True)
class EscalationInput:
    """A request the platform left overdue (or refused), to be reviewed by the content regulator."""

    centre: Centre
    platform: Platform
    legal_basis: tuple[str, ...]
    items: tuple[NoticeItem, ...]
    case_code: str
    request_id: str
    original_sent_at: dt.datetime
    original_deadline: dt.datetime
    reason: EscalationReason
    escalated_at: dt.datetime
    language: str = "ko"
    allow_unverified_legal: bool = False


@dataclass(frozen=True)
class NoticeWarning:
    """Something an analyst must check: an English ``msgid`` with ``{named}`` placeholders
    and their values, translated where it is shown (``messages_notices.py``)."""

    msgid: str
    values: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, msgid: str, **values: object) -> NoticeWarning:
        """``NoticeWarning.of("the legal entity of {platform} is unverified", platform=...)``."""
        return cls(msgid, tuple((k, single_line(v)) for k, v in values.items()))

    @property
    def text(self) -> str:
        """The English text (what the API's ``notice_warnings`` and the CLI show)."""
        return self.msgid.format(**dict(self.values))

    def to_json(self) -> dict[str, Any]:
        """How a prepared request stores it: msgid, values and the English text."""
        return {"msgid": self.msgid, "values": dict(self.values), "text": self.text}


def warning_text(msgid: str | None, values: dict[str, str], text: str, lang: str) -> str:
    """A stored warning in ``lang``: its msgid translated with its values; ``text`` as it is
    when it has no msgid (stored before warnings were translatable) or the values miss one."""
    if not msgid:
        return text
    try:
        return translate(msgid, lang).format(**values)
    except (KeyError, IndexError, ValueError):
        return text


@dataclass(frozen=True)
class Notice:
    """A rendered notice. ``notice_warnings`` lists what an analyst must check before sending;
    ``warnings`` is the same in English."""

    subject: str
    body: str
    language: str
    request_id: str = ""
    notice_warnings: tuple[NoticeWarning, ...] = field(default=())

    @property
    def warnings(self) -> tuple[str, ...]:
        """The warnings' English texts."""
        return tuple(w.text for w in self.notice_warnings)


# --- rendering -------------------------------------------------------------------------------
def render_notice(notice: NoticeInput, *, legal: LegalData | None = None,
                  templates_dir: Path | None = None) -> Notice:
    """Render the takedown notice in the platform's language (or ``notice.language``)."""
    data = legal or _default_legal()
    warnings: list[NoticeWarning] = []
    if notice.language is None and not notice.platform.language_verified:
        warnings.append(NoticeWarning.of(
            "the language '{language}' for {platform} is not documented by the platform",
            language=notice.platform.language, platform=notice.platform.name))
    context = _common_context(
        data, notice.centre, notice.platform, notice.legal_basis, notice.items,
        notice.case_code, notice.request_id, notice.allow_unverified_legal, warnings)
    context.update(
        deadline=_when(notice.deadline),
        issued=_when(notice.issued_at),
        consented=[{"label": d.label, "value": d.value} for d in notice.consented_details],
    )
    return _render("notice", notice.language or notice.platform.language, context,
                   notice.request_id, warnings, templates_dir)


def render_escalation(escalation: EscalationInput, *, legal: LegalData | None = None,
                      templates_dir: Path | None = None) -> Notice:
    """Render the escalation to the content regulator named in legal.json on that date."""
    data = legal or _default_legal()
    warnings: list[NoticeWarning] = []
    regulator = data.content_regulator()
    name = regulator.name_on(_aware(escalation.escalated_at, "escalated_at").astimezone(KST)
                             .date())
    if not name.verified:
        warnings.append(NoticeWarning.of(
            "the regulator's current name '{name}' is unverified (sources: {sources})",
            name=name.ko, sources=", ".join(name.sources)))
    if regulator.escalation_email is None:
        warnings.append(NoticeWarning.of(
            "legal.json records no e-mail address for the content regulator; "
            "send through its documented channel"))
    context = _common_context(
        data, escalation.centre, escalation.platform, escalation.legal_basis, escalation.items,
        escalation.case_code, escalation.request_id, escalation.allow_unverified_legal,
        warnings)
    former = regulator.names[: regulator.names.index(name)]
    context.update(
        regulator={"ko": name.ko, "en": name.en or name.ko, "abbr": name.abbr or "",
                   "former": [f.ko for f in former]},
        sent=_when(escalation.original_sent_at),
        deadline=_when(escalation.original_deadline),
        escalated=_when(escalation.escalated_at),
        reason=escalation.reason.value,
    )
    return _render("escalation", escalation.language, context, escalation.request_id,
                   warnings, templates_dir)


def deadline_for(platform: Platform, sent_at: dt.datetime) -> dt.datetime:
    """When a request sent at ``sent_at`` becomes overdue under the directory's response time."""
    return _aware(sent_at, "sent_at") + dt.timedelta(hours=platform.response_hours)


def available_languages(kind: str = "notice", templates_dir: Path | None = None) -> list[str]:
    """Languages that have both a body and a subject template of ``kind``."""
    base = templates_dir or TEMPLATE_DIR
    found = []
    for path in base.glob(f"{kind}.*.txt"):
        lang = path.name[len(kind) + 1: -len(".txt")]
        if _LANG_RE.match(lang) and (base / f"{kind}_subject.{lang}.txt").is_file():
            found.append(lang)
    return sorted(found)


def resolve_language(requested: str, kind: str = "notice",
                     templates_dir: Path | None = None) -> str:
    """``requested`` if templates exist for it, else its primary subtag, else English."""
    available = set(available_languages(kind, templates_dir))
    candidates = [requested, requested.split("-")[0]] if _LANG_RE.match(requested) else []
    for lang in (*candidates, FALLBACK_LANGUAGE):
        if lang in available:
            return lang
    raise InvalidInput(f"no {kind} templates for {requested!r} or English in "
                       f"{templates_dir or TEMPLATE_DIR}", code="missing_template")


def _common_context(data: LegalData, centre: Centre, platform: Platform,
                    refs: Sequence[str], items: Sequence[NoticeItem], case_code: str,
                    request_id: str, allow_unverified: bool,
                    warnings: list[NoticeWarning]) -> dict[str, Any]:
    if not _CASE_CODE_RE.match(case_code):
        raise InvalidInput("case_code must be the pseudonymous case code (e.g. DSC-2026-000123), "
                           "never the victim's name", code="invalid_case_code")
    if not _REQUEST_ID_RE.match(request_id):
        raise InvalidInput(f"request_id {request_id!r} must be letters, digits, '.', '_' or '-'")
    if not items:
        raise InvalidInput("a notice needs at least one URL")
    if not refs:
        raise InvalidInput("a notice needs a legal basis (article ids from legal.json)")
    if not platform.legal_entity_verified:
        warnings.append(NoticeWarning.of("the legal entity of {platform} is unverified",
                                         platform=platform.name))
    basis = []
    for ref in dict.fromkeys(refs):
        statute, article = data.article(ref)
        if article.status is not ArticleStatus.SOURCED and not allow_unverified:
            raise InvalidInput(
                f"{ref} is {article.status.value} in legal.json; check it against law.go.kr "
                "and update legal.json, or choose another basis", code="unverified_legal_basis")
        if article.status is not ArticleStatus.SOURCED:
            warnings.append(NoticeWarning.of(f"{{ref}} is {article.status.value}", ref=ref))
        if not article.checked_against_law_go_kr:
            warnings.append(NoticeWarning.of("{ref} has not been checked against law.go.kr",
                                             ref=ref))
        basis.append({
            "ref": ref, "article": article.article, "main": article.main,
            "branch": article.branch or "", "paragraph": article.paragraph or "",
            "item": article.item or "", "statute_ko": statute.name_ko,
            "statute_short_ko": statute.short_ko, "statute_en": statute.name_en,
            "title_ko": article.title_ko or "", "title_en": article.title_en or "",
        })
    return {
        "centre": {"name": centre.name, "email": centre.email, "phone": centre.phone},
        "platform": {"name": platform.name, "legal_entity": platform.legal_entity or "",
                     "id": platform.id},
        "basis": basis,
        "items": [{"url": i.url, "fingerprints": [
            {"signal_type": f.signal_type, "value": f.value} for f in i.fingerprints]}
            for i in items],
        "case_code": case_code,
        "request_id": request_id,
    }


def _render(kind: str, requested: str, context: dict[str, Any], request_id: str,
            warnings: list[NoticeWarning], templates_dir: Path | None) -> Notice:
    base = templates_dir or TEMPLATE_DIR
    lang = resolve_language(requested, kind, base)
    cite = f"cite.{lang}.txt" if (base / f"cite.{lang}.txt").is_file() else "cite.en.txt"
    env = _environment(base)
    context = {**context, "lang": lang, "cite_template": cite}
    body = env.get_template(f"{kind}.{lang}.txt").render(context)
    subject = single_line(env.get_template(f"{kind}_subject.{lang}.txt").render(context))
    body = "\n".join(line.rstrip() for line in body.replace("\r", "").split("\n")).strip() + "\n"
    return Notice(subject=subject, body=body, language=lang, request_id=request_id,
                  notice_warnings=tuple(dict.fromkeys(warnings)))


def _default_legal() -> LegalData:
    """The packaged legal.json, re-read when the file changes (admins edit it)."""
    return _legal_version(DEFAULT_LEGAL_PATH.stat().st_mtime_ns)


def current_legal() -> LegalData:
    """The legal data notices use now (the packaged legal.json, re-read when it changes)."""
    return _default_legal()


@lru_cache(maxsize=2)
def _legal_version(_mtime_ns: int) -> LegalData:
    return load_legal()


@lru_cache(maxsize=16)
def _environment(base: Path) -> SandboxedEnvironment:
    """One sandbox per template folder; Jinja reloads a template when its file changes."""
    env = SandboxedEnvironment(
        loader=FileSystemLoader(str(base)), autoescape=False, undefined=StrictUndefined,
        finalize=single_line, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
    )
    env.filters["with_particle"] = with_particle  # 센터는 / 센터가: by the final consonant
    return env


def _aware(moment: dt.datetime, name: str) -> dt.datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidInput(f"{name} must carry a time zone")
    return moment


def _when(moment: dt.datetime) -> dict[str, str]:
    aware = _aware(moment, "time")
    return {
        "kst": aware.astimezone(KST).strftime("%Y-%m-%d %H:%M KST"),
        "utc": aware.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }
