"""How found media is looked up: the one function every door calls.

Scans (every source type), ``/api/v1/match`` and the match page, ``jikimi match``, removal
verification, the re-upload watch (it reads what scans recorded), evidence capture and
investigation linkage (both read the same fingerprints) all fingerprint found media with
:func:`media_lookups` or :func:`file_lookups` and search what :func:`lookups_for` returns.

The lookups of one image, all from one decode and one luma thumbnail (a JPEG is decoded
straight to its luma at the reference's draft scale and size; every hash below is computed
from that one array by :mod:`jikimi.hashing.window_pdq`, within a few bits of Meta's
reference and of the registered hashes: measured in ``docs/benchmarks.md``, issue 14, "Cost
of the scan path"):

- ``pdq``: the picture's PDQ (``original``), PDQ's 8 dihedral hashes computed from the same
  DCT in the same pass (``rot90`` ... ``transverse``: cheap, and what lets hash lists imported
  without variants match mirrored copies; registrations also store flipped pixels), and, only
  when a cheap look at the four edges sees a border, letterbox or screen, the unframed
  picture (``unframed`` ...);
- ``pdq_region``: the picture's PDQ against the registered crop windows (off-centre and
  centred crops), its ``keep_*`` windows against the same windows of registrations
  (overlays), its ``centre70`` against the turned centres (tilts); see
  :mod:`jikimi.hashing.regions`;
- ``sha256`` and ``md5`` of the file.

Videos are looked up by vPDQ, SHA-256 and MD5.
"""

from __future__ import annotations

import os

from jikimi.hashing import (
    DEFAULT_LIMITS,
    DIHEDRAL_NAMES,
    DecodeLimits,
    Fingerprints,
    ImageFingerprints,
    fingerprint_bytes,
    fingerprint_file,
)
from jikimi.matching.matcher import Query
from jikimi.matching.signal_types import vpdq_value


def lookups_for(fp: Fingerprints) -> list[Query]:
    """The queries for fingerprints made with ``for_lookup=True`` (module docstring)."""
    if not isinstance(fp, ImageFingerprints):
        return [Query("vpdq", vpdq_value(fp.frames)), Query("sha256", fp.sha256),
                Query("md5", fp.md5)]
    queries = [Query("pdq", fp.pdq, "original", fp.quality)]
    seen = {fp.pdq}
    for name, value in zip(DIHEDRAL_NAMES, fp.dihedral, strict=False):
        if value not in seen:
            seen.add(value)
            queries.append(Query("pdq", value, name, fp.quality))
    for variant in fp.unframed:
        if variant.hex not in seen:
            seen.add(variant.hex)
            queries.append(Query("pdq", variant.hex, variant.name, variant.quality))
    queries.append(Query("pdq_region", fp.pdq, "original", fp.quality))
    regions = {fp.pdq}
    for variant in fp.region_lookups:
        if variant.hex not in regions:
            regions.add(variant.hex)
            queries.append(Query("pdq_region", variant.hex, variant.name, variant.quality))
    queries.append(Query("sha256", fp.sha256))
    queries.append(Query("md5", fp.md5))
    return queries


def media_lookups(data: bytes, *, limits: DecodeLimits = DEFAULT_LIMITS
                  ) -> tuple[Fingerprints, list[Query]]:
    """Fingerprint found media given as bytes and build its lookups.

    Raises ``UnsupportedMedia``, ``MediaTooLarge`` or ``CorruptMedia`` as
    :func:`jikimi.hashing.fingerprint_bytes`."""
    fp = fingerprint_bytes(data, limits=limits, for_lookup=True)
    return fp, lookups_for(fp)


def file_lookups(path: str | os.PathLike[str], *, limits: DecodeLimits = DEFAULT_LIMITS
                 ) -> tuple[Fingerprints, list[Query]]:
    """As :func:`media_lookups`, for a file on disk (videos are streamed, not read whole)."""
    fp = fingerprint_file(path, limits=limits, for_lookup=True)
    return fp, lookups_for(fp)
