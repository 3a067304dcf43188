"""When a perceptual-hash hit counts alone (jikimi.matching.acceptance), through the service
every door calls (match_queries), on SQLite and PostgreSQL."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jikimi import accounts, matching
from jikimi.core.actors import cli_actor
from jikimi.core.runtime import Runtime
from jikimi.matching import NewEntry, Query
from jikimi.matching.acceptance import (
    FLAT_MATCH_DISTANCE,
    FLAT_QUALITY_FLOOR,
    counts_alone,
)


def _flip(value: str, bits: int, rnd: random.Random) -> str:
    mask = 0
    for i in rnd.sample(range(256), bits):
        mask |= 1 << i
    return f"{int(value, 16) ^ mask:064x}"


@pytest.fixture
def banked(runtime: Runtime) -> tuple[Runtime, dict[str, str]]:
    """One bank, one picture: a PDQ entry and two region windows, one detailed (quality 90)
    and one flat (quality 30); the hashes share no bits."""
    rnd = random.Random(14)
    values = {k: f"{rnd.getrandbits(256):064x}" for k in ("pdq", "detailed", "flat")}
    with runtime.context(cli_actor("test")) as ctx:
        accounts.add_centre(ctx, "센터")
        matching.create_bank(ctx, "victim")
        matching.add_entries(ctx, "victim", [
            NewEntry("pdq", values["pdq"], 30, "original", "content-1"),
            NewEntry("pdq_region", values["detailed"], 90, "keep_tl", "content-1"),
            NewEntry("pdq_region", values["flat"], 30, "tilt_p5", "content-1"),
        ])
    return runtime, values


def _match(runtime: Runtime, *queries: Query) -> matching.MatchResult:
    with runtime.context(cli_actor("test")) as ctx:
        return matching.match_queries(ctx, matching.Matcher(), list(queries))


def test_flat_region_hit_counts_only_when_close(banked: tuple[Runtime, dict[str, str]]
                                               ) -> None:
    runtime, values = banked
    rnd = random.Random(1)
    close = _flip(values["flat"], FLAT_MATCH_DISTANCE, rnd)
    far = _flip(values["flat"], FLAT_MATCH_DISTANCE + 4, rnd)
    found = _match(runtime, Query("pdq_region", close, "centre70", 35))
    assert found.matched and found.matches[0].reliable
    assert found.matches[0].entry_variant == "tilt_p5"
    # within the region threshold (31) but past the flat rule's 20 bits: shown, not counted
    weak = _match(runtime, Query("pdq_region", far, "centre70", 35))
    assert weak.matches and not weak.matches[0].reliable and not weak.matched
    # below quality 20 on the found side: never counts, however close
    blank = _match(runtime, Query("pdq_region", values["flat"], "centre70", 15))
    assert blank.matches and not blank.matched


def test_plain_pdq_keeps_metas_rule(banked: tuple[Runtime, dict[str, str]]) -> None:
    """The flat rule is for region hashes: a PDQ hit of quality 30 never counts alone."""
    runtime, values = banked
    result = _match(runtime, Query("pdq", values["pdq"], "original", 100))
    assert result.matches and result.matches[0].distance == 0
    assert not result.matched


def test_a_reliable_hit_is_not_hidden_by_a_closer_unreliable_one(
        banked: tuple[Runtime, dict[str, str]]) -> None:
    """One match per content is shown: the reliable one, even when a flat window is closer."""
    runtime, values = banked
    rnd = random.Random(2)
    result = _match(runtime,
                    Query("pdq_region", values["flat"], "centre70", 10),  # 0 bits, quality 10
                    Query("pdq_region", _flip(values["detailed"], 25, rnd), "keep_tl", 80))
    assert result.matched
    [match] = [m for m in result.matches if m.signal_type == "pdq_region"]
    assert match.reliable and match.entry_variant == "keep_tl" and match.distance == 25


@given(signal=st.sampled_from(["pdq", "pdq_region", "sha256", "md5", "vpdq"]),
       distance=st.integers(0, 31), query=st.none() | st.integers(0, 100),
       entry=st.none() | st.integers(0, 100))
def test_counts_alone(signal: str, distance: int, query: int | None, entry: int | None
                      ) -> None:
    low = min(100 if query is None else query, 100 if entry is None else entry)
    expected = (signal not in ("pdq", "pdq_region") or low >= 50
                or (signal == "pdq_region" and low >= FLAT_QUALITY_FLOOR
                    and distance <= FLAT_MATCH_DISTANCE))
    assert counts_alone(signal, distance, query, entry) is expected
