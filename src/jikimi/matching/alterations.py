"""Which alteration a match recognised, in words a reviewer reads (Korean and English).

A hit names the lookup that found it (``variant``: what was done to the found copy before
hashing, e.g. ``unframed`` or a region ``keep_tl``) and the registered entry it met
(``entry_variant``: e.g. ``flip_h``, ``crop10``, ``offcrop_100_000_000_000``, ``tilt_p6``).
:func:`describe` turns the pair into one sentence (a msgid of the ``messages_robustness``
catalogue) and, for a match made by region hashes, how strong it is. The review pages, the
match page and the CLI all call this one function.
"""

from __future__ import annotations

from dataclasses import dataclass, field

_DIHEDRAL = {
    "rot90": "Rotated a quarter turn",
    "rot180": "Turned upside down",
    "rot270": "Rotated a quarter turn",
    "flip_h": "Mirrored left-right",
    "flip_v": "Flipped top-bottom",
    "transpose": "Mirrored and rotated",
    "transverse": "Mirrored and rotated",
}
STRONG_REGION_DISTANCE = 12
"""Region hashes this close (of 256 bits) are as good as a plain PDQ match."""
MODERATE_REGION_DISTANCE = 22


@dataclass(frozen=True)
class Alteration:
    """A msgid and its values; ``strength`` is set for region-hash matches."""

    label: str
    values: dict[str, object] = field(default_factory=dict)
    strength: str | None = None


def _tilt_degrees(name: str) -> int:
    sign = -1 if name.startswith("tilt_m") else 1
    return sign * int(name[len("tilt_m"):])


def _label(variant: str, entry_variant: str) -> tuple[str, dict[str, object]]:
    if variant.startswith("unframed") or entry_variant.startswith("unframed"):
        return "Border removed (frame, letterbox or screenshot)", {}
    if variant.startswith("keep_"):
        return "Partial match: a logo or caption area left out", {}
    if entry_variant.startswith("offcrop_"):
        return "Cropped off-centre", {}
    if entry_variant.startswith("tilt_"):
        return "Tilted by about {degrees}°", {"degrees": _tilt_degrees(entry_variant)}
    if entry_variant == "centre70" or variant == "centre70":
        return "Partial match: the centre of the picture", {}
    if entry_variant.startswith(("crop", "centred_")):
        return "Cropped (centred)", {}
    for name in (variant, entry_variant):
        if name in _DIHEDRAL:
            return _DIHEDRAL[name], {}
    return "Unaltered or recompressed", {}


def describe(signal_type: str, variant: str, entry_variant: str,
             distance: int) -> Alteration | None:
    """What the match recognised, or None for exact file hashes, videos and faces."""
    if signal_type not in ("pdq", "pdq_region"):
        return None
    label, values = _label(variant or "original", entry_variant or "original")
    strength = None
    if signal_type == "pdq_region":
        if distance <= STRONG_REGION_DISTANCE:
            strength = "Region match: strong"
        elif distance <= MODERATE_REGION_DISTANCE:
            strength = "Region match: moderate, compare by eye"
        else:
            strength = "Region match: weak, compare by eye"
    return Alteration(label, values, strength)
