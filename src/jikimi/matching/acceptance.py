"""When a perceptual-hash hit counts on its own (``reliable``): the one rule, applied by
:meth:`jikimi.matching.matcher.Matcher.resolve` for every door (scans, ``jikimi match``, the
API and the match page, removal checks).

PDQ's quality (0-100) says how much detail a picture has. Meta's advice, and jikimi's rule
until issue 14, is that a hash of quality below 50 never counts alone. Region hashes made
that rule cost recall: smooth wallpapers and skies give windows of quality 20-49 that match
their own altered copies closely (tilts, crops, overlays) and were never counted, the same 7
of 30 photos in every row of the benchmark. Measured (``benchmarks/bench_flat_rule.py``:
120 registered photos, every lookup against every entry, any quality; two runs, 217,080 and
233,160 unrelated pairs; docs/benchmarks.md):

- below quality 15 unrelated windows met at **0 bits** (a vertical gradient hashes to
  ``5555...5``, whatever the picture): such hashes say nothing and never count;
- with both sides of quality 20 or more the nearest unrelated pair is **34 bits** in both
  runs, while the altered copies of the flat photos are found within 20 bits.

So a hit counts when both hashes have quality >= 50 and it is within the threshold (as
before), or, for region hashes only, when both have quality >= :data:`FLAT_QUALITY_FLOOR`
and it is within :data:`FLAT_MATCH_DISTANCE` bits (14 bits short of the nearest unrelated
pair). Plain ``pdq`` keeps Meta's rule (it is what partners and hash lists exchange, and the
flat rule gained it only about 4 of 120 centred 20 % crops, which region hashes find anyway at
0.92). Anything else is still reported, as unreliable, for a reviewer to look at.
"""

from __future__ import annotations

from jikimi.hashing import LOW_QUALITY_THRESHOLD

QUALITY_SIGNALS = frozenset({"pdq", "pdq_region"})
"""Perceptual hashes with a quality (the rule below applies to them only)."""
FLAT_RULE_SIGNALS = frozenset({"pdq_region"})
"""Signals whose hits of quality 20-49 may count (within FLAT_MATCH_DISTANCE)."""
FLAT_QUALITY_FLOOR = 20
"""Below this quality (either side) a hit never counts alone."""
FLAT_MATCH_DISTANCE = 20
"""Largest distance at which a hit between hashes of quality 20-49 counts alone."""


def counts_alone(signal_type: str, distance: int, query_quality: int | None,
                 entry_quality: int | None) -> bool:
    """Whether a hit within its signal's threshold is reliable (module docstring). A missing
    quality (a hash imported without one) is taken as good, as before."""
    if signal_type not in QUALITY_SIGNALS:
        return True
    low = min(100 if query_quality is None else query_quality,
              100 if entry_quality is None else entry_quality)
    if low >= LOW_QUALITY_THRESHOLD:
        return True
    return (signal_type in FLAT_RULE_SIGNALS and low >= FLAT_QUALITY_FLOOR
            and distance <= FLAT_MATCH_DISTANCE)
