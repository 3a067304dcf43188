"""Words a counsellor understands for what the matcher measures (``docs/glossary.md``).

:func:`closeness` turns a match's distance into a phrase (a msgid translated by the pages,
the CLI and documents): the number of differing bits of a PDQ hash means little to a reader,
"nearly identical — the same picture" does. Region hashes are worded by
``jikimi.matching.alterations`` (their strength); file hashes match exactly or not at all.
"""

from __future__ import annotations

PERCEPTUAL = frozenset({"pdq", "pdq_dihedral", "vpdq"})
EXACT = frozenset({"sha256", "md5"})

IDENTICAL = "The same picture (no difference)"
NEARLY_IDENTICAL = "Nearly identical: the same picture, recompressed or resized"
VERY_SIMILAR = "Very similar: almost certainly the same picture"
SIMILAR = "Similar: compare the pictures by eye"
SAME_FILE = "Exactly the same file"


def closeness(signal_type: str, distance: int | None) -> str:
    """The phrase for a match's distance (empty when the signal has its own wording or the
    distance is unknown). PDQ distances are differing bits of 256; jikimi's default match
    threshold is 31."""
    if distance is None or distance < 0:
        return ""
    if signal_type in EXACT:
        return SAME_FILE if distance == 0 else ""
    if signal_type not in PERCEPTUAL:
        return ""
    if distance == 0:
        return IDENTICAL
    if distance <= 10:
        return NEARLY_IDENTICAL
    if distance <= 20:
        return VERY_SIMILAR
    return SIMILAR
