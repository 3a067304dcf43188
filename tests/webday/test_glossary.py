"""One name per thing (docs/glossary.md): the Korean catalogue uses no retired synonym, the
glossary documents what the catalogue says, and distances are worded for people."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.conftest import World
from tests.review.test_pages import session_for
from tests.takedown.seed import seed_case, seed_match

from jikimi.core.glossary import (
    IDENTICAL,
    NEARLY_IDENTICAL,
    SAME_FILE,
    SIMILAR,
    VERY_SIMILAR,
    closeness,
)
from jikimi.core.i18n import translate
from jikimi.core.locale.build import merged_messages
from jikimi.core.runtime import Runtime

GLOSSARY = Path(__file__).resolve().parents[2] / "docs" / "glossary.md"
RETIRED = {"해시 은행": "해시 DB", "대조": "일치 항목", "출처": "모니터링 대상"}


def test_catalogue_uses_one_name_per_thing() -> None:
    korean, _english = merged_messages()
    for msgid, text in korean.items():
        if msgid == "context.forwarded_from":  # Telegram's "forwarded from": not a source
            continue
        assert not re.search(r"(?<!리)소스", text), (msgid, text)
        for retired, name in RETIRED.items():
            assert retired not in text, (msgid, text, f"use {name}")


def test_glossary_matches_the_catalogue() -> None:
    text = GLOSSARY.read_text(encoding="utf-8")
    for msgid in ("Source", "Match", "td.draft", "td.overdue", "status.active",
                  "signal.pdq", IDENTICAL, NEARLY_IDENTICAL, VERY_SIMILAR, SIMILAR, SAME_FILE,
                  "System (command line)", "Mirrored left-right", "Cropped off-centre"):
        korean = translate(msgid, "ko")
        assert korean != msgid or msgid.startswith("signal."), msgid
        assert korean in text, (msgid, korean)


@pytest.mark.parametrize(("signal", "distance", "words"), [
    ("pdq", 0, IDENTICAL), ("pdq", 4, NEARLY_IDENTICAL), ("pdq", 10, NEARLY_IDENTICAL),
    ("pdq", 11, VERY_SIMILAR), ("pdq", 20, VERY_SIMILAR), ("pdq", 31, SIMILAR),
    ("vpdq", 15, VERY_SIMILAR), ("sha256", 0, SAME_FILE), ("md5", 0, SAME_FILE),
    ("pdq_region", 5, ""), ("face", 3, ""), ("pdq", None, ""), ("pdq", -1, ""),
])
def test_closeness(signal: str, distance: int | None, words: str) -> None:
    assert closeness(signal, distance) == words


@given(st.integers(0, 256), st.integers(0, 256))
def test_closer_is_never_worded_as_further(a: int, b: int) -> None:
    order = [IDENTICAL, NEARLY_IDENTICAL, VERY_SIMILAR, SIMILAR]
    near, far = sorted((a, b))
    assert order.index(closeness("pdq", near)) <= order.index(closeness("pdq", far))


def test_review_queue_words_the_distance(app, runtime: Runtime, world: World) -> None:  # type: ignore[no-untyped-def]
    seeded = seed_case(runtime, world.centre_a)
    seed_match(runtime, seeded, "https://www.tumblr.com/p/1")
    analyst, _ = session_for(app, world.staff["analyst_a"])
    page = analyst.get("/review")
    assert page.status_code == 200
    assert any(translate(w, "ko") in page.text for w in (IDENTICAL, NEARLY_IDENTICAL,
                                                        VERY_SIMILAR, SIMILAR))


def test_cli_review_show_words_the_match(runtime: Runtime, world: World,  # type: ignore[no-untyped-def]
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from jikimi.cli.app import app as cli_app

    seeded = seed_case(runtime, world.centre_a)
    match_id = seed_match(runtime, seeded, "https://www.tumblr.com/p/2")
    monkeypatch.setenv("JIKIMI_DATA_DIR", str(runtime.settings.data_dir))
    monkeypatch.setenv("JIKIMI_DATABASE_URL", runtime.settings.sqlalchemy_url)
    monkeypatch.setenv("COLUMNS", "300")
    shown = CliRunner().invoke(cli_app, ["review", "show", str(match_id)])
    assert shown.exit_code == 0, shown.output
    assert NEARLY_IDENTICAL in shown.output and "Unaltered or recompressed" in shown.output
