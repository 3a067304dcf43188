"""Small helpers for forms that come back with the reason beside the field: undo what a refused
change did without ending the page's unit of work, and an error's sentence in the visitor's
language."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import Request

from jikimi.accounts import request_language
from jikimi.core.context import ServiceContext
from jikimi.core.i18n import error_message, translate
from jikimi.errors import JikimiError


@contextmanager
def undo_on_error(ctx: ServiceContext) -> Iterator[None]:
    """Undo what the block changed if it raises (a savepoint), keeping the page's unit of work
    open so the form can be shown again; refusals it audited are written again."""
    before = len(ctx.refusals)
    try:
        with ctx.session.begin_nested():
            yield
    except JikimiError:
        kept = ctx.refusals
        ctx.refusals = kept[before:]
        try:
            ctx.record_refusals_after_rollback(ctx.session)
        finally:
            ctx.refusals = kept
        raise


def error_text(request: Request, exc: JikimiError) -> str:
    """An error's sentence in the visitor's language: the catalogue's text of the exact
    English sentence if there is one, else the text of its code, else the English."""
    lang = request_language(request)
    if lang != "en":
        exact = translate(exc.message, lang)
        if exact != exc.message:
            return exact
    return error_message(exc.code, exc.message, lang)
