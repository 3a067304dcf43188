"""Deciding from one re-check whether a takedown worked (pure; the fetch happens elsewhere).

A URL counts as removed when the platform says so unambiguously: 404 or 410, a page that
shows the platform's known "content deleted" wording (``data/deleted_markers.json``), or
fetched content that no longer matches the registered fingerprint. Anything that prevents a
judgement (timeouts, 5xx, 429, login walls, 401/403, 451 legal blocks) is *unreachable*:
it is retried, never counted as a removal.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pydantic import ValidationError, field_validator

from jikimi.takedown.directory import (
    DATA_DIR,
    FrozenModel,
    PlatformDirectory,
    load_directory,
    read_json,
    validation_error,
)

DEFAULT_MARKERS_PATH = DATA_DIR / "deleted_markers.json"
BODY_HEAD_BYTES = 256 * 1024


class RemovalOutcome(enum.StrEnum):
    REMOVED = "removed"
    STILL_PRESENT = "still_present"
    UNREACHABLE = "unreachable"
    ERROR = "error"


@dataclass(frozen=True)
class RemovalVerdict:
    """The outcome of one re-check and why (``reason`` is a stable code, ``detail`` is text)."""

    outcome: RemovalOutcome
    reason: str
    detail: str = ""

    @property
    def removed(self) -> bool:
        return self.outcome is RemovalOutcome.REMOVED


class Marker(FrozenModel):
    text: str
    verified: bool = False


class PlatformMarkers(FrozenModel):
    body: tuple[Marker, ...] = ()
    url_patterns: tuple[str, ...] = ()
    login_wall: tuple[Marker, ...] = ()

    @field_validator("url_patterns")
    @classmethod
    def _compile(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in value:
            re.compile(pattern)
        return value


class DeletedMarkers(FrozenModel):
    version: int
    notes: tuple[str, ...] = ()
    platforms: dict[str, PlatformMarkers]


def load_markers(path: str | Path | None = None) -> DeletedMarkers:
    """Load the deleted-content markers (the packaged file by default)."""
    source = Path(path) if path is not None else DEFAULT_MARKERS_PATH
    try:
        return DeletedMarkers.model_validate(read_json(source, "deleted-content markers"))
    except ValidationError as exc:
        raise validation_error("deleted-content markers", source, exc) from exc


def classify_recheck(status_code: int | None, final_url: str | None,
                     body_head: bytes | str | None, still_matches: bool | None, *,
                     platform_id: str | None = None, error: str | None = None,
                     markers: DeletedMarkers | None = None,
                     directory: PlatformDirectory | None = None) -> RemovalVerdict:
    """Classify one re-check of a URL.

    ``status_code`` is the final HTTP status (None if no response: then ``error`` says why);
    ``final_url`` the URL after redirects; ``body_head`` the first bytes of the body;
    ``still_matches`` whether the fetched media still matches the registered fingerprint
    (None when no media could be fetched and hashed, e.g. an HTML page). ``platform_id``
    picks the markers; by default the platform is found from ``final_url``.
    """
    if status_code is None:
        return RemovalVerdict(RemovalOutcome.UNREACHABLE, "no_response", error or "no response")
    if status_code in (404, 410):
        return RemovalVerdict(RemovalOutcome.REMOVED, f"http_{status_code}")
    if status_code in (401, 403, 407, 429, 451) or 500 <= status_code <= 599:
        return RemovalVerdict(RemovalOutcome.UNREACHABLE, f"http_{status_code}",
                              _UNREACHABLE_DETAIL.get(status_code, "server error; retry later"))
    if not 200 <= status_code <= 299:
        return RemovalVerdict(RemovalOutcome.ERROR, f"http_{status_code}",
                              "unexpected status; check the URL by hand")
    if still_matches is True:
        return RemovalVerdict(RemovalOutcome.STILL_PRESENT, "content_matches")
    text = _head_text(body_head)
    found = _platform_markers(platform_id, final_url, markers, directory)
    if found is not None:
        pid, platform_markers = found
        for pattern in platform_markers.url_patterns:
            if final_url and re.search(pattern, final_url):
                return RemovalVerdict(RemovalOutcome.REMOVED, "deleted_page_url",
                                      f"{pid}: final URL matches {pattern!r}")
        folded = text.casefold()
        for marker in platform_markers.body:
            if marker.text.casefold() in folded:
                return RemovalVerdict(
                    RemovalOutcome.REMOVED, "deleted_page_marker",
                    f"{pid}: page shows {marker.text!r}"
                    + ("" if marker.verified else " (marker not yet verified)"))
        for marker in platform_markers.login_wall:
            if marker.text.casefold() in folded:
                return RemovalVerdict(RemovalOutcome.UNREACHABLE, "login_wall",
                                      f"{pid}: page shows {marker.text!r}")
    if still_matches is False:
        return RemovalVerdict(RemovalOutcome.REMOVED, "content_changed",
                              "the fetched media no longer matches the registered fingerprint")
    return RemovalVerdict(RemovalOutcome.STILL_PRESENT, "page_served",
                          "the page is still served; its media was not re-hashed")


_UNREACHABLE_DETAIL = {
    401: "login required; the content could not be checked",
    403: "access denied; the content could not be checked",
    407: "proxy authentication required",
    429: "rate limited by the platform; retry later",
    451: "blocked for legal reasons here; it may still be available elsewhere",
}


def _head_text(body_head: bytes | str | None) -> str:
    if body_head is None:
        return ""
    if isinstance(body_head, bytes):
        return body_head[:BODY_HEAD_BYTES].decode("utf-8", "replace")
    return body_head[:BODY_HEAD_BYTES]


def _platform_markers(platform_id: str | None, final_url: str | None,
                      markers: DeletedMarkers | None, directory: PlatformDirectory | None,
                      ) -> tuple[str, PlatformMarkers] | None:
    table = markers or _default_markers()
    if platform_id is None and final_url:
        platform = (directory or _default_directory()).platform_for_url(final_url)
        platform_id = platform.id if platform else None
    if platform_id is None or platform_id not in table.platforms:
        return None
    return platform_id, table.platforms[platform_id]


@cache
def _default_markers() -> DeletedMarkers:
    return load_markers()


@cache
def _default_directory() -> PlatformDirectory:
    return load_directory()
