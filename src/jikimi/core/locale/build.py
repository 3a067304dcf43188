"""Write the ko and en gettext catalogs from the ``messages_*.py`` sources in this package.

Each capability keeps its own source file (``messages_ko.py`` for the foundation,
``messages_takedown.py``, ``messages_partners.py``, ...), each with ``KO`` and ``EN`` dicts
(msgid → text). Run ``python -m jikimi.core.locale.build`` after editing any of them.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

LOCALE_DIR = Path(__file__).parent


def merged_messages() -> tuple[dict[str, str], dict[str, str]]:
    """All Korean and English messages of every ``messages_*.py`` source, merged."""
    korean: dict[str, str] = {}
    english: dict[str, str] = {}
    for path in sorted(LOCALE_DIR.glob("messages_*.py")):
        module = importlib.import_module(f"jikimi.core.locale.{path.stem}")
        korean.update(getattr(module, "KO", {}))
        english.update(getattr(module, "EN", {}))
    return korean, english


def build() -> None:
    korean, english = merged_messages()
    for lang in ("ko", "en"):
        catalog = Catalog(locale=lang, project="jikimi", version="1", charset="utf-8")
        for msgid, text_ko in korean.items():
            text = text_ko if lang == "ko" else english.get(msgid, "")
            catalog.add(msgid, text)
        path = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            write_po(handle, catalog, width=100, omit_header=False, sort_output=True)


if __name__ == "__main__":
    build()
