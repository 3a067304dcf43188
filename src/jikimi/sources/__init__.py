"""jikimi.sources: where content appears. One module per source type, one interface.

A source enumerates :class:`SourceItem`\\ s (with an :class:`ItemError` for each item that
cannot be listed) and fetches one item's bytes within limits. Sources have no database and no
state between runs; :mod:`jikimi.scans` drives them. Build one from its stored configuration
with :func:`build_source`::

    source = build_source("crawl", {"start_urls": ["https://example.org/"], "max_depth": 1})
    for entry in source.enumerate():
        ...
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jikimi.core.perimeter import NetworkGuard
from jikimi.sources.archive import ArchiveLimits, ArchiveSource
from jikimi.sources.base import ItemError, Source, SourceItem, media_kind, sniff_media
from jikimi.sources.crawl import CrawlSource
from jikimi.sources.errors import (
    ArchiveError,
    BlockedAddress,
    ExportError,
    FetchError,
    SourceConfigError,
    SourceError,
)
from jikimi.sources.feed import FeedSource
from jikimi.sources.http import USER_AGENT, FetchPolicy, HttpClient, HttpResponse
from jikimi.sources.telegram import TelegramExportSource
from jikimi.sources.urls import UrlListSource

SOURCE_TYPES: dict[str, type[Source]] = {
    "urls": UrlListSource,
    "crawl": CrawlSource,
    "feed": FeedSource,
    "telegram": TelegramExportSource,
    "archive": ArchiveSource,
}
"""Every source type by the name stored with a source (and used by ``jikimi sources add``)."""

WEB_SOURCE_TYPES = frozenset({"urls", "crawl", "feed"})
"""Types that fetch over HTTP and accept a shared :class:`HttpClient`."""


def build_source(
    source_type: str, config: Mapping[str, Any], *, client: HttpClient | None = None,
    guard: NetworkGuard | None = None,
) -> Source:
    """The source of ``source_type`` built from ``config``; ``SourceConfigError`` if either is
    invalid. Web sources use ``client`` when given (share one per process so that per-host
    intervals and robots.txt caches hold across sources); its policy then replaces the
    configuration's ``http`` values. Without a client they make their own with ``guard``
    (default: this process's settings)."""
    cls = SOURCE_TYPES.get(source_type)
    if cls is None:
        raise SourceConfigError(
            f"Unknown source type {source_type!r}; choose one of "
            f"{', '.join(sorted(SOURCE_TYPES))}.", field="type")
    if source_type in WEB_SOURCE_TYPES and (client is not None or guard is not None):
        web: Any = cls
        source: Source = web.from_config(config, client=client, guard=guard)
        return source
    return cls.from_config(config)


__all__ = [
    "SOURCE_TYPES",
    "USER_AGENT",
    "WEB_SOURCE_TYPES",
    "ArchiveError",
    "ArchiveLimits",
    "ArchiveSource",
    "BlockedAddress",
    "CrawlSource",
    "ExportError",
    "FeedSource",
    "FetchError",
    "FetchPolicy",
    "HttpClient",
    "HttpResponse",
    "ItemError",
    "Source",
    "SourceConfigError",
    "SourceError",
    "SourceItem",
    "TelegramExportSource",
    "UrlListSource",
    "build_source",
    "media_kind",
    "sniff_media",
]
