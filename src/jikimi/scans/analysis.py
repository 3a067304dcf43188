"""What happens to one item, away from the database: fetch, fingerprint, search the index.

This is the part a scan worker runs (in-process or on a Ray worker); its result is plain data
that the scan driver writes back through one idempotent path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from jikimi.core.perimeter import NetworkGuard
from jikimi.errors import JikimiError
from jikimi.faces import detect_media_faces, embedding_value, frame_variant
from jikimi.hashing import DecodeLimits, ImageFingerprints
from jikimi.matching import Matcher, Query, media_lookups
from jikimi.matching.matcher import Candidate
from jikimi.sources import Source, SourceItem, build_source

DEFAULT_LIMITS = DecodeLimits(max_bytes=200_000_000, decode_timeout_seconds=120)


@dataclass(frozen=True)
class PendingItem:
    """An item to analyse, as the driver hands it to a worker."""

    scan_item_id: int
    key: str
    locator: str
    kind_hint: str | None
    context: Mapping[str, Any]


@dataclass
class ItemResult:
    """The outcome for one item: fingerprints and index candidates, or an error."""

    scan_item_id: int
    key: str
    ok: bool
    error_code: str | None = None
    error_reason: str | None = None
    kind: str | None = None
    sha256: str | None = None
    fingerprints: dict[str, Any] = field(default_factory=dict)
    candidates: list[Candidate] = field(default_factory=list)


def analyse_item(source: Source, item: PendingItem, matcher: Matcher, *,
                 dihedral: bool = True, limits: DecodeLimits = DEFAULT_LIMITS) -> ItemResult:
    """Fetch, fingerprint and search one item (the lookups every door makes:
    :func:`jikimi.matching.media_lookups`); every failure becomes a recorded error.
    ``dihedral`` is kept for old callers: mirrored and rotated copies always match."""
    try:
        data = source.fetch(SourceItem(key=item.key, locator=item.locator,
                                       kind_hint=item.kind_hint, context=item.context))
        fp, queries = media_lookups(data, limits=limits)
        face_error = None
        face_index = matcher.indexes.get("face")
        if face_index is not None and len(face_index):
            try:
                queries += face_queries(data, limits)
            except JikimiError as exc:  # the fingerprints still count; the note says why
                face_error = {"code": exc.code, "message": exc.message[:500]}
        result = ItemResult(item.scan_item_id, item.key, True, kind=fp.kind, sha256=fp.sha256,
                            fingerprints=fp.to_json(),
                            candidates=matcher.candidates(queries))
        if isinstance(fp, ImageFingerprints) and not fp.reliable:
            result.fingerprints["low_quality"] = True
        if face_error is not None:
            result.fingerprints["face_search_error"] = face_error
        return result
    except JikimiError as exc:
        return ItemResult(item.scan_item_id, item.key, False, error_code=exc.code,
                          error_reason=exc.message[:2000])
    except Exception as exc:  # a worker must never take the scan down with it
        return ItemResult(item.scan_item_id, item.key, False, error_code="internal_error",
                          error_reason=f"{type(exc).__name__}: {exc}"[:2000])


def face_queries(data: bytes, limits: DecodeLimits) -> list[Query]:
    """Consented face search: every face in an image, or in a video's sampled frames, as a
    ``face`` query; a frame's time is the query variant (``frame@12.000s``), so the match
    records where in the video the face is."""
    found = detect_media_faces(data, limits=limits)
    return [Query("face", embedding_value(f.face.embedding),
                  "original" if f.time is None else frame_variant(f.time))
            for f in found.faces]


def analyse_batch(source_type: str, source_config: Mapping[str, Any],
                  items: list[PendingItem], matcher: Matcher, *,
                  guard: NetworkGuard | None = None) -> list[ItemResult]:
    """A batch of items with one source instance (a Ray task runs exactly this). Web sources
    connect under ``guard`` (default: this process's settings, e.g. a Ray worker's)."""
    source = build_source(source_type, dict(source_config), guard=guard)
    return [analyse_item(source, item, matcher) for item in items]
