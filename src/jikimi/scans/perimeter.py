"""The perimeter rules applied to sources, at the two moments they matter: when a source is
added (any door: CLI, API, web, demo) and when it is scanned (the import roots may have changed
since). The rules themselves are :mod:`jikimi.core.perimeter`'s."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Self
from urllib.parse import urlsplit

from jikimi.core.config import Settings
from jikimi.core.perimeter import (
    NetworkGuard,
    PathRefused,
    check_local_path,
    import_roots,
    upload_root,
)
from jikimi.errors import JikimiError
from jikimi.sources import WEB_SOURCE_TYPES, ItemError, Source, SourceItem, build_source
from jikimi.sources.errors import BlockedAddress

LOCAL_SOURCE_TYPES = frozenset({"archive", "telegram"})
"""Source types that read the server's own disk."""


def check_source(settings: Settings, source_type: str, config: Mapping[str, Any],
                 centre_id: int | None) -> None:
    """Refuse a source that reads outside the import roots (or another centre's uploads, when
    ``centre_id`` is given), or names a URL at a refused literal address or ``localhost``.
    The binding address check happens at connect time; this one gives an early, clear error.
    """
    if not isinstance(config, Mapping):
        return  # the source type's own reader says what is wrong
    if source_type in LOCAL_SOURCE_TYPES:
        path = config.get("path")
        if isinstance(path, str) and path.strip():
            check_local_path(path, import_roots(settings), centre_id=centre_id,
                             upload_area=upload_root(settings))
    elif source_type in WEB_SOURCE_TYPES:
        guard = NetworkGuard.from_settings(settings)
        for key in ("urls", "start_urls"):
            values = config.get(key)
            for url in values if isinstance(values, list) else []:
                if isinstance(url, str):
                    host = urlsplit(url.strip()).hostname
                    if host:
                        try:
                            guard.check_host(host)
                        except JikimiError as exc:
                            raise BlockedAddress(f"{url}: {exc.message}", code=exc.code,
                                                 url=url) from exc


def open_source(settings: Settings, source_type: str, config: Mapping[str, Any],
                centre_id: int | None) -> Source:
    """The source to scan, built under this installation's perimeter; a source whose path
    has left the import roots becomes one that lists a single ``path_outside_import_roots``
    item error, so the scan ends with a clear reason instead of reading the file."""
    if source_type in LOCAL_SOURCE_TYPES:
        try:
            check_source(settings, source_type, config, centre_id)
        except PathRefused as exc:
            return RefusedSource(str(config.get("path", "")), exc)
    return build_source(source_type, config, guard=NetworkGuard.from_settings(settings))


class RefusedSource(Source):
    """A source the perimeter refused at scan time: one item error, nothing read."""

    type = "refused"

    def __init__(self, locator: str, error: JikimiError) -> None:
        self.locator = locator
        self.error = error

    def enumerate(self) -> Iterator[SourceItem | ItemError]:
        yield ItemError.from_exception(self.locator or "source", self.locator, self.error)

    def fetch(self, item: SourceItem) -> bytes:
        raise self.error

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Self:
        raise NotImplementedError("a refused source is never stored")

    def to_config(self) -> dict[str, Any]:
        return {"path": self.locator}
