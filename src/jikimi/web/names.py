"""``who(ref)`` in every staff template: the name of whoever a stored reference points to
(``staff:4`` → "김상담", with the centre when it is another one; ``system:cli`` →
"시스템(명령줄)"), looked up once per page and reference (jikimi.accounts.names) in the
page's own unit of work (``staff_page`` leaves it on ``request.state``); outside one, the
words for the kind of actor."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Request

from jikimi.accounts.names import actor_names
from jikimi.core.names import ActorName, actor_label


def who_for(request: Request, lang: str, user: Any) -> Callable[[str | None], str]:
    """A ``who`` function for one rendered page (it reads with its own short session)."""
    unit_of_work = getattr(request.state, "unit_of_work", None)  # set by staff_page
    viewer_centre = getattr(user, "centre_id", None)
    known: dict[str, ActorName] = {}

    def who(ref: str | None) -> str:
        if not ref:
            return ""
        if ref not in known and unit_of_work is not None:
            known.update(actor_names(unit_of_work.session, [ref]))
        return actor_label(ref, lang, known.get(ref), viewer_centre_id=viewer_centre)

    return who


def josa_for(lang: str) -> Callable[[str, str], str]:
    """``josa(word, "이/가")`` in templates: the word with its Korean particle; in English the
    word alone (the English sentence has its own grammar)."""
    from jikimi.core.names import with_particle

    def josa(word: str, pair: str) -> str:
        return with_particle(word, pair) if lang == "ko" else word

    return josa
