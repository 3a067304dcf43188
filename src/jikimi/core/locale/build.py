"""Write the ko and en gettext catalogs from ``messages_ko.py``.

Run ``python -m jikimi.core.locale.build`` after editing the messages.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

from jikimi.core.locale.messages_ko import EN, KO

LOCALE_DIR = Path(__file__).parent


def build() -> None:
    for lang in ("ko", "en"):
        catalog = Catalog(locale=lang, project="jikimi", version="1", charset="utf-8")
        for msgid, korean in KO.items():
            text = korean if lang == "ko" else EN.get(msgid, "")
            catalog.add(msgid, text)
        path = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            write_po(handle, catalog, width=100, omit_header=False, sort_output=True)


if __name__ == "__main__":
    build()
