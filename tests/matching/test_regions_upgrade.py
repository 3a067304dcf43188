"""Pictures registered before the 2.5 % off-centre grid (48 ``offcrop_*`` windows on a 5 %
grid) keep matching, and `jikimi banks add` of the same file again adds only the windows they
lack (duplicates of an entry in the bank are skipped)."""

from __future__ import annotations

from pathlib import Path

from tests.foundation.test_cli import jikimi
from tests.matching.robustness_media import ALTERATIONS, jpeg, photo

from jikimi import accounts, matching
from jikimi.core.actors import cli_actor
from jikimi.core.runtime import Runtime
from jikimi.hashing import fingerprint_bytes
from jikimi.hashing.regions import OFFCROP_WINDOWS


def _on_old_grid(variant: str) -> bool:
    if not variant.startswith("offcrop_"):
        return True
    return all(int(part) % 50 == 0 for part in variant.split("_")[1:])


def _best_region_hit(runtime: Runtime, data: bytes) -> matching.MatchOut | None:
    _fp, lookups = matching.media_lookups(data)
    with runtime.context(cli_actor("test")) as ctx:
        result = matching.match_queries(ctx, matching.Matcher(), lookups)
    hits = [m for m in result.matches if m.signal_type == "pdq_region" and m.reliable]
    return min(hits, key=lambda m: m.distance, default=None)


def test_old_entries_match_and_re_adding_the_file_adds_the_finer_windows(
        runtime: Runtime, cli_env: dict[str, str], tmp_path: Path) -> None:
    img = photo(1450, (560, 420))
    original = tmp_path / "photo.jpg"
    original.write_bytes(jpeg(img, 92))
    fp = fingerprint_bytes(original.read_bytes(), with_variants=True)
    entries = matching.entries_for_fingerprints(fp, original.name)
    before = [e for e in entries if e.signal_type != "pdq_region" or _on_old_grid(e.variant)]
    assert len(entries) - len(before) == len(OFFCROP_WINDOWS) - 48 == 120
    with runtime.context(cli_actor("test")) as ctx:
        accounts.add_centre(ctx, "센터")
        matching.create_bank(ctx, "victim")
        matching.add_entries(ctx, "victim", before)  # as registered before the finer grid

    on_grid = jpeg(ALTERATIONS["corner-crop-10"][1](img))
    off_grid = jpeg(ALTERATIONS["offgrid-crop-12-8"][1](img))
    old = _best_region_hit(runtime, on_grid)
    assert old is not None and _on_old_grid(old.entry_variant)  # old entries still match
    off_before = _best_region_hit(runtime, off_grid)

    out = jikimi(cli_env, "banks", "add", "victim", str(original)).stdout
    assert "victim: 120 fingerprints of 1 files added" in " ".join(out.split())
    with runtime.context(cli_actor("test")) as ctx:
        regions = [e for e in matching.list_entries(ctx, "victim", limit=1000)
                   if e.signal_type == "pdq_region"]
    assert len(regions) == 199 and len({e.content_id for e in regions}) == 1
    off_after = _best_region_hit(runtime, off_grid)
    assert off_after is not None
    assert off_before is None or off_after.distance <= off_before.distance
