"""Names people read instead of ids: who did something, and Korean particles that fit them.

Histories, timelines, CSV files and PDF documents store who acted as a reference
(``staff:4``, ``system:cli``, ``victim:DSC-2026-000001``); people must read a name. This module
is pure: :func:`actor_label` turns a reference plus what is known about it (an
:class:`ActorName`, looked up by ``jikimi.accounts.actor_names``) into words in Korean or
English, and :func:`particle` / :func:`with_particle` choose 이/가, 을/를, 은/는, 과/와, (으)로
after a name by its last sound, so "상담사 김지원이 판단" and "분석가 Kay가 판단" both read
right — never "staff:5이(가)".
"""

from __future__ import annotations

from dataclasses import dataclass

from jikimi.core.i18n import translate

_HANGUL_FIRST, _HANGUL_LAST = 0xAC00, 0xD7A3
_RIEUL = 8  # final consonant index of ㄹ

# What a Latin letter or digit sounds like at the end of a word read in Korean: True when the
# Korean reading ends in a consonant (a batchim). Letters: 엘(L), 엠(M), 엔(N), 알(R) end in a
# consonant; digits: 영(0), 일(1), 삼(3), 육(6), 칠(7), 팔(8); 구(9) ends in a vowel.
_LATIN_BATCHIM = {**dict.fromkeys("lmnr", True), **dict.fromkeys("013678", True)}
_LATIN_RIEUL = set("lr178")  # 엘, 알, 일, 칠, 팔 end in ㄹ

PARTICLES: dict[str, tuple[str, str]] = {
    # after a final consonant, after a vowel
    "이/가": ("이", "가"),
    "을/를": ("을", "를"),
    "은/는": ("은", "는"),
    "과/와": ("과", "와"),
    "이나/나": ("이나", "나"),
    "으로/로": ("으로", "로"),
    "아/야": ("아", "야"),
}


def _last_sound(word: str) -> tuple[bool, bool] | None:
    """(ends in a final consonant, that consonant is ㄹ) for the last pronounceable
    character of ``word``; None when there is none (empty, or only punctuation)."""
    for char in reversed(word.strip()):
        code = ord(char)
        if _HANGUL_FIRST <= code <= _HANGUL_LAST:
            final = (code - _HANGUL_FIRST) % 28
            return final != 0, final == _RIEUL
        lower = char.lower()
        if lower.isascii() and lower.isalnum():
            return _LATIN_BATCHIM.get(lower, False), lower in _LATIN_RIEUL
        if char in ")]}\"'”’」』":
            continue
        if char.isspace() or not char.isalnum():
            continue
        return None  # a script whose reading we do not know
    return None


def particle(word: str, pair: str) -> str:
    """The particle of ``pair`` (e.g. ``"이/가"``) that follows ``word``: 이 after a final
    consonant, 가 after a vowel; (으)로 takes 로 after ㄹ too. When the last sound is unknown
    the pair is written out in the usual form (``"이(가)"``)."""
    if pair not in PARTICLES:
        raise ValueError(f"unknown particle pair {pair!r} (known: {', '.join(PARTICLES)})")
    consonant, vowel = PARTICLES[pair]
    sound = _last_sound(word)
    if sound is None:
        return f"{consonant}({vowel})" if pair != "으로/로" else "(으)로"
    has_final, is_rieul = sound
    if pair == "으로/로":
        return consonant if has_final and not is_rieul else vowel
    return consonant if has_final else vowel


def with_particle(word: str, pair: str) -> str:
    """``word`` and its particle: ``with_particle("김지원", "이/가") == "김지원이"``."""
    return f"{word}{particle(word, pair)}"


@dataclass(frozen=True)
class ActorName:
    """What is known about an actor reference: its kind and, for staff, the display name and
    centre."""

    ref: str
    kind: str  # staff | system | victim | partner | unknown
    name: str = ""
    centre_id: int | None = None
    centre_name: str = ""
    role: str = ""


SYSTEM_LABELS = {
    "cli": "System (command line)",
    "worker": "System (background worker)",
    "dispatcher": "System (mail dispatcher)",
    "demo": "System (demo data)",
    "system": "System",
    "portal": "System (victim portal)",
    "watch": "System (re-upload watch)",
    "test": "System (test)",
}


def parse_ref(ref: str) -> tuple[str, str]:
    """``"staff:4"`` → ``("staff", "4")``; a reference without a kind is ``("unknown", ref)``."""
    kind, sep, rest = ref.partition(":")
    return (kind, rest) if sep else ("unknown", ref)


def actor_label(ref: str | None, lang: str, known: ActorName | None = None, *,
                viewer_centre_id: int | None = None) -> str:
    """Words for who acted, in ``lang``: a staff member's display name (with her centre when it
    is not the viewer's), "시스템(명령줄)" for the command line, "피해자 본인" for the victim;
    never the raw reference."""
    if not ref:
        return ""
    kind, rest = parse_ref(ref)
    if known is not None and known.kind == "staff" and known.name:
        if known.centre_name and viewer_centre_id is not None \
                and known.centre_id != viewer_centre_id:
            return f"{known.name} ({known.centre_name})"
        return known.name
    if kind == "staff":
        return translate("A staff member (account removed)", lang)
    if kind == "system":
        label = SYSTEM_LABELS.get(rest)
        if label is not None:
            return translate(label, lang)
        return translate("System ({what})", lang, what=rest or "-")
    if kind == "victim":
        return translate("The victim herself", lang)
    if kind == "partner":
        if known is not None and known.name:
            return translate("Partner {name}", lang, name=known.name)
        return translate("A partner platform", lang)
    return translate("Someone unknown", lang)
