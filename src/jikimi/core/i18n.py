"""One i18n lookup for every surface: Korean by default, English complete.

Catalogs are gettext ``.po`` files under ``jikimi/core/locale/<lang>/LC_MESSAGES``, read with
Babel at start-up (no compile step). Message ids are English sentences; error messages are
looked up by ``error.<code>``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po

from jikimi.core.config import SUPPORTED_LANGUAGES, Language

LOCALE_DIR = Path(__file__).parent / "locale"
DEFAULT_LANGUAGE: Language = "ko"


@cache
def catalog(lang: str) -> dict[str, str]:
    """The translations of one language, msgid → text (empty translations left out)."""
    path = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return {}
    with path.open("rb") as handle:
        po = read_po(handle, locale=lang)
    return {str(m.id): str(m.string) for m in po if m.id and m.string}


def translate(msgid: str, lang: str, **values: object) -> str:
    """Translate ``msgid`` into ``lang``; falls back to the English text itself."""
    text = catalog(lang).get(msgid, msgid) if lang != "en" else catalog("en").get(msgid, msgid)
    return text.format(**values) if values else text


def negotiate(accept_language: str | None, default: str = DEFAULT_LANGUAGE) -> Language:
    """Pick ko or en from an Accept-Language header (quality values respected)."""
    if not accept_language:
        return default if default in SUPPORTED_LANGUAGES else DEFAULT_LANGUAGE
    choices: list[tuple[float, str]] = []
    for part in accept_language.split(",")[:20]:
        piece = part.strip()
        if not piece:
            continue
        tag, _, params = piece.partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        choices.append((quality, tag.strip().lower()[:2]))
    for _quality, tag in sorted(choices, key=lambda c: -c[0]):
        if tag in SUPPORTED_LANGUAGES:
            return tag
    return default if default in SUPPORTED_LANGUAGES else DEFAULT_LANGUAGE


def error_message(code: str, english: str, lang: str) -> str:
    """The user-facing text of an error: the catalog's sentence for its code, or English."""
    if lang == "en":
        return english
    translated = catalog(lang).get(f"error.{code}")
    return translated or english
