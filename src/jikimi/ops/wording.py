"""The sentences of the status page, in Korean or English (one place for web and CLI)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from jikimi.core.i18n import translate
from jikimi.core.names import actor_label
from jikimi.ops.service import Check

KST = ZoneInfo("Asia/Seoul")


def _value(value: object) -> object:
    if isinstance(value, dt.datetime):
        return value.astimezone(KST).strftime("%Y-%m-%d %H:%M KST")
    return value


def check_sentence(check: Check, lang: str) -> str:
    """What a check found, as a sentence an administrator can act on."""
    facts = {k: actor_label(str(v), lang) if k == "by" else _value(v)
             for k, v in check.facts.items()}
    return translate(f"status.{check.key}.{check.reason}", lang, **facts)
