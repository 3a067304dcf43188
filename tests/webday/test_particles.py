"""Korean particles follow the last sound of the word before them (property tests), and
who-did-it references become names."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jikimi.core.names import ActorName, actor_label, particle, with_particle

SYLLABLES = st.integers(0xAC00, 0xD7A3).map(chr)
PAIRS = ["이/가", "을/를", "은/는", "과/와", "이나/나", "아/야"]


def final_consonant(syllable: str) -> int:
    return (ord(syllable) - 0xAC00) % 28


@given(st.text(min_size=0, max_size=8), SYLLABLES, st.sampled_from(PAIRS))
def test_particle_follows_the_final_consonant(prefix: str, last: str, pair: str) -> None:
    consonant, vowel = pair.split("/")
    word = prefix + last
    expected = consonant if final_consonant(last) else vowel
    assert particle(word, pair) == expected
    assert with_particle(word, pair) == word + expected


@given(st.text(min_size=0, max_size=8), SYLLABLES)
def test_euro_ro_takes_ro_after_a_vowel_or_rieul(prefix: str, last: str) -> None:
    final = final_consonant(last)
    expected = "로" if final in (0, 8) else "으로"
    assert particle(prefix + last, "으로/로") == expected


@given(SYLLABLES, st.sampled_from(["", ")", " ", "'", "  )"]), st.sampled_from(PAIRS))
def test_closing_punctuation_is_skipped(last: str, tail: str, pair: str) -> None:
    assert particle(last + tail, pair) == particle(last, pair)


@pytest.mark.parametrize(("word", "pair", "expected"), [
    ("김지원", "이/가", "김지원이"), ("analyst_a", "이/가", "analyst_a가"),
    ("상담사", "을/를", "상담사를"), ("서울", "으로/로", "서울로"), ("부산", "으로/로", "부산으로"),
    ("Kim", "은/는", "Kim은"), ("Paul", "으로/로", "Paul로"), ("TD-7", "이/가", "TD-7이"),
    ("TD-9", "이/가", "TD-9가"), ("", "이/가", "이(가)"), ("★", "을/를", "★을(를)"),
    ("日本", "이/가", "日本이(가)"), ("", "으로/로", "(으)로"),
])
def test_examples(word: str, pair: str, expected: str) -> None:
    assert with_particle(word, pair) == expected


def test_unknown_pair_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown particle"):
        particle("김지원", "도/도")


@given(st.text(max_size=30))
def test_any_word_gets_a_particle(word: str) -> None:
    assert particle(word, "이/가") in ("이", "가", "이(가)")


def test_actor_labels_are_words_not_ids() -> None:
    staff = ActorName("staff:4", "staff", "김상담", centre_id=2, centre_name="서울센터")
    assert actor_label("staff:4", "ko", staff, viewer_centre_id=2) == "김상담"
    assert actor_label("staff:4", "ko", staff, viewer_centre_id=3) == "김상담 (서울센터)"
    assert actor_label("system:cli", "ko") == "시스템(명령줄)"
    assert actor_label("system:cli", "en") == "System (command line)"
    assert actor_label("system:worker", "ko") == "시스템(자동 작업)"
    assert actor_label("victim:DSC-2026-000001", "ko") == "피해자 본인"
    assert actor_label("staff:99", "ko") == "직원(삭제된 계정)"
    for ref in ("staff:4", "system:cli", "system:whatever", "partner:3", "nonsense"):
        for lang in ("ko", "en"):
            assert "staff:" not in actor_label(ref, lang) and ":" not in actor_label(ref, lang)
